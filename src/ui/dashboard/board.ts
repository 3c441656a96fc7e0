import type {AgentState, CallView, EngineSnapshot, SuperviseMode} from '../../engine/api/contract.js'
import {abandonRate, aht, answerRate, emptyTally, mergeTally, serviceLevel, type SlFormula} from '../../engine/reports/metrics.js'
import {levelOf, worst, type Level, type Thresholds} from './thresholds.js'

// The wallboard as data: what each pane shows, computed from one engine snapshot with
// no I/O and no clock of its own (durations run to the snapshot's `at`). The Ink panes,
// `dashboard --once` (plain or --json) and the demo's summaries all read this.

export const AGENT_STATES: readonly AgentState[] = ['idle', 'ringing', 'on-call', 'wrap-up', 'other-call', 'paused', 'unreachable', 'offline']

/** The agents pane's order: who is busy with a caller first, who could take one next, offline last. */
export const AGENT_ORDER: readonly AgentState[] = ['on-call', 'ringing', 'wrap-up', 'other-call', 'idle', 'paused', 'unreachable', 'offline']

export interface HeaderFigures {
  agents: Record<AgentState, number>
  loggedIn: number
  /** Agents paused, those paused during a call included (their state is still on-call). */
  paused: number
  /** Idle agents whose chats leave no room for a call: idle, yet no call rings them. */
  idleFullOfChats: number
  /** Callers in the IVR now, and callers waiting for a callback. */
  inIvr: number
  callbacksPending: number
  waiting: number
  longestWaitMs: number | null
  offered: number
  answered: number
  abandoned: number
  serviceLevel: number | null
  /** T in seconds when every queue uses the same; null when they differ. */
  slSeconds: number | null
  answerRate: number | null
  abandonRate: number | null
  /** Average handle time today over every queue. */
  ahtMs: number | null
  levels: {waiting: Level; longestWait: Level; serviceLevel: Level; answerRate: Level; abandonRate: Level; aht: Level}
}

export interface QueueRow {
  name: string
  waiting: number
  longestWaitMs: number | null
  idle: number
  busy: number
  paused: number
  loggedIn: number
  offered: number
  answered: number
  abandoned: number
  serviceLevel: number | null
  slSeconds: number
  slFormula: SlFormula
  answerRate: number | null
  abandonRate: number | null
  asaMs: number | null
  ahtMs: number | null
  callbacksPending: number
  /** Callers offered per 5 minutes over the last hour, oldest first; null when the engine does not say. */
  recentOffered: number[] | null
  levels: {waiting: Level; longestWait: Level; serviceLevel: Level; abandonRate: Level; asa: Level; aht: Level}
}

export interface AgentRow {
  id: string
  name: string
  state: AgentState
  inStateMs: number
  pauseReason: string | null
  /** Why the agent gets no calls when its state does not say (a failing phone's back-off, an automatic pause). */
  why: string | null
  /** A failing phone's back-off: how long until it is offered calls again. */
  backoffLeftMs: number | null
  callId: string | null
  /** The caller on the agent's current call, when there is one. */
  caller: {number: string; name: string} | null
  callsToday: number
  queues: string[]
  /** Paused: in the paused state, or paused during a call (it ends the call first). */
  paused: boolean
  /** A supervisor listening, whispering or barging in on the agent's call. */
  supervision: {mode: SuperviseMode; from: string} | null
  /** Talk today, the call in progress included; occupancy today (null before any logged-in time). */
  talkTodayMs: number
  occupancy: number | null
  /** The chats it holds of its limit, and whether they leave no room for a call; null when it holds none. */
  chats: {held: number; limit: number; blocksCalls: boolean} | null
}

export interface CallRow {
  id: string
  number: string
  name: string
  tier: string | null
  vip: boolean
  priority: number
  queue: string | null
  agent: string | null
  ringing: string[]
  state: string
  /** On hold since (a connected call whose caller hears music); null when not held. */
  heldSince: number | null
  /** Time on hold so far in this call, the hold in progress counted to the snapshot. */
  holdMs: number
  /** Held for a consultation: the agent talks to a colleague or a number. */
  consulting: boolean
  startedAt: number
  /** In line since joining (across overflow and callbacks) until answered, or until now. */
  waitMs: number | null
  talkMs: number | null
  keys: string[]
  levels: {wait: Level}
}

export interface Board {
  at: number
  filter: string
  header: HeaderFigures
  queues: QueueRow[]
  agents: AgentRow[]
  calls: CallRow[]
  /** Rows before the filter. */
  totals: {queues: number; agents: number; calls: number}
  /** The engine's link to Asterisk, when the engine says. */
  asterisk: EngineSnapshot['link'] | null
  /** Load shedding: Asterisk answers slowly and new callers are refused. */
  overload: EngineSnapshot['overload'] | null
  /** The largest count in any queue's recentOffered, so every sparkline has one scale. */
  recentPeak: number
  /** The span of each recentOffered count; null when the engine sends no last hour. */
  recentBucketMs: number | null
  /** Chats waiting and active, per queue and per agent's load; null when the engine has none to tell. */
  chats: BoardChats | null
}

type ChatsView = NonNullable<EngineSnapshot['chats']>
/** The engine's chat view as the board prints it: `withCall` (not onCall, which reads as an agent state in JSON). */
export type BoardChats = Omit<ChatsView, 'agents'> & {agents: Record<string, Omit<ChatsView['agents'][string], 'onCall'> & {withCall: boolean}>}

function boardChats(c: ChatsView | undefined): BoardChats | null {
  if (!c) return null
  const agents: BoardChats['agents'] = {}
  for (const [id, {onCall, ...rest}] of Object.entries(c.agents)) agents[id] = {...rest, withCall: onCall}
  return {...c, agents}
}

/** The open chats in no queue, by stage, those there are: "2 with the bot", "1 awaiting the customer", "1 leaving a message". */
export function outsideQueues(c: Pick<NonNullable<EngineSnapshot['chats']>, 'withBot' | 'awaitingCustomer' | 'leavingMessage'>): string[] {
  const parts: [number, string][] = [
    [c.withBot, 'with the bot'],
    [c.awaitingCustomer, 'awaiting the customer'],
    [c.leavingMessage, 'leaving a message'],
  ]
  return parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`)
}

const IN_LINE = new Set(['waiting', 'callback-pending'])

export function buildBoard(snap: EngineSnapshot, o: {thresholds: Thresholds; filter?: string}): Board {
  const t = o.thresholds
  const at = snap.at
  const calls = snap.calls.map((c) => callRow(c, at, t)).sort(byUrgency)
  const callById = new Map(calls.map((c) => [c.id, c]))

  const callbacks = new Map<string, number>()
  for (const c of snap.calls) if (c.state === 'callback-pending' && c.queue) callbacks.set(c.queue, (callbacks.get(c.queue) ?? 0) + 1)
  // Paused during a call counts as paused, here as in the header.
  const pausedIn = new Map<string, number>()
  for (const a of snap.agents) if (a.pauseReason !== null && a.state !== 'offline') for (const q of Object.keys(a.queues)) pausedIn.set(q, (pausedIn.get(q) ?? 0) + 1)

  const queues: QueueRow[] = snap.queues.map((q) => {
    const s = snap.stats.queues[q.name]
    const longest = q.waiting.length ? Math.max(...q.waiting.map((w) => at - w.joinedAt)) : null
    const row = {
      name: q.name,
      waiting: q.waiting.length,
      longestWaitMs: longest,
      idle: q.agents.idle,
      busy: q.agents.busy,
      paused: pausedIn.get(q.name) ?? 0,
      loggedIn: q.agents.loggedIn,
      offered: s?.offered ?? 0,
      answered: s?.answered ?? 0,
      abandoned: s?.abandoned ?? 0,
      serviceLevel: s?.serviceLevel ?? null,
      slSeconds: s?.sl.seconds ?? q.settings.slSeconds,
      slFormula: s?.sl.formula ?? q.settings.slFormula,
      answerRate: s?.answerRate ?? null,
      abandonRate: s?.abandonRate ?? null,
      asaMs: s?.asaMs ?? null,
      ahtMs: s?.ahtMs ?? null,
      callbacksPending: callbacks.get(q.name) ?? 0,
      recentOffered: recentOf(snap, q.name),
    }
    return {
      ...row,
      levels: {
        waiting: levelOf('waiting', row.waiting, t),
        longestWait: levelOf('longestWait', row.longestWaitMs, t),
        serviceLevel: levelOf('serviceLevel', row.serviceLevel, t),
        abandonRate: levelOf('abandonRate', row.abandonRate, t),
        asa: levelOf('asa', row.asaMs, t),
        aht: levelOf('aht', row.ahtMs, t),
      },
    }
  })
  queues.sort(byQueueUrgency)

  const supervised = new Map<string, {mode: SuperviseMode; from: string}>()
  for (const s of snap.supervisions ?? []) supervised.set(s.agent, {mode: s.mode, from: s.from})

  const agents: AgentRow[] = snap.agents.map((a) => {
    const call = a.callId ? callById.get(a.callId) : undefined
    const today = snap.stats.agents[a.id]
    return {
      id: a.id,
      name: a.name,
      state: a.state,
      inStateMs: Math.max(0, at - a.since),
      pauseReason: a.pauseReason,
      why: a.why ?? null,
      backoffLeftMs: a.backoffUntil != null && a.backoffUntil > at && a.state !== 'offline' ? a.backoffUntil - at : null,
      callId: a.callId,
      caller: call ? {number: call.number, name: call.name} : null,
      callsToday: a.callsToday,
      queues: Object.keys(a.queues).sort(),
      paused: a.state !== 'offline' && (a.state === 'paused' || a.pauseReason !== null),
      supervision: supervised.get(a.id) ?? null,
      // No figures yet today: no talk yet.
      talkTodayMs: today ? (today.talkTodayMs ?? today.talkMs) : 0,
      occupancy: today?.occupancy ?? null,
      chats: chatLoad(snap, a.id),
    }
  })
  agents.sort(byAgentState)

  const filter = (o.filter ?? '').trim()
  return {
    at,
    filter,
    header: header(snap, queues, agents, t),
    queues: queues.filter((q) => matches(filter, [q.name])),
    agents: agents.filter((a) => matches(filter, [a.id, a.name, a.state, a.pauseReason, a.caller?.number, a.caller?.name, ...a.queues])),
    calls: calls.filter((c) => matches(filter, [c.id, c.number, c.name, c.tier, c.queue, c.agent, c.state])),
    totals: {queues: queues.length, agents: agents.length, calls: calls.length},
    asterisk: snap.link ?? null,
    overload: snap.overload ?? null,
    recentPeak: Math.max(0, ...queues.map((q) => Math.max(0, ...(q.recentOffered ?? [])))),
    recentBucketMs: snap.stats.lastHour?.bucketMs ?? null,
    chats: boardChats(snap.chats),
  }
}

/** The agent's chats from the snapshot's chat view (engines of before it have none). */
function chatLoad(snap: EngineSnapshot, agent: string): AgentRow['chats'] {
  const c = snap.chats?.agents[agent]
  return c && c.total > 0 ? {held: c.total, limit: c.limit, blocksCalls: c.blocksCalls ?? false} : null
}

/** A queue's last hour; a queue nobody called in it has a series of zeros. */
function recentOf(snap: EngineSnapshot, queue: string): number[] | null {
  const h = snap.stats.lastHour
  if (!h) return null
  return h.offered[queue] ?? Array<number>(Object.values(h.offered)[0]?.length ?? 12).fill(0)
}

const LEVEL_RANK: Record<Level, number> = {alert: 0, warn: 1, ok: 2, none: 2}

/**
 * Queues by urgency: a live breach first (too many waiting, or waiting too long), then
 * any queue with callers in line, then today's breaches (SL, abandon rate, ASA); among
 * equals the longer line and the longer wait first. Name last, so the order is stable.
 */
function byQueueUrgency(a: QueueRow, b: QueueRow): number {
  const live = (q: QueueRow) => LEVEL_RANK[worst([q.levels.waiting, q.levels.longestWait])]
  const today = (q: QueueRow) => LEVEL_RANK[worst([q.levels.serviceLevel, q.levels.abandonRate, q.levels.asa])]
  return (
    live(a) - live(b) ||
    (a.waiting > 0 ? 0 : 1) - (b.waiting > 0 ? 0 : 1) ||
    today(a) - today(b) ||
    b.waiting - a.waiting ||
    (b.longestWaitMs ?? -1) - (a.longestWaitMs ?? -1) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  )
}

/** Agents by state (AGENT_ORDER), the longest in that state first: the longest call, the longest idle, the longest break. */
function byAgentState(a: AgentRow, b: AgentRow): number {
  return AGENT_ORDER.indexOf(a.state) - AGENT_ORDER.indexOf(b.state) || b.inStateMs - a.inStateMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

function callRow(c: CallView, at: number, t: Thresholds): CallRow {
  const waitMs = c.joinedAt === null ? null : Math.max(0, (c.connectedAt ?? at) - c.joinedAt)
  return {
    id: c.id,
    number: c.caller.number,
    name: c.contact?.name || c.caller.name,
    tier: c.contact?.tier || null,
    vip: c.contact?.vip ?? false,
    priority: c.priority,
    queue: c.queue,
    agent: c.agent,
    ringing: c.ringing,
    state: c.state,
    heldSince: c.heldSince ?? null,
    holdMs: c.holdMs ?? 0,
    consulting: c.consulting ?? false,
    startedAt: c.startedAt,
    waitMs,
    talkMs: c.connectedAt === null ? null : Math.max(0, at - c.connectedAt),
    keys: c.keyTrail,
    // Only a caller still in line has a wait worth colouring.
    levels: {wait: IN_LINE.has(c.state) ? levelOf('longestWait', waitMs, t) : 'none'},
  }
}

/** Callers in line first, longest wait first; then the rest, oldest call first. */
function byUrgency(a: CallRow, b: CallRow): number {
  const la = IN_LINE.has(a.state) ? 0 : 1
  const lb = IN_LINE.has(b.state) ? 0 : 1
  if (la !== lb) return la - lb
  if (la === 0 && a.waitMs !== b.waitMs) return (b.waitMs ?? 0) - (a.waitMs ?? 0)
  if (a.startedAt !== b.startedAt) return a.startedAt - b.startedAt
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

function header(snap: EngineSnapshot, queues: QueueRow[], agents: AgentRow[], t: Thresholds): HeaderFigures {
  const byState = Object.fromEntries(AGENT_STATES.map((s) => [s, 0])) as Record<AgentState, number>
  for (const a of agents) byState[a.state]++
  const stats = Object.values(snap.stats.queues)
  const total = emptyTally()
  for (const s of stats) mergeTally(total, s)
  const formulas = new Set(stats.map((s) => s.sl.formula))
  const seconds = new Set(stats.map((s) => s.sl.seconds))
  // Each queue counted "answered within T" with its own T; one formula reads them together.
  const sl = serviceLevel(total, formulas.size === 1 ? [...formulas][0]! : 'default')
  const waiting = queues.reduce((n, q) => n + q.waiting, 0)
  const longest = queues.reduce<number | null>((m, q) => (q.longestWaitMs === null ? m : Math.max(m ?? 0, q.longestWaitMs)), null)
  const ar = answerRate(total)
  const abr = abandonRate(total)
  const ahtMs = aht(total)
  return {
    agents: byState,
    loggedIn: agents.length - byState.offline,
    paused: agents.filter((a) => a.paused).length,
    idleFullOfChats: agents.filter((a) => a.state === 'idle' && a.chats?.blocksCalls).length,
    inIvr: snap.calls.filter((c) => c.state === 'ivr').length,
    callbacksPending: snap.calls.filter((c) => c.state === 'callback-pending').length,
    waiting,
    longestWaitMs: longest,
    offered: total.offered,
    answered: total.answered,
    abandoned: total.abandoned,
    serviceLevel: sl,
    slSeconds: seconds.size === 1 ? [...seconds][0]! : seconds.size === 0 ? (snap.queues[0]?.settings.slSeconds ?? 20) : null,
    answerRate: ar,
    abandonRate: abr,
    ahtMs,
    levels: {
      // A total over many queues says little against a per-queue threshold: take the worst queue.
      waiting: worst(queues.map((q) => q.levels.waiting)),
      longestWait: levelOf('longestWait', longest, t),
      serviceLevel: levelOf('serviceLevel', sl, t),
      answerRate: levelOf('answerRate', ar, t),
      abandonRate: levelOf('abandonRate', abr, t),
      aht: levelOf('aht', ahtMs, t),
    },
  }
}

function matches(filter: string, fields: readonly (string | null | undefined)[]): boolean {
  if (!filter) return true
  const f = filter.toLowerCase()
  return fields.some((v) => typeof v === 'string' && v.toLowerCase().includes(f))
}
