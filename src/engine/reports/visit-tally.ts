import type {QueueExtras, SlLookup} from './event-tally.js'
import type {Bucket, Buckets} from './interval.js'
import {countAbandoned, countAnswered, countExited, countFcr, countHandled, countOffered, countSystemEnded, emptyFcr, emptyTally, type FcrCounts, type Tally} from './metrics.js'
import {FcrCollector} from './fcr.js'
import {LEFT, type VisitRow} from './queue-visits.js'

// Queue-visit rows (queue-visits.ts) into the tallies `report queues` prints: each fact in
// the interval of its own time, as EventTally counts it walking the log (interval-tally.ts).
// The two give the same figures for a log written in time order; where a skewed clock
// wrote an event dated before an interval the walk had reached, the walk counts it in that
// interval and this in the one its time falls in.

export interface BucketTally {
  bucket: Bucket
  /** Queues with anything counted in the interval (EventTally's queues map). */
  queues: Map<string, Tally>
  extras: Map<string, QueueExtras>
}

class BucketList {
  readonly list: Bucket[] = []
  constructor(b: Buckets) {
    for (let x: Bucket | null = b.first(); x; x = b.next(x)) this.list.push(x)
  }
  /** The interval of a time within the period. */
  at(ts: number): number {
    const l = this.list
    let lo = 0
    let hi = l.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (l[mid]!.start <= ts) lo = mid
      else hi = mid - 1
    }
    return lo
  }
}

/**
 * The queue tallies per interval from the rows of every call with a fact in the period.
 * `now`: spans still open (a wrap-up) count up to it at most. `contacts` collects the
 * calls the rows carry as contacts.
 */
export function tallyVisits(rows: Iterable<VisitRow>, buckets: Buckets, period: {from: number; to: number}, sl: SlLookup, now: number, contacts?: FcrCollector): BucketTally[] {
  const b = new BucketList(buckets)
  const n = b.list.length
  const out: BucketTally[] = b.list.map((bucket) => ({bucket, queues: new Map(), extras: new Map()}))
  // Per queue: callers waiting (+1 entering, -1 leaving) and the intervals in which it was
  // touched at all: EventTally lists a queue in an interval where a visit was in its line
  // or a wrap-up on it was open, even with nothing counted.
  const perQueue = new Map<string, {waiting: Int32Array; span: Int32Array}>()
  const lines = (q: string) => {
    let x = perQueue.get(q)
    if (!x) perQueue.set(q, (x = {waiting: new Int32Array(n + 1), span: new Int32Array(n + 1)}))
    return x
  }
  const tally = (i: number, q: string): Tally => {
    const m = out[i]!.queues
    let t = m.get(q)
    if (!t) m.set(q, (t = emptyTally()))
    return t
  }
  const extras = (i: number, q: string): QueueExtras => {
    const m = out[i]!.extras
    let x = m.get(q)
    if (!x) m.set(q, (x = {callbacksRequested: 0, callbacksCompleted: 0, overflowedOut: 0, overflowedIn: 0}))
    return x
  }
  const {from, to} = period
  const inPeriod = (ts: number | null): ts is number => ts !== null && ts >= from && ts < to
  const touch = (q: string, first: number, last: number) => {
    const l = lines(q)
    l.span[first]!++
    l.span[last + 1]!--
  }
  const count = (i: number, q: string, as: number, waitMs: number | null) => {
    const t = tally(i, q)
    if (as === LEFT.answered) countAnswered(t, waitMs ?? 0, sl(q))
    else if (as === LEFT.abandoned) countAbandoned(t, waitMs ?? 0, sl(q))
    else if (as === LEFT.exited) countExited(t)
    else if (as === LEFT.system) countSystemEnded(t)
  }

  for (const r of rows) {
    // The call as a contact, for first-contact resolution (fcrFrom), in the same pass.
    if (contacts && r.contactAt !== null) contacts.add(r.contactAt, r.customer ?? '', r.answered === 1, r.inbound === 1, r.queue, r.agent)
    const q = r.queue
    if (q === '') continue
    if (r.enteredAt !== null && inPeriod(r.enteredAt)) {
      // Seen entering: in line from then until it leaves within the period.
      const i = b.at(r.enteredAt)
      countOffered(tally(i, q))
      if (r.overflowIn) extras(i, q).overflowedIn++
      const l = lines(q)
      l.waiting[i]!++
      if (inPeriod(r.leftAt)) {
        const j = Math.max(i, b.at(r.leftAt))
        l.waiting[j]!--
        touch(q, i, j)
        count(j, q, r.leftAs, r.waitMs)
      } else touch(q, i, n - 1)
    } else if (r.leftAlone && inPeriod(r.leftAt) && (r.enteredAt === null || r.enteredAt < from)) {
      count(b.at(r.leftAt), q, r.leftAs, r.waitMs)
    }
    if (inPeriod(r.completedAt)) countHandled(tally(b.at(r.completedAt), q), r.talkMs, r.holdMs, 0)
    if (inPeriod(r.wrapFrom)) wrapUp(r.wrapFrom, r)
    if (inPeriod(r.callbackRequestedAt)) extras(b.at(r.callbackRequestedAt), q).callbacksRequested++
    if (inPeriod(r.callbackCompletedAt)) extras(b.at(r.callbackCompletedAt), q).callbacksCompleted++
    if (inPeriod(r.overflowOutAt)) extras(b.at(r.overflowOutAt), q).overflowedOut++
  }

  function wrapUp(start: number, r: VisitRow): void {
    const i = b.at(start)
    let end: number
    let last: number
    if (r.wrapTo !== null && r.wrapTo < to) {
      last = Math.max(i, b.at(r.wrapTo))
      if (r.wrapLost) {
        // Taken over by the agent's next wrap-up: what the splits before it counted stays.
        if (last === i) return
        last--
        end = b.list[last]!.end
      } else end = r.wrapTo
    } else {
      last = n - 1
      end = Math.min(to, now)
    }
    for (let k = i; k <= last; k++) {
      const bk = b.list[k]!
      const ms = Math.max(0, Math.min(bk.end, end) - Math.max(bk.start, start))
      tally(k, r.queue).wrapUpMs += ms
    }
  }

  for (const [q, l] of perQueue) {
    let waiting = 0
    let span = 0
    for (let i = 0; i < n; i++) {
      waiting += l.waiting[i]!
      span += l.span[i]!
      if (waiting !== 0 || span > 0) tally(i, q).waiting = waiting
    }
  }
  return out
}

/**
 * First-contact resolution per interval, by queue and by agent, from the rows' contacts
 * (one row per call carries its call as a contact) and the tickets reopened.
 */
export function fcrByInterval(
  rows: Iterable<VisitRow>,
  reopens: readonly {at: number; customer: string}[],
  buckets: Buckets,
  o: {from: number; to: number; now: number; windowMs: number},
): {queues: Map<string, FcrCounts>; agents: Map<string, FcrCounts>}[] {
  const c = new FcrCollector()
  for (const r of rows) if (r.contactAt !== null) c.add(r.contactAt, r.customer ?? '', r.answered === 1, r.inbound === 1, r.queue, r.agent)
  return fcrFrom(c, reopens, buckets, o)
}

export function fcrFrom(
  c: FcrCollector,
  reopens: readonly {at: number; customer: string}[],
  buckets: Buckets,
  o: {from: number; to: number; now: number; windowMs: number},
): {queues: Map<string, FcrCounts>; agents: Map<string, FcrCounts>}[] {
  for (const r of reopens) c.reopen(r.at, r.customer)
  const b = new BucketList(buckets)
  const out = b.list.map(() => ({queues: new Map<string, FcrCounts>(), agents: new Map<string, FcrCounts>()}))
  const get = (m: Map<string, FcrCounts>, k: string) => {
    let f = m.get(k)
    if (!f) m.set(k, (f = emptyFcr()))
    return f
  }
  c.judge(o, (at, queue, agent, verdict) => {
    const i = b.at(at)
    if (queue !== '') countFcr(get(out[i]!.queues, queue), verdict)
    if (agent !== null) countFcr(get(out[i]!.agents, agent), verdict)
  })
  return out
}
