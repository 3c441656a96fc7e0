import type {ChannelKind} from '../chat/channel.js'
import type {Acd, AgentRuntime} from './acd.js'
import {emptyLoad, mayTakeCall, mayTakeChat, slotsUsed, type CapacityRule, type ChatLimits} from './capacity.js'
import {NO_REQUIREMENT, parseSkillRequirement, type SkillRequirement} from './skills.js'
import {chooseAgents, type Candidate} from './strategies.js'

// Chats on the same queues, agents, skills and strategies as calls. The ACD stays the one
// record of who is in which queue with what penalty and skills, who is logged in or paused,
// and who is on a call; this keeps what only chats have: the line of conversations waiting
// for an agent, and the chats each agent holds (several at once, per channel). Pure state
// and decisions, no I/O; every method takes `now`.
//
// Order: priority, then the place in line, over all queues (as calls). For one chat: the
// lowest penalty tier with room, the best skill score in it, the agent holding the fewest
// slots (chats spread rather than pile on one agent), then the queue's strategy.

/** A chat the agent let expire is offered to others first: that agent is skipped for it this long. */
export const SKIP_AFTER_EXPIRY_MS = 60_000

export interface WaitingChat {
  id: string
  queue: string
  channel: ChannelKind
  priority: number
  /** The place in line (kept across re-route and restart). */
  joinedAt: number
  seq: number
  requirement: SkillRequirement
  /** Agents that let it expire, and until when they are skipped for it. */
  tried: Map<string, number>
  /** Offered to this agent now (its slot is reserved), or null while waiting for one. */
  offeredTo: string | null
}

export interface ChatOffer {
  conversation: string
  queue: string
  agent: string
  channel: ChannelKind
}

export interface ChatRoutingSettings {
  rule: CapacityRule
  limitsOf(agent: string): ChatLimits
  /** An agent's chats now leave room for a call again: the ACD may ring it (the engine dispatches). */
  callRoomFreed?: (agent: string) => void
}

interface Held {
  agent: string
  channel: ChannelKind
  state: 'offered' | 'active'
}

/** What the strategies read of an agent, in chat terms: idle since its last chat, chats today, slots held. */
interface ChatCandidate {
  id: string
  idleSince: number
  callsToday: number
  talkMsToday: number
}

export class ChatRouter {
  readonly waiting = new Map<string, WaitingChat>()
  /** Conversation → the agent holding it (offered or active). */
  readonly held = new Map<string, Held>()
  private readonly loads = new Map<string, Record<ChannelKind, number>>()
  private readonly lastChatAt = new Map<string, number>()
  private readonly chatsToday = new Map<string, {day: number; n: number}>()
  private readonly rrLast = new Map<string, number>()
  private seq = 0

  constructor(
    private readonly acd: Acd,
    private readonly settings: ChatRoutingSettings,
    private readonly random: () => number = Math.random,
  ) {}

  /** The agent's chats per channel (offered and active). */
  load(agent: string): Record<ChannelKind, number> {
    return this.loads.get(agent) ?? emptyLoad()
  }

  /** Whether the agent rings or talks on a phone call now (the capacity rule weighs it). */
  onCall(a: AgentRuntime): boolean {
    return a.activity === 'ringing' || a.activity === 'on-call'
  }

  enqueue(c: {id: string; queue: string; channel: ChannelKind; priority?: number; joinedAt?: number; skills?: string | null}, now: number): WaitingChat {
    const settings = this.acd.queues.get(c.queue)
    if (!settings) throw new Error(`chat into unknown queue ${c.queue}`)
    this.leave(c.id)
    const w: WaitingChat = {
      id: c.id,
      queue: c.queue,
      channel: c.channel,
      priority: c.priority ?? 0,
      joinedAt: c.joinedAt ?? now,
      seq: this.seq++,
      requirement: c.skills ? parseSkillRequirement(c.skills) : settings.requiredSkills ? parseSkillRequirement(settings.requiredSkills) : NO_REQUIREMENT,
      tried: new Map(),
      offeredTo: null,
    }
    this.waiting.set(c.id, w)
    return w
  }

  /** The chat leaves the line (accepted, closed, moved): an offer of it is withdrawn too. */
  leave(id: string): void {
    const w = this.waiting.get(id)
    if (!w) return
    this.waiting.delete(id)
    const h = this.held.get(id)
    if (h && h.state === 'offered') this.release(id)
  }

  /** The agent holds the conversation: offered (slot reserved) or active. */
  hold(id: string, agent: string, channel: ChannelKind, state: 'offered' | 'active'): void {
    const before = this.held.get(id)
    if (before && before.agent !== agent) this.release(id)
    if (!this.held.has(id)) {
      const l = {...this.load(agent)}
      l[channel]++
      this.loads.set(agent, l)
    }
    this.held.set(id, {agent, channel, state})
    this.syncCallRoom(agent)
  }

  /** The agent no longer holds the conversation (closed, transferred, offer withdrawn). */
  release(id: string): string | null {
    const h = this.held.get(id)
    if (!h) return null
    this.held.delete(id)
    const l = {...this.load(h.agent)}
    l[h.channel] = Math.max(0, l[h.channel] - 1)
    this.loads.set(h.agent, l)
    this.syncCallRoom(h.agent)
    const w = this.waiting.get(id)
    if (w && w.offeredTo === h.agent) w.offeredTo = null
    return h.agent
  }

  /** Offers a waiting chat to this agent (a transfer to it, an offer kept over a restart): its slot is reserved. */
  reserve(id: string, agent: string): void {
    const w = this.waiting.get(id)
    if (!w) throw new Error(`reserve of a chat not waiting: ${id}`)
    w.offeredTo = agent
    this.hold(id, agent, w.channel, 'offered')
  }

  /** The agent accepted an offer: the chat leaves the line, the slot stays. */
  accepted(id: string, agent: string): void {
    const h = this.held.get(id)
    if (!h || h.agent !== agent) throw new Error(`accept of a chat not offered to ${agent}: ${id}`)
    h.state = 'active'
    this.waiting.delete(id)
  }

  /** The offer ran out: the agent's slot is free, the chat keeps its place, that agent is skipped for it a while. */
  offerExpired(id: string, now: number): string | null {
    const w = this.waiting.get(id)
    const agent = w?.offeredTo ?? null
    if (!w || agent === null) return null
    this.release(id)
    w.tried.set(agent, now + SKIP_AFTER_EXPIRY_MS)
    return agent
  }

  /** When an agent skipped for a waiting chat (it let the offer expire) may have it again: a dispatch is due then, or the chat waits for the next change. */
  nextWakeAt(now: number): number | null {
    let at: number | null = null
    for (const w of this.waiting.values()) {
      if (w.offeredTo !== null) continue
      for (const until of w.tried.values()) if (until > now && (at === null || until < at)) at = until
    }
    return at
  }

  /** Tells the ACD whether the agent's chats leave room for a call (counts-as mode). */
  syncCallRoom(agent: string): void {
    const blocked = !mayTakeCall(this.settings.rule, this.settings.limitsOf(agent), this.load(agent))
    if (this.acd.setChatsBlockCalls(agent, blocked) && !blocked) this.settings.callRoomFreed?.(agent)
  }

  /** 1-based place in its queue's line. */
  position(id: string): number {
    const w = this.waiting.get(id)
    if (!w) return 0
    let ahead = 0
    for (const o of this.waiting.values()) if (o !== w && o.queue === w.queue && before(o, w)) ahead++
    return ahead + 1
  }

  /**
   * Agents of the queue able to take a chat of the channel, now or once they have room:
   * logged in and not paused, with a limit above 0 for the channel and in all. Busy ones
   * (chats, a call) count: they free up; paused, logged-out or chat-less ones do not.
   */
  able(queue: string, channel: ChannelKind): number {
    let n = 0
    for (const a of this.acd.agents.values()) {
      if (a.presence !== 'available' || !a.queues.has(queue) || !this.acd.membership(queue, a.id)) continue
      const l = this.settings.limitsOf(a.id)
      if (l[channel] > 0 && l.total > 0) n++
    }
    return n
  }

  /** Whether the agent may be offered one more chat on the channel now. */
  hasRoom(a: AgentRuntime, channel: ChannelKind): boolean {
    return mayTakeChat(this.settings.rule, this.settings.limitsOf(a.id), {chats: this.load(a.id), onCall: this.onCall(a)}, channel)
  }

  /** Pairs waiting chats with agents that have room; each offer reserves the agent's slot. */
  dispatch(now: number): ChatOffer[] {
    const offers: ChatOffer[] = []
    if (this.waiting.size === 0) return offers
    const working = [...this.acd.agents.values()].filter((a) => a.presence === 'available')
    if (working.length === 0) return offers
    const line = [...this.waiting.values()].filter((w) => w.offeredTo === null).sort((a, b) => (before(a, b) ? -1 : 1))
    for (const w of line) {
      const agent = this.choose(w, working, now)
      if (!agent) continue
      w.offeredTo = agent.id
      this.hold(w.id, agent.id, w.channel, 'offered')
      this.lastChatAt.set(agent.id, now)
      this.countToday(agent.id, now)
      offers.push({conversation: w.id, queue: w.queue, agent: agent.id, channel: w.channel})
    }
    return offers
  }

  private choose(w: WaitingChat, working: AgentRuntime[], now: number): AgentRuntime | undefined {
    const settings = this.acd.queues.get(w.queue)
    if (!settings) return undefined
    const candidates: Candidate<ChatCandidate>[] = []
    const byId = new Map<string, AgentRuntime>()
    const slots = new Map<string, number>()
    for (const a of working) {
      if (!a.queues.has(w.queue) || (w.tried.get(a.id) ?? 0) > now) continue
      if (!w.requirement.matches(a.skills) || !this.hasRoom(a, w.channel)) continue
      const m = this.acd.membership(w.queue, a.id)
      if (!m) continue
      const used = slotsUsed(this.settings.rule, {chats: this.load(a.id), onCall: this.onCall(a)})
      slots.set(a.id, used)
      byId.set(a.id, a)
      const today = this.chatsToday.get(a.id)
      candidates.push({
        agent: {id: a.id, idleSince: this.lastChatAt.get(a.id) ?? a.idleSince, callsToday: today && today.day === dayOf(now) ? today.n : 0, talkMsToday: used},
        penalty: m.penalty,
        order: m.order,
        score: w.requirement.score(a.skills),
      })
    }
    if (candidates.length === 0) return undefined
    // Penalty and skill score first (as for calls), then the least loaded, then the strategy.
    const tier = lowest(highest(lowest(candidates, (c) => c.penalty), (c) => c.score), (c) => slots.get(c.agent.id)!)
    const chosen = chooseAgents(settings.strategy, tier, {rrLast: this.rrLast.get(w.queue) ?? -1, random: this.random})[0]
    if (!chosen) return undefined
    if (settings.strategy === 'round-robin') this.rrLast.set(w.queue, this.acd.membership(w.queue, chosen.id)!.order)
    return byId.get(chosen.id)
  }

  private countToday(agent: string, now: number): void {
    const t = this.chatsToday.get(agent)
    if (t && t.day === dayOf(now)) t.n++
    else this.chatsToday.set(agent, {day: dayOf(now), n: 1})
  }
}

/** Chat order: priority first, then the place in line, then arrival (as callers). */
export function before(a: WaitingChat, b: WaitingChat): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority
  if (a.joinedAt !== b.joinedAt) return a.joinedAt < b.joinedAt
  return a.seq < b.seq
}

function lowest<C>(cs: C[], key: (c: C) => number): C[] {
  let best = Infinity
  for (const c of cs) best = Math.min(best, key(c))
  return cs.filter((c) => key(c) === best)
}

function highest<C>(cs: C[], key: (c: C) => number): C[] {
  let best = -Infinity
  for (const c of cs) best = Math.max(best, key(c))
  return cs.filter((c) => key(c) === best)
}

function dayOf(ms: number): number {
  return Math.floor(ms / 86_400_000)
}
