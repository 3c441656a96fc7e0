import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {WebSocket} from 'ws'
import {freePort} from '../../src/engine/util/net.js'
import {runCli, startEngineCli} from '../support/cli.js'
import {cliEngineEnv} from '../support/harness.js'

// The real binary on input it must refuse at the edge: one "Error:" line with a hint and
// a non-zero exit, never a stack trace (exit 70). Only the last one needs Asterisk.

const home = () => mkdtempSync(join(tmpdir(), 'callctl-edge-'))
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('Error:'))

describe('a DID belongs to one queue', () => {
  it('queue add refuses a DID another queue holds, naming that queue', async () => {
    const env = {CALLCTL_HOME: home()}
    expect((await runCli(['queue', 'add', 'sales', '--did', '100'], env)).code).toBe(0)
    const r = await runCli(['queue', 'add', 'support', '--did', '200', '--did', '100'], env)
    expect(r.code).toBe(1)
    expect(errorLines(r.stderr)).toEqual(['Error: DID 100 already belongs to queue "sales"'])
    expect(r.stderr).toContain('Try: A DID routes to one queue. Take it off "sales" first')
    // Nothing was saved; the same queue may keep (and re-list) its own DID.
    expect((await runCli(['queue', 'add', 'support', '--did', '200'], env)).code).toBe(0)
    expect((await runCli(['queue', 'add', 'sales', '--update', '--did', '100', '--did', '101'], env)).code).toBe(0)
    const upd = await runCli(['queue', 'add', 'support', '--update', '--did', '101'], env)
    expect(upd.code).toBe(1)
    expect(errorLines(upd.stderr)).toEqual(['Error: DID 101 already belongs to queue "sales"'])
    const {queues: list} = JSON.parse((await runCli(['queue', 'list', '--json'], env)).stdout) as {queues: {name: string; settings: {dids: string[]}}[]}
    expect(list.map((q) => [q.name, q.settings.dids])).toEqual([
      ['sales', ['100', '101']],
      ['support', ['200']],
    ])
  })

  it('queue apply refuses a DID held by a queue outside the file, or claimed twice in it, and may move DIDs between its queues', async () => {
    const env = {CALLCTL_HOME: home()}
    const dir = env.CALLCTL_HOME
    expect((await runCli(['queue', 'add', 'sales', '--did', '100'], env)).code).toBe(0)
    writeFileSync(join(dir, 'a.yaml'), 'queues:\n  billing:\n    dids: ["300", "100"]\n')
    const a = await runCli(['queue', 'apply', join(dir, 'a.yaml')], env)
    expect(a.code).toBe(1)
    expect(errorLines(a.stderr)).toEqual([`Error: ${join(dir, 'a.yaml')}: queue billing: DID 100 already belongs to queue "sales"`])
    writeFileSync(join(dir, 'b.yaml'), 'queues:\n  billing:\n    dids: ["300"]\n  vip:\n    dids: ["400", "300"]\n')
    const b = await runCli(['queue', 'apply', join(dir, 'b.yaml')], env)
    expect(b.code).toBe(2)
    expect(errorLines(b.stderr)).toEqual([`Error: ${join(dir, 'b.yaml')}:5:19: queue vip: DID 300 already belongs to queue "billing"`])
    // Moving 100 from sales to support in one file is fine: the check is on the result.
    writeFileSync(join(dir, 'c.yaml'), 'queues:\n  sales:\n    dids: ["101"]\n  support:\n    dids: ["100"]\n')
    expect((await runCli(['queue', 'apply', join(dir, 'c.yaml')], env)).code).toBe(0)
    const {queues: list} = JSON.parse((await runCli(['queue', 'list', '--json'], env)).stdout) as {queues: {name: string; settings: {dids: string[]}}[]}
    expect(list.map((q) => [q.name, q.settings.dids])).toEqual([
      ['sales', ['101']],
      ['support', ['100']],
    ])
  })
})

describe('YAML nested ~800 deep', () => {
  const n = 800
  it('an IVR flow, a queue file and an engine config each give one located error and exit 2', async () => {
    const dir = home()
    const env = {CALLCTL_HOME: dir}
    writeFileSync(join(dir, 'flow.yaml'), `flow: deep\nstart: a\nnodes:\n  a: ${'['.repeat(n)}${']'.repeat(n)}\n`)
    writeFileSync(join(dir, 'queues.yaml'), `queues:\n  sales: ${'{a: '.repeat(n)}1${'}'.repeat(n)}\n`)
    // Not config.yaml: that name in CALLCTL_HOME is the default config every command reads.
    writeFileSync(join(dir, 'deep-config.yaml'), `ari: ${'['.repeat(n)}${']'.repeat(n)}\n`)
    const flow = await runCli(['ivr', 'validate', join(dir, 'flow.yaml')], env)
    expect(flow.code).toBe(2)
    expect(flow.stderr + flow.stdout).toContain(`${join(dir, 'flow.yaml')}:4:68: nested deeper than 64 levels`)
    const queues = await runCli(['queue', 'apply', join(dir, 'queues.yaml')], env)
    expect(queues.code).toBe(2)
    expect(errorLines(queues.stderr)).toEqual([`Error: ${join(dir, 'queues.yaml')}:2:258: nested deeper than 64 levels`])
    const config = await runCli(['queue', 'list', '--config', join(dir, 'deep-config.yaml')], env)
    expect(config.code).toBe(2)
    expect(errorLines(config.stderr)).toEqual([`Error: ${join(dir, 'deep-config.yaml')}:1:69: nested deeper than 64 levels`])
    for (const r of [flow, queues, config]) expect(r.stderr).not.toMatch(/RangeError|at .*\.js:\d+/)
  })
})

describe('small mistakes in the words typed (misuse report 20, finding 21)', () => {
  it('flag names in errors, exit 2 for every invalid value, one error for an IVR flow given to chat test', async () => {
    const dir = home()
    const env = {CALLCTL_HOME: dir}
    writeFileSync(join(dir, 'not-an-image.png'), 'root:x:0:0:root:/root:/bin/bash\n')
    const [wrapUp, minus, years, tooLong, missing, notImage, ivr] = await Promise.all([
      runCli(['queue', 'add', 'sales', '--wrap-up', '-5'], env),
      runCli(['blacklist', 'add', '+8613800138000', '--until', '-5d'], env),
      runCli(['blacklist', 'add', '+8613800138001', '--until', '1y'], env),
      runCli(['chat', 'send', 'chat-x', '-t', 'x'.repeat(5000)], env),
      runCli(['chat', 'send', 'chat-x', '-i', join(dir, 'nonexist.png')], env),
      runCli(['chat', 'send', 'chat-x', '-i', join(dir, 'not-an-image.png')], env),
      runCli(['chat', 'test', fileURLToPath(new URL('../../examples/flows/main.yaml', import.meta.url))], env),
    ])
    expect([wrapUp.code, errorLines(wrapUp.stderr)]).toEqual([2, ['Error: Invalid --wrap-up "-5"']])
    expect(wrapUp.stderr).toContain('Try: --wrap-up accepts: seconds from 0 to 3600.')
    expect([minus.code, errorLines(minus.stderr)]).toEqual([2, ['Error: Invalid --until "-5d"']])
    expect(years.code, years.stderr).toBe(0)
    expect([tooLong.code, errorLines(tooLong.stderr)]).toEqual([2, ['Error: --text is 5000 characters: a chat line may be at most 4000']])
    expect(tooLong.stderr).toContain('Try: Send it in several lines')
    expect([missing.code, errorLines(missing.stderr)]).toEqual([2, [`Error: No file ${join(dir, 'nonexist.png')}`]])
    expect([notImage.code, notImage.stderr]).toEqual([2, expect.stringContaining('Error: Not a PNG, JPEG, GIF or WebP image')])
    expect(ivr.code).toBe(2)
    expect(errorLines(ivr.stderr)).toEqual([expect.stringMatching(/main\.yaml:\d+:\d+: this is an IVR \(voice\) flow, not a chat flow: node "vip-check" is a branch node$/)])
    expect(ivr.stderr).toContain('Try: Test a voice flow with: callctl ivr test')
  })
})

describe('callctl api schema', () => {
  // Imported here, so the other tests of this file also run against code without the contract.
  const methods = async () => (await import('../../src/engine/api/contract.js')).METHODS
  it('--json prints the contract as JSON Schema, every method with params, result and version', async () => {
    const r = await runCli(['api', 'schema', '--json'], {CALLCTL_HOME: home()})
    expect(r.code).toBe(0)
    const s = JSON.parse(r.stdout) as {version: number; methods: Record<string, {version: number; summary: string; params: {type: string; additionalProperties: boolean}; result: object}>}
    expect(Object.keys(s.methods).sort()).toEqual([...(await methods())].sort())
    for (const m of Object.values(s.methods)) expect(m).toMatchObject({version: s.version, params: {type: 'object', additionalProperties: false}})
    expect(s.methods['call.transfer']).toMatchObject({params: {properties: {consult: {type: 'boolean'}}, required: ['call', 'to']}})
  })

  it('without --json lists the methods, one line each', async () => {
    const r = await runCli(['api', 'schema'], {CALLCTL_HOME: home()})
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^callctl engine API, version 1 \(\d+ methods; --json for the JSON Schema\)$/)
    expect(lines.slice(2).map((l) => l.split(/\s+/)[0]).sort()).toEqual([...(await methods())].sort())
    expect(r.stdout).toMatch(/call\.transfer\s+call, to, consult\?, by\?\s+Transfer a connected call/)
  })
})

describe('the real engine (callctl engine start) at its API edge', () => {
  it('refuses consult: "true", logs a flood of bad tokens in a few lines, and counts them in engine status', async () => {
    const dir = home()
    const env = cliEngineEnv({home: dir, app: `e${Math.random().toString(36).slice(2, 8)}`, apiPort: await freePort()})
    const engine = await startEngineCli(env)
    try {
      const {url} = JSON.parse(readFileSync(join(dir, 'engine.json'), 'utf8')) as {url: string}
      const token = readFileSync(join(dir, 'secrets', 'api-token'), 'utf8').trim()
      const ask = (ws: WebSocket, msg: object) =>
        new Promise<Record<string, unknown>>((resolve) => {
          ws.once('message', (d) => resolve(JSON.parse(d.toString()) as Record<string, unknown>))
          ws.send(JSON.stringify(msg))
        })
      const open = () => new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url)
        ws.once('open', () => resolve(ws))
        ws.once('error', reject)
      })
      const good = await open()
      expect(await ask(good, {v: 1, id: 1, token, method: 'call.transfer', params: {call: 'call-x', to: {agent: 'a1'}, consult: 'true'}})).toEqual({
        v: 1,
        id: 1,
        ok: false,
        error: {code: 'bad_request', message: 'consult: expected boolean, got string'},
      })
      good.close()
      // 20 clients, 50 bad tokens each.
      for (let c = 0; c < 20; c++) {
        const ws = await open()
        for (let i = 0; i < 50; i++) expect(await ask(ws, {v: 1, id: i, token: 'wrong', method: 'snapshot'})).toMatchObject({ok: false, error: {code: 'unauthorized'}})
        ws.close()
      }
      const status = JSON.parse((await runCli(['engine', 'status', '--json'], env)).stdout) as {running: boolean; unauthorized_requests: number}
      expect(status).toMatchObject({running: true, unauthorized_requests: 1000})
      expect(engine.output().split('\n').filter((l) => l.includes('missing or wrong token'))).toHaveLength(10)
    } finally {
      engine.child.kill('SIGTERM')
      await new Promise((r) => engine.child.once('exit', r))
    }
  })
})
