import type {EventType, StoredEvent} from '../store/events.js'
import {talkWithoutHold} from './event-tally.js'
import {customerKey} from './metrics.js'

// The per-queue-visit summary: what EventTally (event-tally.ts) counts for a queue, folded
// once per call as it ends, so that `report queues` reads a row per queue visit instead of
// every event of the period. A row packs facts of one call and one queue, each with its own
// time; a report puts each fact in the interval of its time (visit-tally.ts). Only two pairs
// of facts depend on each other and always share a row: a visit's entering the line and its
// leaving it (callers still waiting), and a wrap-up's start and end (split where intervals
// meet). A fact with no free place on the call's row for its queue opens another row.
//
// The fold is the same for the engine's summary (queue_visits, kept as calls end) and for
// a report folding the calls after the summary's checkpoint: a call belongs to the fold that
// saw its call.started, and its rows are handed out when it has ended and its wrap-ups are
// over, behind every call that started before it; the checkpoint is just before the oldest
// call still going. Facts of a call whose call.started the fold did not see are left out
// (the summary has them); so are facts without a call id, but for wrap-ups (an agent's state).
//
// One row per call also carries the call as a contact for first-contact resolution
// (metrics.ts: firstContactResolution): its time, customer, whether an agent answered it,
// the agent, and its direction. It is the row of the last queue the call entered (the queue
// `report calls` shows), or a row of its own with queue '' when it entered none.

/** How a visit left the line; 0: it has not (still waiting when the log was read). */
export const LEFT = {none: 0, answered: 1, abandoned: 2, exited: 3, system: 4, gone: 5} as const
export type LeftAs = (typeof LEFT)[keyof typeof LEFT]

export interface VisitRow {
  /** The call's call.started id (rows are kept and read by it). */
  firstId: number
  /** The row's place among its call's rows. */
  seq: number
  /** The call's start: rows of a call never hold facts older than it. */
  startedAt: number
  callId: string
  /** '' on a call's contact row when it entered no queue. */
  queue: string
  /** A visit: entered the line (offered). null on a row of other facts. */
  enteredAt: number | null
  /** Entered by another queue's overflow. */
  overflowIn: number
  leftAt: number | null
  leftAs: LeftAs
  /**
   * Whether the way it left counts for a report that did not see the visit enter (it began
   * before the period), as EventTally counts it for a call not in line: an answer, an
   * abandon, a system end, an exit from the queue at a position; not a hang-up or a move to
   * another queue. On a row of other facts (enteredAt null) the leave counts when this is 1.
   */
  leftAlone: number
  waitMs: number | null
  completedAt: number | null
  talkMs: number
  holdMs: number
  wrapFrom: number | null
  /** The wrap-up's end; null: still open when the log was read. */
  wrapTo: number | null
  /** 1: ended by the agent's next wrap-up starting (EventTally counts none of it past the last split). */
  wrapLost: number
  callbackRequestedAt: number | null
  callbackCompletedAt: number | null
  overflowOutAt: number | null
  /** The call as a contact (one row per call; null on the others). */
  contactAt: number | null
  /** customerKey(): contact id, else the number; '' for an anonymous caller. */
  customer: string | null
  answered: number
  agent: string | null
  inbound: number
  /** The latest time of any fact on the row. */
  lastAt: number
  /** The customer's next inbound call (contact rows only): set by the summary as later calls are written; null from the fold. */
  nextContactAt: number | null
  /**
   * 1: a plain visit, its facts in time order within an hour of the call's start: it
   * entered the line and left it, any wrap-up ended, no callback or overflow. A report sums
   * those in SQL when the visit lies within its period (visit-sql.ts).
   */
  simple: number
}

/** How long after its call's start a plain row's facts may run. */
export const SIMPLE_SPAN_MS = 3_600_000

function isSimple(r: VisitRow): boolean {
  return (
    r.queue !== '' &&
    r.enteredAt !== null &&
    r.enteredAt >= r.startedAt &&
    r.leftAt !== null &&
    r.leftAt >= r.enteredAt &&
    (r.completedAt === null || r.completedAt >= r.startedAt) &&
    (r.wrapFrom === null || (r.wrapFrom >= r.startedAt && r.wrapTo !== null && r.wrapTo >= r.wrapFrom)) &&
    r.overflowIn === 0 &&
    r.callbackRequestedAt === null &&
    r.callbackCompletedAt === null &&
    r.overflowOutAt === null &&
    r.lastAt - r.startedAt <= SIMPLE_SPAN_MS
  )
}

/** The events the fold reads. */
export const VISIT_TYPES: readonly EventType[] = [
  'call.started',
  'queue.entered',
  'queue.exited',
  'queue.abandoned',
  'queue.system_ended',
  'call.connected',
  'call.completed',
  'callback.requested',
  'callback.failed',
  'call.ended',
  'call.disposition',
  'agent.wrapup_started',
  'agent.wrapup_ended',
  'engine.stopped',
]

interface Pending {
  firstId: number
  startedAt: number
  callId: string
  rows: VisitRow[]
  /** The newest row of each queue: where its next facts go. */
  last: Map<string, VisitRow>
  /** The visit still in line, if any. */
  line: VisitRow | null
  ended: boolean
  openWraps: number
  number: string
  contact: string | null
  inbound: boolean
  answered: boolean
  agent: string | null
  lastQueue: string | null
}

interface OpenWrap {
  row: VisitRow | null
  unit: Pending | null
}

export class VisitFold {
  private line: Pending[] = []
  private head = 0
  private readonly calls = new Map<string, Pending>()
  private readonly wraps = new Map<string, OpenWrap>()

  /** @param accepts whether a call.started event opens a call in this fold */
  constructor(
    public lastId: number,
    private readonly accepts: (started: StoredEvent) => boolean = () => true,
  ) {}

  /** Takes the next event in log order; the rows of the calls it completes are pushed onto `out`, in the order the calls started. */
  push(e: StoredEvent, out: VisitRow[]): void {
    this.lastId = e.id
    this.apply(e)
    this.ready(out)
  }

  /** Up to which call.started id every call's rows are out. */
  get checkpoint(): number {
    return this.head < this.line.length ? this.line[this.head]!.firstId - 1 : this.lastId
  }

  /** Every call's rows, ended or not, as they stand (the end of a report's walk). */
  rest(out: VisitRow[]): void {
    while (this.head < this.line.length) this.done(this.line[this.head++]!, out)
    this.line = []
    this.head = 0
  }

  private ready(out: VisitRow[]): void {
    while (this.head < this.line.length) {
      const p = this.line[this.head]!
      if (!p.ended || p.openWraps > 0) break
      this.head++
      this.done(p, out)
    }
    if (this.head > 4096 && this.head * 2 > this.line.length) this.line.splice(0, this.head), (this.head = 0)
  }

  private done(p: Pending, out: VisitRow[]): void {
    this.calls.delete(p.callId)
    if (p.callId !== '') {
      // The call as a contact: on its last queue's row (the queue `report calls` shows).
      const r = p.lastQueue !== null ? p.last.get(p.lastQueue)! : this.row(p, '')
      r.contactAt = p.startedAt
      r.customer = customerKey(p.contact, p.number)
      r.answered = p.answered ? 1 : 0
      r.agent = p.agent
      r.inbound = p.inbound ? 1 : 0
    }
    for (const [i, r] of p.rows.entries()) {
      r.seq = i
      r.lastAt = Math.max(r.lastAt, r.enteredAt ?? r.lastAt, r.leftAt ?? r.lastAt, r.completedAt ?? r.lastAt, r.wrapTo ?? r.wrapFrom ?? r.lastAt, r.callbackRequestedAt ?? r.lastAt, r.callbackCompletedAt ?? r.lastAt, r.overflowOutAt ?? r.lastAt)
      r.simple = isSimple(r) ? 1 : 0
      out.push(r)
    }
  }

  private row(p: Pending, queue: string): VisitRow {
    const r: VisitRow = {
      firstId: p.firstId,
      seq: 0,
      startedAt: p.startedAt,
      callId: p.callId,
      queue,
      enteredAt: null,
      overflowIn: 0,
      leftAt: null,
      leftAs: LEFT.none,
      leftAlone: 0,
      waitMs: null,
      completedAt: null,
      talkMs: 0,
      holdMs: 0,
      wrapFrom: null,
      wrapTo: null,
      wrapLost: 0,
      callbackRequestedAt: null,
      callbackCompletedAt: null,
      overflowOutAt: null,
      contactAt: null,
      customer: null,
      answered: 0,
      agent: null,
      inbound: 0,
      lastAt: p.startedAt,
      nextContactAt: null,
      simple: 0,
    }
    p.rows.push(r)
    if (queue !== '') p.last.set(queue, r)
    return r
  }

  /** The call's row for `queue` whose fact `free` says is unused, or a new one. */
  private slot(p: Pending, queue: string, free: (r: VisitRow) => boolean): VisitRow {
    const r = p.last.get(queue)
    return r && free(r) ? r : this.row(p, queue)
  }

  /** A leave the call was not in line for (EventTally counts it on the event's queue). */
  private loose(p: Pending, queue: string, at: number, as: LeftAs, waitMs: number | null): void {
    const r = this.slot(p, queue, (x) => x.enteredAt === null && x.leftAt === null)
    Object.assign(r, {leftAt: at, leftAs: as, leftAlone: 1, waitMs})
  }

  private leave(p: Pending, at: number, as: LeftAs, alone: boolean, waitMs: number | null = null): void {
    const r = p.line!
    p.line = null
    Object.assign(r, {leftAt: at, leftAs: as, leftAlone: alone ? 1 : 0, waitMs})
  }

  private apply(e: StoredEvent): void {
    const q = e.queue ?? null
    if (e.type === 'engine.stopped') {
      for (const [agent, w] of this.wraps) this.closeWrap(agent, w, e.ts, false)
      return
    }
    if (e.type === 'agent.wrapup_ended' || e.type === 'agent.wrapup_started') {
      if (!e.agent) return
      const open = this.wraps.get(e.agent)
      if (open) this.closeWrap(e.agent, open, e.ts, e.type === 'agent.wrapup_started')
      if (e.type === 'agent.wrapup_ended') return
      const p = e.callId ? this.calls.get(e.callId) : undefined
      if (e.callId && !p) return
      if (q === null) {
        this.wraps.set(e.agent, {row: null, unit: null})
        return
      }
      // A wrap-up on a queue without a call (not one the engine writes) is a unit of its own.
      const unit = p ?? this.open(e.id, e.ts, '')
      const row = this.slot(unit, q, (x) => x.wrapFrom === null)
      row.wrapFrom = e.ts
      unit.openWraps++
      this.wraps.set(e.agent, {row, unit})
      return
    }
    if (!e.callId) return
    if (e.type === 'call.started') {
      if (!this.calls.has(e.callId) && this.accepts(e)) {
        const p = this.open(e.id, e.ts, e.callId)
        const d = e.data
        p.number = String(d.number ?? '')
        p.inbound = d.direction !== 'outbound'
      }
      return
    }
    const p = this.calls.get(e.callId)
    if (!p) return
    const d = e.data
    switch (e.type) {
      case 'queue.entered':
        if (p.line) this.leave(p, e.ts, LEFT.exited, false)
        if (q) {
          const r = this.row(p, q)
          r.enteredAt = e.ts
          r.overflowIn = d.overflowFrom ? 1 : 0
          p.line = r
          p.lastQueue = q
        }
        break
      case 'queue.exited':
        if (q && d.action === 'queue' && d.to) this.slot(p, q, (x) => x.overflowOutAt === null).overflowOutAt = e.ts
        if (d.action === 'callback') break
        if (p.line && p.line.queue === q) this.leave(p, e.ts, LEFT.exited, Number(d.position ?? 0) > 0)
        else if (q && Number(d.position ?? 0) > 0) this.loose(p, q, e.ts, LEFT.exited, null)
        break
      case 'callback.requested':
        if (q) this.slot(p, q, (x) => x.callbackRequestedAt === null).callbackRequestedAt = e.ts
        break
      case 'callback.failed':
      case 'queue.system_ended': {
        const as = e.type === 'callback.failed' ? LEFT.exited : LEFT.system
        // Not in line, EventTally counts it on the event's queue: the line's, as the engine writes it.
        if (p.line) this.leave(p, e.ts, as, q !== null && q === p.line.queue)
        else if (q) this.loose(p, q, e.ts, as, null)
        break
      }
      case 'call.ended':
        if (p.line) this.leave(p, e.ts, LEFT.exited, false)
        p.ended = true
        break
      case 'call.connected':
        if (q && d.outbound !== true && d.transfer === undefined) this.answerOrAbandon(p, q, e.ts, LEFT.answered, Number(d.waitMs ?? 0))
        if (q && d.callback === true) this.slot(p, q, (x) => x.callbackCompletedAt === null).callbackCompletedAt = e.ts
        if (e.agent && d.outbound !== true) {
          p.answered = true
          p.agent = e.agent
        }
        break
      case 'queue.abandoned':
        if (q) this.answerOrAbandon(p, q, e.ts, LEFT.abandoned, Number(d.waitMs ?? 0))
        else if (p.line) this.leave(p, e.ts, LEFT.gone, false)
        break
      case 'call.completed':
        if (q) Object.assign(this.slot(p, q, (x) => x.completedAt === null), {completedAt: e.ts, talkMs: talkWithoutHold(d), holdMs: Number(d.holdMs ?? 0)})
        break
      case 'call.disposition':
        if (typeof d.contact === 'string' && d.contact !== '') p.contact = d.contact
        break
      default:
        break
    }
  }

  /** An answer or an abandon on queue q: the visit in line leaves by it (another queue's visit just leaves), or it counts loose. */
  private answerOrAbandon(p: Pending, q: string, at: number, as: LeftAs, waitMs: number): void {
    if (p.line && p.line.queue === q) return this.leave(p, at, as, true, waitMs)
    if (p.line) this.leave(p, at, LEFT.gone, false)
    this.loose(p, q, at, as, waitMs)
  }

  private open(firstId: number, startedAt: number, callId: string): Pending {
    const p: Pending = {firstId, startedAt, callId, rows: [], last: new Map(), line: null, ended: callId === '', openWraps: 0, number: '', contact: null, inbound: true, answered: false, agent: null, lastQueue: null}
    if (callId !== '') this.calls.set(callId, p)
    this.line.push(p)
    return p
  }

  private closeWrap(agent: string, w: OpenWrap, at: number, lost: boolean): void {
    this.wraps.delete(agent)
    if (!w.row || !w.unit) return
    w.row.wrapTo = at
    w.row.wrapLost = lost ? 1 : 0
    w.unit.openWraps--
  }
}
