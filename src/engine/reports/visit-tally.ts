import type {QueueExtras, SlLookup} from './event-tally.js'
import {FcrCollector} from './fcr.js'
import type {Bucket, Buckets} from './interval.js'
import {countFcr, emptyFcr, emptyTally, type FcrCounts, type FcrVerdict, type SlSettings, type Tally} from './metrics.js'
import {LEFT, type VisitRow} from './queue-visits.js'

// Queue-visit rows (queue-visits.ts) into the tallies `report queues` prints: each fact in
// the interval of its own time, as EventTally counts it walking the log (interval-tally.ts).
// The two give the same figures for a log written in time order; where a skewed clock
// wrote an event dated before an interval the walk had reached, the walk counts it in that
// interval and this in the one its time falls in.
//
// Rows come one at a time (add: the calls folded from the log after the summary's
// checkpoint, or everything when a report cannot group in SQL) or as groups of rows whose
// facts fall in the same intervals, summed by SQLite (addGroup, visit-sql.ts): a week of a
// busy center is a million rows, and SQLite sums them several times faster than they can
// be handed to JavaScript one by one.

export interface BucketTally {
  bucket: Bucket
  /** Queues with anything counted in the interval (EventTally's queues map). */
  queues: Map<string, Tally>
  extras: Map<string, QueueExtras>
}

/**
 * The period's intervals by index; at() finds a time's. Their starts and ends are kept in
 * typed arrays, 16 bytes an interval outside the heap: ten years at 15 minutes are 350,000.
 */
export class BucketList {
  readonly length: number
  readonly starts: Float64Array
  readonly ends: Float64Array
  constructor(b: Buckets) {
    let starts = new Float64Array(1024)
    let ends = new Float64Array(1024)
    let n = 0
    for (let x: Bucket | null = b.first(); x; x = b.next(x)) {
      if (n === starts.length) {
        const grow = (a: Float64Array) => {
          const c = new Float64Array(a.length * 2)
          c.set(a)
          return c
        }
        starts = grow(starts)
        ends = grow(ends)
      }
      starts[n] = x.start
      ends[n++] = x.end
    }
    this.length = n
    this.starts = starts.slice(0, n)
    this.ends = ends.slice(0, n)
  }
  /** The interval at an index. */
  get(i: number): Bucket {
    return {start: this.starts[i]!, end: this.ends[i]!}
  }
  /** The interval of a time within the period. */
  at(ts: number): number {
    const l = this.starts
    let lo = 0
    let hi = this.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (l[mid]! <= ts) lo = mid
      else hi = mid - 1
    }
    return lo
  }
}

/**
 * Rows of visits whose facts fall in the same intervals, summed (visit-sql.ts). Interval
 * indexes are null where the fact is not counted (outside the period, or not seen).
 */
export interface VisitGroup {
  queue: string
  n: number
  /** Entered the line in this interval (seen entering: in line from then). */
  entered: number | null
  overflowIn: number
  /** Where its leave counts, how, and whether it was in line (counted in `waiting`) or counted alone. */
  left: number | null
  leftAs: number
  inLine: boolean
  waitMs: number
  longestWaitMs: number
  /** Waits within T, under the short-abandon threshold, and within T but not short (for the queue's settings). */
  withinT: number
  short: number
  withinTNotShort: number
  completed: number | null
  talkMs: number
  holdMs: number
  /** A wrap-up counted from its start (summed) to its end (summed) in intervals wrapFrom..wrapEnd, listed through wrapLast. */
  wrapFrom: number | null
  wrapEnd: number
  wrapLast: number
  wrapStartSum: number
  wrapEndSum: number
  callbackRequested: number | null
  callbackCompleted: number | null
  overflowOut: number | null
  /** The rows' calls as contacts: their interval and verdict (metrics.ts). */
  contact: number | null
  verdict: FcrVerdict | null
}

/**
 * Per queue, changes at interval indexes, summed from the first interval on as finish()
 * hands the intervals out: callers waiting (+1 entering, -1 leaving); visits in its line
 * (span) and wrap-ups open on it (listed), for EventTally lists a queue in such an interval
 * even with nothing counted; wrap-ups open through whole intervals (full), whose length
 * each adds. Kept as changes, not per interval: a call waiting or a wrap-up open through a
 * long period at 15 minutes costs two entries, not one per interval.
 */
interface QueueLines {
  waiting: Map<number, number>
  span: Map<number, number>
  listed: Map<number, number>
  full: Map<number, number>
}

function bump(m: Map<number, number>, i: number, n: number): void {
  m.set(i, (m.get(i) ?? 0) + n)
}

export class VisitTally {
  readonly buckets: BucketList
  private readonly n: number
  // Only the intervals with something counted: a two-year report at 15 minutes has 70,000
  // intervals, most of them empty, and finish() hands them out one at a time.
  private readonly out = new Map<number, BucketTally>()
  private readonly perQueue = new Map<string, QueueLines>()
  /** First-contact resolution by interval index and queue (intervals without contacts absent). */
  readonly fcr = new Map<number, Map<string, FcrCounts>>()

  constructor(
    buckets: Buckets,
    private readonly period: {from: number; to: number},
    private readonly sl: SlLookup,
    private readonly now: number,
  ) {
    this.buckets = new BucketList(buckets)
    this.n = this.buckets.length
  }

  private lines(q: string): QueueLines {
    let x = this.perQueue.get(q)
    if (!x) this.perQueue.set(q, (x = {waiting: new Map(), span: new Map(), listed: new Map(), full: new Map()}))
    return x
  }

  private at(i: number): BucketTally {
    let b = this.out.get(i)
    if (!b) this.out.set(i, (b = {bucket: this.buckets.get(i), queues: new Map(), extras: new Map()}))
    return b
  }

  private fcrAt(i: number): Map<string, FcrCounts> {
    let m = this.fcr.get(i)
    if (!m) this.fcr.set(i, (m = new Map()))
    return m
  }

  private tally(i: number, q: string): Tally {
    const m = this.at(i).queues
    let t = m.get(q)
    if (!t) m.set(q, (t = emptyTally()))
    return t
  }

  private extras(i: number, q: string): QueueExtras {
    const m = this.at(i).extras
    let x = m.get(q)
    if (!x) m.set(q, (x = {callbacksRequested: 0, callbacksCompleted: 0, overflowedOut: 0, overflowedIn: 0}))
    return x
  }

  private inPeriod(ts: number | null): ts is number {
    return ts !== null && ts >= this.period.from && ts < this.period.to
  }

  private touch(q: string, first: number, last: number, n = 1): void {
    const l = this.lines(q)
    bump(l.span, first, n)
    bump(l.span, last + 1, -n)
  }

  /** A row's facts (and its call as a contact, into `contacts` when given). */
  add(r: VisitRow, contacts?: FcrCollector): void {
    if (contacts && r.contactAt !== null) contacts.add(r.contactAt, r.customer ?? '', r.answered === 1, r.inbound === 1, r.queue, r.agent)
    const q = r.queue
    if (q === '') return
    const b = this.buckets
    const g = group(q)
    if (r.enteredAt !== null && this.inPeriod(r.enteredAt)) {
      // Seen entering: in line from then until it leaves within the period.
      g.entered = b.at(r.enteredAt)
      g.overflowIn = r.overflowIn
      g.inLine = true
      if (this.inPeriod(r.leftAt)) g.left = Math.max(g.entered, b.at(r.leftAt))
    } else if (r.leftAlone && this.inPeriod(r.leftAt) && (r.enteredAt === null || r.enteredAt < this.period.from)) g.left = b.at(r.leftAt)
    if (g.left !== null) {
      g.leftAs = r.leftAs
      const w = r.waitMs ?? 0
      const s = this.sl(q)
      g.waitMs = w
      g.longestWaitMs = w
      g.withinT = w <= s.seconds * 1000 ? 1 : 0
      g.short = w < s.shortAbandonSeconds * 1000 ? 1 : 0
      g.withinTNotShort = g.withinT && !g.short ? 1 : 0
    }
    if (this.inPeriod(r.completedAt)) Object.assign(g, {completed: b.at(r.completedAt), talkMs: r.talkMs, holdMs: r.holdMs})
    if (this.inPeriod(r.wrapFrom)) {
      const i = b.at(r.wrapFrom)
      let end: number
      let last: number
      let endAt: number
      if (r.wrapTo !== null && r.wrapTo < this.period.to) {
        last = Math.max(i, b.at(r.wrapTo))
        if (r.wrapLost) {
          // Taken over by the agent's next wrap-up: what the splits before it counted stays.
          last--
          end = last
          endAt = last >= i ? b.ends[last]! : r.wrapFrom
        } else {
          end = last
          endAt = Math.max(r.wrapTo, r.wrapFrom)
        }
      } else {
        last = this.n - 1
        endAt = Math.max(r.wrapFrom, Math.min(this.period.to, this.now))
        end = Math.min(this.n - 1, b.at(endAt))
      }
      if (last >= i) Object.assign(g, {wrapFrom: i, wrapEnd: end, wrapLast: last, wrapStartSum: r.wrapFrom, wrapEndSum: endAt})
    }
    if (this.inPeriod(r.callbackRequestedAt)) g.callbackRequested = b.at(r.callbackRequestedAt)
    if (this.inPeriod(r.callbackCompletedAt)) g.callbackCompleted = b.at(r.callbackCompletedAt)
    if (this.inPeriod(r.overflowOutAt)) g.overflowOut = b.at(r.overflowOutAt)
    this.addGroup(g)
  }

  /** Rows summed as one group (or one row, from add). Its contact verdicts are counted by queue. */
  addGroup(g: VisitGroup): void {
    const q = g.queue
    const n = g.n
    if (g.entered !== null) {
      this.tally(g.entered, q).offered += n
      if (g.overflowIn) this.extras(g.entered, q).overflowedIn += g.overflowIn
    }
    if (g.inLine && g.entered !== null) {
      const l = this.lines(q)
      bump(l.waiting, g.entered, n)
      if (g.left !== null) {
        bump(l.waiting, g.left, -n)
        this.touch(q, g.entered, g.left, n)
      } else this.touch(q, g.entered, this.n - 1, n)
    }
    if (g.left !== null) {
      const t = this.tally(g.left, q)
      switch (g.leftAs) {
        case LEFT.answered:
          t.answered += n
          t.answeredWaitMs += g.waitMs
          t.longestWaitMs = Math.max(t.longestWaitMs, g.longestWaitMs)
          t.answeredWithinT += g.withinT
          break
        case LEFT.abandoned:
          t.abandoned += n
          t.longestWaitMs = Math.max(t.longestWaitMs, g.longestWaitMs)
          t.shortAbandoned += g.short
          t.abandonedWithinT += g.withinTNotShort
          t.abandonedAfterT += n - g.short - g.withinTNotShort
          break
        case LEFT.exited:
          t.exited += n
          break
        case LEFT.system:
          t.systemEnded += n
          break
        default:
          break
      }
    }
    if (g.completed !== null) {
      const t = this.tally(g.completed, q)
      t.handled += n
      t.talkMs += g.talkMs
      t.holdMs += g.holdMs
    }
    if (g.wrapFrom !== null) this.wrapUp(q, g)
    if (g.callbackRequested !== null) this.extras(g.callbackRequested, q).callbacksRequested += n
    if (g.callbackCompleted !== null) this.extras(g.callbackCompleted, q).callbacksCompleted += n
    if (g.overflowOut !== null) this.extras(g.overflowOut, q).overflowedOut += n
    if (g.contact !== null && g.verdict !== null) {
      const m = this.fcrAt(g.contact)
      let f = m.get(q)
      if (!f) m.set(q, (f = emptyFcr()))
      for (let k = 0; k < n; k++) countFcr(f, g.verdict)
    }
  }

  /** A call as a contact, judged elsewhere (SQL), counted for its queue in the interval it started. */
  countContact(at: number, queue: string, verdict: FcrVerdict): void {
    if (!this.inPeriod(at) || queue === '') return
    const m = this.fcrAt(this.buckets.at(at))
    let f = m.get(queue)
    if (!f) m.set(queue, (f = emptyFcr()))
    countFcr(f, verdict)
  }

  /** Wrap-up time of spans starting in interval wrapFrom and ending (their summed ends) in wrapEnd, split where intervals meet. */
  private wrapUp(q: string, g: VisitGroup): void {
    const {starts, ends} = this.buckets
    const i = g.wrapFrom!
    const j = g.wrapEnd
    if (j <= i) this.tally(i, q).wrapUpMs += g.wrapEndSum - g.wrapStartSum
    else {
      this.tally(i, q).wrapUpMs += g.n * ends[i]! - g.wrapStartSum
      // The whole intervals between: each interval's length, added by finish().
      if (j > i + 1) {
        const lines = this.lines(q)
        bump(lines.full, i + 1, g.n)
        bump(lines.full, j, -g.n)
      }
      this.tally(j, q).wrapUpMs += g.wrapEndSum - g.n * starts[j]!
    }
    // Listed (with nothing more counted) in every interval it was open in.
    const lines = this.lines(q)
    bump(lines.listed, i, 1)
    bump(lines.listed, g.wrapLast + 1, -1)
  }

  /**
   * The tallies per interval, every interval of the period in order, each handed out (and
   * let go) once the changes up to it are summed. Times are whole milliseconds, so the
   * whole intervals' wrap-up added here sums as it would in the order the rows came.
   */
  *finish(): Generator<BucketTally> {
    const sums = [...this.perQueue].map(([q, l]) => ({q, l, waiting: 0, span: 0, listed: 0, full: 0}))
    for (let i = 0; i < this.n; i++) {
      for (const s of sums) {
        s.waiting += s.l.waiting.get(i) ?? 0
        s.span += s.l.span.get(i) ?? 0
        s.listed += s.l.listed.get(i) ?? 0
        s.full += s.l.full.get(i) ?? 0
        if (s.full !== 0) this.tally(i, s.q).wrapUpMs += s.full * (this.buckets.ends[i]! - this.buckets.starts[i]!)
        if (s.listed > 0) this.tally(i, s.q)
        if (s.waiting !== 0 || s.span > 0) this.tally(i, s.q).waiting = s.waiting
      }
      const b = this.out.get(i)
      this.out.delete(i)
      yield b ?? {bucket: this.buckets.get(i), queues: new Map(), extras: new Map()}
    }
  }
}

function group(queue: string): VisitGroup {
  return {
    queue,
    n: 1,
    entered: null,
    overflowIn: 0,
    left: null,
    leftAs: LEFT.none,
    inLine: false,
    waitMs: 0,
    longestWaitMs: 0,
    withinT: 0,
    short: 0,
    withinTNotShort: 0,
    completed: null,
    talkMs: 0,
    holdMs: 0,
    wrapFrom: null,
    wrapEnd: 0,
    wrapLast: 0,
    wrapStartSum: 0,
    wrapEndSum: 0,
    callbackRequested: null,
    callbackCompleted: null,
    overflowOut: null,
    contact: null,
    verdict: null,
  }
}

/**
 * The queue tallies per interval from the rows of every call with a fact in the period.
 * `now`: spans still open (a wrap-up) count up to it at most. `contacts` collects the
 * calls the rows carry as contacts.
 */
export function tallyVisits(rows: Iterable<VisitRow>, buckets: Buckets, period: {from: number; to: number}, sl: SlLookup, now: number, contacts?: FcrCollector): BucketTally[] {
  const t = new VisitTally(buckets, period, sl, now)
  for (const r of rows) t.add(r, contacts)
  return [...t.finish()]
}

/** The SL settings the tally uses for a queue (exported for the SQL that groups rows the same way). */
export type {SlSettings}

/**
 * First-contact resolution per interval, by queue and by agent, from the rows' contacts
 * (one row per call carries its call as a contact) and the tickets reopened. By interval
 * index; intervals without contacts are absent (a long period at 15 minutes is mostly those).
 */
/** An interval's first-contact resolution, by queue and by agent. */
export interface IntervalFcr {
  queues: Map<string, FcrCounts>
  agents: Map<string, FcrCounts>
}

export function fcrByInterval(
  rows: Iterable<VisitRow>,
  reopens: readonly {at: number; customer: string}[],
  buckets: Buckets,
  o: {from: number; to: number; now: number; windowMs: number},
): Map<number, IntervalFcr> {
  const c = new FcrCollector()
  for (const r of rows) if (r.contactAt !== null) c.add(r.contactAt, r.customer ?? '', r.answered === 1, r.inbound === 1, r.queue, r.agent)
  return fcrFrom(c, reopens, buckets, o)
}

export function fcrFrom(
  c: FcrCollector,
  reopens: readonly {at: number; customer: string}[],
  buckets: Buckets,
  o: {from: number; to: number; now: number; windowMs: number},
): Map<number, IntervalFcr> {
  for (const r of reopens) c.reopen(r.at, r.customer)
  const b = new BucketList(buckets)
  const out = new Map<number, IntervalFcr>()
  const interval = (i: number) => {
    let x = out.get(i)
    if (!x) out.set(i, (x = {queues: new Map(), agents: new Map()}))
    return x
  }
  const get = (m: Map<string, FcrCounts>, k: string) => {
    let f = m.get(k)
    if (!f) m.set(k, (f = emptyFcr()))
    return f
  }
  c.judge(o, (at, queue, agent, verdict) => {
    const x = interval(b.at(at))
    if (queue !== '') countFcr(get(x.queues, queue), verdict)
    if (agent !== null) countFcr(get(x.agents, agent), verdict)
  })
  return out
}
