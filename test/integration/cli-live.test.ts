import {until} from '../support/wait.js'
import {freePort} from '../../src/engine/util/net.js'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {AriHttp} from '../../src/engine/ari/index.js'
import {originateSimCaller, simAgentEndpoint} from '../../src/engine/sim/simulator.js'
import {exited, runAll, runCli, startCli} from '../support/cli.js'
import {cliEngineEnv, sandboxCreds, startTestEngine} from '../support/harness.js'




/** An event as --json prints it (docs/json.md): snake_case, its time as ISO-8601 `at`. */
interface EventLine {
  id: number | null
  type: string
  at: string
  call_id: string | null
  queue: string | null
  agent: string | null
  data: Record<string, unknown>
  origin: string
}

const jsonLines = (text: string): EventLine[] =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EventLine)

// The real binary against an engine started by `callctl engine start` on the sandbox
// Asterisk: live calls, the live event stream, and what happens when the engine goes.
describe('callctl calls and events --follow against a running engine', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-live-'))
  const app = `c${Math.random().toString(36).slice(2, 8)}`
  let env: Record<string, string>
  let engine: ReturnType<typeof startCli>
  let rest: AriHttp
  let port: number
  let seq = 0

  const caller = (name = 'Live Caller', did = 'support') => {
    const number = `+1555600${String(++seq).padStart(4, '0')}`
    return {number, place: () => originateSimCaller(rest, {number, name, did, patience: 30, app})}
  }

  beforeAll(async () => {
    port = await freePort()
    const creds = sandboxCreds()
    env = {
      ...cliEngineEnv({home, app, apiPort: port}),
      // Everything the engine can log, for the check that the API token is not in it.
      CALLCTL_LOG_LEVEL: 'debug',
    }
    rest = new AriHttp(creds)
    await runAll(
      [
        ['queue', 'add', 'support', '--wrap-up', '0', '--ring-timeout', '10', '--no-record'],
        // Talks long enough for a few CLI runs to see the call while it is connected.
        ['agent', 'add', 'a1', '--endpoint', simAgentEndpoint({id: 'a1', ring: 0, talk: {min: 6, max: 6}}), '--queue', 'support'],
        ['agent', 'login', 'a1'],
        // The first test reads a live call with several CLI runs, each seconds long on a busy
        // machine: its agent talks until the test hangs up.
        ['queue', 'add', 'hotline', '--wrap-up', '0', '--ring-timeout', '10', '--no-record'],
        ['agent', 'add', 'h1', '--endpoint', simAgentEndpoint({id: 'h1', ring: 0, talk: {min: 120, max: 120}}), '--queue', 'hotline'],
        ['agent', 'login', 'h1'],
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
    rmSync(home, {recursive: true, force: true})
  })

  it('calls --json lists the live call with caller, queue, agent, state and durations; the table shows it safely', async () => {
    const empty = await runCli(['calls', '--json'], env)
    expect(empty.code, empty.stderr).toBe(0)
    expect(JSON.parse(empty.stdout)).toMatchObject({calls: []})

    // A caller ID name carrying a terminal escape: the table must not pass it through.
    const c = caller('Evil\u001b[2J Name', 'hotline')
    await c.place()
    const listed = await until('calls --json to show the call connected', async () => {
      const r = await runCli(['calls', '--json'], env)
      expect(r.code, r.stderr).toBe(0)
      const out = JSON.parse(r.stdout) as {at: string; calls: Record<string, unknown>[]}
      return out.calls.find((x) => x.state === 'connected') ? out : undefined
    })
    expect(listed.calls).toHaveLength(1)
    const call = listed.calls[0]!
    expect(call).toMatchObject({caller: {number: c.number}, queue: 'hotline', agent: 'h1', state: 'connected', key_trail: [], contact: null, ringing: []})
    // The escape reached the engine as it was sent: only the table output is cleaned.
    expect((call.caller as {name: string}).name).toBe('Evil\u001b[2J Name')
    // Seconds to 0.1 s and ISO times (docs/json.md): talk is the engine's clock less the answer.
    expect(call.waited_s).toBeGreaterThanOrEqual(0)
    expect(call.waited_s).toBeLessThan(5)
    expect(call.talk_s).toBeGreaterThanOrEqual(0)
    expect(call.talk_s).toBeLessThan(60)
    expect(Math.abs((call.talk_s as number) - (Date.parse(listed.at) - Date.parse(call.connected_at as string)) / 1000)).toBeLessThanOrEqual(0.051)

    const human = await runCli(['calls'], env)
    expect(human.code, human.stderr).toBe(0)
    const [header, row, ...rest] = human.stdout.trimEnd().split('\n')
    expect(header!.split(/\s{2,}/)).toEqual(['CALL', 'CALLER', 'NAME', 'QUEUE', 'AGENT', 'STATE', 'WAITED', 'TALK', 'KEYS', 'TIER'])
    expect(rest).toEqual([])
    expect(row).toContain(call.id as string)
    expect(row).toContain(c.number)
    expect(row).toMatch(/Evil.*Name\s+hotline\s+h1\s+connected\s+\d:\d\d\s+\d:\d\d\s+-\s+-$/)
    expect(human.stdout).not.toContain('\u001b')

    const filtered = await runCli(['calls', '--state', 'waiting', '--json'], env)
    expect(JSON.parse(filtered.stdout)).toMatchObject({calls: []})
    const byQueue = await runCli(['calls', '--queue', 'hotline', '--json'], env)
    expect((JSON.parse(byQueue.stdout) as {calls: {id: string}[]}).calls.map((x) => x.id)).toEqual([call.id])

    const unknownQueue = await runCli(['calls', '--queue', 'nope'], env)
    expect(unknownQueue.code).toBe(1)
    expect(unknownQueue.stderr).toBe('Error: Queue "nope" does not exist. Existing queues: hotline, support\n  Try: List queues with: callctl queue list\n')
    const badState = await runCli(['calls', '--state', 'dancing'], env)
    expect(badState.code).toBe(2)
    expect(badState.stderr).toContain('Expected --state=dancing to be one of: answering, ivr, waiting')

    const hangup = await runCli(['call', 'hangup', call.id as string], env)
    expect(hangup.code, hangup.stderr).toBe(0)
    await until('the call to end', async () => JSON.parse((await runCli(['calls', '--json'], env)).stdout).calls.length === 0)
  })

  it('events --follow --json prints the stored events, then live ones as they happen, each once, until SIGINT', async () => {
    const follower = startCli(['events', '--follow', '--json', '--since', '10m'], env)
    const lines = () => jsonLines(follower.output())
    // The stored part: the engine's start, the first test's call.
    await until('the stored events', () => lines().some((e) => e.type === 'engine.started'))

    const c = caller()
    await c.place()
    const callId = await until('call.started of the new call', () => lines().find((e) => e.type === 'call.started' && e.data.number === c.number)?.call_id)
    await until('call.ended of the new call', () => lines().some((e) => e.type === 'call.ended' && e.call_id === callId))
    // An admin change from another process: the engine does not stream it, the store has it.
    expect((await runCli(['queue', 'add', 'late'], env)).code).toBe(0)
    await until('queue.added for "late"', () => lines().some((e) => e.type === 'queue.added' && e.queue === 'late'))

    follower.child.kill('SIGINT')
    expect(await exited(follower.child)).toBe(0)

    const all = lines()
    const keys = all.map((e) => JSON.stringify([e.at, e.type, e.call_id, e.agent]))
    expect(new Set(keys).size).toBe(keys.length)
    expect(all.filter((e) => e.type === 'engine.started')).toHaveLength(1)
    expect(all.find((e) => e.type === 'engine.started')!.id).toEqual(expect.any(Number))
    const trail = all.filter((e) => e.call_id === callId)
    expect(trail.map((e) => e.type).filter((t) => !t.startsWith('agent.'))).toEqual(['call.started', 'queue.entered', 'call.connected', 'call.completed', 'call.ended'])
    // They came from the engine as they happened, before the store numbered them.
    expect(trail.every((e) => e.id === null && e.origin.startsWith('engine:'))).toBe(true)
    expect(trail.find((e) => e.type === 'call.connected')).toMatchObject({queue: 'support', agent: 'a1'})
    expect(all.filter((e) => e.type === 'queue.added' && e.queue === 'late')).toMatchObject([{origin: 'cli', id: expect.any(Number)}])
    // The first test's call is in the stored part, numbered, once.
    const earlier = all.filter((e) => e.type === 'call.started' && e.data.number !== c.number)
    expect(earlier).toHaveLength(1)
    expect(earlier[0]!.id).toEqual(expect.any(Number))
    for (const e of all) expect(new Date(e.at).toISOString()).toBe(e.at)
  })

  it('events --follow prints table-like lines, only the asked types, and ends with 0 on SIGTERM', async () => {
    const follower = startCli(['events', '--follow', '--since', 'now', '--type', 'call.connected', '--type', 'call.ended'], env)
    await until('the header', () => follower.output().startsWith('TIME'))
    const c = caller()
    await c.place()
    await until('call.ended', () => follower.output().includes('call.ended'))
    follower.child.kill('SIGTERM')
    expect(await exited(follower.child)).toBe(0)
    const [header, ...rows] = follower.output().trimEnd().split('\n')
    expect(header!.split(/\s{2,}/)).toEqual(['TIME', 'TYPE', 'CALL', 'QUEUE', 'AGENT', 'DATA'])
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}  call\.connected\s+call-\S+\s+support\s+a1\s+\{"waitMs":\d+,"ringMs":\d+/)
    expect(rows[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}  call\.ended\s+call-\S+\s+support\s+/)
    // Columns line up from one line to the next.
    expect(rows[0]!.indexOf('call-')).toBe(rows[1]!.indexOf('call-'))
    expect(rows[0]!.indexOf('call-')).toBe(header!.indexOf('CALL'))
  })

  it('queue remove is refused while the engine holds calls in the queue; --force ends them', async () => {
    expect((await runCli(['queue', 'add', 'closing', '--no-record'], env)).code).toBe(0)
    // The engine takes admin changes from the store within a moment: a caller sent before would find no queue.
    await until('the engine to know queue closing', async () => (await runCli(['calls', '--queue', 'closing', '--json'], env)).code === 0)
    const c = caller('Still Waiting', 'closing')
    await c.place()
    const callId = await until('the caller waiting in closing', async () => {
      const out = JSON.parse((await runCli(['calls', '--queue', 'closing', '--json'], env)).stdout) as {calls: {id: string; state: string}[]}
      return out.calls.find((x) => x.state === 'waiting')?.id
    })
    const refused = await runCli(['queue', 'remove', 'closing'], env)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(
      'Error: Queue closing has 1 live call (1 waiting): removing it would end them\n' +
        '  Try: Move them first (callctl calls --queue closing; callctl call transfer CALL --to-queue OTHER), or end them with: callctl queue remove closing --force\n',
    )
    const still = JSON.parse((await runCli(['queue', 'list', '--json'], env)).stdout) as {name: string}[] | {queues: {name: string}[]}
    expect(JSON.stringify(still)).toContain('"closing"')
    const forced = await runCli(['queue', 'remove', 'closing', '--force'], env)
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stdout).toBe('Queue closing removed.\n')
    const ended = await until('the call ended by the removal', async () => {
      const lines = (await runCli(['events', '--since', '10m', '--type', 'call.ended', '--json'], env)).stdout.split('\n').filter(Boolean)
      return lines.map((l) => JSON.parse(l) as {call_id: string; data: {cause: string}}).find((e) => e.call_id === callId)
    })
    expect(ended.data.cause).toBe('queue-removed')
  })

  it('agent remove is refused while a user acts as the agent (even with --force) and while the engine has it on a call; --force then removes it', async () => {
    await runAll(
      [
        ['queue', 'add', 'leaving', '--wrap-up', '0', '--ring-timeout', '10', '--no-record'],
        ['agent', 'add', 'rm1', '--endpoint', simAgentEndpoint({id: 'rm1', ring: 0, talk: {min: 120, max: 120}}), '--queue', 'leaving'],
        ['agent', 'login', 'rm1'],
        ['user', 'add', 'u-rm1', '--role', 'agent', '--agent', 'rm1'],
      ],
      env,
    )
    await until('the engine to know queue leaving', async () => (await runCli(['calls', '--queue', 'leaving', '--json'], env)).code === 0)
    await caller('Mid Call', 'leaving').place()
    const callId = await until('the caller connected to rm1', async () => {
      const out = JSON.parse((await runCli(['calls', '--queue', 'leaving', '--json'], env)).stdout) as {calls: {id: string; state: string; agent: string | null}[]}
      return out.calls.find((x) => x.state === 'connected' && x.agent === 'rm1')?.id
    })
    const bound = await runCli(['agent', 'remove', 'rm1', '--force'], env)
    expect(bound.code).toBe(1)
    expect(bound.stderr).toBe('Error: Agent rm1 is the agent of user u-rm1: their token would act as whoever gets agent id rm1 next\n  Try: Remove that user first: callctl user remove u-rm1\n')
    expect((await runCli(['user', 'remove', 'u-rm1'], env)).code).toBe(0)
    const refused = await runCli(['agent', 'remove', 'rm1'], env)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(
      `Error: Agent rm1 is on call ${callId}: removed, it would leave them with an agent nobody can see\n` +
        '  Try: Wait until they end (callctl calls), or transfer them (callctl call transfer CALL --to-queue Q); or remove it anyway with: callctl agent remove rm1 --force\n',
    )
    const forced = await runCli(['agent', 'remove', 'rm1', '--force'], env)
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stdout).toBe('Agent rm1 removed.\n')
    expect((await runCli(['call', 'hangup', callId], env)).code).toBe(0)
  })

  it('a follower says in one line that the engine went away (exit 1); then commands say it is unreachable', async () => {
    const follower = startCli(['events', '--follow', '--since', 'now'], env)
    await until('the header', () => follower.output().startsWith('TIME'))
    engine.child.kill('SIGINT')
    expect(await exited(engine.child)).toBe(0)
    expect(await exited(follower.child)).toBe(1)
    const errors = follower.output().split('\n').filter((l) => l.startsWith('Error:'))
    expect(errors).toEqual(['Error: The engine closed the connection; no more events will arrive'])
    expect(follower.output()).not.toMatch(/at .*\.js:\d+/)

    for (const args of [['events', '--follow'], ['calls']]) {
      const r = await runCli(args, env)
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr.split('\n').filter((l) => l.startsWith('Error:'))).toEqual([`Error: Cannot reach the engine at ws://127.0.0.1:${port}/ (ECONNREFUSED)`])
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/)
    }
    const j = await runCli(['events', '--follow', '--json'], env)
    expect(j.code).toBe(1)
    expect(JSON.parse(j.stdout)).toMatchObject({error: {code: 'engine_unreachable'}})
  })

  it('never writes the API token to the engine output', () => {
    const token = readFileSync(join(home, 'secrets', 'api-token'), 'utf8').trim()
    expect(token.length).toBeGreaterThanOrEqual(16)
    expect(engine.output()).toContain('engine API listening on')
    expect(engine.output()).not.toContain(token)
  })
})

// The seam between the stored events and the live stream, under a steady stream of
// events: a follower started in the middle of it prints every one exactly once.
describe('events --follow at the seam between the store and the live stream', () => {
  it('prints each of a continuous stream of events once, with no gap, across the switch to live', async () => {
    const h = await startTestEngine({queues: {support: {}}, agents: [], api: true})
    const home = mkdtempSync(join(tmpdir(), 'callctl-seam-'))
    try {
      // This CALLCTL_HOME announces the test engine, as `callctl engine start` would.
      mkdirSync(join(home, 'secrets'), {recursive: true})
      writeFileSync(join(home, 'secrets', 'api-token'), h.api!.token + '\n', {mode: 0o600})
      writeFileSync(join(home, 'engine.json'), JSON.stringify({url: h.api!.url, pid: process.pid, app: h.app, startedAt: new Date().toISOString()}))
      const env = {CALLCTL_HOME: home, CALLCTL_DB: h.store.file}

      let n = 0
      // Several events per tick, each with its own agent so no two share a dedupe key.
      const emit = () => {
        for (let k = 0; k < 3; k++, n++) h.engine.events.append({type: 'agent.wrapup_extended', agent: `x${n}`, data: {n}})
      }
      const ticker = setInterval(emit, 2)
      const follower = startCli(['events', '--follow', '--json', '--since', '10m', '--type', 'agent.wrapup_extended'], env)
      const lines = () => jsonLines(follower.output())
      try {
        await until('live events', () => lines().some((e) => e.id === null))
        const live = n
        await until('a second of live events', () => n > live + 1000)
      } finally {
        clearInterval(ticker)
      }
      const total = n
      await until('the last event', () => lines().some((e) => e.data.n === total - 1), 10_000)
      follower.child.kill('SIGINT')
      expect(await exited(follower.child)).toBe(0)

      const seen = lines().map((e) => e.data.n as number)
      console.log(`seam: ${total} events, ${lines().filter((e) => e.id !== null).length} from the store, ${lines().filter((e) => e.id === null).length} live`)
      // In the order they happened, too: the stored part, then the held-back live ones, then the rest.
      expect(seen).toEqual(Array.from({length: total}, (_, i) => i))
      expect(lines().filter((e) => e.id !== null).length).toBeGreaterThan(0)
    } finally {
      rmSync(home, {recursive: true, force: true})
      await h.stop()
    }
  })
})
