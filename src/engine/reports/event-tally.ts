import type {EventType, NewEvent} from '../store/events.js'
import {countAbandoned, countAnswered, countExited, countHandled, countOffered, countSystemEnded, DEFAULT_SL, emptyTally, type SlSettings, type Tally} from './metrics.js'

/** The SL settings of a queue (T, formula, short abandon), from its configuration. */
export type SlLookup = (queue: string) => SlSettings

export interface AgentTimes {
  /** Milliseconds logged in, paused (by reason) and busy, counted as the events go. */
  loggedInMs: number
  pausedMs: number
  pausedByReason: Record<string, number>
  /**
   * Logged in and not paused, but the phone unregistered or not answering: offered no
   * call through no choice of the agent's. Counted apart from pauses (a pause is chosen).
   */
  unreachableMs: number
  /**
   * Measured, not derived: milliseconds logged in and not paused spent working (connected
   * on a call, hold included, or in wrap-up), and spent neither working nor unreachable.
   * Work while logged out or paused is in neither: occupancy's numerator is workMs.
   */
  workMs: number
  idleMs: number
  missedRings: number
  outbound: number
  /** Post-call survey answers given on this agent's calls, and their scores summed. */
  surveys: number
  surveyTotal: number
}

/** Queue counts beyond the metric tally: callbacks and overflow. */
export interface QueueExtras {
  callbacksRequested: number
  /** Callbacks where the customer was reached and connected to an agent. */
  callbacksCompleted: number
  /** Callers sent on to another queue by this queue's overflow, and callers that arrived by one. */
  overflowedOut: number
  overflowedIn: number
}

/** call.completed's talkMs runs from connect to hang-up, hold included; the metrics count hold apart. */
export function talkWithoutHold(d: Record<string, unknown>): number {
  // The engine's talkMs already leaves hold out.
  return Math.max(0, Number(d.talkMs ?? 0))
}

type OpenSpans = {
  loginAt: number | null
  pauseAt: number | null
  reason: string | null
  wrapAt: number | null
  wrapQueue: string | null
  phoneDown: boolean
  unreachAt: number | null
  /** Calls the agent is connected on (call.connected without its call.completed yet). */
  calls: Set<string>
  /** Up to when the agent's time has been counted as work or idle (mark). */
  markAt: number | null
}

/** An agent's presence at a time is its last of these before it (interval-tally's presenceAt). */
export const PRESENCE: readonly EventType[] = ['agent.login', 'agent.logout', 'agent.paused', 'agent.unpaused']
/** Its phone's state is its last of these. */
export const PHONE_STATE: readonly EventType[] = ['agent.unreachable', 'agent.reachable']
/** An agent's call at a time is its last of these before it (interval-tally's callsOpenAt). */
export const CALL_STATE: readonly EventType[] = ['call.connected', 'call.completed']

/** Events after which an agent may be working, idle or off duty where it was not before. */
const STATE_CHANGES: ReadonlySet<string> = new Set<EventType>([...CALL_STATE, 'agent.wrapup_started', 'agent.wrapup_ended', ...PRESENCE, ...PHONE_STATE])

/**
 * Folds the event log into per-queue and per-agent tallies, one event at a time, the
 * same way for a live dashboard and for a report over any period. Which event counts as
 * what is decided here and only here.
 */
export class EventTally {
  readonly queues = new Map<string, Tally>()
  readonly agents = new Map<string, Tally>()
  readonly agentTimes = new Map<string, AgentTimes>()
  readonly queueExtras = new Map<string, QueueExtras>()
  /** Open login / pause / wrap-up spans per agent. */
  private readonly open = new Map<string, OpenSpans>()
  /** Queue visits still in line (call id → queue), seen entering in this tally or carried into it. */
  private readonly inLine = new Map<string, string>()

  constructor(private readonly sl: SlLookup = () => DEFAULT_SL) {}

  queue(name: string): Tally {
    let t = this.queues.get(name)
    if (!t) this.queues.set(name, (t = emptyTally()))
    return t
  }

  agent(id: string): Tally {
    let t = this.agents.get(id)
    if (!t) this.agents.set(id, (t = emptyTally()))
    return t
  }

  times(id: string): AgentTimes {
    let t = this.agentTimes.get(id)
    if (!t) this.agentTimes.set(id, (t = {loggedInMs: 0, pausedMs: 0, pausedByReason: {}, unreachableMs: 0, workMs: 0, idleMs: 0, missedRings: 0, outbound: 0, surveys: 0, surveyTotal: 0}))
    return t
  }

  extras(queue: string): QueueExtras {
    let x = this.queueExtras.get(queue)
    if (!x) this.queueExtras.set(queue, (x = {callbacksRequested: 0, callbacksCompleted: 0, overflowedOut: 0, overflowedIn: 0}))
    return x
  }

  private spans(id: string) {
    let s = this.open.get(id)
    if (!s) this.open.set(id, (s = {loginAt: null, pauseAt: null, reason: null, wrapAt: null, wrapQueue: null, phoneDown: false, unreachAt: null, calls: new Set(), markAt: null}))
    return s
  }

  apply(e: Pick<NewEvent, 'type' | 'ts' | 'queue' | 'agent' | 'data'> & {callId?: string | null}): void {
    const d = e.data ?? {}
    const q = e.queue ?? null
    const a = e.agent ?? null
    const id = e.callId ?? null
    // The time up to this event is counted in the state the agent was in until it.
    if (a && STATE_CHANGES.has(e.type)) this.mark(a, e.ts)
    if (e.type === 'engine.stopped') for (const agent of this.open.keys()) this.mark(agent, e.ts)
    switch (e.type) {
      case 'queue.entered':
        // A call entering a queue while still in another's line has left that one.
        if (id && this.inLine.has(id)) this.leaveLine(id, 'exited')
        if (q) countOffered(this.queue(q))
        if (q && id) this.joinLine(id, q)
        if (q && d.overflowFrom) this.extras(q).overflowedIn++
        break
      case 'queue.exited':
        if (q && d.action === 'queue' && d.to) this.extras(q).overflowedOut++
        // A callback keeps the caller's place: the visit goes on until the callback connects or fails.
        if (d.action === 'callback') break
        // Turned away at the door (position 0) is no visit: it was never offered.
        if (id && this.inLine.get(id) === q) this.leaveLine(id, 'exited')
        else if (q && Number(d.position ?? 0) > 0) countExited(this.queue(q))
        break
      case 'callback.requested':
        if (q) this.extras(q).callbacksRequested++
        break
      case 'callback.failed':
        if (id && this.inLine.has(id)) this.leaveLine(id, 'exited')
        else if (q) countExited(this.queue(q))
        break
      case 'queue.system_ended':
        if (id && this.inLine.has(id)) this.leaveLine(id, 'system')
        else if (q) countSystemEnded(this.queue(q))
        break
      case 'call.ended':
        // Any other way out of the line (the caller left the engine some other way) is an exit.
        if (id && this.inLine.has(id)) this.leaveLine(id, 'exited')
        break
      case 'survey.answered':
        if (a && Number.isFinite(Number(d.score))) {
          this.times(a).surveys++
          this.times(a).surveyTotal += Number(d.score)
        }
        break
      case 'call.connected':
        // A transfer's connect is the same visit's second agent: the queue answered it once.
        if (q && d.outbound !== true && d.transfer === undefined) {
          if (id) this.leaveLine(id, null)
          countAnswered(this.queue(q), Number(d.waitMs ?? 0), this.sl(q))
        }
        if (a && q) countAnswered(this.agent(a), Number(d.waitMs ?? 0), this.sl(q))
        if (q && d.callback === true) this.extras(q).callbacksCompleted++
        if (a && id) {
          // One call at a time: a call the log never completed for this agent is over by now.
          const s = this.spans(a)
          s.calls.clear()
          s.calls.add(id)
        }
        break
      case 'queue.abandoned':
        if (id) this.leaveLine(id, null)
        if (q) countAbandoned(this.queue(q), Number(d.waitMs ?? 0), this.sl(q))
        break
      case 'call.completed': {
        const talk = talkWithoutHold(d)
        const hold = Number(d.holdMs ?? 0)
        if (q) countHandled(this.queue(q), talk, hold, 0)
        if (a) {
          countHandled(this.agent(a), talk, hold, 0)
          if (d.outbound === true) this.times(a).outbound++
          if (id) this.spans(a).calls.delete(id)
          else this.spans(a).calls.clear()
        }
        break
      }
      case 'agent.wrapup_started':
        if (a) Object.assign(this.spans(a), {wrapAt: e.ts, wrapQueue: q})
        break
      case 'agent.wrapup_ended':
        if (a) this.closeWrapUp(a, e.ts)
        break
      case 'engine.stopped':
        // Nobody times a wrap-up while no engine runs, and no wrapup_ended follows for it:
        // the demo's stop left its agents "in wrap-up" until the report's end (20 h of
        // wrap-up, AHT 71,915 s). Logins and pauses stay open: they outlive the engine.
        for (const id of this.open.keys()) this.closeWrapUp(id, e.ts)
        break
      case 'agent.ring_noanswer':
        if (a) this.times(a).missedRings++
        break
      case 'agent.login':
        if (a) {
          this.spans(a).loginAt ??= e.ts
          this.unreachable(a, e.ts)
        }
        break
      case 'agent.logout':
        if (a) {
          this.closePause(a, e.ts)
          this.closeLogin(a, e.ts)
          this.unreachable(a, e.ts)
        }
        break
      case 'agent.paused':
        if (a) {
          this.closePause(a, e.ts)
          const s = this.spans(a)
          s.loginAt ??= e.ts
          s.pauseAt = e.ts
          s.reason = String(d.reason ?? '') || 'unspecified'
          this.unreachable(a, e.ts)
        }
        break
      case 'agent.unpaused':
        if (a) {
          this.closePause(a, e.ts)
          this.unreachable(a, e.ts)
        }
        break
      case 'agent.unreachable':
      case 'agent.reachable':
        if (a) {
          this.spans(a).phoneDown = e.type === 'agent.unreachable'
          this.unreachable(a, e.ts)
        }
        break
      default:
        break
    }
  }

  /** Opens or closes the agent's unreachable span: it runs while logged in, not paused, and the phone is down. */
  private unreachable(a: string, at: number, keepOpen = false): void {
    const s = this.spans(a)
    const down = s.loginAt !== null && s.pauseAt === null && s.phoneDown
    if (s.unreachAt !== null && (!down || keepOpen)) {
      this.times(a).unreachableMs += Math.max(0, at - s.unreachAt)
      s.unreachAt = down && keepOpen ? at : null
    } else if (s.unreachAt === null && down) s.unreachAt = at
  }

  /**
   * Counts the agent's time since its last mark up to `at` by the state it was in: logged
   * in, not paused and connected or in wrap-up is work; logged in, not paused, not working
   * and the phone up is idle; anything else (logged out, paused, unreachable) is neither.
   * Both are measured, so work done while logged out or paused adds to neither, and idle
   * is never a remainder that such work can eat (misuse report 21, finding 7).
   */
  private mark(a: string, at: number): void {
    const s = this.spans(a)
    if (s.markAt !== null && at > s.markAt && s.loginAt !== null && s.pauseAt === null) {
      const t = this.times(a)
      if (s.calls.size > 0 || s.wrapAt !== null) t.workMs += at - s.markAt
      else if (!s.phoneDown) t.idleMs += at - s.markAt
    }
    if (s.markAt === null || at > s.markAt) s.markAt = at
  }

  /**
   * The agent's work and idle time (AgentTimes.workMs, idleMs) with its current state
   * counted up to `now`: what a live view shows.
   */
  dutyUpTo(agent: string, now: number): {workMs: number; idleMs: number} {
    const t = this.agentTimes.get(agent)
    const out = {workMs: t?.workMs ?? 0, idleMs: t?.idleMs ?? 0}
    const s = this.open.get(agent)
    if (s && s.markAt !== null && now > s.markAt && s.loginAt !== null && s.pauseAt === null) {
      if (s.calls.size > 0 || s.wrapAt !== null) out.workMs += now - s.markAt
      else if (!s.phoneDown) out.idleMs += now - s.markAt
    }
    return out
  }

  /** Ends the open spans at `at` (the end of a report's period, or now for a live view). */
  closeAll(at: number): void {
    for (const id of this.open.keys()) {
      this.mark(id, at)
      this.unreachable(id, at, true)
      this.closeWrapUp(id, at)
      this.closePause(id, at, true)
      this.closeLogin(id, at, true)
    }
  }

  /**
   * Ends this tally's interval at `at` and returns the next interval's tally, the spans
   * still open (logged in, paused, in wrap-up) carried over: time in a state is split at
   * interval boundaries, so each interval gets its own share.
   */
  split(at: number): EventTally {
    const next = new EventTally(this.sl)
    for (const [id, s] of this.open) {
      this.mark(id, at)
      const carried: OpenSpans = {
        loginAt: s.loginAt === null ? null : at,
        pauseAt: s.pauseAt === null ? null : at,
        reason: s.reason,
        wrapAt: s.wrapAt === null ? null : at,
        wrapQueue: s.wrapQueue,
        phoneDown: s.phoneDown,
        unreachAt: s.unreachAt === null ? null : at,
        calls: new Set(s.calls),
        markAt: s.markAt === null ? null : at,
      }
      if (s.unreachAt !== null) this.times(id).unreachableMs += Math.max(0, at - s.unreachAt)
      this.closeWrapUp(id, at)
      this.closePause(id, at)
      this.closeLogin(id, at)
      next.open.set(id, carried)
    }
    // Callers in line at the split stay in this tally's `waiting` and are waiting in the next.
    for (const [id, q] of this.inLine) next.joinLine(id, q)
    return next
  }

  private joinLine(id: string, q: string): void {
    this.inLine.set(id, q)
    this.queue(q).waiting++
  }

  /** The visit leaves the line; `as` counts how it finished (null: the caller counts it itself). */
  private leaveLine(id: string, as: 'exited' | 'system' | null): void {
    const q = this.inLine.get(id)
    if (q === undefined) return
    this.inLine.delete(id)
    const t = this.queue(q)
    t.waiting--
    if (as === 'exited') countExited(t)
    else if (as === 'system') countSystemEnded(t)
  }

  /** An agent's spans still open (logged in, paused, in wrap-up): a live view counts them up to now. */
  openSpans(agent: string): Readonly<{loginAt: number | null; pauseAt: number | null; wrapAt: number | null}> | undefined {
    return this.open.get(agent)
  }

  /** Agents with a span open. */
  openAgents(): string[] {
    return [...this.open.keys()].filter((id) => this.hasOpenSpan(id))
  }

  hasOpenSpan(agent: string): boolean {
    const s = this.open.get(agent)
    return !!s && (s.loginAt !== null || s.pauseAt !== null || s.wrapAt !== null)
  }

  /** Starts the period with spans already open before it (login, pause) at `at`. */
  openAt(agent: string, at: number, state: {loggedIn: boolean; pausedReason: string | null; phoneDown?: boolean}): void {
    this.mark(agent, at)
    const s = this.spans(agent)
    if (state.loggedIn) s.loginAt = at
    if (state.pausedReason !== null) {
      s.pauseAt = at
      s.reason = state.pausedReason
    }
    s.phoneDown = state.phoneDown ?? false
    this.unreachable(agent, at)
  }

  /** Starts the period with the agent connected on a call that began before it (callsOpenAt). */
  openCall(agent: string, at: number, callId: string): void {
    const s = this.spans(agent)
    this.mark(agent, at)
    s.calls.add(callId)
  }

  private closeWrapUp(a: string, at: number): void {
    const s = this.spans(a)
    if (s.wrapAt === null) return
    const ms = Math.max(0, at - s.wrapAt)
    this.agent(a).wrapUpMs += ms
    if (s.wrapQueue) this.queue(s.wrapQueue).wrapUpMs += ms
    s.wrapAt = null
    s.wrapQueue = null
  }

  private closePause(a: string, at: number, keepOpen = false): void {
    const s = this.spans(a)
    if (s.pauseAt === null) return
    const ms = Math.max(0, at - s.pauseAt)
    const t = this.times(a)
    t.pausedMs += ms
    const reason = s.reason ?? 'unspecified'
    t.pausedByReason[reason] = (t.pausedByReason[reason] ?? 0) + ms
    s.pauseAt = keepOpen ? at : null
  }

  private closeLogin(a: string, at: number, keepOpen = false): void {
    const s = this.spans(a)
    if (s.loginAt === null) return
    this.times(a).loggedInMs += Math.max(0, at - s.loginAt)
    s.loginAt = keepOpen ? at : null
  }
}
