import {leaveMessageTexts, type ChatSettings, type QueueWaitRules, type WaitAction} from '../config/chat-config.js'
import {normaliseNumber} from '../contacts/phone-number.js'
import type {NewEvent} from '../store/events.js'
import {TICKET_LIMITS} from '../tickets/ticket.js'
import {addTicket, type TicketContext} from '../tickets/tickets.js'
import type {Clock, TimerHandle} from '../util/clock.js'
import type {Logger} from '../util/log.js'
import type {ChannelKind} from './channel.js'
import type {Conversation} from './conversation.js'

// How long a customer may wait for an agent, and what then (chat: maxWait, onMaxWait,
// onNoAgents, offHours, leaveMessage; per queue under chat.queues, its texts too): the conversation
// overflows to another queue keeping its place by its first arrival, or the customer is
// asked to leave a message that becomes a ticket (工单) for the queue, or it closes with a
// word. One timer per waiting conversation, owned here, cleared when the conversation is
// accepted, transferred, closed or the engine stops. The chat core tells this module when a
// conversation joins a line and does what it asks through WaitHost; everything decided is
// a chat.* event, so a restarted engine folds it back (seen, then resume).

export type WaitReason = 'max-wait' | 'no-agents' | 'off-hours'

/** What the module asks of the chat core. */
export interface WaitHost {
  clock: Clock
  log: Logger
  settings: ChatSettings
  queueExists(queue: string): boolean
  /** Agents of the queue able to take a chat of the channel: logged in, not paused, with a limit for it above 0 (chat-router.ts able). */
  able(queue: string, channel: ChannelKind): number
  record(c: Conversation, e: Omit<NewEvent, 'ts' | 'origin' | 'callId'>): void
  /** A system line to the customer. */
  say(c: Conversation, text: string): void
  /** Out of the line, its offer and reserved slot released. */
  leaveLine(c: Conversation): void
  /** Into another queue's line, at its place by `joinedAt` (chat.queued {reason: overflow}). */
  requeue(c: Conversation, queue: string, joinedAt: number): void
  close(c: Conversation, reason: 'max-wait' | 'no-agents' | 'message-left' | 'system', text?: string): void
  /** The silence timer again (the customer's turn to write). */
  armSilence(c: Conversation): void
  /** Where leave-a-message writes tickets; null: nowhere (the message stays in the transcript). */
  tickets(): TicketContext | null
  /** Conversations in a queue's line (queued or offered). */
  inLine(): Iterable<Conversation>
}

/** Said once to a customer waiting in a queue nobody can serve now, when no onNoAgents rule takes it elsewhere. */
export const NO_AGENTS_WAIT_TEXT = 'No agent is available at the moment; you keep your place and will be answered as soon as one is.'

/** Overflows one conversation may take: queues overflowing into each other must not bounce a customer forever. */
export const MAX_OVERFLOWS = 3

interface Waiting {
  timer: TimerHandle | null
  /** When it joined its current queue (maxWait counts from here). */
  enteredAt: number
  /** false after a transfer: an agent or supervisor chose that queue, no limit applies (the engine's own moves, requeue, are limited). */
  limited: boolean
  /** Queues it overflowed from. */
  visited: Set<string>
  /** Told that nobody can serve its queue now (NO_AGENTS_WAIT_TEXT), once per queue it joins. */
  toldNoAgents: boolean
}

export class WaitLimits {
  private readonly waiting = new Map<string, Waiting>()

  constructor(private readonly h: WaitHost) {}

  /** The queue's rules; an overflow to the queue itself (the defaults' target) is no rule there. */
  rules(queue: string | null): QueueWaitRules {
    const r = (queue ? this.h.settings.waitByQueue[queue] : undefined) ?? this.h.settings.wait
    const self = (a: WaitAction | null) => a?.kind === 'overflow' && a.queue === queue
    return self(r.onMaxWait) || self(r.onNoAgents) ? {maxWaitMs: self(r.onMaxWait) ? 0 : r.maxWaitMs, onMaxWait: r.onMaxWait, onNoAgents: self(r.onNoAgents) ? null : r.onNoAgents} : r
  }

  /** Said once at start: a queue the wait rules name that does not exist (the config cannot know the queues). */
  checkQueues(): void {
    const named = [...Object.keys(this.h.settings.waitByQueue)]
    for (const r of [this.h.settings.wait, ...Object.values(this.h.settings.waitByQueue)]) {
      for (const a of [r.onMaxWait, r.onNoAgents]) if (a?.kind === 'overflow') named.push(a.queue)
    }
    const missing = [...new Set(named)].filter((q) => !this.h.queueExists(q))
    if (missing.length > 0) this.h.log.warn(`chat: the wait rules name queue${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, which do${missing.length === 1 ? 'es' : ''} not exist; an overflow there asks for a message instead`, {queues: missing})
  }

  /** Folds a logged event (a restart): where each conversation's wait began, where it overflowed from, whether it was told nobody can answer. */
  seen(e: Pick<NewEvent, 'type' | 'ts' | 'callId' | 'queue' | 'data'>): void {
    if (!e.callId) return
    if (e.type === 'chat.queued') {
      const w = this.state(e.callId)
      w.enteredAt = e.ts
      w.limited = e.data?.reason !== 'transfer'
      w.toldNoAgents = false
    } else if (e.type === 'chat.message' && e.data?.from === 'system' && e.data.text === NO_AGENTS_WAIT_TEXT) this.state(e.callId).toldNoAgents = true
    else if (e.type === 'chat.overflowed' && typeof e.data?.from === 'string') this.state(e.callId).visited.add(e.data.from)
    else if (e.type === 'chat.closed') this.waiting.delete(e.callId)
  }

  /** After a restart: the timer again, with what was left of the wait (a wait already over acts at once). */
  resume(c: Conversation): void {
    if (c.state !== 'queued' && c.state !== 'offered') return
    const w = this.waiting.get(c.id)
    if (!w || !w.limited) return
    this.arm(c, w)
  }

  /**
   * The conversation joined a queue's line (chat.queued was recorded). Returns true when it
   * did not stay there: nobody of the queue is logged in and onNoAgents took it elsewhere.
   */
  queued(c: Conversation, reason: string): boolean {
    const w = this.state(c.id)
    this.clearTimer(w)
    w.enteredAt = this.h.clock.now()
    w.limited = reason !== 'transfer'
    w.toldNoAgents = false
    if (!w.limited || !c.queue) return false
    if (this.rules(c.queue).onNoAgents && this.h.able(c.queue, c.channel) === 0) {
      this.act(c, 'no-agents')
      return true
    }
    this.arm(c, w)
    return false
  }

  /**
   * Nobody of the queue can take the conversation now and no onNoAgents rule moves it (none
   * set, or a transfer, which no limit applies to): the customer is told to wait, once per
   * queue joined rather than at every change. Returns true when it was told now.
   */
  tellNoAgents(c: Conversation): boolean {
    if (c.state !== 'queued' || !c.queue) return false
    const w = this.state(c.id)
    if (w.toldNoAgents || this.h.able(c.queue, c.channel) > 0) return false
    w.toldNoAgents = true
    this.h.say(c, NO_AGENTS_WAIT_TEXT)
    return true
  }

  /**
   * Who may take chats changed (a logout, a pause, an agent out of a queue, a limit): every
   * conversation waiting in a queue nobody can serve now gets its onNoAgents at once, rather
   * than when the next customer joins; without that rule the customer is told to wait (once).
   * The chat core calls it before each dispatch, which every such change schedules. An offer
   * in flight is left to end first: its expiry schedules a dispatch, and this looks again.
   */
  agentsChanged(): void {
    const able = new Map<string, number>()
    for (const c of [...this.h.inLine()]) {
      if (c.state !== 'queued' || !c.queue || !this.h.queueExists(c.queue)) continue
      const k = `${c.queue}\u0000${c.channel}`
      let n = able.get(k)
      if (n === undefined) able.set(k, (n = this.h.able(c.queue, c.channel)))
      if (n > 0) continue
      const w = this.state(c.id)
      if (w.limited && this.rules(c.queue).onNoAgents) this.act(c, 'no-agents')
      else this.tellNoAgents(c)
    }
  }

  /** The flow's business hours said closed and its close ends the conversation: with offHours: leaveMessage the customer may leave one first. Returns true when it did. */
  offHours(c: Conversation): boolean {
    if (this.h.settings.offHours !== 'leaveMessage') return false
    this.askMessage(c, 'off-hours', this.h.settings.queue)
    return true
  }

  /** Accepted, transferred, closed: the wait is over. */
  clear(c: Conversation): void {
    const w = this.waiting.get(c.id)
    if (w) this.clearTimer(w)
  }

  /** The conversation closed (or is forgotten). */
  forget(id: string): void {
    const w = this.waiting.get(id)
    if (w) this.clearTimer(w)
    this.waiting.delete(id)
  }

  stop(): void {
    for (const w of this.waiting.values()) this.clearTimer(w)
  }

  /**
   * The customer wrote after being asked to leave a message: it becomes a ticket for the
   * queue (category chat, the conversation linked, the customer's number), the customer is
   * thanked and the conversation closes. Called with the line already in the transcript.
   */
  async takeMessage(c: Conversation, message: {text?: string; image?: {url: string}}): Promise<void> {
    const reason = c.awaitsMessage ?? 'max-wait'
    const queue = c.queue ?? this.h.settings.queue
    const ctx = this.h.tickets()
    let ticket: string | null = null
    if (ctx) {
      try {
        ticket = (await addTicket(ctx, this.ticketOf(c, queue, message, ctx), 'chat')).id
      } catch (err) {
        this.h.log.error('chat: the message left could not be written as a ticket', {conversation: c.id, error: err instanceof Error ? err.message : String(err)})
      }
    } else this.h.log.warn('chat: a message was left but no ticket store is wired; it stays in the transcript', {conversation: c.id})
    this.h.record(c, {type: 'chat.message_left', queue, data: {ticket, reason}})
    // The customer may have closed the widget while the ticket was written: the ticket stands.
    if (!c.open) return
    if (ticket === null && ctx) {
      this.h.close(c, 'system', 'Sorry, your message could not be recorded just now. Please write again later.')
      return
    }
    this.h.close(c, 'message-left', leaveMessageTexts(this.h.settings, queue).thanks)
  }

  // ---- what happens at the limit ----------------------------------------------

  private act(c: Conversation, reason: 'max-wait' | 'no-agents'): void {
    const w = this.state(c.id)
    this.clearTimer(w)
    const rules = this.rules(c.queue)
    const action: WaitAction = (reason === 'max-wait' ? rules.onMaxWait : rules.onNoAgents) ?? rules.onMaxWait
    const from = c.queue!
    const waitedMs = this.h.clock.now() - w.enteredAt
    if (action.kind === 'overflow') {
      const to = action.queue
      if (this.h.queueExists(to) && to !== from && !w.visited.has(to) && w.visited.size < MAX_OVERFLOWS) {
        w.visited.add(from)
        this.h.leaveLine(c)
        this.h.record(c, {type: 'chat.overflowed', data: {from, to, reason, waitedMs}})
        this.h.say(c, 'Everyone on this team is busy, so we are passing you to another team. You keep your place in line.')
        this.h.requeue(c, to, c.joinedAt ?? w.enteredAt)
        return
      }
      // A missing queue or a loop: the customer is not left waiting without end for it.
      this.h.log.warn('chat: cannot overflow (no such queue, or already there); asking the customer to leave a message', {conversation: c.id, from, to})
      this.askMessage(c, reason, from, waitedMs)
      return
    }
    if (action.kind === 'leaveMessage') {
      this.askMessage(c, reason, from, waitedMs)
      return
    }
    this.h.leaveLine(c)
    this.waiting.delete(c.id)
    this.h.close(c, reason, action.message)
  }

  private askMessage(c: Conversation, reason: WaitReason, queue: string | null, waitedMs?: number): void {
    const w = this.waiting.get(c.id)
    if (w) this.clearTimer(w)
    if (c.state === 'queued' || c.state === 'offered') this.h.leaveLine(c)
    this.h.record(c, {type: 'chat.message_asked', queue, data: {reason, ...(waitedMs !== undefined ? {waitedMs} : {})}})
    this.h.say(c, leaveMessageTexts(this.h.settings, queue).ask)
    this.h.armSilence(c)
  }

  private ticketOf(c: Conversation, queue: string | null, m: {text?: string; image?: {url: string}}, ctx: TicketContext) {
    const who = c.name || c.number || `a ${c.channel} customer`
    const said = [m.text, m.image ? `[image] ${m.image.url}` : undefined].filter((x): x is string => !!x).join('\n')
    const footer = `\n\n(${c.channel} chat ${c.id}: left ${c.awaitsMessage === 'off-hours' ? 'outside business hours' : 'while no agent could answer'})`
    const contact = c.number ? normaliseNumber(c.number, ctx.defaultCountry) : null
    return {
      subject: clip(`Chat message from ${who}`, TICKET_LIMITS.subject),
      description: clip(said, TICKET_LIMITS.description - footer.length) + footer,
      category: 'chat',
      assignee: queue && this.h.queueExists(queue) ? {queue} : null,
      ...(contact ? {contact} : {}),
      ...(c.number && /^[0-9A-Za-z+*#() .-]{1,40}$/.test(c.number) ? {number: c.number} : {}),
      calls: [c.id],
    }
  }

  // ---- timers ------------------------------------------------------------------

  private arm(c: Conversation, w: Waiting): void {
    this.clearTimer(w)
    const max = this.rules(c.queue).maxWaitMs
    if (max <= 0) return
    const delay = Math.max(0, w.enteredAt + max - this.h.clock.now())
    w.timer = this.h.clock.setTimeout(() => {
      w.timer = null
      if (c.state === 'queued') this.act(c, 'max-wait')
      // An agent is being offered it: that offer is decided within the accept time, then look again.
      else if (c.state === 'offered') w.timer = this.h.clock.setTimeout(() => this.recheck(c, w), this.h.settings.acceptTimeoutMs)
    }, delay)
  }

  private recheck(c: Conversation, w: Waiting): void {
    w.timer = null
    if (c.state === 'queued') this.act(c, 'max-wait')
    else if (c.state === 'offered') w.timer = this.h.clock.setTimeout(() => this.recheck(c, w), this.h.settings.acceptTimeoutMs)
  }

  private clearTimer(w: Waiting): void {
    this.h.clock.clearTimeout(w.timer ?? undefined)
    w.timer = null
  }

  private state(id: string): Waiting {
    let w = this.waiting.get(id)
    if (!w) this.waiting.set(id, (w = {timer: null, enteredAt: this.h.clock.now(), limited: true, visited: new Set(), toldNoAgents: false}))
    return w
  }
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`
}
