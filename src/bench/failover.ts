// bench:failover (issue 15, part 5): how fast a standby engine takes over from a leader that
// dies or freezes, under steady traffic, and what the callers and the event log make of it.
// A sandbox Asterisk and a PostgreSQL cluster of the bench's own; one queue; simulated
// agents enough for the traffic; two `callctl engine start` processes on one store (a
// leader and a standby). Then, while callers keep arriving:
//   - --kills times: SIGKILL the leader; the takeover lasts from the kill to the first agent
//     ring the new leader logs; a fresh standby replaces the killed engine; a few seconds of
//     steady state;
//   - --freezes times: SIGSTOP the leader, the takeover timed the same way; SIGCONT it: it
//     must step down (its log) and write nothing after its successor's engine.started; then
//     it is stopped and a fresh standby takes its place.
// At the end, over every caller of the run and every call in the log (failover/check.ts):
// calls lost, events duplicated, events missing. Each figure is printed with the issue's
// target; the exit code is 1 if one is missed (2 if the bench itself failed).
//
// Engine logs stay in a directory of their own (printed) with the run's event log
// (events.jsonl), for a look at what went wrong.
//
// Flags: --kills N (20), --freezes N (5), --rate R calls/s (3), --talk MIN-MAX s (4-8),
// --agents N (enough for the traffic), --patience S (180), --settle S (5), --seed N (1),
// --lease-ms MS (the engine's default unless given), --json. Needs root (the sandbox is a chroot).
import {writeFileSync, mkdtempSync} from 'node:fs'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {addAgent, addQueue, loginAgent} from '../engine/admin/admin.js'
import {findLeader} from '../engine/leadership/lease.js'
import {DEFAULT_LEASE_MS} from '../engine/leadership/leadership.js'
import {simAgentEndpoint} from '../engine/sim/simulator.js'
import type {StoredEvent} from '../engine/store/events.js'
import {PgStore} from '../engine/store/pg/pg-store.js'
import {checkCalls, firstRingByAnother, spread, trails, writesAfter} from './failover/check.js'
import {explainLost} from './failover/explain.js'
import {EngineProcess, SERVING, STANDING_BY, STEPPING_DOWN} from './failover/engines.js'
import {missed, table, type FailoverFacts, type Takeover} from './failover/report.js'
import {SteadyCallers} from './failover/traffic.js'
import {flag, numberFlag, refuse} from './flags.js'
import {celSize, readCelSince} from './load/cel.js'
import {waitQuiet} from './load/drive.js'
import {ENGINE_SETTINGS} from './load/paths.js'
import {benchSandbox, type BenchSandbox} from './load/sandbox.js'
import {startBenchPostgres, type BenchPostgres} from './pg-cluster.js'

const QUEUE = 'failover'
const APP = 'failover'
/** Longest wait for a takeover's first ring, or for an engine's line, before the bench gives up on it. */
const TAKEOVER_WAIT_MS = 30_000

function options(args: string[]) {
  const talk = (flag(args, '--talk') ?? '4-8').split('-').map(Number)
  if (talk.length !== 2 || talk.some((n) => !Number.isInteger(n) || n < 1) || talk[0]! > talk[1]!) refuse('--talk needs MIN-MAX whole seconds, e.g. 4-8')
  const rate = numberFlag(args, '--rate', 3, {min: 0.1, max: 50})
  const talkS = {min: talk[0]!, max: talk[1]!}
  // Offered load in Erlangs (rate × mean talk), with a third more agents: a line forms
  // during a takeover and drains within seconds after it.
  const fallbackAgents = Math.ceil(rate * ((talkS.min + talkS.max) / 2) * 1.35) + 2
  const lease = flag(args, '--lease-ms')
  return {
    kills: numberFlag(args, '--kills', 20, {integer: true, max: 1000}),
    freezes: numberFlag(args, '--freezes', 5, {integer: true, max: 1000}),
    rate,
    talkS,
    agents: numberFlag(args, '--agents', fallbackAgents, {integer: true, min: 1, max: 500}),
    patienceS: numberFlag(args, '--patience', 180, {min: 10, max: 3600}),
    settleS: numberFlag(args, '--settle', 5, {min: 0, max: 600}),
    seed: numberFlag(args, '--seed', 1, {integer: true}),
    leaseMs: lease === undefined ? null : numberFlag(args, '--lease-ms', DEFAULT_LEASE_MS, {integer: true, min: 200, max: 60_000}),
    json: args.includes('--json'),
  }
}

type Options = ReturnType<typeof options>

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Reads the event log while the engines write it (ids in commit order: a tail by id misses none). */
class Tail {
  constructor(private readonly store: PgStore) {}

  lastId(): Promise<number> {
    return this.store.lastEventId()
  }

  async after(afterId: number, types?: StoredEvent['type'][]): Promise<StoredEvent[]> {
    const out: StoredEvent[] = []
    for await (const e of this.store.events({afterId, ...(types ? {types} : {})})) out.push(e)
    return out
  }

  /** Polls until `pick` finds something among the events after `afterId`; null at the deadline. */
  async until<T>(afterId: number, types: StoredEvent['type'][], pick: (events: StoredEvent[]) => T | null, timeoutMs: number): Promise<T | null> {
    const deadline = Date.now() + timeoutMs
    const seen: StoredEvent[] = []
    let last = afterId
    for (;;) {
      const more = await this.after(last, types)
      if (more.length > 0) {
        seen.push(...more)
        last = more.at(-1)!.id
        const found = pick(seen)
        if (found !== null) return found
      }
      if (Date.now() > deadline) return null
      await sleep(25)
    }
  }
}

class Bench {
  readonly engines: EngineProcess[] = []
  readonly takeovers: Takeover[] = []
  private serial = 0
  leader!: EngineProcess
  standby!: EngineProcess

  constructor(
    private readonly o: Options,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly url: string,
    private readonly tail: Tail,
    private readonly progress: (line: string) => void,
  ) {}

  private async engine(): Promise<EngineProcess> {
    const e = await EngineProcess.start(`e${++this.serial}`, this.logDir, this.env)
    this.engines.push(e)
    return e
  }

  private async expectLine(e: EngineProcess, re: RegExp, what: string, from = 0, timeoutMs = TAKEOVER_WAIT_MS): Promise<void> {
    if (!(await e.waitFor(re, timeoutMs, from))) throw new Error(`${e.name} (pid ${e.pid}) did not ${what} within ${timeoutMs / 1000} s (log ${e.logFile}): ${e.lines.slice(-3).map((l) => l.msg).join(' | ')}`)
  }

  async firstPair(): Promise<void> {
    this.leader = await this.engine()
    await this.expectLine(this.leader, SERVING, 'serve')
    this.standby = await this.freshStandby()
  }

  private async freshStandby(): Promise<EngineProcess> {
    const e = await this.engine()
    await this.expectLine(e, STANDING_BY, 'stand by')
    return e
  }

  /** The leadership row names the engine the bench takes for the leader. */
  private async checkLeader(): Promise<void> {
    const view = await findLeader(this.url, APP)
    if (view?.holder !== this.leader.holder || !view.live) throw new Error(`the store names ${view?.holder ?? 'nobody'} (live: ${view?.live}) as the leader, not ${this.leader.name} (${this.leader.holder})`)
  }

  /** One kill or freeze: the signal, the takeover timed by the event log, the fresh standby, the settle. */
  async failover(kind: 'kill' | 'freeze', n: number): Promise<void> {
    await this.checkLeader()
    const old = this.leader
    const next = this.standby
    const afterId = await this.tail.lastId()
    const servingFrom = next.mark()
    const signalledAt = Date.now()
    old.signal(kind === 'kill' ? 'SIGKILL' : 'SIGSTOP')
    const ring = await this.tail.until(afterId, ['agent.ringing'], (ev) => firstRingByAnother(ev, old.origin, signalledAt), TAKEOVER_WAIT_MS)
    const t: Takeover = {n, kind, at: signalledAt, ms: ring ? ring.ts - signalledAt : null, from: old.name, to: ring ? (ring.origin === next.origin ? next.name : ring.origin) : null}
    this.takeovers.push(t)
    await this.expectLine(next, SERVING, 'serve after the takeover', servingFrom)
    if (kind === 'freeze') {
      // The successor's engine.started: from there on the woken leader may write nothing.
      const started = await this.tail.until(afterId, ['engine.started'], (ev) => ev.find((e) => e.origin === next.origin) ?? null, TAKEOVER_WAIT_MS)
      if (!started) throw new Error(`${next.name} serves but logged no engine.started`)
      const woke = old.mark()
      old.signal('SIGCONT')
      t.steppedDown = (await old.waitFor(STEPPING_DOWN, 15_000, woke)) !== null
      await old.waitFor(STANDING_BY, 15_000, woke)
      // A moment for anything it would wrongly write to land.
      await sleep(1000)
      t.writesAfterTakeover = writesAfter(await this.tail.after(started.id), old.origin, started.id).length
      await old.stop()
    } else {
      await old.killed()
    }
    this.leader = next
    this.standby = await this.freshStandby()
    const extra = kind === 'freeze' ? `; woken: ${t.steppedDown ? 'stepped down' : 'DID NOT STEP DOWN'}, ${t.writesAfterTakeover} events after the takeover` : ''
    this.progress(`${kind} ${n}/${kind === 'kill' ? this.o.kills : this.o.freezes}: takeover ${t.ms === null ? `NONE within ${TAKEOVER_WAIT_MS / 1000} s` : `${t.ms} ms`} (${t.from} → ${t.to ?? '?'})${extra}; load ${loadavg()[0]!.toFixed(2)}`)
    await sleep(this.o.settleS * 1000)
  }

  async stopAll(): Promise<void> {
    // The standby first: stopped after the leader, it would take over for nothing.
    await Promise.all(this.engines.filter((e) => e !== this.leader).map((e) => e.stop()))
    await this.leader?.stop()
  }
}

async function main(args: string[]): Promise<number> {
  const o = options(args)
  const progress = (line: string) => console.error(`bench:failover: ${line}`)
  const began = Date.now()
  const load0 = loadavg()
  const logDir = mkdtempSync(join(tmpdir(), 'callctl-bench-failover-'))
  progress(`engine logs in ${logDir}; load average ${load0.map((l) => l.toFixed(2)).join(' ')}`)
  progress('starting a sandbox Asterisk and a PostgreSQL cluster of its own ...')
  let sb: BenchSandbox | undefined
  let pg: BenchPostgres | undefined
  let store: PgStore | undefined
  let bench: Bench | undefined
  let traffic: SteadyCallers | undefined
  const cleanup = async () => {
    await traffic?.stop().catch(() => undefined)
    await bench?.stopAll().catch(() => undefined)
    await store?.close().catch(() => undefined)
    pg?.stop()
    await sb?.down()
  }
  const interrupted = () => void cleanup().finally(() => process.exit(130))
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    sb = await benchSandbox()
    pg = await startBenchPostgres()
    store = await PgStore.open(pg.url, {poolSize: 3})
    const asterisk = (await sb.rest.asteriskInfo()).system?.version ?? '?'
    progress(`queue "${QUEUE}" with ${o.agents} agents talking ${o.talkS.min}-${o.talkS.max} s ...`)
    await addQueue(store, QUEUE, {...ENGINE_SETTINGS} as Record<string, unknown>)
    for (let i = 1; i <= o.agents; i++) {
      const id = `fa${String(i).padStart(3, '0')}`
      await addAgent(store, {id, endpoint: simAgentEndpoint({id, ring: 0, talk: o.talkS}), queues: [QUEUE]})
      await loginAgent(store, id)
    }
    const leaseMs = o.leaseMs ?? (Number(process.env.CALLCTL_LEASE_MS) || DEFAULT_LEASE_MS)
    const env: Record<string, string> = {
      CALLCTL_HOME: sb.home,
      CALLCTL_DB: pg.url,
      CALLCTL_ARI_APP: APP,
      CALLCTL_LOG_LEVEL: 'info',
      // Nothing beyond routing: no queue_log writer, no CRM look-up (as bench:load).
      CALLCTL_QUEUE_LOG: '',
      CALLCTL_CRM_URL: '',
      CALLCTL_LEASE_MS: String(leaseMs),
    }
    const s = store
    bench = new Bench(o, env, logDir, pg.url, new Tail(s), progress)
    progress('starting the leader and a standby ...')
    await bench.firstPair()
    const celFrom = celSize(sb.celFile)
    traffic = new SteadyCallers(sb.rest, {app: APP, queue: QUEUE, rate: o.rate, patienceS: o.patienceS, seed: o.seed, numberPrefix: '1556'})
    traffic.start()
    // The line fills up to its steady state: every agent's first call over, at least.
    const warm = o.talkS.max + o.settleS
    progress(`${o.rate} calls/s arriving; ${warm} s to reach a steady state ...`)
    await sleep(warm * 1000)

    let abortedBecause: string | null = null
    const plan: ['kill' | 'freeze', number][] = [...Array.from({length: o.kills}, (_, i) => ['kill', i + 1] as ['kill', number]), ...Array.from({length: o.freezes}, (_, i) => ['freeze', i + 1] as ['freeze', number])]
    for (const [kind, n] of plan) {
      try {
        await bench.failover(kind, n)
      } catch (err) {
        abortedBecause = `${kind} ${n}: ${err instanceof Error ? err.message : String(err)}`
        progress(`STOPPING EARLY: ${abortedBecause}`)
        break
      }
    }

    progress(`${traffic.placed.length} callers placed; no more arrivals, waiting for the last calls to end ...`)
    await traffic.stop()
    const forced = await waitQuiet(sb.rest, (o.patienceS + o.talkS.max + 30) * 1000)
    if (forced.size > 0) progress(`${forced.size} channels were still up at the deadline and hung up by the bench`)
    // The leader's last events are written within its flush interval.
    await sleep(2000)
    await bench.stopAll()

    const events: StoredEvent[] = []
    for await (const e of s.events()) events.push(e)
    writeFileSync(join(logDir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n')
    const placed = traffic.placed.filter((c) => c.error === null)
    const checked = checkCalls(events, placed.map((c) => c.number))
    // Where each lost call fell, and what Asterisk saw of the caller (its CEL).
    const calls = {
      ...checked,
      lostCalls: explainLost(checked.lostCalls, {
        placedAt: new Map(placed.map((c) => [c.number, c.at])),
        lastEventTs: new Map([...trails(events)].map(([id, t]) => [id, t.at(-1)!.ts])),
        signals: bench.takeovers.map((t) => ({kind: t.kind, n: t.n, at: t.at, takeoverMs: t.ms})),
        cel: readCelSince(sb.celFile, celFrom),
      }),
    }
    const ms = (kind: 'kill' | 'freeze') => bench!.takeovers.filter((t) => t.kind === kind && t.ms !== null).map((t) => t.ms!)
    const command = `npm run bench:failover${args.length > 0 ? ` -- ${args.map((a) => (a === '' || /\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}` : ''}`
    const facts: FailoverFacts = {
      command,
      machine: {cpus: cpus().length, model: cpus()[0]?.model ?? '?', node: process.version, asterisk, postgres: pg.version, loadavgBefore: load0.map((l) => Number(l.toFixed(2))), loadavgAfter: loadavg().map((l) => Number(l.toFixed(2)))},
      settings: {kills: o.kills, freezes: o.freezes, rate: o.rate, talkS: o.talkS, agents: o.agents, patienceS: o.patienceS, settleS: o.settleS, leaseMs, seed: o.seed},
      takeovers: bench.takeovers,
      kills: spread(ms('kill')),
      freezes: spread(ms('freeze')),
      calls,
      notPlaced: traffic.placed.length - placed.length,
      engineErrors: bench.engines.map((e) => ({engine: `${e.name} (pid ${e.pid})`, errors: e.errors().length, first: e.errors()[0]?.msg.slice(0, 200) ?? null})),
      logDir,
      abortedBecause,
      wallS: (Date.now() - began) / 1000,
    }
    if (o.json) console.log(JSON.stringify({...facts, missed: missed(facts)}, null, 2))
    else console.log(table(facts).join('\n'))
    return missed(facts).length === 0 ? 0 : 1
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    progress(`stopping the engines, PostgreSQL and the sandbox (engine logs stay in ${logDir}) ...`)
    await cleanup()
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench:failover failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    process.exit(2)
  },
)
