import {render} from 'ink-testing-library'
import {vi} from 'vitest'
import type {CallView, EngineSnapshot} from '../../src/engine/calls/engine.js'
import {DEFAULT_QUEUE_SETTINGS, type AgentState} from '../../src/engine/model.js'
import {abandonRate, aht, answerRate, asa, emptyTally, serviceLevel, type Tally} from '../../src/engine/reports/metrics.js'
import type {QueueFigures} from '../../src/engine/reports/live-stats.js'
import type {AgentView, QueueView} from '../../src/engine/routing/acd.js'
import type {DashboardActions} from '../../src/ui/dashboard/actions.js'
import {Dashboard, type DashboardProps} from '../../src/ui/dashboard/dashboard.js'
import type {FeedState} from '../../src/ui/dashboard/feed.js'
import {DEFAULT_THRESHOLDS} from '../../src/ui/dashboard/thresholds.js'

// One way to render dashboard components in tests: ink-testing-library's terminal is
// 100 columns wide; the dashboard is given 100 x 30 so every frame is reproducible.

export const SIZE = {columns: 100, rows: 30}
/** 2026-11-23 09:30:00 UTC: every duration in the fixture runs to this instant. */
export const AT = Date.UTC(2026, 10, 23, 9, 30, 0)
export const EVIL_NAME = 'Evil\u001b[2J\u001b]0;pwned\u0007\u009bName'

export const KEYS = {tab: '\t', shiftTab: '\u001b[Z', down: '\u001b[B', up: '\u001b[A', enter: '\r', escape: '\u001b', backspace: '\u007f'}

function figures(t: Partial<Tally>, sl = {seconds: 20, formula: 'default' as const, shortAbandonSeconds: 5}): QueueFigures {
  const tally = {...emptyTally(), ...t}
  return {...tally, answerRate: answerRate(tally), abandonRate: abandonRate(tally), serviceLevel: serviceLevel(tally, sl.formula), sl, asaMs: asa(tally), ahtMs: aht(tally)}
}

function agentFigures(t: Partial<Tally>, talkTodayMs: number, occupancy: number): EngineSnapshot['stats']['agents'][string] {
  const tally = {...emptyTally(), ...t}
  return {...tally, ahtMs: aht(tally), loggedInMs: 3_600_000, pausedMs: 0, missedRings: 0, talkTodayMs, occupancy}
}

function agent(id: string, name: string, state: AgentState, sinceSecondsAgo: number, extra: Partial<AgentView> = {}): AgentView {
  return {id, name, endpoint: `PJSIP/${id}`, state, since: AT - sinceSecondsAgo * 1000, pauseReason: null, callId: null, queues: {sales: 0}, skills: {}, callsTaken: 0, callsToday: 0, talkMs: 0, missedRings: 0, backoffUntil: null, why: null, ...extra} as AgentView
}

function call(id: string, c: Partial<CallView> & {caller: CallView['caller']}): CallView {
  return {id, state: 'waiting', did: '100', queue: 'sales', priority: 0, agent: null, startedAt: AT - 60_000, joinedAt: null, enteredQueueAt: null, connectedAt: null, ringing: [], callbackNumber: null, keyTrail: [], contact: null, heldSince: null, holdMs: 0, consulting: false, ...c}
}

/**
 * Two queues, five agents in every state, three calls: a VIP waiting 45 s in sales, a
 * caller talking to a2 (after 8 s in line), and a caller whose name carries escapes.
 */
export function fixtureSnapshot(): EngineSnapshot {
  const queues: QueueView[] = [
    {name: 'sales', settings: DEFAULT_QUEUE_SETTINGS, waiting: [
      {callId: 'call-vip', number: '+8613800000001', priority: 10, joinedAt: AT - 45_000, kind: 'caller', ringing: []},
      {callId: 'call-evil', number: '+15550000003', priority: 0, joinedAt: AT - 12_000, kind: 'caller', ringing: ['a1']},
    ], agents: {idle: 1, busy: 2, paused: 1, loggedIn: 4}},
    {name: 'support', settings: {...DEFAULT_QUEUE_SETTINGS, slSeconds: 30}, waiting: [], agents: {idle: 0, busy: 0, paused: 0, loggedIn: 0}},
  ]
  const agents = [
    agent('a1', 'Li Na', 'ringing', 2, {callId: 'call-evil', callsToday: 4}),
    agent('a2', 'Wang Fang', 'on-call', 95, {callId: 'call-talk', callsToday: 7}),
    agent('a3', 'Zhang Wei', 'paused', 300, {pauseReason: 'lunch', callsToday: 2}),
    agent('a4', 'Chen Jie', 'offline', 3600, {queues: {support: 0}}),
    agent('a5', 'Liu Yang', 'wrap-up', 3, {callsToday: 5, queues: {sales: 0, support: 1}}),
  ]
  const calls = [
    call('call-talk', {caller: {number: '+8613800000002', name: 'Zhou Min'}, state: 'connected', agent: 'a2', joinedAt: AT - 103_000, connectedAt: AT - 95_000, keyTrail: ['menu:1']}),
    call('call-vip', {caller: {number: '+8613800000001', name: 'Huang Lei'}, priority: 10, joinedAt: AT - 45_000, keyTrail: ['menu:1'], contact: {name: '黄磊', tier: 'VIP', vip: true}}),
    call('call-evil', {caller: {number: '+15550000003', name: EVIL_NAME}, joinedAt: AT - 12_000, ringing: ['a1']}),
  ]
  return {
    at: AT,
    queues,
    agents,
    calls,
    stats: {
      since: AT - (AT % 86_400_000),
      // sales: 10 offered, 7 answered (5 within T, 140 s of waits), 3 abandoned (1 short, 2 after T).
      queues: {sales: figures({offered: 10, answered: 7, answeredWithinT: 5, answeredWaitMs: 140_000, abandoned: 3, shortAbandoned: 1, abandonedAfterT: 2, handled: 6, talkMs: 900_000, wrapUpMs: 60_000})},
      // a2: 25 min of talk today (its call in progress included), 62 % occupied.
      agents: {a2: agentFigures({handled: 6, talkMs: 1_405_000}, 1_500_000, 0.62)},
      // sales: callers offered per 5 minutes over the last hour, the last bucket still filling.
      lastHour: {bucketMs: 300_000, until: AT + 300_000, offered: {sales: [0, 1, 2, 4, 8, 6, 3, 0, 0, 2, 5, 1]}},
    },
  }
}

export function liveState(snapshot: EngineSnapshot | null = fixtureSnapshot()): FeedState {
  return {status: 'live', snapshot, error: null, retryAt: null, receivedAt: snapshot?.at ?? null}
}

/** A feed whose state the test sets. */
export function fakeFeed(initial: FeedState) {
  let state = initial
  const listeners = new Set<() => void>()
  return {
    subscribe: (fn: () => void) => (listeners.add(fn), () => void listeners.delete(fn)),
    getState: () => state,
    refresh: vi.fn(),
    set(s: FeedState) {
      state = s
      for (const l of listeners) l()
    },
  }
}

export function fakeActions(): {[K in keyof DashboardActions]: ReturnType<typeof vi.fn<DashboardActions[K]>>} {
  return {
    supervise: vi.fn<DashboardActions['supervise']>(async (mode, agent) => `${mode} of ${agent} started`),
    pause: vi.fn<DashboardActions['pause']>(async (agent) => `Agent ${agent} is paused (supervisor).`),
    unpause: vi.fn<DashboardActions['unpause']>(async (agent) => `Agent ${agent} is logged in.`),
  }
}

export function renderDashboard(o: {state?: FeedState; props?: Partial<DashboardProps>} = {}) {
  const feed = fakeFeed(o.state ?? liveState())
  const actions = fakeActions()
  const onQuit = vi.fn()
  const r = render(<Dashboard feed={feed} actions={actions} thresholds={DEFAULT_THRESHOLDS} onQuit={onQuit} size={SIZE} timeZone="UTC" from="PJSIP/2001" {...o.props} />)
  // Each key waits for the frame it causes (or 300 ms for a key that changes nothing).
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      const before = r.frames.length
      r.stdin.write(k)
      const deadline = Date.now() + 300
      while (r.frames.length === before && Date.now() < deadline) await settle(5)
      await settle(5)
    }
  }
  return {...r, feed, actions, onQuit, press, frame: () => r.lastFrame() ?? ''}
}

/** Lets Ink read the input and React re-render. */
export function settle(ms = 20): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/**
 * The SGR codes (colour, bold, inverse...) in force where `text` starts on its line of
 * an ANSI frame, e.g. [31, 1] for bold red. Codes end at a reset (0, 39, 22, 27).
 */
export function stylesAt(frame: string, text: string): number[] {
  const line = frame.split('\n').find((l) => l.includes(text))
  if (line === undefined) throw new Error(`"${text}" is not in the frame`)
  const before = line.slice(0, line.indexOf(text))
  const active = new Map<string, number>()
  const group = (c: number) => (c >= 30 && c <= 39) || (c >= 90 && c <= 97) ? 'fg' : c === 1 || c === 2 || c === 22 ? 'weight' : c === 7 || c === 27 ? 'inverse' : String(c)
  for (const m of before.matchAll(/\u001b\[([\d;]*)m/g)) {
    for (const part of (m[1] || '0').split(';')) {
      const c = Number(part)
      if (c === 0) active.clear()
      else if (c === 39 || c === 22 || c === 27) active.delete(group(c))
      else active.set(group(c), c)
    }
  }
  return [...active.values()].sort((a, b) => a - b)
}
