import type Database from 'better-sqlite3'
import type {Logger} from '../util/log.js'
import {CALL_RECORD_TYPES} from './call-scan.js'
import {CLOCK_SKEW_MS, idBefore, scanEvents} from './event-scan.js'
import type {Cell, CsvText} from './report-output.js'
import {SUMMARY_CSV_COLUMNS, summaryCsvRecord, SummaryFold} from './summary-fold.js'
import type {Zone} from './zone.js'
import {recordingFiles} from '../store/migrations.js'
import {PgStore} from '../store/pg/pg-store.js'
import {SqliteStore} from '../store/sqlite-store.js'
import {PgCallRowsProjector} from './pg-call-rows.js'
import {PgVisitsProjector} from './pg-queue-visits.js'
import {VisitsProjector} from './visit-rows.js'

// The call summary: one row per ended call in call_rows, in the form `report calls` writes
// it (times in epoch ms until a zone formats them). Folding a call from its events costs
// far more than reading a row, so the engine folds each call once, as it ends, and reports
// read rows up to the checkpoint and fold only the calls after it. The summary is derived
// from the log: dropping both tables rebuilds it.

const NAME = 'call_rows'
const COLUMNS = 24
// Rows read per query. Small pages keep a report's garbage young (a page of 5,000 rows
// and its text outlived the worker's young generation: GC took half the time).
const PAGE = 500

export {callAgents, callRow} from './summary-fold.js'

/** Up to which call.started event (id) every call has its row; 0 when there is no summary. */
export function summaryCheckpoint(db: Database.Database): number {
  try {
    const row = db.prepare('SELECT checkpoint FROM projections WHERE name = ?').get(NAME) as {checkpoint: number} | undefined
    return row?.checkpoint ?? 0
  } catch {
    // A store older than the summary (opened read-only, not migrated): fold everything.
    return 0
  }
}

/** The summarized calls in a period: how to page through them, and the checkpoint they stop at. */
interface SummaryPages {
  checkpoint: number
  /** Pages of raw rows in the order the calls started, each row ending with its first_id. */
  pages(): Generator<unknown[][]>
}

function summaryPages(db: Database.Database, period: {from: number; to: number}, filter: {queue: string | null; agent: string | null}, select: string): SummaryPages {
  const checkpoint = summaryCheckpoint(db)
  const low = idBefore(db, period.from - CLOCK_SKEW_MS)
  if (checkpoint <= low) return {checkpoint: 0, pages: function* () {}}
  // A call that started in the period has its call.started before the first event written
  // a clock skew after the period (the same bound a scan of the log stops at).
  const high = Math.min(checkpoint, idBefore(db, period.to + CLOCK_SKEW_MS))
  const where = [
    'first_id > @after AND first_id <= @high AND started_at >= @from AND started_at < @to',
    ...(filter.queue !== null ? ["instr(' ' || queues || ' ', ' ' || @queue || ' ') > 0"] : []),
    ...(filter.agent !== null ? ["instr(' ' || agents || ' ', ' ' || @agent || ' ') > 0"] : []),
  ].join(' AND ')
  const stmt = db.prepare(`SELECT ${select}, first_id FROM call_rows WHERE ${where} ORDER BY first_id LIMIT ${PAGE}`).raw(true)
  const params: Record<string, string | number> = {after: low, high, from: period.from, to: period.to}
  if (filter.queue !== null) params.queue = filter.queue
  if (filter.agent !== null) params.agent = filter.agent
  return {
    checkpoint,
    // Page by page along first_id: no statement stays open while the report is written.
    *pages() {
      for (;;) {
        const page = stmt.all(params) as unknown[][]
        if (page.length === 0) return
        const last = page[page.length - 1]!
        params.after = last[last.length - 1] as number
        yield page
        if (page.length < PAGE) return
      }
    },
  }
}

/**
 * The summarized calls that started in the period (rows complete but for the zone), in the order they started, and the
 * checkpoint they stop at: the report folds the calls after it from the log.
 */
export function summarizedRows(
  db: Database.Database,
  period: {from: number; to: number},
  filter: {queue: string | null; agent: string | null},
): {checkpoint: number; rows: Iterable<Cell[]>} {
  const s = summaryPages(
    db,
    period,
    filter,
    'call_id, started_at, answered_at, ended_at, direction, caller_number, caller_name, did, ivr_keys, queue, queues, priority, entry_position, wait_s, agents_tried, agent, talk_s, hold_s, wrap_up_s, transfers, outcome, disconnect, recording, survey_score',
  )
  function* rows(): Generator<Cell[]> {
    for (const page of s.pages()) {
      for (const row of page) {
        row.length = COLUMNS
        yield row as Cell[]
      }
    }
  }
  return {checkpoint: s.checkpoint, rows: rows()}
}

/**
 * The same calls as CSV text, a page of records at a time (each ending in a newline): the
 * kept text of the fixed cells between the call id, the times in the report's zone and
 * the recording files, which are encoded here.
 */
export function summarizedCsv(
  db: Database.Database,
  period: {from: number; to: number},
  filter: {queue: string | null; agent: string | null},
  zone: Zone,
): {checkpoint: number; pages: Iterable<CsvText>} {
  const s = summaryPages(db, period, filter, SUMMARY_CSV_COLUMNS)
  const record = summaryCsvRecord(zone)
  function* pages(): Generator<CsvText> {
    for (const page of s.pages()) {
      let out = ''
      for (const r of page) out += record(r)
      yield {text: out, rows: page.length}
    }
  }
  return {checkpoint: s.checkpoint, pages: pages()}
}

// The recording files are read from the recordings table as the row is written; its
// triggers (migration 6) keep them current from then on.
const INSERT = `INSERT OR REPLACE INTO call_rows (first_id, call_id, started_at, answered_at, ended_at, direction, caller_number, caller_name, did, ivr_keys, queue, queues, priority, entry_position, wait_s, agents_tried, agent, talk_s, hold_s, wrap_up_s, transfers, outcome, disconnect, survey_score, agents, csv_middle, csv_last, recording)
  VALUES (${Array(27).fill('?').join(', ')}, ${recordingFiles('?')})`

/** Keeps call_rows up to date in a SQLite store: reads the log from where it stopped and writes what SummaryFold completes. */
export class CallRowsProjector {
  private fold!: SummaryFold
  private checkpoint = 0
  private readonly insert: Database.Statement
  private readonly save: Database.Statement

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(INSERT)
    // Two writers (the engine, `db summarize`) may race: the checkpoint never goes back.
    this.save = db.prepare(
      'INSERT INTO projections (name, checkpoint, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET checkpoint = MAX(checkpoint, excluded.checkpoint), updated_at = excluded.updated_at',
    )
    this.reset()
  }

  /** Forget what is in memory and start again from the stored checkpoint (after a failed write). */
  reset(): void {
    this.checkpoint = summaryCheckpoint(this.db)
    this.fold = new SummaryFold(this.checkpoint)
  }

  /**
   * Reads up to `maxEvents` events and writes the calls they finish, in one transaction
   * with the new checkpoint. Returns how many rows were written and whether the log's end
   * was reached.
   */
  advance(maxEvents = 20_000): {written: number; atEnd: boolean; checkpoint: number} {
    const rows: unknown[][] = []
    let read = 0
    let atEnd = true
    for (const e of scanEvents(this.db, {afterId: this.fold.lastId, types: CALL_RECORD_TYPES})) {
      this.fold.push(e, rows)
      if (++read >= maxEvents) {
        atEnd = false
        break
      }
    }
    const checkpoint = this.fold.checkpoint
    if (rows.length > 0 || checkpoint !== this.checkpoint) {
      this.db.transaction(() => {
        for (const row of rows) this.insert.run(row)
        this.save.run(NAME, checkpoint, Date.now())
      })()
      this.checkpoint = checkpoint
    }
    return {written: rows.length, atEnd, checkpoint}
  }

  /** Everything up to the log's end, at once (`callctl db summarize`, benchmarks). */
  catchUp(): {written: number; checkpoint: number} {
    let written = 0
    for (;;) {
      const r = this.advance()
      written += r.written
      if (r.atEnd) return {written, checkpoint: r.checkpoint}
    }
  }
}

/** How often the engine brings the summary up to date, and how much it reads per turn of the event loop. */
const EVERY_MS = 5_000
const SLICE = 2_000

/** Where the engine keeps the summary: a SQLite database (or store), or a PostgreSQL store. */
export type SummaryTarget = Database.Database | SqliteStore | PgStore

/**
 * The engine's side: every few seconds, the summary catches up with the log a slice at a
 * time (a first start on a large log must not hold up calls). A failed write (disk full,
 * a locked database, a PostgreSQL store that refused a fenced write) is logged once; the
 * next round starts again from the checkpoint.
 */
export function keepCallRows(target: SummaryTarget, log: Logger, o: {everyMs?: number} = {}): {stop(): void} {
  const projector = projectorFor(target)
  let running = false
  let stopped = false
  let failing = false
  let first = true
  const round = async () => {
    if (running || stopped) return
    running = true
    let written = 0
    try {
      for (;;) {
        const r = await projector.advance(SLICE)
        written += r.written
        if (r.atEnd || stopped) break
        await new Promise((res) => setImmediate(res))
      }
      if (failing) log.info('call summary: writing again')
      failing = false
      if (first && written > 0) log.info('call summary: caught up with the log', {calls: written})
      first = false
    } catch (err) {
      if (!failing && !stopped) log.warn('call summary: could not write (reports fold recent calls from the log meanwhile)', {error: String(err)})
      failing = true
      // Reading the checkpoint may fail too (PostgreSQL gone): the next round tries again.
      try {
        await projector.reset()
      } catch {}
    } finally {
      running = false
    }
  }
  const timer = setInterval(() => void round(), o.everyMs ?? EVERY_MS)
  timer.unref?.()
  void round()
  return {
    stop() {
      stopped = true
      clearInterval(timer)
    },
  }
}

interface Projector {
  advance(maxEvents: number): {written: number; atEnd: boolean; checkpoint: number} | Promise<{written: number; atEnd: boolean; checkpoint: number}>
  reset(): void | Promise<void>
}

function projectorFor(target: SummaryTarget): Projector {
  // The queue-visit summary (`report queues`) is kept with it, in the same rounds.
  if (target instanceof PgStore) return both(new PgCallRowsProjector(target), new PgVisitsProjector(target))
  const db = target instanceof SqliteStore ? target.db : target
  return both(new CallRowsProjector(db), new VisitsProjector(db))
}

/** Two projectors advanced together: the first's figures are reported, both must reach the end. */
function both(calls: Projector, visits: Projector): Projector {
  return {
    async advance(maxEvents) {
      const r = await calls.advance(maxEvents)
      const v = await visits.advance(maxEvents)
      return {...r, atEnd: r.atEnd && v.atEnd}
    },
    async reset() {
      await calls.reset()
      await visits.reset()
    },
  }
}

export interface SummarizeResult {
  /** Calls written to the summary in this run. */
  written: number
  /** Calls the summary holds in all. */
  calls: number
  checkpoint: number
  seconds: number
}

/** Brings the call summary up to the log's end now (the engine does it every few seconds). */
export function summarizeCalls(db: Database.Database): SummarizeResult {
  const t0 = performance.now()
  const r = new CallRowsProjector(db).catchUp()
  new VisitsProjector(db).catchUp()
  const calls = (db.prepare('SELECT COUNT(*) AS n FROM call_rows').get() as {n: number}).n
  return {written: r.written, calls, checkpoint: r.checkpoint, seconds: (performance.now() - t0) / 1000}
}

/** summarizeCalls for either store (`callctl db summarize`). */
export async function summarizeStore(store: SqliteStore | PgStore): Promise<SummarizeResult> {
  if (store instanceof SqliteStore) return summarizeCalls(store.db)
  const t0 = performance.now()
  const r = await new PgCallRowsProjector(store).catchUp()
  await new PgVisitsProjector(store).catchUp()
  const {rows} = await store.pool.query<{n: number}>('SELECT count(*)::int AS n FROM call_rows')
  return {written: r.written, calls: rows[0]!.n, checkpoint: r.checkpoint, seconds: (performance.now() - t0) / 1000}
}
