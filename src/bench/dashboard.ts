import {EventEmitter} from 'node:events'
import {prng} from './prng.js'
import {performance} from 'node:perf_hooks'
import type {CallView, EngineSnapshot} from '../engine/calls/engine.js'
import {DEFAULT_QUEUE_SETTINGS, type AgentState} from '../engine/model.js'
import type {QueueFigures} from '../engine/reports/live-stats.js'
import {abandonRate, aht, answerRate, asa, emptyTally, serviceLevel, type Tally} from '../engine/reports/metrics.js'
import type {AgentView, QueueView} from '../engine/routing/acd.js'
import type {FeedState} from '../ui/dashboard/feed.js'
import {DEFAULT_THRESHOLDS} from '../ui/dashboard/thresholds.js'

// Dashboard benchmark: what the live wallboard costs a supervisor's machine at the size
// of a large call center (1,000 agents, 100 queues, 500 live calls) with one update a
// second. Each update is a new snapshot as the engine API sends it (JSON), parsed, turned
// into the board and rendered through Ink to a fake 200x60 terminal. Reported: CPU over
// the measured window as % of one core, and time per frame from the snapshot's arrival
// to the frame written. The baseline, in the same process on the same snapshots, prints
// the same data as plain text with the project's table() (what `dashboard --once` does).
//
// Flags: --seconds N (measured window per renderer, default 15), --json. Exits 1 when
// the dashboard takes 10 % of one core or more.

const AGENTS = 1000
const QUEUES = 100
const CALLS = 500
const TARGET_CPU_PERCENT = 10
const SIZE = {columns: 200, rows: 60}
const START = Date.UTC(2026, 10, 23, 9, 0, 0)

// Ink renders only a final frame when it believes it runs in CI; the bench needs every frame.
delete process.env.CI
delete process.env.CONTINUOUS_INTEGRATION
// As the commands run it: React's development build is several times slower.
process.env.NODE_ENV ??= 'production'


interface SimAgent {
  id: string
  name: string
  queues: Record<string, number>
  state: AgentState
  since: number
  callId: string | null
  pauseReason: string | null
  callsToday: number
}

interface SimCall {
  id: string
  number: string
  name: string
  queue: string
  joinedAt: number
  connectedAt: number | null
  agent: string | null
  vip: boolean
  keys: string[]
}

/** A call center that moves: every second some calls end, agents wrap up, callers arrive and are answered. */
class World {
  private readonly rnd = prng(7)
  private readonly queues = Array.from({length: QUEUES}, (_, i) => `queue-${String(i).padStart(3, '0')}`)
  private readonly agents: SimAgent[]
  private calls: SimCall[] = []
  private readonly tallies = new Map<string, Tally>()
  private seq = 0
  now = START

  constructor() {
    const states: AgentState[] = ['idle', 'on-call', 'on-call', 'wrap-up', 'paused', 'offline']
    this.agents = Array.from({length: AGENTS}, (_, i) => ({
      id: `agent-${String(i).padStart(4, '0')}`,
      name: i % 3 === 0 ? `张${'伟芳娜敏静'[i % 5]}${i}` : `Agent Name ${i}`,
      queues: {[this.queues[i % QUEUES]!]: 0, [this.queues[(i * 7 + 3) % QUEUES]!]: 1},
      state: states[i % states.length]!,
      since: START - Math.floor(this.rnd() * 600_000),
      callId: null,
      pauseReason: null,
      callsToday: Math.floor(this.rnd() * 40),
    }))
    for (const a of this.agents) if (a.state === 'on-call') a.state = 'idle'
    for (const q of this.queues) this.tallies.set(q, emptyTally())
    for (let i = 0; i < 60; i++) this.step()
  }

  step(): void {
    this.now += 1000
    const r = this.rnd
    // Connected calls end: their agents go to wrap-up.
    this.calls = this.calls.filter((c) => {
      if (c.connectedAt === null || r() > 0.06) return true
      const a = this.agents.find((x) => x.callId === c.id)!
      Object.assign(a, {state: 'wrap-up', since: this.now, callId: null, callsToday: a.callsToday + 1})
      const t = this.tallies.get(c.queue)!
      t.handled++
      t.talkMs += this.now - c.connectedAt
      return false
    })
    for (const a of this.agents) {
      if (a.state === 'wrap-up' && this.now - a.since > 5000) Object.assign(a, {state: 'idle', since: this.now})
      else if (a.state === 'idle' && r() < 0.003) Object.assign(a, {state: 'paused', since: this.now, pauseReason: 'break'})
      else if (a.state === 'paused' && r() < 0.02) Object.assign(a, {state: 'idle', since: this.now, pauseReason: null})
    }
    // Some callers in line give up.
    this.calls = this.calls.filter((c) => {
      if (c.connectedAt !== null || r() > 0.01) return true
      this.tallies.get(c.queue)!.abandoned++
      return false
    })
    // New callers keep the line full.
    while (this.calls.length < CALLS) {
      const n = ++this.seq
      const queue = this.queues[Math.floor(r() * QUEUES)]!
      this.tallies.get(queue)!.offered++
      this.calls.push({id: `call-${n}`, number: `+86138${String(10_000_000 + n).slice(-8)}`, name: n % 4 === 0 ? `王${n}` : `Caller ${n}`, queue, joinedAt: this.now, connectedAt: null, agent: null, vip: n % 17 === 0, keys: n % 2 ? ['menu:1'] : ['menu:2', 'account:1234#']})
    }
    // Idle agents take the longest-waiting callers of their queues.
    const idle = this.agents.filter((a) => a.state === 'idle')
    for (const c of this.calls) {
      if (c.connectedAt !== null || idle.length === 0) continue
      const i = idle.findIndex((a) => c.queue in a.queues)
      if (i < 0) continue
      const [a] = idle.splice(i, 1)
      Object.assign(a!, {state: 'on-call', since: this.now, callId: c.id})
      Object.assign(c, {connectedAt: this.now, agent: a!.id})
      const t = this.tallies.get(c.queue)!
      t.answered++
      t.answeredWaitMs += this.now - c.joinedAt
      if (this.now - c.joinedAt <= 20_000) t.answeredWithinT++
    }
  }

  snapshot(): EngineSnapshot {
    const sl = {seconds: 20, formula: 'default' as const, shortAbandonSeconds: 5}
    const queues: QueueView[] = this.queues.map((name) => {
      const members = this.agents.filter((a) => name in a.queues && a.state !== 'offline')
      return {
        name,
        settings: DEFAULT_QUEUE_SETTINGS,
        waiting: this.calls.filter((c) => c.queue === name && c.connectedAt === null).map((c) => ({callId: c.id, number: c.number, priority: c.vip ? 10 : 0, joinedAt: c.joinedAt, kind: 'caller', ringing: []})),
        agents: {idle: members.filter((a) => a.state === 'idle').length, busy: members.filter((a) => a.state !== 'idle' && a.state !== 'paused').length, paused: members.filter((a) => a.state === 'paused').length, loggedIn: members.length},
      }
    })
    const agents: AgentView[] = this.agents.map((a) => ({id: a.id, name: a.name, endpoint: `PJSIP/${a.id}`, state: a.state, since: a.since, pauseReason: a.pauseReason, callId: a.callId, queues: a.queues, skills: {}, callsTaken: a.callsToday, callsToday: a.callsToday, talkMs: 0, missedRings: 0, backoffUntil: null, why: null}))
    const calls: CallView[] = this.calls.map((c) => ({
      id: c.id,
      state: c.connectedAt === null ? 'waiting' : 'connected',
      caller: {number: c.number, name: c.name},
      did: '100',
      queue: c.queue,
      priority: c.vip ? 10 : 0,
      agent: c.agent,
      startedAt: c.joinedAt - 8000,
      joinedAt: c.joinedAt,
      enteredQueueAt: c.joinedAt,
      connectedAt: c.connectedAt,
      ringing: [],
      callbackNumber: null,
      keyTrail: c.keys,
      contact: c.vip ? {name: `VIP ${c.name}`, tier: 'VIP', vip: true} : null,
      heldSince: null,
      holdMs: 0,
      consulting: false,
    }))
    const figures: Record<string, QueueFigures> = {}
    for (const [q, t] of this.tallies) figures[q] = {...t, answerRate: answerRate(t), abandonRate: abandonRate(t), serviceLevel: serviceLevel(t, 'default'), sl, asaMs: asa(t), ahtMs: aht(t)}
    return {at: this.now, queues, agents, calls, stats: {since: START - (START % 86_400_000), queues: figures, agents: {}}}
  }
}

/** A terminal that counts what it is sent. */
class FakeTerminal extends EventEmitter {
  // Not a TTY only so cli-cursor leaves the real terminal's cursor alone at exit; Ink renders the same.
  readonly isTTY = false
  readonly columns = SIZE.columns
  readonly rows = SIZE.rows
  writes = 0
  bytes = 0
  write(s: string): boolean {
    this.writes++
    this.bytes += s.length
    return true
  }
}

interface Run {
  cpuPercent: number
  frameP50Ms: number
  frameP99Ms: number
  frameMaxMs: number
  frames: number
  kbPerFrame: number
}

/** Feeds one update a second for `seconds` and measures. `show` returns when the frame is out. */
async function measure(updates: string[], seconds: number, show: (snapshot: EngineSnapshot) => void | Promise<void>, term: FakeTerminal): Promise<Run> {
  // Two updates to warm up (JIT, first layout) before the window.
  for (const u of updates.slice(0, 2)) await show(JSON.parse(u) as EngineSnapshot)
  const bytesBefore = term.bytes
  const times: number[] = []
  const wallStart = performance.now()
  const cpuStart = process.cpuUsage()
  for (let i = 0; i < seconds; i++) {
    const due = wallStart + i * 1000
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const t0 = performance.now()
    // As the feed gets it: a JSON message from the engine API.
    await show(JSON.parse(updates[2 + i]!) as EngineSnapshot)
    times.push(performance.now() - t0)
  }
  // The window is whole seconds of wall time, idle time included: that is what a supervisor's machine sees.
  const end = wallStart + seconds * 1000
  if (end > performance.now()) await new Promise((r) => setTimeout(r, end - performance.now()))
  const cpu = process.cpuUsage(cpuStart)
  const wall = performance.now() - wallStart
  times.sort((a, b) => a - b)
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!
  return {
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wall) * 100,
    frameP50Ms: q(0.5),
    frameP99Ms: q(0.99),
    frameMaxMs: times.at(-1)!,
    frames: times.length,
    kbPerFrame: (term.bytes - bytesBefore) / times.length / 1024,
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const i = args.indexOf('--seconds')
  const seconds = i >= 0 ? Math.max(3, Number(args[i + 1]) || 15) : 15
  const json = args.includes('--json')

  // Modules that load Ink come after CI is unset above.
  const [{render}, {createElement}, chalk, {Dashboard}, {buildBoard}, {plainBoard}] = await Promise.all([
    import('ink'),
    import('react'),
    import('chalk'),
    import('../ui/dashboard/dashboard.js'),
    import('../ui/dashboard/board.js'),
    import('../ui/dashboard/plain.js'),
  ])
  // A supervisor's terminal has colours; so does the bench, whatever runs it.
  chalk.default.level = 1

  const world = new World()
  const updates: string[] = []
  for (let k = 0; k < seconds + 2; k++) {
    world.step()
    updates.push(JSON.stringify(world.snapshot()))
  }
  const first = JSON.parse(updates[0]!) as EngineSnapshot
  const shape = {agents: first.agents.length, queues: first.queues.length, calls: first.calls.length, waiting: first.calls.filter((c) => c.state === 'waiting').length, snapshotKb: Math.round(updates[0]!.length / 1024)}

  // The baseline first, so the dashboard's run does not carry Ink's warm-up into it.
  const plainTerm = new FakeTerminal()
  const baseline = await measure(updates, seconds, (s) => void plainTerm.write(plainBoard(buildBoard(s, {thresholds: DEFAULT_THRESHOLDS})) + '\n'), plainTerm)

  const term = new FakeTerminal()
  let state: FeedState = {status: 'connecting', snapshot: null, error: null, retryAt: null, receivedAt: null}
  const listeners = new Set<() => void>()
  const feed = {subscribe: (fn: () => void) => (listeners.add(fn), () => void listeners.delete(fn)), getState: () => state}
  const noop = async () => ''
  const stdin = Object.assign(new EventEmitter(), {isTTY: false, setRawMode: () => undefined, setEncoding: () => undefined, resume: () => undefined, pause: () => undefined, ref: () => undefined, unref: () => undefined, read: () => null})
  const app = render(createElement(Dashboard, {feed, actions: {supervise: noop, pause: noop, unpause: noop}, thresholds: DEFAULT_THRESHOLDS, onQuit: () => undefined}), {
    stdout: term as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 10,
  })
  const dashboard = await measure(
    updates,
    seconds,
    async (s) => {
      const writes = term.writes
      state = {status: 'live', snapshot: s, error: null, retryAt: null, receivedAt: Date.now()}
      for (const l of listeners) l()
      // React renders a store change at once; wait in case a frame was deferred.
      for (let spins = 0; term.writes === writes && spins < 10_000; spins++) await new Promise((r) => setImmediate(r))
    },
    term,
  )
  app.unmount()

  const met = dashboard.cpuPercent < TARGET_CPU_PERCENT
  const result = {scenario: {...shape, seconds, updatesPerSecond: 1, terminal: `${SIZE.columns}x${SIZE.rows}`, node: process.version}, dashboard, baseline, target: {cpuPercent: TARGET_CPU_PERCENT, met}}
  if (json) console.log(JSON.stringify(result, null, 2))
  else {
    const f = (n: number, d = 1) => n.toFixed(d)
    console.log(`Dashboard: ${shape.agents} agents, ${shape.queues} queues, ${shape.calls} live calls (${shape.waiting} waiting); 1 update/s for ${seconds} s; terminal ${SIZE.columns}x${SIZE.rows}; snapshot ${shape.snapshotKb} KB of JSON (node ${process.version})`)
    console.log('Frame = JSON snapshot parsed, board built, rendered and written. CPU = user + system time over the window, % of one core.')
    console.log('')
    const rows = [
      ['renderer', 'CPU %', 'frame p50 ms', 'frame p99 ms', 'frame max ms', 'KB written/frame'],
      ['ink dashboard', f(dashboard.cpuPercent), f(dashboard.frameP50Ms), f(dashboard.frameP99Ms), f(dashboard.frameMaxMs), f(dashboard.kbPerFrame)],
      ['baseline: table()', f(baseline.cpuPercent), f(baseline.frameP50Ms), f(baseline.frameP99Ms), f(baseline.frameMaxMs), f(baseline.kbPerFrame)],
    ]
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
    const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ')
    console.log(line(rows[0]!))
    console.log(widths.map((w) => '-'.repeat(w)).join('  '))
    for (const r of rows.slice(1)) console.log(line(r))
    console.log('')
    console.log(`The baseline prints every row; the dashboard renders the rows that fit the screen.`)
    console.log(`Target for the dashboard (CPU < ${TARGET_CPU_PERCENT} % of one core): ${met ? 'met' : 'MISSED'}`)
  }
  if (!met) console.error(`dashboard bench: target missed: CPU ${dashboard.cpuPercent.toFixed(1)} % of one core (target < ${TARGET_CPU_PERCENT} %)`)
  return met ? 0 : 1
}

process.exitCode = await main()
