import type Database from 'better-sqlite3'
import type {EventType} from '../store/events.js'
import {CLOCK_SKEW_MS, idBefore, ScannedEvent, scanEvents} from './event-scan.js'
import {LEFT, VISIT_TYPES, VisitFold, type LeftAs, type VisitRow} from './queue-visits.js'

// The queue-visit summary in a SQLite store (migration 10): queue_visits, its checkpoint
// (projections 'queue_visits') and the longest a call's rows reach past its start
// ('queue_visits_span', so a report knows how far before its period to read). Kept by the
// engine with the call summary (call-rows.ts keepCallRows) and by `db summarize`; derived
// from the log: deleting the rows and both projections rebuilds it.

export const VISITS = 'queue_visits'
export const VISITS_SPAN = 'queue_visits_span'

/** queue_visits' columns in VisitRow order (the PostgreSQL store and a report's copy use the same list). */
export const VISIT_COLUMNS = [
  'first_id', 'seq', 'started_at', 'call_id', 'queue', 'entered_at', 'overflow_in', 'left_at', 'left_as', 'left_alone', 'wait_ms', 'completed_at', 'talk_ms', 'hold_ms',
  'wrap_from', 'wrap_to', 'wrap_lost', 'callback_requested_at', 'callback_completed_at', 'overflow_out_at', 'contact_at', 'customer', 'answered', 'agent', 'inbound', 'last_at', 'next_contact_at', 'simple',
] as const

/** Each column's kind: text, or a number (whole, or fractional for times a call's events supplied). */
export const VISIT_COLUMN_KINDS: Record<(typeof VISIT_COLUMNS)[number], 'int8' | 'float8' | 'text'> = {
  first_id: 'int8', seq: 'int8', started_at: 'int8', call_id: 'text', queue: 'text', entered_at: 'int8', overflow_in: 'int8', left_at: 'int8', left_as: 'int8', left_alone: 'int8', wait_ms: 'float8',
  completed_at: 'int8', talk_ms: 'float8', hold_ms: 'float8', wrap_from: 'int8', wrap_to: 'int8', wrap_lost: 'int8', callback_requested_at: 'int8', callback_completed_at: 'int8',
  overflow_out_at: 'int8', contact_at: 'int8', customer: 'text', answered: 'int8', agent: 'text', inbound: 'int8', last_at: 'int8', next_contact_at: 'int8', simple: 'int8',
}

export function visitValues(r: VisitRow): unknown[] {
  return [
    r.firstId, r.seq, r.startedAt, r.callId, r.queue, r.enteredAt, r.overflowIn, r.leftAt, r.leftAs, r.leftAlone, r.waitMs, r.completedAt, r.talkMs, r.holdMs,
    r.wrapFrom, r.wrapTo, r.wrapLost, r.callbackRequestedAt, r.callbackCompletedAt, r.overflowOutAt, r.contactAt, r.customer, r.answered, r.agent, r.inbound, r.lastAt, r.nextContactAt, r.simple,
  ]
}

export function visitOf(v: readonly unknown[]): VisitRow {
  const n = (x: unknown) => (x === null || x === undefined ? null : Number(x))
  return {
    firstId: Number(v[0]), seq: Number(v[1]), startedAt: Number(v[2]), callId: v[3] as string, queue: v[4] as string, enteredAt: n(v[5]), overflowIn: Number(v[6]), leftAt: n(v[7]),
    leftAs: Number(v[8]) as LeftAs, leftAlone: Number(v[9]), waitMs: n(v[10]), completedAt: n(v[11]), talkMs: Number(v[12]), holdMs: Number(v[13]), wrapFrom: n(v[14]), wrapTo: n(v[15]),
    wrapLost: Number(v[16]), callbackRequestedAt: n(v[17]), callbackCompletedAt: n(v[18]), overflowOutAt: n(v[19]), contactAt: n(v[20]), customer: (v[21] as string | null) ?? null,
    answered: Number(v[22]), agent: (v[23] as string | null) ?? null, inbound: Number(v[24]), lastAt: Number(v[25]), nextContactAt: n(v[26]), simple: Number(v[27]),
  }
}

function projection(db: Database.Database, name: string): number {
  try {
    const row = db.prepare('SELECT checkpoint FROM projections WHERE name = ?').get(name) as {checkpoint: number} | undefined
    return row?.checkpoint ?? 0
  } catch {
    return 0
  }
}

/** Up to which call.started id every call's queue-visit rows are in the summary; 0 without one. */
export function visitsCheckpoint(db: Database.Database): number {
  return projection(db, VISITS)
}

/** A contact row of the customer index (its WHERE, so the index serves the query). */
export const CONTACT_ROW = "contact_at IS NOT NULL AND inbound = 1 AND customer <> ''"

/**
 * next_contact_at of a customer's contacts after calls of theirs were written (the earliest
 * at `at`): each contact's next is the earliest contact after it. Only contacts whose next
 * may have changed are looked at: none set, or set later than the new ones.
 */
const NEXT_CONTACT = `UPDATE queue_visits AS v SET next_contact_at = (
    SELECT MIN(w.contact_at) FROM queue_visits AS w WHERE w.customer = v.customer AND w.${CONTACT_ROW.replace(/ AND /g, ' AND w.')} AND w.contact_at > v.contact_at)
  WHERE v.customer = @customer AND v.${CONTACT_ROW.replace(/ AND /g, ' AND v.')} AND (v.next_contact_at IS NULL OR v.next_contact_at > @at)`

/** Each customer among the rows' contacts (known, inbound) and the earliest of their times. */
export function firstContacts(rows: readonly VisitRow[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const r of rows) {
    if (r.contactAt === null || r.inbound !== 1 || !r.customer) continue
    const t = out.get(r.customer)
    if (t === undefined || r.contactAt < t) out.set(r.customer, r.contactAt)
  }
  return out
}

const SAVE = 'INSERT INTO projections (name, checkpoint, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET checkpoint = MAX(checkpoint, excluded.checkpoint), updated_at = excluded.updated_at'

/** Keeps queue_visits up to date in a SQLite store, as CallRowsProjector keeps call_rows. */
export class VisitsProjector {
  private fold!: VisitFold
  private checkpoint = 0
  private span = 0
  private readonly insert: Database.Statement
  private readonly follow: Database.Statement
  private readonly save: Database.Statement

  constructor(private readonly db: Database.Database) {
    // Two writers (the engine, `db summarize`) may write the same call: the same rows, kept once
    // (not replaced: a row's next_contact_at was set since).
    this.insert = db.prepare(`INSERT OR IGNORE INTO queue_visits (${VISIT_COLUMNS.join(', ')}) VALUES (${VISIT_COLUMNS.map(() => '?').join(', ')})`)
    this.follow = db.prepare(NEXT_CONTACT)
    this.save = db.prepare(SAVE)
    this.reset()
  }

  reset(): void {
    this.checkpoint = visitsCheckpoint(this.db)
    this.span = projection(this.db, VISITS_SPAN)
    this.fold = new VisitFold(this.checkpoint)
  }

  advance(maxEvents = 20_000): {written: number; atEnd: boolean; checkpoint: number} {
    const rows: VisitRow[] = []
    let read = 0
    let atEnd = true
    for (const e of scanEvents(this.db, {afterId: this.fold.lastId, types: VISIT_TYPES})) {
      this.fold.push(e, rows)
      if (++read >= maxEvents) {
        atEnd = false
        break
      }
    }
    const checkpoint = this.fold.checkpoint
    if (rows.length > 0 || checkpoint !== this.checkpoint) {
      for (const r of rows) this.span = Math.max(this.span, r.lastAt - r.startedAt)
      this.db.transaction(() => {
        for (const r of rows) this.insert.run(visitValues(r))
        for (const [customer, at] of firstContacts(rows)) this.follow.run({customer, at})
        const now = Date.now()
        this.save.run(VISITS, checkpoint, now)
        this.save.run(VISITS_SPAN, this.span, now)
      })()
      this.checkpoint = checkpoint
    }
    return {written: rows.length, atEnd, checkpoint}
  }

  catchUp(): {written: number; checkpoint: number} {
    let written = 0
    for (;;) {
      const r = this.advance()
      written += r.written
      if (r.atEnd) return {written, checkpoint: r.checkpoint}
    }
  }
}

/** How far a report reads: its period, and the FCR window past it. */
export interface VisitSpan {
  from: number
  to: number
  /** The FCR window: contacts up to to + windowMs are read (a contact's repeats). */
  windowMs: number
}

/** Where a report's visit rows come from: the summary's range along first_id, and where its walk of the log starts. */
export interface VisitPlan {
  /** The summary's rows with first_id in (low, high]; null: the summary does not reach the period. */
  summary: {low: number; high: number} | null
  /** The walk of the log starts after this id, accepting every call that starts after it. */
  walkAfter: number
  /** ...and stops at its first event dated at or after this. */
  walkUntil: number
}

export function visitPlan(db: Database.Database, s: VisitSpan): VisitPlan {
  const checkpoint = visitsCheckpoint(db)
  const low = idBefore(db, s.from - projection(db, VISITS_SPAN) - CLOCK_SKEW_MS)
  const walkUntil = s.to + s.windowMs + CLOCK_SKEW_MS
  if (checkpoint <= low) return {summary: null, walkAfter: idBefore(db, s.from - CLOCK_SKEW_MS), walkUntil}
  return {summary: {low, high: Math.min(checkpoint, idBefore(db, walkUntil))}, walkAfter: checkpoint, walkUntil}
}

const PAGE = 2000

/**
 * The queue-visit rows a report over the span reads: the summary's (when it reaches the
 * period), then the calls after its checkpoint folded from the log. Without a summary, the
 * calls that started from a clock skew before the period (a report's tally then comes from
 * the log, interval-tally.ts, and these serve first-contact resolution alone).
 */
export function* visitRows(db: Database.Database, s: VisitSpan, plan = visitPlan(db, s)): Generator<VisitRow> {
  if (plan.summary) {
    // Page by page along the key: no statement stays open while the report is made.
    const stmt = db.prepare(`SELECT ${VISIT_COLUMNS.join(', ')} FROM queue_visits WHERE first_id <= @high AND (first_id, seq) > (@f, @s) AND last_at >= @from ORDER BY first_id, seq LIMIT ${PAGE}`).raw(true)
    const params = {high: plan.summary.high, from: s.from, f: plan.summary.low, s: Number.MAX_SAFE_INTEGER}
    for (;;) {
      const page = stmt.all(params) as unknown[][]
      for (const v of page) yield visitOf(v)
      if (page.length < PAGE) break
      const last = page[page.length - 1]!
      params.f = last[0] as number
      params.s = last[1] as number
    }
  }
  yield* laterRows(db, plan)
}

/** The rows of the calls after the plan's summary (all of them without one), folded from the log. */
export function laterRows(db: Database.Database, plan: VisitPlan): Generator<VisitRow> {
  return foldLog(scanEvents(db, {afterId: plan.walkAfter, types: VISIT_TYPES}), plan)
}

/** The fold of the log's events after the plan's start, to its stop, with every call still going as it stands. */
export function* foldLog(events: Iterable<{id: number; ts: number; type: EventType; callId: string | null; queue: string | null; agent: string | null; data: Record<string, unknown>}>, plan: VisitPlan): Generator<VisitRow> {
  const fold = new VisitFold(plan.walkAfter)
  const out: VisitRow[] = []
  for (const e of events) {
    if (e.ts >= plan.walkUntil) break
    fold.push(e as ScannedEvent, out)
    if (out.length > 0) {
      yield* out
      out.length = 0
    }
  }
  fold.rest(out)
  yield* out
}

/** The rows' numbers for a left_as code (for readers of the table). */
export const LEFT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(LEFT).map(([k, v]) => [v, k]))
