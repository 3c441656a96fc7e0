import {spawn} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {BIN, runCli} from '../support/cli.js'

// callctl chat test through the real binary, its customer's lines scripted on standard
// input as a test or a cron job would pipe them; answers from the store's knowledge base.

const FLOW = fileURLToPath(new URL('../../examples/flows/chat.yaml', import.meta.url))
// Monday 7 December 2026, 10:00 in Shanghai: open.
const OPEN = '2026-12-07T02:00:00Z'

function chatTest(args: string[], input: string, env: Record<string, string>): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'chat', 'test', ...args], {env: {...process.env, FORCE_COLOR: '0', ...env}, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
    child.stdin.end(input)
  })
}

describe('callctl chat test (scripted)', () => {
  const env = {CALLCTL_HOME: mkdtempSync(join(tmpdir(), 'callctl-chattest-'))}

  it('runs the flow on piped lines: a button, a question answered from the knowledge base, feedback', async () => {
    expect((await runCli(['kb', 'add', '-q', 'How do I get an invoice?', '-a', 'Invoices are under Account, Billing.', '-t', 'billing'], env)).code).toBe(0)
    const r = await chatTest([FLOW, '--at', OPEN], '[billing]\nhow do I get an invoice\n[yes]\n', env)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("bot> Hello! I'm the assistant. 您好，我是智能助手。\nbot> What can we help with?\n     [billing] Billing  [account] My account  [agent] Talk to a person\n")
    expect(r.stdout).toContain('you> how do I get an invoice\n  (kb entry 1, score 1.00: How do I get an invoice?)\nbot> Invoices are under Account, Billing.\nbot> Was this helpful?\n')
    expect(r.stdout.trimEnd().endsWith('you> [yes]\n  (kb entry 1: helpful)\nbot> Glad we could help!\n→ closed (bot)')).toBe(true)
  })

  it('hands over by keyword, says when it is closed, and --json gives the turns', async () => {
    expect((await chatTest([FLOW, '--at', OPEN], '我要人工\n', env)).stdout).toContain('→ handed to queue support')
    expect((await chatTest([FLOW, '--at', '2026-12-07T12:00:00Z'], '', env)).stdout).toContain('→ closed (off-hours)')
    // A wall-clock time without a zone is the flow's own (Asia/Shanghai): 10:00 there is open, 20:00 closed.
    expect((await chatTest([FLOW, '--at', '2026-12-07 10:00'], '我要人工\n', env)).stdout).toContain('→ handed to queue support')
    expect((await chatTest([FLOW, '--at', '2026-12-07 20:00'], '', env)).stdout).toContain('→ closed (off-hours)')
    const j = await chatTest([FLOW, '--at', OPEN, '--json'], '[agent]\n', env)
    expect(JSON.parse(j.stdout)).toMatchObject({flow: 'support-chat', end: {kind: 'queue', queue: 'support'}, turns: [{input: null}, {input: {payload: 'agent'}}]})
  })

  it('a bad flow: every problem at FILE:LINE:COLUMN, exit 2', async () => {
    const bad = join(env.CALLCTL_HOME, 'bad.yaml')
    writeFileSync(bad, 'flow: x\nstart: a\nnodes:\n  a: {type: menu, text: hi, choices: [{key: k, label: K, next: b}]}\n  c: {type: sing}\n  d: {type: close, colour: red}\n')
    const r = await chatTest([bad], '', env)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${bad}:5:13: unknown node type "sing" in node "c"`)
    expect(r.stderr).toContain(`${bad}:6:20: unknown field "colour" for a close node`)
  })
})
