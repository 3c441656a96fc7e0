import type Database from 'better-sqlite3'
import type {SlLookup} from './event-tally.js'
import type {FcrVerdict} from './metrics.js'
import {LEFT} from './queue-visits.js'
import {CLOCK_SKEW_MS, idBefore} from './event-scan.js'
import {SIMPLE_SPAN_MS, type VisitRow} from './queue-visits.js'
import {VISIT_COLUMNS, visitOf, type VisitPlan} from './visit-rows.js'
import type {BucketList, VisitGroup} from './visit-tally.js'

// The summary's rows summed by SQLite into groups whose facts fall in the same intervals
// (VisitTally.addGroup counts a group as add() counts each of its rows). Every rule of
// VisitTally.add is here once more, in SQL: the test of `report queues` from the summary
// against the walk of the log (queue-visit-summary.test.ts) holds both to the walk's output.
// SQL can place a time in its interval only when the intervals are a regular grid (every
// one but the first and last the same length): a day cut by a daylight-saving change is
// not, and such a report adds the rows one by one instead.

/** The grid of the intervals, when they are one: the second's start, the length, how many. */
export function grid(b: BucketList): {b1: number; len: number; n: number} | null {
  const {starts, ends} = b
  const length = (k: number) => ends[k]! - starts[k]!
  if (b.length === 1) return {b1: ends[0]!, len: length(0), n: 1}
  const b1 = starts[1]!
  // The first and last intervals may be cut by the period: the length is a middle one's, or
  // with only two, the longer of them (each then holds its times).
  const len = b.length === 2 ? Math.max(length(0), length(1)) : length(1)
  if (!Number.isSafeInteger(b1) || !Number.isSafeInteger(len) || len <= 0 || length(0) > len) return null
  for (let k = 1; k < b.length; k++) {
    if (starts[k]! !== b1 + (k - 1) * len) return null
    if (k < b.length - 1 ? length(k) !== len : length(k) > len) return null
  }
  return {b1, len, n: b.length}
}

export interface GroupJob {
  plan: VisitPlan & {summary: {low: number; high: number}}
  period: {from: number; to: number}
  grid: {b1: number; len: number; n: number}
  /** Each interval's start. */
  bucketStarts: ArrayLike<number>
  /** Queues configured (their SL settings); others count with sl(''). */
  queues: readonly string[]
  sl: SlLookup
  now: number
  windowMs: number
  /** Repeats the summary's next_contact_at cannot know: calls after its checkpoint, tickets reopened ([customer, at]). */
  laterContacts: readonly [string, number][]
}

// Most rows are plain: a visit that entered, left, and whose wrap-up ended, all within the
// period, in time order, with no callback or overflow. SQLite sums those, grouped by their
// call's interval and, packed in one number, how many intervals after it each fact falls
// (FIELD_BITS each); every other row (crossing the period's edges, a wrap-up taken over or
// still open, a callback, an overflow, a call longer than MAX_DELTA intervals) comes back
// whole and is added one by one, as are the calls after the summary's checkpoint.
const FIELD_BITS = 7
const NONE = (1 << FIELD_BITS) - 1
const MAX_DELTA = NONE - 1
/** The packed facts, in order: entered, left, completed, wrap-up start, wrap-up end, contact. */
const FACTS = ['entered_at', 'left_at', 'completed_at', 'wrap_from', 'wrap_to', 'contact_at'] as const
const VERDICTS: (FcrVerdict | null)[] = [null, 'resolved', 'repeated', 'pending', 'anonymous']

function sqlParts(job: GroupJob): {params: Record<string, unknown>; plain: string; T: string; S: string; shortWithinT: boolean; verdict: string} {
  const {from, to} = job.period
  // Whole numbers bound as BigInt stay INTEGER in SQLite: the divisions below are whole.
  const params: Record<string, unknown> = {
    from: BigInt(from),
    to: BigInt(to),
    low: BigInt(job.plan.summary.low),
    high: BigInt(job.plan.summary.high),
    origin: BigInt(job.grid.b1 - job.grid.len),
    len: BigInt(job.grid.len),
    window: BigInt(job.windowMs),
    now: BigInt(Math.trunc(job.now)),
  }
  const thresholds = (pick: 'seconds' | 'shortAbandonSeconds') => {
    // One value for every queue (the usual case): a number, not a CASE per row.
    const values = new Set([...job.queues, ''].map((q) => job.sl(q)[pick] * 1000))
    if (values.size === 1) return String([...values][0])
    const cases = job.queues.map((q, i) => {
      params[`q${i}`] = q
      params[`${pick}${i}`] = job.sl(q)[pick] * 1000
      return `WHEN @q${i} THEN @${pick}${i}`
    })
    params[`${pick}Default`] = job.sl('')[pick] * 1000
    return cases.length > 0 ? `CASE queue ${cases.join(' ')} ELSE @${pick}Default END` : `@${pick}Default`
  }
  let followed = 'next_contact_at IS NOT NULL AND next_contact_at <= contact_at + @window'
  if (job.laterContacts.length > 0) {
    params.later = JSON.stringify(job.laterContacts)
    followed = `(${followed}) OR EXISTS (SELECT 1 FROM json_each(@later) AS x WHERE json_extract(x.value, '$[0]') = customer AND json_extract(x.value, '$[1]') > contact_at AND json_extract(x.value, '$[1]') <= contact_at + @window)`
  }
  // A simple row (queue-visits.ts) within the period; its facts lie within an hour of its
  // start, so at most MAX_DELTA intervals of a minute or more after it.
  const plain = 'simple = 1 AND started_at >= @from AND last_at < @to'
  const verdict = `CASE WHEN contact_at IS NULL OR inbound <> 1 OR answered <> 1 THEN 0 WHEN customer = '' THEN 4 WHEN ${followed} THEN 2 WHEN contact_at + @window > @now THEN 3 ELSE 1 END`
  // Short abandons are within T when no queue's short threshold passes its T: then waits within T
  // but not short are those within T less the short ones, one sum fewer per row.
  const shortWithinT = [...job.queues, ''].every((q) => job.sl(q).shortAbandonSeconds <= job.sl(q).seconds)
  return {params, plain, T: thresholds('seconds'), S: thresholds('shortAbandonSeconds'), shortWithinT, verdict}
}

const RANGE = "first_id > @low AND first_id <= @high AND last_at >= @from AND queue <> ''"

/** The summary's plain rows in the plan's range, summed into VisitGroups. */
export function* visitGroups(db: Database.Database, job: GroupJob): Generator<VisitGroup> {
  const {params, plain, T, S, shortWithinT, verdict} = sqlParts(job)
  params.high = BigInt(periodHigh(db, job))
  const base = '(started_at - @origin) / @len'
  // Powers of two by multiplication: a shift is 32-bit in JavaScript.
  const packed = FACTS.map((f, i) => `${2 ** (FIELD_BITS * i)} * IFNULL((${f} - @origin) / @len - ${base}, ${NONE})`).join(' + ')
  const top = FIELD_BITS * FACTS.length
  // With short abandons within T, where a wait falls (beyond T, within T, short) is part of
  // the group's key: two sums fewer per row. Otherwise they are summed.
  const w = 'IFNULL(wait_ms, 0)'
  const category = shortWithinT ? `(${w} <= ${T}) + (${w} < ${S})` : '0'
  const sums = shortWithinT ? 'NULL, NULL, NULL' : `SUM(${w} <= ${T}), SUM(${w} < ${S}), SUM(${w} <= ${T} AND ${w} >= ${S})`
  const sql = `SELECT queue, ${base} AS base, ${packed} + ${2 ** top} * left_as + ${2 ** (top + 3)} * (${verdict}) + ${2 ** (top + 6)} * wrap_lost + ${2 ** (top + 7)} * (${category}) AS k,
      COUNT(*), 0, SUM(${w}), MAX(${w}), ${sums}, SUM(talk_ms), SUM(hold_ms), SUM(IFNULL(wrap_from, 0)), SUM(IFNULL(wrap_to, 0))
    FROM queue_visits WHERE ${RANGE} AND ${plain}
    GROUP BY queue, base, k`
  const last = job.grid.n - 1
  for (const v of db.prepare(sql).raw(true).iterate(params) as IterableIterator<unknown[]>) {
    const b = Number(v[1])
    let k = Number(v[2])
    const at: (number | null)[] = []
    for (let i = 0; i < FACTS.length; i++) {
      const d = k % (NONE + 1)
      k = Math.floor(k / (NONE + 1))
      at.push(d === NONE ? null : Math.min(last, b + d))
    }
    const leftAs = k % 8
    const verdictCode = Math.floor(k / 8) % 8
    const lost = Math.floor(k / 64) % 2 === 1
    const category = Math.floor(k / 128)
    const [entered, left, completed, wrapFrom, wrapTo, contact] = at as [number | null, number | null, number | null, number | null, number | null, number | null]
    const n = Number(v[3])
    // A wrap-up taken over by the agent's next one counts up to the start of the interval that happened in, if it is a later one.
    const wrap =
      wrapFrom === null || wrapTo === null
        ? null
        : !lost
          ? {wrapFrom, wrapEnd: wrapTo, wrapLast: wrapTo, wrapEndSum: Number(v[13] ?? 0)}
          : wrapTo > wrapFrom
            ? {wrapFrom, wrapEnd: wrapTo - 1, wrapLast: wrapTo - 1, wrapEndSum: n * job.bucketStarts[wrapTo]!}
            : null
    yield {
      queue: v[0] as string,
      entered: entered!,
      inLine: true,
      left: left!,
      leftAs: leftAs as (typeof LEFT)[keyof typeof LEFT],
      completed: completed!,
      wrapFrom: wrap?.wrapFrom ?? null,
      wrapEnd: wrap?.wrapEnd ?? 0,
      wrapLast: wrap?.wrapLast ?? 0,
      callbackRequested: null,
      callbackCompleted: null,
      overflowOut: null,
      contact: verdictCode === 0 ? null : contact!,
      verdict: VERDICTS[verdictCode] ?? null,
      n,
      overflowIn: Number(v[4] ?? 0),
      waitMs: Number(v[5] ?? 0),
      longestWaitMs: Number(v[6] ?? 0),
      withinT: shortWithinT ? (category >= 1 ? n : 0) : Number(v[7] ?? 0),
      short: shortWithinT ? (category === 2 ? n : 0) : Number(v[8] ?? 0),
      withinTNotShort: shortWithinT ? (category === 1 ? n : 0) : Number(v[9] ?? 0),
      talkMs: completed === null ? 0 : Number(v[10] ?? 0),
      holdMs: completed === null ? 0 : Number(v[11] ?? 0),
      wrapStartSum: wrap ? Number(v[12] ?? 0) : 0,
      wrapEndSum: wrap?.wrapEndSum ?? 0,
    }
  }
}

/**
 * The summary's other rows in the plan's range, whole (VisitTally.add), with the verdict of
 * their call as a contact when it has one: those not simple (by the partial index), and
 * simple ones across the period's start or end (near them along first_id: a simple row's
 * facts lie within an hour of its start).
 */
export function* otherRows(db: Database.Database, job: GroupJob): Generator<{row: VisitRow; verdict: FcrVerdict | null}> {
  const {params, verdict} = sqlParts(job)
  params.high = BigInt(periodHigh(db, job))
  const used: Record<string, unknown> = {}
  for (const name of ['from', 'to', 'low', 'high', 'window', 'now', 'later']) if (name in params) used[name] = params[name]
  const [startEdge, endEdge] = edges(db, job.period)
  used.startEdge = BigInt(startEdge)
  used.endEdge = BigInt(endEdge)
  const select = `SELECT ${VISIT_COLUMNS.join(', ')}, ${verdict} FROM queue_visits`
  const reads = [
    `${select} INDEXED BY queue_visits_other WHERE simple = 0 AND ${RANGE}`,
    `${select} WHERE first_id > @low AND first_id <= MIN(@high, @startEdge) AND simple = 1 AND last_at >= @from AND started_at < @from AND queue <> ''`,
    `${select} WHERE first_id > MAX(@low, @endEdge) AND first_id <= @high AND simple = 1 AND last_at >= @to AND started_at >= @from AND started_at < @to AND queue <> ''`,
  ]
  for (const sql of reads) {
    for (const v of db.prepare(sql).raw(true).iterate(used) as IterableIterator<unknown[]>) yield {row: visitOf(v), verdict: VERDICTS[Number(v[VISIT_COLUMNS.length])] ?? null}
  }
}

/**
 * The rows read here are of calls that started before the period's end: the calls after it
 * (read for first-contact resolution) are in next_contact_at and laterContacts.
 */
function periodHigh(db: Database.Database, job: GroupJob): number {
  return Math.min(job.plan.summary.high, idBefore(db, job.period.to + CLOCK_SKEW_MS))
}

/**
 * Along first_id, the last a simple row starting before the period can have, and the one
 * before the first whose facts can reach past its end (idBefore with the clocks' skew, as
 * every read of the log): a report on PostgreSQL asks its copy the same (pg-report-copy.ts).
 */
export function edges(db: Database.Database, period: {from: number; to: number}): [number, number] {
  return [idBefore(db, period.from + CLOCK_SKEW_MS), idBefore(db, period.to - SIMPLE_SPAN_MS - CLOCK_SKEW_MS)]
}
