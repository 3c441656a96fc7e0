import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {AriHttp} from '../../src/engine/ari/index.js'
import {originateSimCaller, simAgentEndpoint} from '../../src/engine/sim/simulator.js'
import {safeId} from '../../src/engine/util/ids.js'
import {freePort} from '../../src/engine/util/net.js'
import {exited, runAll, runCli, startCli} from '../support/cli.js'
import {cliEngineEnv, sandboxCreds} from '../support/harness.js'
import {until} from '../support/wait.js'

// Issue 13: Chinese everywhere a person types a name, through the real binary. The
// second part runs a real call on the sandbox Asterisk: a caller reaches queue 客服,
// which needs skill 粤语, while another agent is paused for 午饭.

interface Agent {
  id: string
  name: string
  endpoint: string
  queues: Record<string, number>
  skills: Record<string, number>
}

// The JSON contract is moving to snake_case keys (pause_reason) in parallel with this work.
const pauseReasonOf = (a: object): unknown => (a as {pause_reason?: unknown}).pause_reason ?? (a as {pauseReason?: unknown}).pauseReason

const home = () => mkdtempSync(join(tmpdir(), 'callctl-names-'))
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim() !== '')

async function agentsOf(env: Record<string, string>): Promise<Map<string, Agent>> {
  const r = await runCli(['agent', 'list', '--json'], env)
  expect(r.code, r.stderr).toBe(0)
  return new Map((JSON.parse(r.stdout) as {agents: Agent[]}).agents.map((a) => [a.id, a]))
}

describe('Chinese names on the command line', () => {
  const dirs: string[] = []
  afterAll(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))
  const env = () => {
    const d = home()
    dirs.push(d)
    return {CALLCTL_HOME: d}
  }

  it('queue add 客服 works, and so does the command agent add --queue suggests', async () => {
    const e = env()
    const q = await runCli(['queue', 'add', '客服', '--skills', '粤语>=2 | 普通话'], e)
    expect(q.code, q.stderr).toBe(0)
    expect(q.stdout).toContain('Queue 客服 saved.')
    expect(q.stdout).toMatch(new RegExp(`^asterisk id\\s+${safeId('客服')}$`, 'm'))
    const missing = await runCli(['agent', 'add', '1001', '--endpoint', 'PJSIP/1001', '--queue', '售后'], e)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('Queue "售后" does not exist')
    const suggested = /callctl (queue add 售后)/.exec(missing.stderr)
    expect(suggested, missing.stderr).not.toBeNull()
    expect((await runCli(suggested![1]!.split(' '), e)).code).toBe(0)
    const a = await runCli(['agent', 'add', '1001', '--name', '王芳', '--endpoint', 'PJSIP/1001', '--queue', '售后', '--queue', '客服:1', '--skills', '粤语:3，英语'], e)
    expect(a.code, a.stderr).toBe(0)
    expect((await agentsOf(e)).get('1001')).toMatchObject({name: '王芳', queues: {售后: 0, 客服: 1}, skills: {粤语: 3, 英语: 1}})
  })

  it('pauses with reason 午饭 and lists it; the table keeps its columns lined up', async () => {
    const e = env()
    await runAll([['queue', 'add', '客服'], ['agent', 'add', '1001', '--name', '王芳', '--endpoint', 'PJSIP/1001', '--queue', '客服'], ['agent', 'add', '1002', '--name', 'Li Na', '--endpoint', 'PJSIP/1002', '--queue', '客服'], ['agent', 'login', '1001'], ['agent', 'login', '1002']], e)
    const p = await runCli(['agent', 'pause', '1001', '--reason', '午饭'], e)
    expect(p.code, p.stderr).toBe(0)
    expect(p.stdout).toContain('午饭')
    expect(pauseReasonOf((await agentsOf(e)).get('1001')!)).toBe('午饭')
    const list = await runCli(['agent', 'list'], e)
    expect(list.code, list.stderr).toBe(0)
    const lines = list.stdout.trimEnd().split('\n')
    // ENDPOINT starts at the same terminal column on every line: 王芳 is 4 columns wide, "Li Na" 5.
    const endpointColumn = (l: string) => {
      const i = l.search(/ENDPOINT|PJSIP\//)
      return [...l.slice(0, i)].reduce((w, ch) => w + (/\p{Script=Han}/u.test(ch) ? 2 : 1), 0)
    }
    expect(new Set(lines.map(endpointColumn)).size, list.stdout).toBe(1)
    expect(list.stdout).toMatch(/^1001\s+王芳\s+PJSIP\/1001\s+paused \(午饭\)\s+客服/m)
  })

  it('refuses a name that hides characters, in one line with a suggestion, exit 2', async () => {
    const e = env()
    for (const name of ['客\u202e服', '客\u200b服', ' 客服']) {
      const r = await runCli(['queue', 'add', name], e)
      expect(r.code).toBe(2)
      expect(r.stderr).not.toMatch(/[\u202e\u200b]/)
      const lines = errorLines(r.stderr)
      expect(lines[0]).toMatch(/^Error: Invalid queue name "/)
      expect(lines.slice(1).join('\n')).toMatch(/invisible or control character U\+20(2E|0B)|starts or ends with a space/)
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/)
    }
    const reason = await runCli(['agent', 'pause', '1001', '--reason', '午\u202e饭'], e)
    expect(reason.code).not.toBe(0)
    expect((await runCli(['queue', 'list', '--json'], e)).stdout).not.toContain('客')
  })

  it('a name in another normal form is the queue that exists, not a second one', async () => {
    const e = env()
    expect((await runCli(['queue', 'add', '客服1'], e)).code).toBe(0)
    const again = await runCli(['queue', 'add', '客服１'], e)
    expect(again.code).toBe(1)
    expect(errorLines(again.stderr)[0]).toBe('Error: Queue "客服1" already exists (you typed "客服１", which is the same name)')
    const nfd = '상담'.normalize('NFD')
    expect((await runCli(['queue', 'add', '상담'], e)).code).toBe(0)
    expect((await runCli(['queue', 'add', nfd], e)).code).toBe(1)
    expect((await runCli(['agent', 'add', '1001', '--endpoint', 'PJSIP/1001', '--queue', nfd], e)).code).toBe(0)
    expect((await agentsOf(e)).get('1001')!.queues).toEqual({상담: 0})
  })
})

describe('agent add --update changes the fields given, and only those', () => {
  const e = {CALLCTL_HOME: home()}
  afterAll(() => rmSync(e.CALLCTL_HOME, {recursive: true, force: true}))
  const before = {id: '1001', name: '王芳', endpoint: 'PJSIP/1001', queues: {客服: 1}, skills: {粤语: 3, 英语: 1}}

  beforeAll(async () => {
    await runAll([['queue', 'add', '客服'], ['queue', 'add', '售后'], ['agent', 'add', '1001', '--name', '王芳', '--endpoint', 'PJSIP/1001', '--queue', '客服:1', '--skills', '粤语:3 英语:1']], e)
  })

  const update = async (args: string[]) => {
    const r = await runCli(['agent', 'add', '1001', '--update', ...args], e)
    expect(r.code, r.stderr).toBe(0)
    return (await agentsOf(e)).get('1001')!
  }

  it('--name alone', async () => {
    expect(await update(['--name', '李娜'])).toMatchObject({...before, name: '李娜'})
  })
  it('--endpoint alone', async () => {
    expect(await update(['--endpoint', 'PJSIP/1001-desk'])).toMatchObject({...before, name: '李娜', endpoint: 'PJSIP/1001-desk'})
  })
  it('--skills alone', async () => {
    expect(await update(['--skills', '粤语:5'])).toMatchObject({...before, name: '李娜', endpoint: 'PJSIP/1001-desk', skills: {粤语: 5}})
  })
  it('--queue alone', async () => {
    const a = await update(['--queue', '售后:2'])
    expect(a).toMatchObject({name: '李娜', endpoint: 'PJSIP/1001-desk', skills: {粤语: 5}})
    expect(a.queues).toEqual({售后: 2})
  })
  it('a new agent still needs its phone', async () => {
    const r = await runCli(['agent', 'add', '1002', '--name', '张伟'], e)
    expect(r.code).toBe(2)
    expect(errorLines(r.stderr)[0]).toBe('Error: Agent "1002" needs a phone')
    expect(r.stderr).toContain('callctl agent add 1002 --endpoint PJSIP/1002')
  })
})


describe('a real call into queue 客服 (skill 粤语) while an agent is paused for 午饭', () => {
  const dir = home()
  const app = `n${Math.random().toString(36).slice(2, 8)}`
  let env: Record<string, string>
  let engine: ReturnType<typeof startCli>
  let rest: AriHttp

  beforeAll(async () => {
    const port = await freePort()
    env = cliEngineEnv({home: dir, app, apiPort: port})
    rest = new AriHttp(sandboxCreds())
    await runAll(
      [
        ['queue', 'add', '客服', '--skills', '粤语>=2', '--wrap-up', '0', '--ring-timeout', '10', '--no-record'],
        // 李娜 has no 粤语: only 王芳 may take the call, and 张伟 is at lunch.
        ['agent', 'add', 'n1', '--name', '王芳', '--endpoint', simAgentEndpoint({id: 'n1', ring: 0, talk: {min: 6, max: 6}}), '--queue', '客服', '--skills', '粤语:3'],
        ['agent', 'add', 'n2', '--name', '李娜', '--endpoint', simAgentEndpoint({id: 'n2', ring: 0, talk: {min: 6, max: 6}}), '--queue', '客服', '--skills', '英语:2'],
        ['agent', 'add', 'n3', '--name', '张伟', '--endpoint', simAgentEndpoint({id: 'n3', ring: 0, talk: {min: 6, max: 6}}), '--queue', '客服', '--skills', '粤语:5'],
        ['agent', 'login', 'n1'],
        ['agent', 'login', 'n2'],
        ['agent', 'login', 'n3'],
        ['agent', 'pause', 'n3', '--reason', '午饭'],
      ],
      env,
    )
    engine = startCli(['engine', 'start'], env)
    await until('the engine API to listen', () => {
      if (engine.child.exitCode !== null) throw new Error(`the engine exited: ${engine.output()}`)
      return engine.output().includes(`engine API listening on ws://127.0.0.1:${port}/`)
    })
  })

  afterAll(async () => {
    if (engine?.child.exitCode === null) {
      engine.child.kill('SIGTERM')
      await exited(engine.child)
    }
    rmSync(dir, {recursive: true, force: true})
  })

  it('the caller dials the queue by its ASCII id, reaches 王芳, and reports and the dashboard say 客服 and 午饭', async () => {
    const number = '+8613800138000'
    const channelId = `sim-${app}-kefu`
    const start = Date.now()
    // The simulator dials the queue name: the dialplan only takes ASCII, so it dials safeId('客服').
    await originateSimCaller(rest, {number, name: '陈先生', did: '客服', patience: 30, app, channelId})
    const live = await until('the call connected in 客服', async () => {
      const r = await runCli(['calls', '--json'], env)
      const calls = (JSON.parse(r.stdout) as {calls: {state: string; queue: string; agent: string; did: string}[]}).calls
      return calls.find((c) => c.state === 'connected')
    })
    expect(live).toMatchObject({queue: '客服', agent: 'n1', did: safeId('客服')})
    // The log holds the queue's real name (the engine no longer copies it into a channel
    // variable: one request per call to Asterisk that nothing read).
    const entered = (await runCli(['events', '--since', '1h', '--type', 'queue.entered', '--json'], env)).stdout.trim().split('\n').map((l) => JSON.parse(l) as {queue: string})
    expect(entered.map((e) => e.queue)).toContain('客服')

    const board = await runCli(['dashboard', '--once'], env)
    expect(board.code, board.stderr).toBe(0)
    expect(board.stdout).toMatch(/^客服\s/m)
    expect(board.stdout).toMatch(/^n3\s+张伟\s+paused\s.*午饭/m)
    expect(board.stdout).toMatch(/^n1\s+王芳\s+on-call\s/m)
    const snap = JSON.parse((await runCli(['dashboard', '--once', '--json'], env)).stdout) as {agents: {id: string}[]; queues: {name: string}[]}
    expect(snap.queues.map((q) => q.name)).toContain('客服')
    expect(pauseReasonOf(snap.agents.find((a) => a.id === 'n3')!)).toBe('午饭')

    await until('the call to end', async () => {
      const r = await runCli(['calls', '--json'], env)
      return (JSON.parse(r.stdout) as {calls: unknown[]}).calls.length === 0
    })
    const period = ['--from', new Date(start - 60_000).toISOString(), '--to', new Date(Date.now() + 60_000).toISOString()]
    const calls = await runCli(['report', 'calls', ...period, '--format', 'json'], env)
    expect(calls.code, calls.stderr).toBe(0)
    expect(calls.stdout).toContain('"客服"')
    const queues = await runCli(['report', 'queues', ...period], env)
    expect(queues.code, queues.stderr).toBe(0)
    expect(queues.stdout).toMatch(/^[^\n]*客服[^\n]*$/m)
    const agents = await runCli(['report', 'agents', ...period], env)
    expect(agents.code, agents.stderr).toBe(0)
    // The pause reason heads its own column, in the name people gave it.
    expect(agents.stdout.split('\n')[0]).toContain('午饭')
  })
})
