import type Database from 'better-sqlite3'
import type {StoredEvent} from '../store/events.js'
import {CLOCK_SKEW_MS, idBefore, scanEvents} from './event-scan.js'
import type {Bucket, Buckets} from './interval.js'

// Chats folded from their chat.* events into per-queue and per-agent figures (the
// definitions are in metrics.ts, "Chats"). Pure: the reports hand it the events of their
// period, in log order, and read the totals.

export const CHAT_REPORT_TYPES = ['chat.queued', 'chat.offered', 'chat.offer_expired', 'chat.accepted', 'chat.message', 'chat.transferred', 'chat.closed', 'chat.rated', 'chat.overflowed', 'chat.message_asked', 'chat.message_left'] as const
/** Closes that are the system turning a waiting customer away (chat.maxWait, onNoAgents): exited, not abandoned. */
const TURNED_AWAY = new Set(['max-wait', 'no-agents'])

/** Chats accepted before a period and still open in it count in its concurrency: the walk starts this far back. */
export const CHAT_LOOKBACK_MS = 86_400_000

export interface ChatQueueFigures {
  offered: number
  answered: number
  abandoned: number
  /** Left the queue without an agent and without the customer leaving: overflowed, asked to leave a message, closed at maxWait or with nobody logged in. */
  exited: number
  /** Waiting visits the system itself ended (the engine or the demo stopping, a queue removed): apart, in no ratio. */
  systemEnded: number
  /** Of those exited, moved to another queue. */
  overflowed: number
  /** Messages left that became tickets (counted for the ticket's queue when written, off-hours ones too). */
  messagesLeft: number
  waitMs: number
  /** Answered chats with an agent reply, and the time from queue entry to it. */
  responded: number
  firstResponseMs: number
  handled: number
  handleMs: number
  ratings: number
  ratingTotal: number
}

export interface ChatAgentFigures extends ChatQueueFigures {
  /** Offers that ran out unaccepted. */
  missed: number
  maxConcurrent: number
  /** Time with at least one chat, and chat-time (the integral of the count) over it: avg_concurrent = chatMs / busyMs. */
  busyMs: number
  chatMs: number
}

export function emptyChatFigures(): ChatAgentFigures {
  return {offered: 0, answered: 0, abandoned: 0, exited: 0, systemEnded: 0, overflowed: 0, messagesLeft: 0, waitMs: 0, responded: 0, firstResponseMs: 0, handled: 0, handleMs: 0, ratings: 0, ratingTotal: 0, missed: 0, maxConcurrent: 0, busyMs: 0, chatMs: 0}
}

interface Visit {
  queue: string
  at: number
  inPeriod: boolean
  agent: string | null
  acceptedAt: number | null
  responded: boolean
}

/** Folds chat events into figures per queue and per agent for [from, to) (ms). */
export class ChatTally {
  readonly queues = new Map<string, ChatQueueFigures>()
  readonly agents = new Map<string, ChatAgentFigures>()
  /** Per queue and agent (key queue + NUL + agent). */
  readonly pairs = new Map<string, ChatQueueFigures>()
  private readonly visits = new Map<string, Visit>()
  private readonly open = new Map<string, {n: number; since: number}>()

  constructor(
    readonly from: number,
    readonly to: number,
  ) {}

  private q(queue: string): ChatQueueFigures {
    let f = this.queues.get(queue)
    if (!f) this.queues.set(queue, (f = emptyChatFigures()))
    return f
  }

  private a(agent: string): ChatAgentFigures {
    let f = this.agents.get(agent)
    if (!f) this.agents.set(agent, (f = emptyChatFigures()))
    return f
  }

  private pair(queue: string, agent: string): ChatQueueFigures {
    const k = `${queue}\u0000${agent}`
    let f = this.pairs.get(k)
    if (!f) this.pairs.set(k, (f = emptyChatFigures()))
    return f
  }

  private within(ts: number): boolean {
    return ts >= this.from && ts < this.to
  }

  /** The agent's count of chats changes at ts: its busy and chat time up to ts are added (clipped to the period). */
  private move(agent: string, ts: number, delta: 1 | -1): void {
    const o = this.open.get(agent) ?? {n: 0, since: ts}
    const start = Math.max(o.since, this.from)
    const end = Math.min(ts, this.to)
    if (o.n > 0 && end > start) {
      const f = this.a(agent)
      f.busyMs += end - start
      f.chatMs += (end - start) * o.n
    }
    o.n = Math.max(0, o.n + delta)
    o.since = ts
    this.open.set(agent, o)
    if (this.within(ts) && delta > 0) this.a(agent).maxConcurrent = Math.max(this.a(agent).maxConcurrent, o.n)
  }

  add(e: StoredEvent): void {
    const id = e.callId
    if (!id) return
    const v = this.visits.get(id)
    switch (e.type) {
      case 'chat.queued': {
        if (v?.agent && v.acceptedAt !== null) this.endHandling(v, e.ts, false)
        const queue = e.queue ?? ''
        const next: Visit = {queue, at: e.ts, inPeriod: this.within(e.ts), agent: null, acceptedAt: null, responded: false}
        this.visits.set(id, next)
        if (next.inPeriod) this.q(queue).offered++
        return
      }
      case 'chat.offered':
        if (v?.inPeriod && e.agent) {
          this.a(e.agent).offered++
          this.pair(v.queue, e.agent).offered++
        }
        return
      case 'chat.offer_expired':
        if (v?.inPeriod && e.agent) this.a(e.agent).missed++
        return
      case 'chat.accepted': {
        if (!v || !e.agent) return
        v.agent = e.agent
        v.acceptedAt = e.ts
        this.move(e.agent, e.ts, 1)
        if (!v.inPeriod) return
        for (const f of [this.q(v.queue), this.a(e.agent), this.pair(v.queue, e.agent)]) {
          f.answered++
          f.waitMs += e.ts - v.at
        }
        return
      }
      case 'chat.message':
        if (v && v.inPeriod && v.agent && v.acceptedAt !== null && !v.responded && e.data.from === 'agent') {
          v.responded = true
          for (const f of [this.q(v.queue), this.a(v.agent), this.pair(v.queue, v.agent)]) {
            f.responded++
            f.firstResponseMs += e.ts - v.at
          }
        }
        return
      case 'chat.transferred':
        if (v?.agent && v.acceptedAt !== null) this.endHandling(v, e.ts, true)
        return
      case 'chat.closed':
        if (!v) return
        if (v.agent && v.acceptedAt !== null) this.endHandling(v, e.ts, true)
        else if (v.inPeriod) this.q(v.queue)[TURNED_AWAY.has(String(e.data.reason)) ? 'exited' : e.data.reason === 'system' ? 'systemEnded' : 'abandoned']++
        this.visits.delete(id)
        return
      case 'chat.overflowed':
      case 'chat.message_asked':
        // The visit ends without an agent; an overflow's next visit starts with its chat.queued.
        if (!v || (v.agent && v.acceptedAt !== null)) return
        if (v.inPeriod) {
          this.q(v.queue).exited++
          if (e.type === 'chat.overflowed') this.q(v.queue).overflowed++
        }
        this.visits.delete(id)
        return
      case 'chat.message_left':
        if (this.within(e.ts) && typeof e.data.ticket === 'string') this.q(e.queue ?? '').messagesLeft++
        return
      case 'chat.rated': {
        if (!this.within(e.ts)) return
        const score = Number(e.data.score)
        if (!(Number.isInteger(score) && score >= 1 && score <= 5)) return
        const fs = [this.q(e.queue ?? ''), ...(e.agent ? [this.a(e.agent), this.pair(e.queue ?? '', e.agent)] : [])]
        for (const f of fs) {
          f.ratings++
          f.ratingTotal += score
        }
        return
      }
      default:
        return
    }
  }

  private endHandling(v: Visit, ts: number, count: boolean): void {
    const agent = v.agent!
    this.move(agent, ts, -1)
    if (count && this.within(ts)) {
      for (const f of [this.q(v.queue), this.a(agent), this.pair(v.queue, agent)]) {
        f.handled++
        f.handleMs += ts - v.acceptedAt!
      }
    }
    v.agent = null
    v.acceptedAt = null
  }

  /**
   * A tally for [from, to) that has seen the same events as this one, but none in its own
   * period: its visits entered outside it (for it, not in period), the agents' open chats
   * the same, no figures yet.
   */
  joinedFrom(from: number, to: number): ChatTally {
    const t = new ChatTally(from, to)
    for (const [id, v] of this.visits) t.visits.set(id, {...v, inPeriod: false, responded: false})
    for (const [agent, o] of this.open) t.open.set(agent, {...o})
    return t
  }

  /** The agents with a chat open, and since when their count last changed. */
  *busy(): Generator<[string, number]> {
    for (const [agent, o] of this.open) if (o.n > 0) yield [agent, o.since]
  }

  /** Closes the books at the period's end: chats still open count their time up to it. */
  finish(): this {
    for (const [agent, o] of this.open) {
      const start = Math.max(o.since, this.from)
      if (o.n === 0 || this.to <= start) continue
      const f = this.a(agent)
      f.busyMs += this.to - start
      f.chatMs += (this.to - start) * o.n
      o.since = this.to
    }
    return this
  }
}

/**
 * A ChatTally per interval of the report with any chat figure, from one walk along the log;
 * intervals absent have none. Every tally sees every event, so an interval's tally is made
 * only when it can count something: at the first event in it, or when a chat open over it
 * ends (or the period does), made then from a tally that has seen the log so far and not
 * counted (joinedFrom): until then it would have counted nothing. A long period at 15
 * minutes is mostly intervals without chats, and they cost nothing.
 */
export function chatTalliesByBucket(db: Database.Database, b: Buckets, period: {from: number; to: number}): Map<number, ChatTally> {
  const out = new Map<number, ChatTally>()
  const starts: number[] = []
  const ends: number[] = []
  for (let k: Bucket | null = b.first(); k; k = b.next(k)) {
    starts.push(k.start)
    ends.push(k.end)
  }
  const index = (ts: number) => {
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid]! <= ts) lo = mid
      else hi = mid - 1
    }
    return lo
  }
  // Sees every event and counts nothing that is read (its period is empty).
  const seen = new ChatTally(period.from, period.from)
  const tallies: ChatTally[] = []
  const make = (i: number) => {
    if (out.has(starts[i]!)) return
    const t = seen.joinedFrom(starts[i]!, ends[i]!)
    out.set(starts[i]!, t)
    tallies.push(t)
  }
  // The intervals over which an agent has had chats open since its count last changed, up
  // to `until`: made (each agent's span from where it was made up to, while it lasts).
  const made = new Map<string, {since: number; to: number}>()
  const overOpen = (until: number) => {
    for (const [agent, since] of seen.busy()) {
      const m = made.get(agent)
      const from = Math.max(since, m?.since === since ? m.to : since, period.from)
      const to = Math.min(until, period.to)
      if (to > from) for (let i = index(from); i < starts.length && starts[i]! < to; i++) make(i)
      made.set(agent, {since, to: Math.max(from, to)})
    }
  }
  for (const e of scanEvents(db, {afterId: idBefore(db, period.from - CHAT_LOOKBACK_MS), types: CHAT_REPORT_TYPES})) {
    if (e.ts >= period.to + CLOCK_SKEW_MS) break
    overOpen(e.ts)
    if (e.ts >= period.from && e.ts < period.to) make(index(e.ts))
    seen.add(e)
    for (const t of tallies) t.add(e)
  }
  overOpen(period.to)
  for (const t of tallies) t.finish()
  return out
}
