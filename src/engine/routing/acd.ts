import type {AgentState, PresenceStatus, QueueSettings} from '../model.js'
import {IndexedHeap, type HeapItem} from './heap.js'
import {NO_REQUIREMENT, parseSkillRequirement, type SkillRequirement} from './skills.js'
import {chooseAgents, type Candidate} from './strategies.js'

// Automatic call distribution: who waits, who is free, who gets which caller. Pure
// state and decisions, no I/O; every method takes `now` so tests drive time.
//
// Order of decisions for one caller: (1) the agent it is held for (last-agent
// preference), else (2) the lowest penalty tier with a free matching agent, (3) the
// best skill score in that tier, (4) the queue's strategy. Across callers: priority
// first, then the time they joined, in one line over all queues, so an agent serving
// several queues always takes the caller who has waited longest.

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
  /** Totals since the engine started (the engine seeds them from today's log). */
  callsTaken: number
  talkMs: number
  /** Calls and talk since midnight UTC, for fewest-calls and least-talk. */
  day: number
  callsToday: number
  talkMsToday: number
  /** Rings missed in a row (unanswered or failed at once); reset by an answered call. */
  missedRings: number
  /** Rings in a row that failed at once (phone unreachable, busy, Asterisk not answering). */
  failedRings: number
  /** Not offered calls before this time (backing off a failing phone); null when not backing off. */
  backoffUntil: number | null
  /** Why the last ring failed, shown while backing off. */
  backoffReason: string | null
  /**
   * The phone as Asterisk reports it (agents on SIP phones; simulated ones are always
   * reachable): unreachable when not registered or not answering qualify pings. Never
   * offered a call then, like app_queue skipping an unavailable member.
   */
  reachable: boolean
  /** Why unreachable ("not registered", "no answer to qualify"), and since when. */
  unreachableReason: string | null
  reachSince: number
  /** The phone is on a call the engine did not place, or rings elsewhere (app_queue's ringinuse=no). */
  otherCall: boolean
  otherCallSince: number
  /** The agent's chats leave no room for a call under the capacity rule (capacity.ts; the chat router sets it). */
  chatsBlockCalls: boolean
}

export interface WaitingCaller extends HeapItem {
  callId: string
  queue: string
  number: string
  priority: number
  /** The caller's place in line (kept across resume, callback and overflow). */
  joinedAt: number
  /** When it joined this queue (for maxWait and skill steps). */
  queuedAt: number
  seq: number
  /** Requirement from the IVR, replacing the queue's own. */
  baseRequirement: SkillRequirement | null
  requirement: SkillRequirement
  stepIndex: number
  /** Held for this agent (last-agent preference) until preferUntil. */
  preferredAgent: string | null
  preferUntil: number
  /** Not routable before this time (callback retry back-off). */
  notBefore: number
  kind: 'caller' | 'callback'
  /** Agents ringing for this caller now. */
  ringing: Set<string>
  /** Agents that missed this caller, and until when they are skipped for it. */
  tried: Map<string, number>
  group: Group | null
}

export interface Group {
  key: string
  requirement: SkillRequirement
  heap: IndexedHeap<WaitingCaller>
}

interface QueueState {
  name: string
  settings: QueueSettings
  requirement: SkillRequirement
  steps: {afterMs: number; requirement: SkillRequirement}[]
  groups: Map<string, Group>
  /** Members by agent id, with their penalty and the order they joined (for linear and round-robin). */
  members: Map<string, {penalty: number; order: number}>
  free: Set<AgentRuntime>
  memberSeq: number
  rrLast: number
  waiting: number
}

export interface Offer {
  callId: string
  queue: string
  agentId: string
  kind: 'caller' | 'callback'
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
  skills: Record<string, number>
  callsTaken: number
  callsToday: number
  talkMs: number
  missedRings: number
  /** Backing off a phone whose rings fail at once: no call is offered before this time. */
  backoffUntil: number | null
  /** Why the agent gets no calls, when that is not plain from its state (backoff, automatic pause). */
  why: string | null
}

export interface QueueView {
  name: string
  settings: QueueSettings
  waiting: {callId: string; number: string; priority: number; joinedAt: number; kind: string; ringing: string[]}[]
  /** Logged-in members by state: idle (free for a call), busy (ringing, on a call, in wrap-up), paused. */
  agents: {idle: number; busy: number; paused: number; loggedIn: number}
}

/** Seconds a missed agent is skipped for the same caller (app_queue's "retry"). */
const RETRY_SAME_AGENT_MS = 5000

// A ring that fails at once (allocation failed, busy, unreachable, Asterisk not answering)
// frees the agent at once: without a pause, a dead phone was rung again within
// milliseconds, about twice a second for as long as callers waited. Each failure in a row
// doubles the agent's pause from offers, up to a minute, with jitter so agents that failed
// together (Asterisk overloaded) do not all come back in the same instant.
export const FAILED_RING_BACKOFF_MS = 1000
export const FAILED_RING_BACKOFF_MAX_MS = 60_000

/** The back-off after the n-th failed ring in a row (n >= 1), jitter from random() in [0, 1). */
export function failedRingBackoffMs(n: number, random: () => number): number {
  const base = Math.min(FAILED_RING_BACKOFF_MAX_MS, FAILED_RING_BACKOFF_MS * 2 ** Math.min(20, n - 1))
  return Math.round(base * (0.8 + 0.4 * random()))
}

interface Wake extends HeapItem {
  at: number
  caller: WaitingCaller | null
  agent?: AgentRuntime
  kind: 'sticky' | 'step' | 'tried' | 'retry' | 'backoff'
}

export interface AcdOptions {
  random?: () => number
}

export class Acd {
  readonly queues = new Map<string, QueueSettings>()
  readonly agents = new Map<string, AgentRuntime>()
  readonly waiting = new Map<string, WaitingCaller>()
  private readonly qs = new Map<string, QueueState>()
  private readonly free = new Set<AgentRuntime>()
  private readonly sticky = new Map<string, Set<WaitingCaller>>()
  /** Callers in the sticky sets: when none, dispatch skips the walk over free agents. */
  private held = 0
  // After dispatch no free agent can serve any routable caller. Until the next one, only
  // agents that became free and callers that became routable can form a new pair, so
  // dispatch looks at these and not at every idle agent or every waiting caller.
  private readonly newlyFree = new Set<AgentRuntime>()
  private readonly newlyRoutable = new Set<WaitingCaller>()
  private readonly wakes = new IndexedHeap<Wake>((a, b) => a.at < b.at)
  private routable = 0
  private seq = 0
  private readonly random: () => number

  constructor(opts: AcdOptions = {}) {
    this.random = opts.random ?? Math.random
  }

  // ---- configuration -------------------------------------------------------

  setQueue(name: string, settings: QueueSettings, now: number): void {
    this.queues.set(name, settings)
    let q = this.qs.get(name)
    const requirement = parseSkillRequirement(settings.requiredSkills)
    const steps = [...settings.skillSteps].sort((a, b) => a.after - b.after).map((s) => ({afterMs: s.after * 1000, requirement: parseSkillRequirement(s.require)}))
    if (!q) {
      q = {name, settings, requirement, steps, groups: new Map(), members: new Map(), free: new Set(), memberSeq: 0, rrLast: -1, waiting: 0}
      this.qs.set(name, q)
      for (const a of this.agents.values()) {
        if (!a.queues.has(name)) continue
        this.addMember(q, a)
        this.refreshFree(a)
      }
      return
    }
    q.settings = settings
    q.requirement = requirement
    q.steps = steps
    for (const a of this.free) this.newlyFree.add(a)
    // Requirements may have changed: regroup the callers waiting here.
    for (const w of this.waiting.values()) if (w.queue === name) this.regroup(w, this.currentRequirement(w, q, now), now)
  }

  /** Removes a queue; its callers leave the line and agents ringing for them are freed. */
  removeQueue(name: string, now: number): WaitingCaller[] {
    const left = [...this.waiting.values()].filter((w) => w.queue === name)
    for (const w of left) {
      this.drop(w)
      for (const id of w.ringing) {
        const a = this.agents.get(id)
        if (a && a.activity === 'ringing' && a.callId === w.callId) this.toIdle(a, now)
      }
    }
    this.queues.delete(name)
    this.qs.delete(name)
    for (const a of this.agents.values()) a.queues.delete(name)
    return left
  }

  /** Adds the agent (offline) or updates its endpoint, name, skills and queues, keeping its state. */
  setAgent(a: {id: string; name: string; endpoint: string; queues: Record<string, number>; skills: Record<string, number>}, now: number): AgentRuntime {
    let rt = this.agents.get(a.id)
    if (!rt) {
      rt = {
        id: a.id,
        name: a.name,
        endpoint: a.endpoint,
        queues: new Map(),
        skills: {},
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
        day: dayOf(now),
        callsToday: 0,
        talkMsToday: 0,
        missedRings: 0,
        failedRings: 0,
        backoffUntil: null,
        backoffReason: null,
        reachable: true,
        unreachableReason: null,
        reachSince: now,
        otherCall: false,
        otherCallSince: now,
        chatsBlockCalls: false,
      }
      this.agents.set(a.id, rt)
    }
    rt.name = a.name
    rt.endpoint = a.endpoint
    rt.skills = {...a.skills}
    for (const name of [...rt.queues.keys()]) {
      if (!Object.hasOwn(a.queues, name)) {
        rt.queues.delete(name)
        const q = this.qs.get(name)
        if (q) {
          q.members.delete(rt.id)
          q.free.delete(rt)
        }
      }
    }
    for (const [name, penalty] of Object.entries(a.queues)) {
      rt.queues.set(name, penalty)
      const q = this.qs.get(name)
      if (q) this.addMember(q, rt)
    }
    this.refreshFree(rt)
    return rt
  }

  private addMember(q: QueueState, a: AgentRuntime): void {
    const penalty = a.queues.get(q.name) ?? 0
    const m = q.members.get(a.id)
    if (m) m.penalty = penalty
    else q.members.set(a.id, {penalty, order: q.memberSeq++})
  }

  removeAgent(id: string): void {
    const a = this.agents.get(id)
    if (!a) return
    this.free.delete(a)
    this.newlyFree.delete(a)
    for (const q of this.qs.values()) {
      q.members.delete(id)
      q.free.delete(a)
    }
    this.agents.delete(id)
  }

  // ---- presence ------------------------------------------------------------

  setPresence(id: string, presence: PresenceStatus, reason: string | null, now: number): void {
    const a = this.mustAgent(id)
    if (a.presence === presence && a.pauseReason === (presence === 'paused' ? reason : null)) return
    const wasOffline = a.presence === 'offline'
    a.presence = presence
    a.pauseReason = presence === 'paused' ? reason : null
    a.presenceSince = now
    // Logging in starts the idle clock; unpausing does not reset it (the agent was not working).
    if (wasOffline && presence !== 'offline' && a.activity === 'idle') {
      a.idleSince = now
      a.activitySince = now
    }
    // A person logging in or unpausing has looked at the phone: offer it a call again now.
    if (presence === 'available') this.clearBackoff(a)
    this.refreshFree(a)
  }

  /** The phone's registration changed; returns whether anything did. Back to reachable clears a failing phone's back-off. */
  setReachable(id: string, reachable: boolean, reason: string | null, now: number): boolean {
    const a = this.agents.get(id)
    if (!a || (a.reachable === reachable && a.unreachableReason === (reachable ? null : reason))) return false
    if (a.reachable !== reachable) a.reachSince = now
    a.reachable = reachable
    a.unreachableReason = reachable ? null : reason
    if (reachable) this.clearBackoff(a)
    this.refreshFree(a)
    return true
  }

  /** The phone is busy on a call the engine did not place (or not any more); returns whether it changed. */
  setOtherCall(id: string, inUse: boolean, now: number): boolean {
    const a = this.agents.get(id)
    if (!a || a.otherCall === inUse) return false
    a.otherCall = inUse
    a.otherCallSince = now
    this.refreshFree(a)
    return true
  }

  /** The agent's chats leave room for a call or not (the capacity rule); returns whether it changed. */
  setChatsBlockCalls(id: string, blocked: boolean): boolean {
    const a = this.agents.get(id)
    if (!a || a.chatsBlockCalls === blocked) return false
    a.chatsBlockCalls = blocked
    this.refreshFree(a)
    return true
  }

  /** The agent's penalty and join order in a queue (linear and round-robin follow the order), for routing chats on the same queues. */
  membership(queue: string, agentId: string): {penalty: number; order: number} | undefined {
    return this.qs.get(queue)?.members.get(agentId)
  }

  /** Agents logged in (available or paused) to the queue. */
  loggedIn(queue: string): number {
    const q = this.qs.get(queue)
    if (!q) return 0
    let n = 0
    for (const id of q.members.keys()) if (this.agents.get(id)?.presence !== 'offline') n++
    return n
  }

  private refreshFree(a: AgentRuntime): void {
    const isFree = a.presence === 'available' && a.activity === 'idle' && a.backoffUntil === null && a.reachable && !a.otherCall && !a.chatsBlockCalls && this.agents.get(a.id) === a
    if (isFree) {
      this.free.add(a)
      this.newlyFree.add(a)
    } else {
      this.free.delete(a)
      this.newlyFree.delete(a)
    }
    for (const [name] of a.queues) {
      const q = this.qs.get(name)
      if (!q) continue
      if (isFree) q.free.add(a)
      else q.free.delete(a)
    }
  }

  // ---- callers -------------------------------------------------------------

  enqueue(
    c: {callId: string; queue: string; number: string; priority?: number; joinedAt?: number; requiredSkills?: string | null; preferredAgent?: string | null; kind?: 'caller' | 'callback'; notBefore?: number},
    now: number,
  ): WaitingCaller {
    const q = this.qs.get(c.queue)
    if (!q) throw new Error(`enqueue into unknown queue ${c.queue}`)
    if (this.waiting.has(c.callId)) throw new Error(`call ${c.callId} is already waiting`)
    const base = c.requiredSkills ? parseSkillRequirement(c.requiredSkills) : null
    const w: WaitingCaller = {
      heapIndex: -1,
      callId: c.callId,
      queue: c.queue,
      number: c.number,
      priority: c.priority ?? 0,
      joinedAt: c.joinedAt ?? now,
      queuedAt: now,
      seq: this.seq++,
      baseRequirement: base,
      requirement: NO_REQUIREMENT,
      stepIndex: -1,
      preferredAgent: null,
      preferUntil: 0,
      notBefore: c.notBefore ?? 0,
      kind: c.kind ?? 'caller',
      ringing: new Set(),
      tried: new Map(),
      group: null,
    }
    this.waiting.set(c.callId, w)
    q.waiting++
    w.requirement = this.currentRequirement(w, q, now)
    const preferred = c.preferredAgent ? this.agents.get(c.preferredAgent) : undefined
    if (preferred && preferred.presence !== 'offline' && preferred.queues.has(c.queue) && q.settings.lastAgentWait > 0) {
      w.preferredAgent = preferred.id
      w.preferUntil = now + q.settings.lastAgentWait * 1000
      this.addWake(w, w.preferUntil, 'sticky')
    }
    if (w.notBefore > now) this.addWake(w, w.notBefore, 'retry')
    this.scheduleNextStep(w, q)
    this.place(w, now)
    return w
  }

  /** Where the caller belongs now: a routing group, the sticky set of its agent, or nowhere. */
  private place(w: WaitingCaller, now: number): void {
    this.unplace(w)
    if (w.ringing.size > 0 || w.notBefore > now) return
    if (w.preferredAgent && w.preferUntil > now) {
      let set = this.sticky.get(w.preferredAgent)
      if (!set) this.sticky.set(w.preferredAgent, (set = new Set()))
      set.add(w)
      this.held++
      return
    }
    const q = this.qs.get(w.queue)!
    let g = q.groups.get(w.requirement.key)
    if (!g) {
      g = {key: w.requirement.key, requirement: w.requirement, heap: new IndexedHeap(before)}
      q.groups.set(g.key, g)
    }
    g.heap.push(w)
    w.group = g
    this.routable++
    this.newlyRoutable.add(w)
  }

  private unplace(w: WaitingCaller): void {
    if (w.group) {
      w.group.heap.remove(w)
      const q = this.qs.get(w.queue)
      if (q && w.group.heap.size === 0) q.groups.delete(w.group.key)
      w.group = null
      this.routable--
      this.newlyRoutable.delete(w)
    }
    if (w.preferredAgent && this.sticky.get(w.preferredAgent)?.delete(w)) this.held--
  }

  private regroup(w: WaitingCaller, requirement: SkillRequirement, now: number): void {
    w.requirement = requirement
    if (w.group) this.place(w, now)
  }

  private currentRequirement(w: WaitingCaller, q: QueueState, now: number): SkillRequirement {
    let req = w.baseRequirement ?? q.requirement
    let idx = -1
    q.steps.forEach((s, i) => {
      if (now - w.queuedAt >= s.afterMs) {
        req = s.requirement
        idx = i
      }
    })
    w.stepIndex = idx
    return req
  }

  private scheduleNextStep(w: WaitingCaller, q: QueueState): void {
    const next = q.steps[w.stepIndex + 1]
    if (next) this.addWake(w, w.queuedAt + next.afterMs, 'step')
  }

  private addWake(caller: WaitingCaller, at: number, kind: Wake['kind']): void {
    this.wakes.push({heapIndex: -1, at, caller, kind})
  }

  private clearBackoff(a: AgentRuntime): void {
    a.failedRings = 0
    a.backoffUntil = null
    a.backoffReason = null
  }

  /** When the ACD next needs to look again by itself (sticky hold ends, skills widen, a retry). */
  nextWakeAt(): number | null {
    return this.wakes.peek()?.at ?? null
  }

  private processWakes(now: number): void {
    for (let top = this.wakes.peek(); top && top.at <= now; top = this.wakes.peek()) {
      this.wakes.pop()
      if (top.kind === 'backoff') {
        const a = top.agent!
        if (a.backoffUntil !== null && a.backoffUntil <= now) {
          a.backoffUntil = null
          this.refreshFree(a)
        }
        continue
      }
      const w = top.caller!
      if (this.waiting.get(w.callId) !== w) continue
      const q = this.qs.get(w.queue)
      if (!q) continue
      if (top.kind === 'step') {
        w.requirement = this.currentRequirement(w, q, now)
        this.scheduleNextStep(w, q)
      }
      if (top.kind === 'sticky' && w.preferUntil <= now) {
        this.unplace(w) // leave the agent's held set while we still know the agent
        w.preferredAgent = null
      }
      if (w.ringing.size === 0) this.place(w, now)
    }
  }

  /** 1-based place in its queue (priority first, then time joined). */
  position(callId: string): number {
    const w = this.waiting.get(callId)
    if (!w) return 0
    let ahead = 0
    for (const o of this.waiting.values()) if (o.queue === w.queue && o !== w && before(o, w)) ahead++
    return ahead + 1
  }

  waitingIn(queue: string): number {
    return this.qs.get(queue)?.waiting ?? 0
  }

  /**
   * The caller left the line (hung up, timed out, was connected). Agents ringing for
   * it are freed at once, so none stays reserved; the returned ids are the rings the
   * caller of this method must now cancel.
   */
  leave(callId: string, now: number): string[] {
    const w = this.waiting.get(callId)
    if (!w) return []
    this.drop(w)
    const canceled = [...w.ringing]
    for (const id of canceled) {
      const a = this.agents.get(id)
      if (a && a.activity === 'ringing' && a.callId === callId) this.toIdle(a, now)
    }
    return canceled
  }

  private drop(w: WaitingCaller): void {
    this.unplace(w)
    this.waiting.delete(w.callId)
    const q = this.qs.get(w.queue)
    if (q) q.waiting--
  }

  // ---- decisions -----------------------------------------------------------

  /** Pair waiting callers with free agents; chosen agents are ringing when this returns. */
  dispatch(now: number): Offer[] {
    this.processWakes(now)
    const offers: Offer[] = []
    // Callers held for a particular agent go to it the moment it is free.
    if (this.held > 0) {
      for (const a of [...this.free]) {
        const held = this.sticky.get(a.id)
        if (!held || held.size === 0) continue
        let best: WaitingCaller | undefined
        for (const w of held) if (w.ringing.size === 0 && (!best || before(w, best))) best = w
        if (best) this.offer(best, [a], now, offers)
      }
    }
    for (;;) {
      const caller = this.free.size === 0 || this.routable === 0 ? undefined : this.bestNewPair(now)
      if (!caller) break
      const agents = this.agentsFor(caller, now)
      if (agents.length === 0) return offers // cannot happen: the caller was found through a free agent
      this.offer(caller, agents, now, offers)
    }
    this.newlyFree.clear()
    this.newlyRoutable.clear()
    return offers
  }

  /**
   * The first caller in line that some free agent can serve. Every such pair involves a
   * newly free agent or a newly routable caller; those found to have no partner are
   * dropped from the sets, since offers within one dispatch only take partners away.
   */
  private bestNewPair(now: number): WaitingCaller | undefined {
    let best: WaitingCaller | undefined
    for (const w of this.newlyRoutable) {
      if (best && !before(w, best)) continue
      if (this.hasFreeAgent(this.qs.get(w.queue)!, w, now)) best = w
      else this.newlyRoutable.delete(w)
    }
    for (const a of this.newlyFree) {
      const w = this.bestCallerFor(a, now)
      if (!w) this.newlyFree.delete(a)
      else if (!best || before(w, best)) best = w
    }
    return best
  }

  /** The first caller in line this free agent can take: the best head of the groups it matches. */
  private bestCallerFor(a: AgentRuntime, now: number): WaitingCaller | undefined {
    let best: WaitingCaller | undefined
    for (const name of a.queues.keys()) {
      const q = this.qs.get(name)
      if (!q || !q.free.has(a)) continue
      for (const g of q.groups.values()) {
        const head = g.heap.peek()
        if (!head || (best && !before(head, best))) continue
        if (!g.requirement.matches(a.skills)) continue
        // An agent that just missed the head may still take someone behind it.
        best = untried(head, a, now) ? head : (firstUntried(g, a, best, now) ?? best)
      }
    }
    return best
  }

  private hasFreeAgent(q: QueueState, w: WaitingCaller, now: number): boolean {
    for (const a of q.free) if (w.requirement.matches(a.skills) && untried(w, a, now)) return true
    return false
  }

  private agentsFor(w: WaitingCaller, now: number): AgentRuntime[] {
    const q = this.qs.get(w.queue)!
    const candidates: Candidate<AgentRuntime>[] = []
    const today = dayOf(now)
    for (const a of q.free) {
      if (!w.requirement.matches(a.skills) || !untried(w, a, now)) continue
      // fewest-calls and least-talk count today only, even for agents idle since yesterday.
      if (a.day !== today) {
        a.day = today
        a.callsToday = 0
        a.talkMsToday = 0
      }
      const m = q.members.get(a.id)!
      candidates.push({agent: a, penalty: m.penalty, order: m.order, score: w.requirement.score(a.skills)})
    }
    const chosen = chooseAgents(q.settings.strategy, candidates, {rrLast: q.rrLast, random: this.random})
    if (q.settings.strategy === 'round-robin' && chosen[0]) q.rrLast = q.members.get(chosen[0].id)!.order
    return chosen
  }

  private offer(w: WaitingCaller, agents: AgentRuntime[], now: number, out: Offer[]): void {
    for (const a of agents) {
      a.activity = 'ringing'
      a.activitySince = now
      a.callId = w.callId
      a.callQueue = w.queue
      w.ringing.add(a.id)
      this.refreshFree(a)
      out.push({callId: w.callId, queue: w.queue, agentId: a.id, kind: w.kind})
    }
    this.unplace(w)
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
    this.clearBackoff(a)
    return {waitMs: now - w.joinedAt, others}
  }

  /**
   * A ring ended without an answer. The agent is free again (after its back-off, when the
   * ring failed at once); the caller keeps its place. A failed ring counts as missed.
   */
  ringEnded(callId: string, agentId: string, outcome: RingOutcome, now: number, reason?: string, missed = true): void {
    const a = this.agents.get(agentId)
    if (a && a.activity === 'ringing' && a.callId === callId) {
      if (outcome === 'no-answer') {
        a.missedRings++
        // The phone rang: it is reachable, whatever failed before.
        a.failedRings = 0
        a.backoffReason = null
      } else if (outcome === 'failed') {
        if (missed) a.missedRings++
        a.failedRings++
        a.backoffUntil = now + failedRingBackoffMs(a.failedRings, this.random)
        a.backoffReason = reason ?? 'ring failed'
        this.wakes.push({heapIndex: -1, at: a.backoffUntil, caller: null, agent: a, kind: 'backoff'})
      }
      this.toIdle(a, now)
    }
    const w = this.waiting.get(callId)
    if (!w || !w.ringing.delete(agentId)) return
    if (outcome !== 'canceled') {
      w.tried.set(agentId, now + RETRY_SAME_AGENT_MS)
      this.addWake(w, now + RETRY_SAME_AGENT_MS, 'tried')
      // A held-for agent who missed the ring loses the hold: anyone free may take the caller.
      if (w.preferredAgent === agentId) {
        this.unplace(w)
        w.preferredAgent = null
      }
    }
    if (w.ringing.size === 0) this.place(w, now)
  }

  /** Takes a waiting caller out of routing until `until` (callback retry back-off). */
  deferCaller(callId: string, until: number, now: number): void {
    const w = this.waiting.get(callId)
    if (!w) return
    w.notBefore = until
    this.addWake(w, until, 'retry')
    this.place(w, now)
  }

  /** Change a waiting caller's priority (e.g. a VIP found after queueing). */
  setPriority(callId: string, priority: number, now: number): void {
    const w = this.waiting.get(callId)
    if (!w || w.priority === priority) return
    w.priority = priority
    this.place(w, now)
  }

  /**
   * A connected call ended. Returns the wrap-up seconds the agent now owes (0: idle at
   * once). A call that never reached the customer (a failed callback) owes none and
   * does not count.
   */
  callEnded(agentId: string, talkMs: number, now: number, o: {wrapUp?: boolean} = {}): number {
    const a = this.agents.get(agentId)
    if (!a || a.activity !== 'on-call') return 0
    if (o.wrapUp === false) {
      this.toIdle(a, now)
      return 0
    }
    this.countCall(a, talkMs, now)
    // Logged out during the call: it was its last, and no after-call work follows (as
    // app_queue's member removed mid-call): offline now, not in wrap-up while logged out.
    const wrapUp = a.presence === 'offline' ? 0 : ((a.callQueue ? this.queues.get(a.callQueue)?.wrapUp : undefined) ?? 0)
    a.callId = null
    a.callQueue = null
    a.idleSince = now
    if (wrapUp > 0) {
      a.activity = 'wrap-up'
      a.activitySince = now
      return wrapUp
    }
    this.toIdle(a, now)
    return 0
  }

  /** Adds a finished call to the agent's counters (also used to seed them from the log). */
  countCall(a: AgentRuntime, talkMs: number, at: number): void {
    const day = dayOf(at)
    if (day !== a.day) {
      a.day = day
      a.callsToday = 0
      a.talkMsToday = 0
    }
    a.callsTaken++
    a.talkMs += talkMs
    a.callsToday++
    a.talkMsToday += talkMs
  }

  /** Marks an agent busy with a call that did not come from a queue (outbound, callback agent leg). */
  occupy(agentId: string, callId: string, activity: 'ringing' | 'on-call', now: number, queue: string | null = null): boolean {
    const a = this.agents.get(agentId)
    if (!a || (a.activity !== 'idle' && a.callId !== callId)) return false
    if (a.activity === 'idle' && a.presence === 'offline' && queue === null) return false
    a.activity = activity
    a.activitySince = now
    a.callId = callId
    if (queue) a.callQueue = queue
    this.refreshFree(a)
    return true
  }

  /** Asterisk lost every call: nobody waits, rings or talks any more (wrap-up goes on). */
  resetActivity(now: number): void {
    for (const w of [...this.waiting.values()]) this.drop(w)
    for (const a of this.agents.values()) if (a.activity === 'ringing' || a.activity === 'on-call') this.toIdle(a, now)
  }

  /** The agent busy with this call in the given activity, if any. */
  agentOfCall(callId: string, activity: Activity): string | null {
    for (const a of this.agents.values()) if (a.callId === callId && a.activity === activity) return a.id
    return null
  }

  /** Frees an agent whose ring ended outside queue routing. */
  release(agentId: string, callId: string, now: number): void {
    const a = this.agents.get(agentId)
    if (a && a.callId === callId && a.activity === 'ringing') this.toIdle(a, now)
  }

  /** After-call work without a call (the agent asked for it). */
  startWrapUp(agentId: string, now: number): boolean {
    const a = this.agents.get(agentId)
    if (!a || a.activity !== 'idle') return false
    a.activity = 'wrap-up'
    a.activitySince = now
    this.refreshFree(a)
    return true
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
    this.refreshFree(a)
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
    if (!a.reachable) return 'unreachable'
    if (a.presence === 'paused') return 'paused'
    if (a.otherCall) return 'other-call'
    return 'idle'
  }

  agentView(a: AgentRuntime): AgentView {
    return {
      id: a.id,
      name: a.name,
      endpoint: a.endpoint,
      state: this.agentState(a),
      since: a.activity !== 'idle' ? a.activitySince : Math.max(a.presenceSince, a.activitySince, a.presence !== 'offline' && !a.reachable ? a.reachSince : 0, a.otherCall ? a.otherCallSince : 0),
      pauseReason: a.pauseReason,
      callId: a.callId,
      queues: Object.fromEntries(a.queues),
      skills: a.skills,
      callsTaken: a.callsTaken,
      callsToday: a.callsToday,
      talkMs: a.talkMs,
      missedRings: a.missedRings,
      backoffUntil: a.backoffUntil,
      why: this.why(a),
    }
  }

  /** Why the agent is not offered calls, when its state alone does not say. */
  why(a: AgentRuntime): string | null {
    // Logged out in the middle of its work: every screen shows the work (on-call, wrap-up) and says why it ends in offline.
    if (a.presence === 'offline' && a.activity !== 'idle') return `logged out: offline when ${a.activity === 'wrap-up' ? 'its wrap-up' : 'this call'} ends`
    if (a.presence !== 'offline' && !a.reachable) return `phone unreachable since ${new Date(a.reachSince).toISOString().slice(11, 19)}: ${a.unreachableReason ?? 'not registered'}`
    if (a.presence !== 'offline' && a.otherCall && a.activity === 'idle') return `busy on another call since ${new Date(a.otherCallSince).toISOString().slice(11, 19)}`
    // After a restart the count is gone (it lives in memory); the pause is still automatic.
    if (a.presence === 'paused' && a.pauseReason === 'no-answer') return `auto-paused: ${a.missedRings || 'after'} missed rings${a.backoffReason ? ` (${a.backoffReason})` : ''}`
    if (a.presence === 'available' && a.chatsBlockCalls && a.activity === 'idle') return 'at its chat limit: no room for a call'
    if (a.presence !== 'offline' && a.backoffUntil !== null) return `backoff until ${new Date(a.backoffUntil).toISOString().slice(11, 19)}: ${a.backoffReason ?? 'ring failed'}`
    return null
  }

  queueView(name: string): QueueView | undefined {
    const q = this.qs.get(name)
    if (!q) return undefined
    const waiting = [...this.waiting.values()]
      .filter((w) => w.queue === name)
      .sort((a, b) => (before(a, b) ? -1 : 1))
      .map((w) => ({callId: w.callId, number: w.number, priority: w.priority, joinedAt: w.joinedAt, kind: w.kind, ringing: [...w.ringing]}))
    let idle = 0
    let busy = 0
    let paused = 0
    let loggedIn = 0
    for (const id of q.members.keys()) {
      const a = this.agents.get(id)
      if (!a || a.presence === 'offline') continue
      loggedIn++
      // Idle means free for a call: a phone on another call is busy, an unreachable one neither.
      if (a.activity !== 'idle' || (a.presence === 'available' && ((a.otherCall && a.reachable) || a.chatsBlockCalls))) busy++
      else if (a.presence === 'paused') paused++
      else if (a.reachable) idle++
    }
    return {name, settings: q.settings, waiting, agents: {idle, busy, paused, loggedIn}}
  }

  /** Agents of a queue that are working (logged in and not paused), for the wait estimate. */
  serving(queue: string): AgentRuntime[] {
    const q = this.qs.get(queue)
    if (!q) return []
    const out: AgentRuntime[] = []
    for (const id of q.members.keys()) {
      const a = this.agents.get(id)
      if (a && (a.presence === 'available' || a.activity !== 'idle')) out.push(a)
    }
    return out
  }
}

function untried(w: WaitingCaller, a: AgentRuntime, now: number): boolean {
  return w.tried.size === 0 || (w.tried.get(a.id) ?? 0) <= now
}

/** The best caller in the group, ahead of `than`, that the agent is not skipped for. */
function firstUntried(g: Group, a: AgentRuntime, than: WaitingCaller | undefined, now: number): WaitingCaller | undefined {
  let best = than
  for (const w of g.heap.values()) if ((!best || before(w, best)) && untried(w, a, now)) best = w
  return best === than ? undefined : best
}

/** Caller order: priority first, then the place in line, then arrival. */
export function before(a: WaitingCaller, b: WaitingCaller): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority
  if (a.joinedAt !== b.joinedAt) return a.joinedAt < b.joinedAt
  return a.seq < b.seq
}

function dayOf(ms: number): number {
  return Math.floor(ms / 86_400_000)
}
