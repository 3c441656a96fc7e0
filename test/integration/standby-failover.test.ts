import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {EngineClient} from '../../src/engine/api/client.js'
import {AriHttp} from '../../src/engine/ari/index.js'
import {callRecords, type CallRecord} from '../../src/engine/reports/call-records.js'
import {originateSimCaller, simAgentEndpoint} from '../../src/engine/sim/simulator.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {PgStore} from '../../src/engine/store/pg/pg-store.js'
import {freePort} from '../../src/engine/util/net.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import type {EngineStatusView} from '../../src/engine/run.js'
import {runAll, runCli, startCli} from '../support/cli.js'
import {cliEngineEnv, sandboxCreds} from '../support/harness.js'
import {startPostgres, type TestPostgres} from '../support/postgres.js'
import {until} from '../support/wait.js'

// Standby engines on one PostgreSQL store, on the real Asterisk. Three engines take turns
// leading through the three ways a leader goes: SIGKILL; SIGSTOP (frozen while the standby
// takes over, then woken: it must act on nothing and stand by); and its database
// connections killed from PostgreSQL (pg_terminate_backend). Each time 5 calls talk and 10
// wait: no call is dropped, the waiting keep their order, every call's events are logged
// exactly once.

interface Engine {
  name: string
  child: ChildProcess
  output: () => string
  /** Its own API port (a standby's API answers engine.status, nothing else). */
  port: number
}

const TALK_S = 6
const LEASE_MS = 2_000

describe('standby engines take over (PostgreSQL store, real Asterisk)', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-standby-'))
  const app = `h${Math.random().toString(36).slice(2, 8)}`
  let cluster: TestPostgres
  let url: string
  let store: PgStore
  let rest: AriHttp
  const engines: Engine[] = []
  let base: Record<string, string>

  beforeAll(async () => {
    cluster = await startPostgres()
    url = cluster.createDatabase('ha')
    base = {...cliEngineEnv({home, app, apiPort: 0}), CALLCTL_DB: url, CALLCTL_LEASE_MS: String(LEASE_MS)}
    await runAll(
      [
        ['queue', 'add', 'q', '--wrap-up', '0', '--no-record'],
        ...Array.from({length: 5}, (_, i) => [
          ['agent', 'add', `k${i + 1}`, '--endpoint', simAgentEndpoint({id: `k${i + 1}`, ring: 0, talk: {min: TALK_S, max: TALK_S}}), '--queue', 'q'],
          ['agent', 'login', `k${i + 1}`],
        ]).flat(),
      ],
      base,
    )
    store = await PgStore.open(url)
    rest = new AriHttp(sandboxCreds())
  }, 120_000)

  afterAll(async () => {
    // CALLCTL_TEST_LOG_DIR=DIR keeps each engine's log there (what a failure here needs).
    const keep = process.env.CALLCTL_TEST_LOG_DIR
    if (keep) for (const e of engines) writeFileSync(join(keep, `standby-${e.name}.log`), e.output())
    for (const e of engines) {
      if (e.child.exitCode === null) {
        e.child.kill('SIGCONT')
        e.child.kill('SIGKILL')
      }
    }
    await store?.close()
    cluster?.stop()
    rmSync(home, {recursive: true, force: true})
  })

  async function engine(name: string): Promise<Engine> {
    const port = await freePort()
    const e = startCli(['engine', 'start'], {...base, CALLCTL_API_PORT: String(port)})
    const started = {name, port, ...e}
    engines.push(started)
    return started
  }

  const leaderLine = (e: Engine) => /leading app "[^"]+" \(epoch \d+\)/.test(e.output())
  const serving = (e: Engine) => e.output().includes('engine API listening')
  const standingBy = (e: Engine) => e.output().includes('standing by')

  async function events(types?: StoredEvent['type'][]): Promise<StoredEvent[]> {
    const out: StoredEvent[] = []
    for await (const e of store.events(types ? {types} : {})) out.push(e)
    return out
  }

  /** 15 callers 100 ms apart; resolves once 5 talk and 10 wait. */
  async function fifteenCallers(prefix: string): Promise<string[]> {
    const numbers = Array.from({length: 15}, (_, i) => `+1555${prefix}${String(i).padStart(4, '0')}`)
    for (const number of numbers) {
      await originateSimCaller(rest, {number, name: 'Standby', did: 'q', patience: 180, app})
      await new Promise((r) => setTimeout(r, 100))
    }
    await until('5 calls talking and 10 waiting', async () => {
      const mine = (await callRecords(store)).filter((c) => numbers.includes(c.number))
      return mine.length === 15 && mine.filter((c) => c.connectedAt !== null).length === 5
    })
    return numbers
  }

  /** Every caller served once, the waiting in the order they called, each call's events once. */
  async function servedInOrder(numbers: string[]): Promise<CallRecord[]> {
    const calls = await until(
      'every caller served',
      async () => {
        const mine = (await callRecords(store)).filter((c) => numbers.includes(c.number))
        return mine.length === 15 && mine.every((c) => c.outcome === 'completed') && mine
      },
      120_000,
    )
    const order = [...calls].sort((a, b) => a.connectedAt! - b.connectedAt!).map((c) => c.number)
    expect(order.slice(0, 5).sort()).toEqual(numbers.slice(0, 5).sort())
    expect(order.slice(5)).toEqual(numbers.slice(5))
    const all = await events()
    for (const c of calls) {
      const trail = all.filter((e) => e.callId === c.callId)
      for (const t of ['call.started', 'queue.entered', 'call.connected', 'call.completed', 'call.ended'] as const) expect(trail.filter((e) => e.type === t), `${c.number} ${t}`).toHaveLength(1)
      // No event written twice (the same fact by two engines, or twice by one).
      const facts = trail.map((e) => `${e.type} ${e.ts} ${e.agent ?? ''} ${JSON.stringify(e.data)}`)
      expect(new Set(facts).size, `${c.number}: ${facts.join('\n')}`).toBe(facts.length)
    }
    return calls
  }

  /** Milliseconds from `since` to the first agent ring by an engine other than `origin`. */
  async function takeoverMs(since: number, oldOrigin: string): Promise<number> {
    const ring = await until('the new leader rings an agent', async () => (await events(['agent.ringing'])).find((e) => e.ts >= since && e.origin !== oldOrigin), 30_000)
    return ring.ts - since
  }

  /** One request to this engine's own API (not the leader's: no lookup through the database). */
  async function ask(e: Engine, method: 'engine.status' | 'calls.list'): Promise<{ok: true; result: EngineStatusView} | {ok: false; code: string; message: string; suggestion?: string}> {
    const c = await EngineClient.connect(`ws://127.0.0.1:${e.port}/`, readFileSync(callctlPaths({CALLCTL_HOME: home}).apiTokenFile, 'utf8').trim())
    try {
      return {ok: true, result: (await c.request(method)) as EngineStatusView}
    } catch (err) {
      const x = err as {code?: string; message: string; suggestion?: string}
      return {ok: false, code: x.code ?? '', message: x.message, suggestion: x.suggestion}
    } finally {
      c.close()
    }
  }

  const originOf = (e: Engine) => `engine:${(e.output().match(/engine:([^\s"]+:\d+)/) ?? [])[1] ?? ''}`

  it('SIGKILL: the standby takes over within seconds and serves everyone, nobody dropped', async () => {
    const e1 = await engine('e1')
    await until('e1 serves', () => serving(e1), 30_000)
    const e2 = await engine('e2')
    await until('e2 stands by', () => standingBy(e2), 30_000)
    expect(leaderLine(e1)).toBe(true)
    expect(serving(e2)).toBe(false)
    const status = JSON.parse((await runCli(['engine', 'status', '--json'], base)).stdout) as {pid: number; role: string}
    expect(status).toMatchObject({pid: e1.child.pid, role: 'leader'})
    // The standby answers for itself (misuse 21 #4: a ReferenceError, "running no"): it stands by, and names the leader.
    const e1Api = `ws://127.0.0.1:${e1.port}/`
    const standby = await ask(e2, 'engine.status')
    expect(standby).toMatchObject({ok: true, result: {pid: e2.child.pid, role: 'standby', serving: false, leader: {api: e1Api, live: true}}})
    expect(standby.ok && standby.result.leader!.holder).toMatch(new RegExp(`:${e1.child.pid}$`))
    const refused = await ask(e2, 'calls.list')
    expect(refused).toMatchObject({ok: false, code: 'standby'})
    expect(!refused.ok && refused.message).toContain(e1Api)

    const numbers = await fifteenCallers('71')
    await new Promise((r) => setTimeout(r, 300))
    const e1Origin = (await events(['engine.started'])).at(-1)!.origin
    const killedAt = Date.now()
    e1.child.kill('SIGKILL')
    await until('e2 serves', () => serving(e2), 15_000)
    const started = await until('e2 logs what it re-adopted', async () => (await events(['engine.started'])).find((e) => e.ts >= killedAt && (e.data.recovered as Record<string, number> | undefined)?.connected))
    expect(started.data.recovered).toMatchObject({connected: 5, waiting: 10})
    expect(await takeoverMs(killedAt, e1Origin)).toBeLessThan(10_000)
    await servedInOrder(numbers)
    // Clients follow: `engine status` now reaches e2.
    const after = JSON.parse((await runCli(['engine', 'status', '--json'], base)).stdout) as {pid: number; role: string}
    expect(after).toMatchObject({pid: e2.child.pid, role: 'leader'})
  }, 240_000)

  it('SIGSTOP: the frozen leader is replaced, and woken it writes nothing, sends nothing and stands by', async () => {
    const e2 = engines.find((e) => e.name === 'e2')!
    const e3 = await engine('e3')
    await until('e3 stands by', () => standingBy(e3), 30_000)
    const numbers = await fifteenCallers('72')
    await new Promise((r) => setTimeout(r, 300))
    const e2Origin = (await events(['engine.started'])).at(-1)!.origin
    const frozenAt = Date.now()
    e2.child.kill('SIGSTOP')
    await until('e3 serves', () => serving(e3), 20_000)
    const took = Date.now() - frozenAt
    // A frozen leader keeps its connections: the standby waits for the lease to run out.
    expect(took).toBeGreaterThanOrEqual(LEASE_MS * 0.5)
    const lastBefore = (await events()).at(-1)!.id
    const e2Log = e2.output().length
    e2.child.kill('SIGCONT')
    await until('e2 steps down', () => e2.output().slice(e2Log).includes('stepping down'), 15_000)
    await until('e2 stands by again', () => e2.output().slice(e2Log).includes('standing by:'), 15_000)
    // Woken, its timers fired and its socket brought events; it acted on none of them.
    const woken = (await events()).filter((e) => e.id > lastBefore && e.origin === e2Origin)
    expect(woken).toEqual([])
    expect(e2.output().slice(e2Log)).not.toMatch(/engine API listening/)
    await servedInOrder(numbers)
    expect(await takeoverMs(frozenAt, e2Origin)).toBeLessThan(LEASE_MS + 8_000)
  }, 240_000)

  it('pg_terminate_backend: a leader cut off from the database steps down and a standby serves', async () => {
    const e3 = engines.find((e) => e.name === 'e3')!
    const numbers = await fifteenCallers('73')
    await new Promise((r) => setTimeout(r, 300))
    const e3Origin = (await events(['engine.started'])).at(-1)!.origin
    const pid = e3.child.pid!
    const cutAt = Date.now()
    // Every session of e3's (its store pool and its lease: both carry its pid in their
    // application name), as a DBA or a failing network would.
    const e3Log = e3.output().length
    const killed = cluster.psql(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name LIKE 'callctl-%:${pid}'`, 'ha')
    expect(Number(killed)).toBeGreaterThanOrEqual(2)
    // Either e2 (standing by) saw e3's lease session gone and took over, and e3 steps down;
    // or e3 renewed first over a new connection (its epoch still current) and leads on.
    const outcome = await until('a leader after the cut', async () => {
      if (e3.output().slice(e3Log).includes('stepping down')) return 'stepped down'
      if ((await events(['engine.started'])).some((e) => e.ts >= cutAt)) return 'another engine leads'
      return undefined
    }, 3_000).catch(() => 'led on')
    if (outcome !== 'led on') await until('an engine leads again', async () => (await events(['engine.started'])).find((e) => e.ts >= cutAt), 20_000)
    await servedInOrder(numbers)
    expect(e3Origin).toMatch(/^engine:/)
  }, 240_000)

  it('PostgreSQL away for 9 s under traffic: the leader leads on, serves every caller, and the log is whole when it is back', async () => {
    const numbers = await fifteenCallers('74')
    const leaders = engines.filter((e) => e.child.exitCode === null)
    const logFrom = new Map(leaders.map((e) => [e, e.output().length]))
    cluster.down()
    const downAt = Date.now()
    // Calls go on: the talking end, the waiting are rung, all while nothing can be written;
    // and a caller arriving meanwhile is let in (unscreened) and served too.
    await new Promise((r) => setTimeout(r, 2_000))
    const late = '+15557499999'
    await originateSimCaller(rest, {number: late, name: 'Outage', did: 'q', patience: 180, app})
    // The standby's host during the outage (misuse 21 #4): engine status there says it stands
    // by and the database does not answer (exit 0); calls names the leader it last saw.
    // (`leaders` holds e1 too: SIGKILLed, its exitCode is null.)
    const roles = await Promise.all(leaders.map(async (e) => [e, await ask(e, 'engine.status').catch((err: Error) => ({ok: false as const, code: 'unreachable', message: err.message}))] as const))
    const standby = roles.find(([, r]) => r.ok && r.result.role === 'standby')?.[0]
    const leader = roles.find(([, r]) => r.ok && r.result.role === 'leader')?.[0]
    expect(standby && leader, JSON.stringify(roles.map(([e, r]) => [e.name, r.ok ? r.result.role : r.message]))).toBeTruthy()
    await until('the standby sees the database away', async () => {
      const r = await ask(standby!, 'engine.status')
      return r.ok && r.result.databaseDown
    })
    const standbyHost = {...base, CALLCTL_HOME: mkdtempSync(join(tmpdir(), 'callctl-standby-host-')), CALLCTL_TOKEN: readFileSync(callctlPaths({CALLCTL_HOME: home}).apiTokenFile, 'utf8').trim(), CALLCTL_API_PORT: String(standby!.port)}
    try {
      const st = await runCli(['engine', 'status', '--json'], standbyHost)
      expect(st.code, st.stderr).toBe(0)
      expect(JSON.parse(st.stdout)).toMatchObject({running: true, pid: standby!.child.pid, role: 'standby', leader: {api: `ws://127.0.0.1:${leader!.port}/`}, database_down: {since: expect.any(String), error: expect.any(String)}})
      const calls = await runCli(['calls'], standbyHost)
      expect(calls.code).not.toBe(0)
      expect(calls.stderr).toContain('the database does not answer')
      expect(calls.stderr).toContain(`CALLCTL_API_PORT=${leader!.port}`)
    } finally {
      rmSync(standbyHost.CALLCTL_HOME, {recursive: true, force: true})
    }
    await new Promise((r) => setTimeout(r, Math.max(0, downAt + 9_000 - Date.now())))
    cluster.up()
    const outputs = () => leaders.map((e) => e.output().slice(logFrom.get(e)!)).join('\n')
    expect(outputs()).toContain('cannot renew the lead: the database does not answer')
    expect(outputs()).not.toContain('stepping down')
    await until('the leader renews again', () => /the database answers again after \d+ s: still the leader/.test(outputs()), 30_000)
    const calls = await servedInOrder(numbers)
    const lateCall = await until('the caller of the outage served', async () => (await callRecords(store)).find((c) => c.number === late && c.outcome === 'completed'), 60_000)
    expect(lateCall.connectedAt).toBeGreaterThan(Math.max(...calls.map((c) => c.connectedAt!)))
    // Served during the outage, written after it.
    expect(calls.filter((c) => c.connectedAt! > downAt && c.connectedAt! < downAt + 9_000).length).toBeGreaterThanOrEqual(5)
  }, 240_000)
})
