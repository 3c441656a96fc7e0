import type {AgentState, PresenceStatus, QueueSettings} from '../model.js'

// Automatic call distribution: who waits, who is free, who gets which caller. Pure
// state and decisions, no I/O; every method takes `now` so tests drive time.

export type Activity = 'idle' | 'ringing' | 'on-call' | 'wrap-up'

export interface AgentRuntime {
  id: string
  name: string
  endpoint: string
  /** Queue name → penalty. */
  queues: Map<string, number>
  skills: Record<string, number>
  presence: PresenceStatus
  pauseReason: string | null
  presenceSince: number
  activity: Activity
  activitySince: number
  /** When the agent last became free after a call (or logged in): longest-idle's key. */
  idleSince: number
  callId: string | null
  /** The queue the current call came from: its wrap-up time applies. */
  callQueue: string | null
  callsTaken: number
  talkMs: number
  /** Rings missed in a row; reset by an answered call. */
  missedRings: number
}

export interface WaitingCaller {
  callId: string
  queue: string
  number: string
  priority: number
  /** The caller's place in line. */
  joinedAt: number
  /** Tie-break for callers who joined in the same millisecond. */
  seq: number
  /** Agents currently ringing for this caller. */
  ringing: Set<string>
  /** Agents who already missed this caller: the next ring goes to someone else. */
  tried: Set<string>
}

export interface Offer {
  callId: string
  queue: string
  agentId: string
}

export type RingOutcome = 'no-answer' | 'failed' | 'canceled'

export interface AgentView {
  id: string
  name: string
  endpoint: string
  state: AgentState
  since: number
  pauseReason: string | null
  callId: string | null
  queues: Record<string, number>
  callsTaken: number
  talkMs: number
  missedRings: number
}

export interface QueueView {
  name: string
  settings: QueueSettings
  waiting: {callId: string; number: string; priority: number; joinedAt: number; ringing: string[]}[]
  agents: {available: number; busy: number; loggedIn: number}
}

export class Acd {
  readonly queues = new Map<string, QueueSettings>()
  readonly agents = new Map<string, AgentRuntime>()
  readonly waiting = new Map<string, WaitingCaller>()
  private seq = 0

  // ---- configuration -------------------------------------------------------

  setQueue(name: string, settings: QueueSettings): void {
    this.queues.set(name, settings)
  }

  removeQueue(name: string): void {
    this.queues.delete(name)
    for (const a of this.agents.values()) a.queues.delete(name)
  }

  /** Adds the agent (offline) or updates its endpoint, name, skills and queues, keeping its state. */
  setAgent(a: {id: string; name: string; endpoint: string; queues: Record<string, number>; skills: Record<string, number>}, now: number): AgentRuntime {
    const existing = this.agents.get(a.id)
    if (existing) {
      existing.name = a.name
      existing.endpoint = a.endpoint
      existing.queues = new Map(Object.entries(a.queues))
      existing.skills = {...a.skills}
      return existing
    }
    const rt: AgentRuntime = {
      id: a.id,
      name: a.name,
      endpoint: a.endpoint,
      queues: new Map(Object.entries(a.queues)),
      skills: {...a.skills},
      presence: 'offline',
      pauseReason: null,
      presenceSince: now,
      activity: 'idle',
      activitySince: now,
      idleSince: now,
      callId: null,
      callQueue: null,
      callsTaken: 0,
      talkMs: 0,
      missedRings: 0,
    }
    this.agents.set(a.id, rt)
    return rt
  }

  removeAgent(id: string): void {
    this.agents.delete(id)
  }

  // ---- presence ------------------------------------------------------------

  setPresence(id: string, presence: PresenceStatus, reason: string | null, now: number): void {
    const a = this.mustAgent(id)
    if (a.presence === presence && a.pauseReason === reason) return
    const wasOffline = a.presence === 'offline'
    a.presence = presence
    a.pauseReason = presence === 'paused' ? reason : null
    a.presenceSince = now
    // Logging in starts the idle clock; unpausing does not reset it (the agent was not working).
    if (wasOffline && presence !== 'offline' && a.activity === 'idle') {
      a.idleSince = now
      a.activitySince = now
    }
  }

  // ---- callers -------------------------------------------------------------

  enqueue(c: {callId: string; queue: string; number: string; priority?: number; joinedAt?: number}, now: number): WaitingCaller {
    if (!this.queues.has(c.queue)) throw new Error(`enqueue into unknown queue ${c.queue}`)
    if (this.waiting.has(c.callId)) throw new Error(`call ${c.callId} is already waiting`)
    const w: WaitingCaller = {
      callId: c.callId,
      queue: c.queue,
      number: c.number,
      priority: c.priority ?? 0,
      joinedAt: c.joinedAt ?? now,
      seq: this.seq++,
      ringing: new Set(),
      tried: new Set(),
    }
    this.waiting.set(c.callId, w)
    return w
  }

  /** 1-based place in its queue (priority first, then time joined). */
  position(callId: string): number {
    const w = this.waiting.get(callId)
    if (!w) return 0
    let ahead = 0
    for (const o of this.waiting.values()) if (o.queue === w.queue && before(o, w)) ahead++
    return ahead + 1
  }

  /**
   * The caller left the line (hung up, timed out, was connected elsewhere). Agents
   * ringing for it are freed at once, so none stays reserved; the returned ids are
   * the rings the caller of this method must now cancel.
   */
  leave(callId: string, now: number): string[] {
    const w = this.waiting.get(callId)
    if (!w) return []
    this.waiting.delete(callId)
    const canceled = [...w.ringing]
    for (const id of canceled) {
      const a = this.agents.get(id)
      if (a && a.activity === 'ringing' && a.callId === callId) this.toIdle(a, now)
    }
    return canceled
  }

  // ---- decisions -----------------------------------------------------------

  /**
   * Pair waiting callers with free agents. Callers are taken in one line across all
   * queues, highest priority first and then longest waiting, so an agent in several
   * queues always gets the caller who has waited longest. The chosen agents are
   * marked ringing before this returns.
   */
  dispatch(now: number): Offer[] {
    const offers: Offer[] = []
    const callers = [...this.waiting.values()].filter((w) => w.ringing.size === 0).sort(byPlace)
    for (const w of callers) {
      const q = this.queues.get(w.queue)
      if (!q) continue
      let free = this.freeMembers(w.queue).filter((a) => !w.tried.has(a.id))
      if (free.length === 0 && w.tried.size > 0) {
        // Everyone free has missed this caller once: start another round.
        free = this.freeMembers(w.queue)
        if (free.length > 0) w.tried.clear()
      }
      if (free.length === 0) continue
      const agent = pickLongestIdle(free)
      this.reserve(agent, w, now)
      offers.push({callId: w.callId, queue: w.queue, agentId: agent.id})
    }
    return offers
  }

  private freeMembers(queue: string): AgentRuntime[] {
    const out: AgentRuntime[] = []
    for (const a of this.agents.values()) if (a.presence === 'available' && a.activity === 'idle' && a.queues.has(queue)) out.push(a)
    return out
  }

  private reserve(a: AgentRuntime, w: WaitingCaller, now: number): void {
    a.activity = 'ringing'
    a.activitySince = now
    a.callId = w.callId
    a.callQueue = w.queue
    w.ringing.add(a.id)
  }

  // ---- outcomes ------------------------------------------------------------

  /** The agent answered: the caller leaves the line and the agent is on the call. */
  answered(callId: string, agentId: string, now: number): {waitMs: number; others: string[]} {
    const w = this.waiting.get(callId)
    const a = this.mustAgent(agentId)
    if (!w || a.callId !== callId || a.activity !== 'ringing') throw new Error(`answer for a ring that is not live: ${callId} ${agentId}`)
    w.ringing.delete(agentId)
    const others = this.leave(callId, now)
    a.activity = 'on-call'
    a.activitySince = now
    a.callId = callId
    a.missedRings = 0
    return {waitMs: now - w.joinedAt, others}
  }

  /** A ring ended without an answer. The agent is free again; the caller keeps its place. */
  ringEnded(callId: string, agentId: string, outcome: RingOutcome, now: number): void {
    const a = this.agents.get(agentId)
    if (a && a.activity === 'ringing' && a.callId === callId) {
      if (outcome === 'no-answer') a.missedRings++
      this.toIdle(a, now)
    }
    const w = this.waiting.get(callId)
    if (w) {
      w.ringing.delete(agentId)
      if (outcome !== 'canceled') w.tried.add(agentId)
    }
  }

  /** A connected call ended. Returns the wrap-up seconds the agent now owes (0: idle at once). */
  callEnded(agentId: string, talkMs: number, now: number): number {
    const a = this.agents.get(agentId)
    if (!a || a.activity !== 'on-call') return 0
    a.callsTaken++
    a.talkMs += talkMs
    const wrapUp = (a.callQueue ? this.queues.get(a.callQueue)?.wrapUp : undefined) ?? 0
    a.callId = null
    a.callQueue = null
    if (wrapUp > 0) {
      a.activity = 'wrap-up'
      a.activitySince = now
      a.idleSince = now
      return wrapUp
    }
    this.toIdle(a, now)
    a.idleSince = now
    return 0
  }

  endWrapUp(agentId: string, now: number): boolean {
    const a = this.agents.get(agentId)
    if (!a || a.activity !== 'wrap-up') return false
    this.toIdle(a, now)
    return true
  }

  private toIdle(a: AgentRuntime, now: number): void {
    a.activity = 'idle'
    a.activitySince = now
    a.callId = null
    a.callQueue = null
  }

  private mustAgent(id: string): AgentRuntime {
    const a = this.agents.get(id)
    if (!a) throw new Error(`unknown agent ${id}`)
    return a
  }

  // ---- views ---------------------------------------------------------------

  agentState(a: AgentRuntime): AgentState {
    if (a.activity !== 'idle') return a.activity
    if (a.presence === 'offline') return 'offline'
    if (a.presence === 'paused') return 'paused'
    return 'idle'
  }

  agentView(a: AgentRuntime): AgentView {
    const state = this.agentState(a)
    return {
      id: a.id,
      name: a.name,
      endpoint: a.endpoint,
      state,
      since: a.activity !== 'idle' ? a.activitySince : Math.max(a.presenceSince, a.activitySince),
      pauseReason: a.pauseReason,
      callId: a.callId,
      queues: Object.fromEntries(a.queues),
      callsTaken: a.callsTaken,
      talkMs: a.talkMs,
      missedRings: a.missedRings,
    }
  }

  queueView(name: string): QueueView | undefined {
    const settings = this.queues.get(name)
    if (!settings) return undefined
    const waiting = [...this.waiting.values()]
      .filter((w) => w.queue === name)
      .sort(byPlace)
      .map((w) => ({callId: w.callId, number: w.number, priority: w.priority, joinedAt: w.joinedAt, ringing: [...w.ringing]}))
    let available = 0
    let busy = 0
    let loggedIn = 0
    for (const a of this.agents.values()) {
      if (!a.queues.has(name) || a.presence === 'offline') continue
      loggedIn++
      if (a.activity !== 'idle') busy++
      else if (a.presence === 'available') available++
    }
    return {name, settings, waiting, agents: {available, busy, loggedIn}}
  }
}

function before(a: WaitingCaller, b: WaitingCaller): boolean {
  return byPlace(a, b) < 0
}

function byPlace(a: WaitingCaller, b: WaitingCaller): number {
  return b.priority - a.priority || a.joinedAt - b.joinedAt || a.seq - b.seq
}

function pickLongestIdle(free: AgentRuntime[]): AgentRuntime {
  let best = free[0]!
  for (const a of free) if (a.idleSince < best.idleSince || (a.idleSince === best.idleSince && a.id < best.id)) best = a
  return best
}
