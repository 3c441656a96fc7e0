import {readFileSync} from 'node:fs'
import {loadavg} from 'node:os'
import {EngineClient} from '../../engine/api/client.js'
import {apiToken, endpointFile} from '../../engine/api/connect.js'
import type {EngineEndpoint} from '../../engine/api/protocol.js'
import type {FeedConnection} from '../../ui/dashboard/feed.js'
import {DeskFeed} from '../../ui/desk/desk-feed.js'
import {cpuWindow, rssBytes} from '../chat/proc-figures.js'
import {spread, type Spread} from '../chat/latency.js'
import {openInBatches, sleep} from '../chat/load.js'
import {waitUntil} from '../chat/echo-baseline.js'
import {startEngineChild} from '../load/engine-child.js'
import {QUEUE, type Center} from './center.js'

// One round of bench:desk: a fresh engine (`callctl engine start`, its own process) on the
// center's store, `desks` agents at their desk (DeskFeed, the desk's own client code, each
// on its own connection with its agent's token, without Ink), then a window in which an
// admin pauses and unpauses agents at a steady rate while the engine's CPU time is
// counted. Each change is timed from the admin's request to the moment the agent's desk
// shows it (its `me.state`). The same changes are made with no desk open, so rounds
// differ only by their desks; a round of 0 desks times its changes afterwards on one desk.

export interface RoundLoad {
  desks: number
  seconds: number
  /** Pauses and unpauses a second, across the desks' agents. */
  rate: number
}

export interface RoundFigures {
  desks: number
  /** Desks that had their agent from the engine when the window began (fewer: the engine could not keep up). */
  showing: number
  cpuPercent: number
  rssIdleBytes: number
  rssBytes: number
  /** Snapshots the desks asked for, a second, in the window. */
  snapshotsPerSecond: number
  /** The machine's 1-minute load average at the window's end (other work slows a saturated engine further). */
  loadAverage: number
  /** A state change to its desk; at 0 desks, timed on one desk after the window. */
  latency: Spread
  lost: number
}

/** How long a change may take to show before it counts as lost. */
const LOST_AFTER_MS = 5000

export async function deskRound(center: Center, load: RoundLoad, log: (line: string) => void): Promise<RoundFigures> {
  const {sb} = center
  const engine = await startEngineChild({home: sb.home, db: sb.paths.database, app: sb.state.app, env: {CALLCTL_DEFAULT_QUEUE: QUEUE}})
  const feeds: DeskFeed[] = []
  const timer = new ChangeTimer()
  let admin: EngineClient | null = null
  try {
    const url = (JSON.parse(readFileSync(endpointFile(sb.paths), 'utf8')) as EngineEndpoint).url
    admin = await EngineClient.connect(url, apiToken(sb.paths, {}))
    await sleep(2000)
    const rssIdle = rssBytes(engine.pid)

    let snapshots = 0
    const open = (agent: {id: string; token: string}) => {
      const feed = new DeskFeed(async () => counting(await EngineClient.connect(url, agent.token), () => snapshots++), agent.id)
      feed.subscribe(() => timer.seen(agent.id, feed.getState().me?.state))
      feeds.push(feed)
      feed.start()
    }
    const withDesks = center.agents.slice(0, load.desks)
    log(`${load.desks} desks…`)
    await openInBatches(withDesks, async (a) => open(a), 25)
    // An engine that cannot serve every desk's first snapshot in a minute is saturated: measured as it is, and said so.
    if (!(await waitUntil(() => feeds.every((f) => f.getState().me !== null), 60_000))) {
      const why = [...new Set(feeds.map((f) => f.getState().feed).filter((s) => s.error).map((s) => `${s.status}: ${s.error}`))].slice(0, 3)
      log(`only ${showing(feeds)} of ${load.desks} desks show their agent after 60 s (desks: ${why.join(' | ') || 'no error'}; engine errors: ${engine.errors.slice(0, 3).join(' | ') || 'none'})`)
    }
    // Desks opened in a burst poll in step for a while; a few seconds spread them as real ones are.
    await sleep(3000)

    log(`measuring ${load.seconds} s, ${load.rate} state changes/s…`)
    const targets = (load.desks > 0 ? withDesks : center.agents).map((a) => a.id)
    snapshots = 0
    const showingAtStart = showing(feeds)
    const cpu = cpuWindow(engine.pid)
    // With no desk open nothing can show the changes: made all the same, timed after the window.
    await paced(load.rate, load.seconds, (i) => timer.change(admin!, targets[i % targets.length]!, log, load.desks > 0))
    const window = cpu()
    const rss = rssBytes(engine.pid)
    const loadAverage = loadavg()[0]!
    const snapshotsPerSecond = snapshots / window.wallS
    await waitUntil(() => timer.pendingCount() === 0, LOST_AFTER_MS)

    if (load.desks === 0) {
      // No desk to time the changes on in the window: one desk now, the same changes one after another.
      const probe = center.agents[0]!
      log('timing state changes on one desk…')
      open(probe)
      await waitUntil(() => feeds[0]!.getState().me !== null, 30_000)
      for (let i = 0; i < Math.max(20, Math.round(load.rate * load.seconds) / 4); i++) {
        // A random moment within the poll, as the window's changes land.
        await sleep(Math.random() * 1000)
        timer.change(admin, probe.id, log)
        await waitUntil(() => timer.pendingCount() === 0, LOST_AFTER_MS)
      }
    }
    if (engine.errors.length > 0) log(`engine errors: ${engine.errors.slice(0, 3).join(' | ')}`)
    return {desks: load.desks, showing: showingAtStart, cpuPercent: window.percent, rssIdleBytes: rssIdle, rssBytes: rss, snapshotsPerSecond, loadAverage, latency: spread(timer.samples), lost: timer.lost + timer.pendingCount()}
  } finally {
    for (const f of feeds) f.stop()
    // Every agent unpaused for the next round's engine (pauses are written to the store).
    const a = admin
    if (a) await Promise.allSettled(timer.pausedAgents().map((agent) => a.request('agent.unpause', {agent})))
    admin?.close()
    await engine.stop()
  }
}

function showing(feeds: DeskFeed[]): number {
  return feeds.filter((f) => f.getState().me !== null).length
}

/** Pauses or unpauses an agent and times the change to its desk. */
class ChangeTimer {
  readonly samples: number[] = []
  lost = 0
  private readonly paused = new Set<string>()
  private readonly pending = new Map<string, {paused: boolean; t0: number}>()

  change(admin: EngineClient, agent: string, log: (line: string) => void, timed = true): void {
    if (this.pending.has(agent)) this.lost++
    const pause = !this.paused.has(agent)
    if (pause) this.paused.add(agent)
    else this.paused.delete(agent)
    if (timed) this.pending.set(agent, {paused: pause, t0: performance.now()})
    const done = pause ? admin.request('agent.pause', {agent, reason: 'break'}) : admin.request('agent.unpause', {agent})
    done.catch((err: unknown) => log(`${pause ? 'pause' : 'unpause'} ${agent} refused: ${String(err)}`))
  }

  seen(agent: string, state: string | undefined): void {
    const p = this.pending.get(agent)
    if (!p || state === undefined || (state === 'paused') !== p.paused) return
    this.pending.delete(agent)
    this.samples.push(performance.now() - p.t0)
  }

  pendingCount(): number {
    return this.pending.size
  }

  /** The agents left paused (the next round starts them all unpaused). */
  pausedAgents(): string[] {
    return [...this.paused]
  }
}

/** The connection as the desk uses it, counting its snapshot requests. */
function counting(conn: EngineClient, onSnapshot: () => void): FeedConnection {
  return {
    request: ((method: string, ...args: unknown[]) => {
      if (method === 'snapshot') onSnapshot()
      return (conn.request as (m: string, ...a: unknown[]) => Promise<unknown>)(method, ...args)
    }) as FeedConnection['request'],
    onEvent: (fn) => conn.onEvent(fn),
    onClose: (fn) => conn.onClose(fn),
    close: () => conn.close(),
  }
}

/** `rate` calls a second for `seconds`, evenly (every 10 ms, those due by then). */
async function paced(rate: number, seconds: number, fn: (i: number) => void): Promise<void> {
  const start = performance.now()
  const total = Math.round(rate * seconds)
  let done = 0
  while (done < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate))
    while (done < due) fn(done++)
    await sleep(10)
  }
}
