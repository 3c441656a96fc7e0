import {mkdtempSync, readFileSync} from 'node:fs'
import {freePort} from '../../src/engine/util/net.js'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, inject, it} from 'vitest'
import {runCli, startCli} from '../support/cli.js'


// The real binary against the real sandbox: exit codes, one-line errors, no secrets.
describe('callctl on bad input', () => {
  const sandbox = inject('sandbox')
  const home = () => mkdtempSync(join(tmpdir(), 'callctl-cli-'))

  it('a wrong ARI password exits 2 naming the URL and user, never a password', async () => {
    const wrong = 'not-the-password-4f7a'
    const real = readFileSync(sandbox.passwordFile, 'utf8').trim()
    const r = await runCli(['engine', 'start'], {CALLCTL_HOME: home(), CALLCTL_ARI_URL: sandbox.ariUrl, CALLCTL_ARI_USER: 'callctl', CALLCTL_ARI_PASSWORD: wrong, CALLCTL_API_PORT: String(await freePort())})
    expect(r.code).toBe(2)
    const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('Error:'))
    expect(errorLines).toEqual([`Error: Asterisk at ${sandbox.ariUrl} refused ARI user "callctl": wrong user or password`])
    expect(r.stdout + r.stderr).not.toContain(wrong)
    expect(r.stdout + r.stderr).not.toContain(real)
  })

  it('an unreachable Asterisk: the engine keeps trying, says so once, and engine status counts the attempts', async () => {
    const port = await freePort()
    const env = {CALLCTL_HOME: home(), CALLCTL_ARI_URL: `http://127.0.0.1:${port}`, CALLCTL_ARI_PASSWORD: 'x', CALLCTL_API_PORT: String(await freePort())}
    const {child, output} = startCli(['engine', 'start'], env)
    const deadline = Date.now() + 15_000
    let attempts = 0
    while (attempts < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500))
      const s = await runCli(['engine', 'status', '--json'], env)
      if (s.code === 0) attempts = (JSON.parse(s.stdout) as {link: {attempts: number}}).link.attempts
    }
    expect(child.exitCode).toBeNull() // still running, still trying
    expect(attempts).toBeGreaterThanOrEqual(5)
    expect(output()).toContain(`Asterisk at http://127.0.0.1:${port} is unreachable (ECONNREFUSED); retrying every second or so`)
    // Once, not a line per attempt.
    expect(output().match(/unreachable/g)).toHaveLength(1)
    expect(output()).not.toMatch(/at .*\.js:\d+/) // no stack trace
    child.kill('SIGTERM')
  })

  it('logging in an agent to a queue that does not exist names it and lists the existing ones', async () => {
    const env = {CALLCTL_HOME: home()}
    expect((await runCli(['queue', 'add', 'sales'], env)).code).toBe(0)
    expect((await runCli(['queue', 'add', 'support'], env)).code).toBe(0)
    expect((await runCli(['agent', 'add', '1001', '--endpoint', 'PJSIP/1001'], env)).code).toBe(0)
    const r = await runCli(['agent', 'login', '1001', '--queue', 'salse'], env)
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('Error: Queue "salse" does not exist. Existing queues: sales, support\n  Try: Create it with: callctl queue add salse\n')
    const j = await runCli(['agent', 'login', '1001', '--queue', 'salse', '--json'], env)
    expect(j.code).toBe(1)
    expect(JSON.parse(j.stdout)).toMatchObject({error: {code: 'unknown_queue'}})
  })

  it('lists as JSON, and prints events as JSON lines', async () => {
    const env = {CALLCTL_HOME: home()}
    await runCli(['queue', 'add', 'sales', '--wrap-up', '12'], env)
    await runCli(['agent', 'add', '1001', '--endpoint', 'PJSIP/1001', '--queue', 'sales:1'], env)
    await runCli(['agent', 'login', '1001'], env)
    await runCli(['agent', 'pause', '1001', '--reason', 'lunch'], env)
    const q = JSON.parse((await runCli(['queue', 'list', '--json'], env)).stdout)
    expect(q.queues[0]).toMatchObject({name: 'sales', agents: 1, settings: {wrap_up_s: 12}})
    const a = JSON.parse((await runCli(['agent', 'list', '--json'], env)).stdout)
    expect(a.agents[0]).toMatchObject({id: '1001', state: 'paused', pause_reason: 'lunch', queues: {sales: 1}})
    const ev = await runCli(['events', '--since', '10m', '--json'], env)
    const lines = ev.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.map((l) => l.type)).toEqual(['queue.added', 'agent.added', 'agent.login', 'agent.paused'])
  })

  it('rejects a bad queue setting with the field and the accepted values, exit 2', async () => {
    const r = await runCli(['queue', 'add', 'q1', '--ring-timeout', '-5'], {CALLCTL_HOME: home()})
    expect(r.code).toBe(2)
    // The flag typed, not the YAML key (ringTimeout).
    expect(r.stderr).toContain('Error: Invalid --ring-timeout "-5"\n')
    expect(r.stderr).toContain('Try: --ring-timeout accepts: seconds from 1 to 600.')
  })

  it('--help lists the topics', async () => {
    const r = await runCli(['--help'])
    for (const t of ['sandbox', 'engine', 'queue', 'agent', 'events', 'simulate']) expect(r.stdout).toContain(t)
  })
})
