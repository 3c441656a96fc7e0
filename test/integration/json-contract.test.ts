import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {inject} from 'vitest'
import {AriHttp} from '../../src/engine/ari/index.js'
import {originateSimCaller, simAgentEndpoint} from '../../src/engine/sim/simulator.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {freePort} from '../../src/engine/util/net.js'
import {encodeWav, tones} from '../support/audio.js'
import {exited, runAll, runCli, startCli, type CliResult} from '../support/cli.js'
import {cliEngineEnv, sandboxCreds} from '../support/harness.js'
import {AGENT_STATE_NAMES, contractBreaches} from '../support/json-contract.js'
import {until} from '../support/wait.js'

// Every command that prints JSON, run as people's scripts run it (the built binary,
// against a running engine on the sandbox Asterisk), held to docs/json.md: snake_case
// keys, durations in seconds named *_s, times ISO-8601, one set of agent state names,
// errors as {error: {code, message, suggestion}}. The list of commands comes from
// dist/commands, so a new command fails here until it is run below (or said why not).

const DIST = fileURLToPath(new URL('../../dist/commands', import.meta.url))

/** Command ids as oclif finds them: dist/commands/agent/list.js → "agent list". */
function commandIds(): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f)
      if (statSync(p).isDirectory()) walk(p)
      else if (f.endsWith('.js')) out.push(relative(DIST, p).replace(/\.js$/, '').split('/').join(' '))
    }
  }
  walk(DIST)
  return out.sort()
}

/** Commands this file does not run, and why; each must still print through command.ts. */
const NOT_RUN: Record<string, string> = {
  demo: 'brings up a sandbox Asterisk of its own and runs for minutes; its summary prints through the same toSuccessJson',
  'sandbox up': 'would start a second Asterisk; its result prints through the same toSuccessJson',
  'sandbox kill-box': "would kill the suite's sandbox Asterisk; proxy-kit.test.ts runs it on a sandbox of its own, through the same toSuccessJson",
  'sandbox start-box': 'starts a box kill-box killed; proxy-kit.test.ts runs it on a sandbox of its own, through the same toSuccessJson',
  'db migrate': 'needs a PostgreSQL server: db-migrate-cli.test.ts runs it against one of its own and holds its --json to the contract',
  'chat note': 'needs a live conversation with an agent: chat-engine-start.test.ts runs it with --json, through the same toSuccessJson',
  'chat send': "needs an agent's active conversation and the chat server: desk-chat-transfer-tmux.test.ts runs it with --json and holds it to the contract",
  desk: "an agent's interactive workstation: desk-tmux.test.ts drives it in tmux; without a terminal it refuses in one line (with --json, one JSON error through the same toErrorJson)",
}


describe('one JSON contract for every --json output', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-json-'))
  const app = `j${Math.random().toString(36).slice(2, 8)}`
  const ran = new Map<string, {args: string[]; out: unknown[]}>()
  let env: Record<string, string>
  let engine: ReturnType<typeof startCli>
  let rest: AriHttp
  let callId: string

  /** Runs `callctl ARGS --json`, expects exit 0, and keeps every JSON value it printed. */
  async function json(args: string[], extraEnv: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const r: CliResult = await runCli([...args, '--json'], {...env, ...extraEnv})
    expect(r.code, `callctl ${args.join(' ')} --json: ${r.stderr}${r.stdout}`).toBe(0)
    const values = parseAll(r.stdout)
    expect(values.length, `callctl ${args.join(' ')} --json printed no JSON`).toBeGreaterThan(0)
    const id = commandIds().find((c) => args.join(' ').startsWith(c + ' ') || args.join(' ') === c)
    if (id) ran.set(id, {args, out: [...(ran.get(id)?.out ?? []), ...values]})
    return values[0] as Record<string, unknown>
  }

  beforeAll(async () => {
    const port = await freePort()
    env = cliEngineEnv({home, app, apiPort: port})
    rest = new AriHttp(sandboxCreds())
    writeFileSync(join(home, 'contacts.csv'), 'number,name,tier\n+8613800138000,张三,VIP\n+14155550123,Ann Lee,gold\n')
    writeFileSync(join(home, 'kb.csv'), 'question,answer,tags\nHow do I reset my password?,Use the link on the login page.,account\n')
    writeFileSync(join(home, 'queues.yaml'), 'queues:\n  sales:\n    ringTimeout: 20\n    dids: ["300"]\n')
    await runAll(
      [
        ['queue', 'add', 'support', '--wrap-up', '0', '--ring-timeout', '10', '--no-record'],
        // Talks for long enough that every call and supervision command finds the call connected.
        ['agent', 'add', 'a1', '--endpoint', simAgentEndpoint({id: 'a1', ring: 0, talk: {min: 90, max: 90}}), '--queue', 'support', '--skills', 'english:2'],
        ['agent', 'login', 'a1'],
      ],
      env,
    )
    engine = startCli(['engine', 'start', '--json'], env)
    await until('the engine API to listen', () => {
      if (engine.child.exitCode !== null) throw new Error(`the engine exited: ${engine.output()}`)
      return engine.output().includes(`engine API listening on ws://127.0.0.1:${port}/`)
    })
    await originateSimCaller(rest, {number: '+15550100001', name: 'Ann Lee', did: 'support', patience: 60, app})
    callId = await until('the call to connect', async () => {
      const r = await runCli(['calls', '--json'], env)
      const calls = (JSON.parse(r.stdout) as {calls: {id: string; state: string}[]}).calls
      return calls.find((c) => c.state === 'connected')?.id
    })
  })

  afterAll(async () => {
    if (engine?.child.exitCode === null) {
      engine.child.kill('SIGTERM')
      await exited(engine.child)
    }
    rmSync(home, {recursive: true, force: true})
  })

  it('live commands: calls, dashboard, engine status, agents, call control and supervision print snake_case, seconds and ISO times', async () => {
    const calls = await json(['calls'])
    const call = (calls.calls as Record<string, unknown>[])[0]!
    expect(call).toMatchObject({id: callId, state: 'connected', agent: 'a1', key_trail: [], caller: {number: '+15550100001'}, held_since: null, hold_s: 0, consulting: false})
    expect(typeof calls.at).toBe('string')
    expect(Date.parse(call.connected_at as string)).toBeLessThanOrEqual(Date.parse(calls.at as string))

    // No chat server here: no open conversations, and the engine's clock as an ISO time.
    const chats = await json(['chat', 'list'])
    expect(chats).toMatchObject({conversations: []})
    expect(typeof chats.at).toBe('string')

    const board = await json(['dashboard', '--once'])
    const agentRow = (board.agents as Record<string, unknown>[]).find((a) => a.id === 'a1')!
    expect(agentRow.state).toBe('on-call')
    expect(typeof agentRow.in_state_s).toBe('number')
    expect(Object.keys((board.header as {agents: object}).agents).sort()).toEqual([...AGENT_STATE_NAMES].sort())
    const queueRow = (board.queues as Record<string, unknown>[]).find((q) => q.name === 'support')!
    expect(queueRow).toMatchObject({idle: 0, busy: 1})

    const status = await json(['engine', 'status'])
    expect(status.agents).toMatchObject({total: 1, logged_in: 1, idle: 0, busy: 1, paused: 0})
    expect(typeof status.uptime_s).toBe('number')

    const agents = await json(['agent', 'list'])
    expect((agents.agents as Record<string, unknown>[])[0]).toMatchObject({id: 'a1', state: 'on-call', queues: {support: 0}, skills: {english: 2}})

    await json(['queue', 'list'])
    await json(['call', 'hold', callId])
    // Held, the call says so to every reader, not only to the desk that held it (misuse report 21, finding 8).
    const held = (await json(['calls', '--state', 'on-hold'])).calls as Record<string, unknown>[]
    expect(held).toMatchObject([{id: callId, state: 'connected', consulting: false}])
    expect(Date.parse(held[0]!.held_since as string)).toBeLessThanOrEqual(Date.now())
    expect(typeof held[0]!.hold_s).toBe('number')
    const heldRow = ((await json(['dashboard', '--once'])).calls as Record<string, unknown>[]).find((c) => c.id === callId)
    expect(heldRow).toMatchObject({state: 'connected', held_since: held[0]!.held_since, consulting: false})
    expect((await runCli(['calls'], env)).stdout).toMatch(new RegExp(`${callId} .* on-hold \\d+:\\d\\d `))
    const unheld = await json(['call', 'unhold', callId])
    expect(typeof unheld.hold_s).toBe('number')

    const from = `Local/2000-${app}sup@callctl-sim-supervisor`
    const watched = await json(['monitor', callId, '--from', from])
    expect(typeof watched.started_at).toBe('string')
    await json(['whisper', callId, '--from', from])
    await json(['barge', callId, '--from', from])
    await json(['supervise', 'list'])
    await json(['supervise', 'stop', '--all'])

    // The second agent takes the call by transfer, then wraps up, is made ready, paused and let go.
    await json(['agent', 'add', 'a2', '--endpoint', simAgentEndpoint({id: 'a2', ring: 0, talk: {min: 90, max: 90}}), '--queue', 'support'])
    await json(['agent', 'login', 'a2'])
    await json(['call', 'transfer', callId, '--to-agent', 'a2'])
    await json(['call', 'hangup', callId])
    await until('a2 to be in wrap-up or idle', async () => {
      const b = JSON.parse((await runCli(['dashboard', '--once', '--json'], env)).stdout) as {agents: {id: string; state: string}[]}
      return b.agents.find((a) => a.id === 'a2' && a.state !== 'on-call')
    })
    // The disposition of the call (support has no codes: any short code), as a supervisor releases an agent held for one.
    expect(await json(['call', 'disposition', callId, 'resolved'])).toEqual({call_id: callId, code: 'resolved', label: 'resolved', released: false})
    const wrap = await json(['agent', 'wrapup', 'a2', '--seconds', '600'])
    expect(wrap.state).toBe('wrap-up')
    expect(typeof wrap.wrap_up_ends_at).toBe('string')
    const ready = await json(['agent', 'ready', 'a2'])
    expect(ready.state).toBe('idle')
    const paused = await json(['agent', 'pause', 'a2', '--reason', 'lunch'])
    expect(paused.state).toBe('paused')
    const unpaused = await json(['agent', 'unpause', 'a2'])
    expect(unpaused.state).toBe('idle')
    await json(['call', 'dial', '+15550100002', '--agent', 'a2'])
  })

  it('admin, store and report commands print the same contract', async () => {
    await json(['queue', 'add', 'billing', '--wrap-up', '3'])
    await json(['queue', 'apply', join(home, 'queues.yaml')])
    const queues = await json(['queue', 'list'])
    const billing = (queues.queues as {name: string; settings: Record<string, unknown>}[]).find((q) => q.name === 'billing')!
    expect(billing.settings).toMatchObject({wrap_up_s: 3, ring_timeout_s: 15})
    await json(['queue', 'remove', 'billing'])
    await json(['agent', 'add', 'a3', '--endpoint', 'PJSIP/1003'])
    const login = await json(['agent', 'login', 'a3'])
    expect(login.state).toBe('idle')
    await json(['agent', 'logout', 'a3'])
    await json(['agent', 'remove', 'a3'])
    const phone = await json(['phone', 'add', 'jp1'])
    expect(phone).toMatchObject({created: true, username: 'jp1', asterisk: 'applied', asterisk_error: null})
    expect(phone.password).toMatch(/^[A-Za-z0-9_-]{24}$/)
    const listed = await json(['phone', 'list'])
    expect((listed.phones as Record<string, unknown>[]).find((p) => p.id === 'jp1')).toMatchObject({state: 'offline', contact: null, rtt_s: null})
    expect((await json(['phone', 'show', 'jp1', '--show-secret'])).password).toBe(phone.password)
    expect((await json(['phone', 'show', 'jp1'])).password).toBeNull()
    await json(['phone', 'remove', 'jp1'])
    const added = await json(['user', 'add', 'js-sup', '--role', 'supervisor'])
    expect(added).toMatchObject({action: 'added', user: {name: 'js-sup', role: 'supervisor', agent: null, has_token: true}})
    expect(added.token).toMatch(/^cct_/)
    // A client with CALLCTL_TOKEN is that user: a supervisor places no calls for agents.
    const asSupervisor = await runCli(['call', 'dial', '+15550100003', '--agent', 'a1'], {...env, CALLCTL_TOKEN: String(added.token)})
    expect(asSupervisor.code).toBe(1)
    expect(asSupervisor.stderr).toMatch(/^Error: Forbidden: role supervisor may not call call\.dial \(user js-sup\)\n/)
    expect((await json(['user', 'list'])).users).toEqual([expect.objectContaining({name: 'js-sup', has_token: true})])
    expect((await json(['user', 'token', 'js-sup'])).token).not.toBe(added.token)
    await json(['user', 'remove', 'js-sup'])
    expect(await json(['sip', 'blocked'])).toEqual({blocks: [], cleared: [], asterisk: 'nothing to do'})
    await json(['blacklist', 'add', '+15550109999', '--until', '30d'])
    await json(['blacklist', 'list'])
    await json(['blacklist', 'remove', '+15550109999'])
    await json(['contacts', 'import', join(home, 'contacts.csv')])
    await json(['contacts', 'list'])
    await json(['contacts', 'lookup', '+8613800138000'])
    await json(['contacts', 'remove', '+14155550123'])
    await json(['kb', 'add', '-q', 'Opening hours?', '-a', '9 to 5', '-t', 'hours'])
    await json(['kb', 'import', join(home, 'kb.csv')])
    await json(['kb', 'list'])
    await json(['kb', 'search', 'password'])
    const kbId = String(((await json(['kb', 'list'])).entries as {id: number}[])[0]!.id)
    await json(['kb', 'remove', kbId])
    const ticket = await json(['ticket', 'add', '-s', 'Call back about the invoice', '-p', 'high', '--assignee', 'queue:support'])
    expect(ticket).toMatchObject({id: 'T-000001', status: 'open', overdue: false, assignee: {queue: 'support'}})
    expect(typeof ticket.due_at).toBe('string')
    await json(['ticket', 'list', '--status', 'open'])
    await json(['ticket', 'show', 'T-000001'])
    await json(['ticket', 'update', 'T-000001', '--priority', 'urgent'])
    await json(['ticket', 'comment', 'T-000001', 'Called, no answer'])
    await json(['ticket', 'assign', 'T-000001', 'agent:a1'])
    await json(['ticket', 'close', 'T-000001'])
    await json(['ticket', 'export', '--out', join(home, 'tickets.csv')])
    expect(await json(['ticket', 'import', join(home, 'tickets.csv')])).toMatchObject({created: [], updated: [], unchanged: 1, bad: []})
    const flow = fileURLToPath(new URL('../../examples/flows/main.yaml', import.meta.url))
    await json(['ivr', 'validate', flow])
    await json(['ivr', 'test', flow, '--dtmf', '1'])
    await json(['ivr', 'deploy', flow, '--did', '400'])
    await json(['ivr', 'list'])
    await json(['chat', 'test', fileURLToPath(new URL('../../examples/flows/chat.yaml', import.meta.url)), '--at', '2026-12-07T02:00:00Z'])
    // A conversation as the chat core writes one, for its transcript's export.
    const chats = new SqliteStore(join(home, 'callctl.db'))
    const t = Date.now()
    await chats.appendEvents([
      {type: 'chat.started', ts: t, callId: 'chat-json-1', data: {channel: 'web', customer: 'v1', name: 'Ann Lee'}, origin: 'test'},
      {type: 'chat.message', ts: t + 1, callId: 'chat-json-1', data: {from: 'customer', kind: 'text', seq: 1, text: 'Hello'}, origin: 'test'},
      {type: 'chat.closed', ts: t + 2, callId: 'chat-json-1', data: {reason: 'customer'}, origin: 'test'},
    ])
    await chats.close()
    expect(await json(['chat', 'transcript', 'chat-json-1', '--notes'])).toMatchObject({conversation: {id: 'chat-json-1', state: 'closed', started_at: expect.any(String)}})
    // No uploads in this home: nothing to delete, the cutoff an ISO time.
    const purge = await json(['chat', 'purge-uploads', '--older-than', '30d', '--dry-run'])
    expect(purge).toMatchObject({dry_run: true, removed: 0, kept: 0})
    expect(Date.parse(purge.cutoff_at as string)).toBeLessThan(Date.now())
    expect(purge.older_than_s).toBe(30 * 86_400)
    await json(['prompt', 'tts', 'hello', 'Hello there'])
    await json(['prompt', 'list'])
    writeFileSync(join(home, 'hello.wav'), encodeWav([tones([[440, 1]], 8000, 500)], 8000))
    await json(['prompt', 'add', 'hello-again', join(home, 'hello.wav')])
    await json(['recordings', 'list'])
    await json(['recordings', 'purge', '--older-than', '5y', '--dry-run'])
    // The queue does not record: export has nothing to write, and says so in the contract's error shape.
    const exported = await runCli(['recordings', 'export', '--call', callId, '--out', home, '--json'], env)
    expect(exported.code).not.toBe(0)
    ran.set('recordings export', {args: ['recordings', 'export'], out: parseAll(exported.stdout)})
    expect(Object.keys(parseAll(exported.stdout)[0] as object)).toEqual(['error'])
    const events = await json(['events', '--since', '1h'])
    expect(typeof events.at).toBe('string')
    expect(events).not.toHaveProperty('ts')
    await json(['db', 'backup', join(home, 'backup.db')])
    await json(['db', 'summarize'])
    const report = await json(['report', 'agents', '--from', 'today', '--to', 'now', '--out', join(home, 'agents.csv')])
    expect(report).toMatchObject({report: 'agents', format: 'csv'})
    for (const type of ['calls', 'queues', 'agents', 'hourly', 'abandoned', 'ivr', 'survey', 'staffing']) {
      const r = await runCli(['report', type, '--from', 'today', '--to', 'now', '--format', 'json'], env)
      expect(r.code, r.stderr).toBe(0)
      expect(contractBreaches(JSON.parse(r.stdout), [`report ${type}`])).toEqual([])
    }
    // --no-wait: this file's engine serves its own app, and the sandbox's dialplan sends simulate's
    // callers to app "callctl"; waiting, simulate would (rightly) exit 1, no caller reaching an engine.
    await json(['simulate', '--callers', '1', '--agents', '1', '--talk', '1-1', '--patience', '3-3', '--queue', 'sim', '--no-wait'])
    const sandboxHome = {CALLCTL_HOME: inject('sandbox').home}
    await json(['sandbox', 'status'], sandboxHome)
    await json(['sandbox', 'logs', '-n', '3'], sandboxHome)
    // Some 60 CLI runs, each a second or two: about 50 s on a quiet machine, 107 s at load average 10.
  }, 400_000)

  it("api schema --json is JSON Schema of the engine's API, printed as it is (its own format, declared by the command)", async () => {
    const r = await runCli(['api', 'schema', '--json'], env)
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout) as {methods: Record<string, {params: Record<string, unknown>}>}
    expect(s.methods['calls.list']!.params).toHaveProperty('additionalProperties', false)
    // Not held to the contract below: a format of its own, and the only command that says so.
    ran.set('api schema', {args: ['api', 'schema'], out: []})
  })

  it('errors are {error: {code, message, suggestion}} on stdout with the exit code', async () => {
    const r = await runCli(['agent', 'pause', 'nobody', '--json'], env)
    expect(r.code).toBe(1)
    const e = JSON.parse(r.stdout) as {error: Record<string, unknown>}
    expect(Object.keys(e)).toEqual(['error'])
    expect(Object.keys(e.error).sort()).toEqual(['code', 'message', 'suggestion'])
    expect(typeof e.error.code).toBe('string')
  })

  it('engine start --json prints its result in the contract when it stops', async () => {
    engine.child.kill('SIGTERM')
    await exited(engine.child)
    const values = parseAll(engine.output())
    expect(values.length, engine.output()).toBeGreaterThan(0)
    ran.set('engine start', {args: ['engine', 'start'], out: values})
    const down = await runCli(['sandbox', 'down', '--json'], env)
    ran.set('sandbox down', {args: ['sandbox', 'down'], out: parseAll(down.stdout)})
  })

  it('every command is run above (or says why not), and everything printed keeps the contract', () => {
    const missing = commandIds().filter((id) => !ran.has(id) && !NOT_RUN[id])
    expect(missing, 'commands with --json output this file does not run').toEqual([])
    const ownFormat = commandIds().filter((id) => /ownJsonFormat = true/.test(readFileSync(join(DIST, ...id.split(' ')) + '.js', 'utf8')))
    expect(ownFormat, 'commands that print JSON outside the contract').toEqual(['api schema'])
    const breaches = [...ran.entries()].flatMap(([id, r]) => r.out.flatMap((v) => contractBreaches(v, [id])))
    expect(breaches).toEqual([])
  })
})

/** Every JSON value in the text: one pretty-printed object, or one per line (events), among log lines. */
function parseAll(text: string): unknown[] {
  const t = text.trim()
  if (!t) return []
  try {
    return [JSON.parse(t)]
  } catch {
    // Lines of JSON, or a pretty object after log lines: take each top-level {...} block.
  }
  const out: unknown[] = []
  let depth = 0
  let start = -1
  let inString = false
  for (let i = 0; i < t.length; i++) {
    const ch = t[i]
    if (inString) {
      if (ch === '\\') i++
      else if (ch === '"') inString = false
      continue
    }
    if (ch === '"' && depth > 0) inString = true
    else if (ch === '{') {
      if (depth === 0) start = i
      depth++
    } else if (ch === '}' && depth > 0) {
      depth--
      if (depth === 0) {
        try {
          out.push(JSON.parse(t.slice(start, i + 1)))
        } catch {
          // a brace in a log line, not JSON
        }
      }
    }
  }
  return out
}
