import type Database from 'better-sqlite3'
import {CALL_ROW_COPY_KINDS} from './pg-call-rows.js'
import type pg from 'pg'
import type {CopyColumn, CopyValue} from '../store/pg/copy-binary.js'
import {copyOut} from '../store/pg/copy-stream.js'
import type {StoredEvent, EventType} from '../store/events.js'
import {CallScan} from './call-scan.js'
import {CLOCK_SKEW_MS} from './event-scan.js'
import {CALL_STATE, PHONE_STATE, PRESENCE} from './event-tally.js'
import {OPEN_CALL_LOOKBACK_MS} from './interval-tally.js'
import {DEFAULT_FCR_WINDOW_MS} from './metrics.js'
import {SIMPLE_SPAN_MS, VISIT_TYPES} from './queue-visits.js'
import {REOPEN_TYPES} from './reopens.js'
import {TICKET_TYPES} from './tickets-report.js'
import type {ReportInputs} from './report-inputs.js'
import {VISIT_COLUMN_KINDS, VISITS, VISITS_SPAN} from './visit-rows.js'

// A report on a PostgreSQL store runs the SQLite report code, unchanged, on a local SQLite
// database holding what that report reads, copied from PostgreSQL first. Why not report
// in PostgreSQL's SQL: the reports are a few thousand lines that read the log in write
// order and fold it in JavaScript, and `report calls` from either store must be byte for
// byte the same file. Ported queries would be a second implementation to keep identical
// forever (collations, NULL ordering, float formatting, json ->>, GROUP BY's bare columns);
// one implementation fed the same rows gives the same bytes by construction. The copy reads
// one snapshot (REPEATABLE READ), with binary COPY (copy-binary.ts), and writes 100 rows per
// INSERT in one SQLite transaction.
//
// What is copied, for the report's declared inputs (report-inputs.ts):
// - the configuration: queues, agents, memberships;
// - the events of its types from where its walk starts to where it stops (that is found by
//   copying: a 'period' walk stops at its first event dated CLOCK_SKEW_MS past the period, a
//   'calls' walk when CallScan, fed the same events, says it has every call of the period);
// - for each time idBefore() is asked about, the event it answers with (the first at or
//   after that time, by time then id; the log's last when there is none), so idBefore gives
//   the same id on the copy as on PostgreSQL;
// - for presenceAt(t), each agent's last presence and phone-state event before t, and for
//   callsOpenAt(t) its last call connect or completion in the look-back before t;
// - the agents report's pause reasons: agent.paused events dated in the period;
// - the calls report: the summary's checkpoint, the call_rows it reads, and the recordings
//   of the calls it folds from the log, copied before call_rows so SQLite's triggers on
//   recordings change no copied row. With --format csv the call_rows are not copied but
//   streamed from PostgreSQL in the same snapshot (pgSummarizedCsv, pg-report.ts): they are
//   most of that report, and would otherwise be written to SQLite and read back once more.
// Events come back with their ids, so everything that depends on ids (idBefore, presenceAt's
// MAX(id), paging) behaves as on the original.

// Not the origin: no report reads it (scanEvents gives ''), and it is a string per event.
const EVENT_COLUMNS = ['id', 'ts', 'type', 'call_id', 'queue', 'agent', 'data'] as const
const EVENT_KINDS: CopyColumn[] = ['int8', 'int8', 'text', 'text', 'text', 'text', 'text']
const EVENTS_SELECT = `SELECT ${EVENT_COLUMNS.join(', ')} FROM events`

const RECORDING_COLUMNS: Record<string, CopyColumn> = {
  name: 'text',
  call_id: 'text',
  queue: 'text',
  agent: 'text',
  number: 'text',
  started_at: 'int8',
  ended_at: 'int8',
  duration_ms: 'int8',
  format: 'text',
  state: 'text',
  host_path: 'text',
  size_bytes: 'int8',
  error: 'text',
}

/** First batch of the walk past the period, in ids; each next one is 4 times longer. */
const FIRST_STEP = 2_000

export interface ReportCopyJob {
  from: number
  to: number
  inputs: ReportInputs
  /** First-contact resolution's window (a report with `visits` reads this far past its period); default 7 days. */
  windowMs?: number
  /** Leave the summarized calls out of the copy: the caller streams them (pgSummarizedCsv). */
  streamSummary?: boolean
}

export interface ReportCopyStats {
  events: number
  callRows: number
  recordings: number
  /** The summarized calls' range along first_id that the report reads, or null when it reads none. */
  summary: {low: number; high: number} | null
}

/**
 * Copies what the report reads from PostgreSQL (`client`, inside a REPEATABLE READ
 * transaction the caller opened: one snapshot) into `db`, a SQLite database with the
 * store's schema and nothing in it.
 */
export async function copyReportInputs(client: pg.ClientBase, db: Database.Database, job: ReportCopyJob): Promise<ReportCopyStats> {
  const {from, to, inputs} = job
  const stats: ReportCopyStats = {events: 0, callRows: 0, recordings: 0, summary: null}
  // OR IGNORE: the events idBefore answers with and the presence before the period may be in the walk too.
  const eventRows = new RowWriter(db, `INSERT OR IGNORE INTO events (${EVENT_COLUMNS.join(', ')}) VALUES`, EVENT_COLUMNS.length)
  const addEvent = (row: CopyValue[]) => eventRows.add(row)
  const events = (where: string) => copyOut(client, `${EVENTS_SELECT} WHERE ${where}`, EVENT_KINDS, addEvent)

  db.exec('BEGIN')
  try {
    await copyTable(client, db, 'queues', {name: 'text', settings: 'text', created_at: 'int8', updated_at: 'int8'})
    await copyTable(client, db, 'agents', {id: 'text', name: 'text', endpoint: 'text', skills: 'text', created_at: 'int8', updated_at: 'int8'})
    await copyTable(client, db, 'agent_queues', {agent: 'text', queue: 'text', penalty: 'int4'})

    const maxId = Number((await client.query<{id: string | number}>('SELECT COALESCE(MAX(id), 0) AS id FROM events')).rows[0]!.id)
    if (maxId > 0) await events(`id = ${maxId}`)
    // The event idBefore(ts) answers with, copied; its answer on PostgreSQL returned.
    const idBefore = async (ts: number): Promise<number> => {
      let first: number | null = null
      await copyOut(client, `${EVENTS_SELECT} WHERE ts >= ${int(ts)} ORDER BY ts, id LIMIT 1`, EVENT_KINDS, (row) => {
        first = row[0] as number
        addEvent(row)
      })
      return first === null ? maxId : first - 1
    }

    for (const offset of inputs.presenceAt) {
      const at = int(from + offset)
      for (const types of [PRESENCE, PHONE_STATE]) {
        await events(`id IN (SELECT DISTINCT ON (agent) id FROM events WHERE type IN (${typeList(types)}) AND ts < ${at} AND agent IS NOT NULL ORDER BY agent, id DESC)`)
      }
      // callsOpenAt(t): each agent's last connect or completion in the look-back before t.
      await events(`id IN (SELECT DISTINCT ON (agent) id FROM events WHERE type IN (${typeList(CALL_STATE)}) AND ts >= ${int(from + offset - OPEN_CALL_LOOKBACK_MS)} AND ts < ${at} AND agent IS NOT NULL ORDER BY agent, id DESC)`)
    }
    if (inputs.pausesInPeriod) await events(`type = 'agent.paused' AND ts >= ${int(from)} AND ts < ${int(to)}`)

    let start = await idBefore(from - inputs.lookbackMs)
    const afterPeriod = await idBefore(to + CLOCK_SKEW_MS)
    if (inputs.summary) {
      const low = await idBefore(from - CLOCK_SKEW_MS)
      const checkpoint = await copyCheckpoint(client, db)
      // summarizedRows reads the summary only past `low`, up to the checkpoint; the scan
      // of the log starts at the later of the two.
      if (checkpoint > low) stats.summary = {low, high: Math.min(checkpoint, afterPeriod)}
      start = Math.max(checkpoint, start)
    }

    // The walk: batches along the ids until it would stop, each copied whole (what follows
    // the stop in a batch is never read).
    const stop = walkEnd(inputs, {from, to})
    const types = typeList(inputs.types)
    let after = start
    let upTo = Math.max(afterPeriod + 1, start)
    let step = FIRST_STEP
    for (;;) {
      let stopped = false
      await copyOut(client, `${EVENTS_SELECT} WHERE id > ${int(after)} AND id <= ${int(upTo)} AND type IN (${types}) ORDER BY id`, EVENT_KINDS, (row) => {
        addEvent(row)
        if (!stopped) stopped = stop(row)
      })
      if (stopped || upTo >= maxId) break
      after = upTo
      upTo = Math.min(maxId, after + step)
      step *= 4
    }

    // Every ticket event before the period's end, as ticketEvents reads them.
    if (inputs.tickets) await events(`type IN (${typeList(TICKET_TYPES)}) AND ts < ${int(to)}`)
    if (inputs.visits) await copyVisits(client, db, {from, to, windowMs: job.windowMs ?? DEFAULT_FCR_WINDOW_MS}, {idBefore, events, addEvent, maxId})

    if (inputs.summary) {
      // The calls the report may fold: those whose call.started it copied, dated in the period.
      stats.recordings = await copyRows(
        client,
        db,
        'recordings',
        RECORDING_COLUMNS,
        // Materialized: the calls along the copied ids first (a range of the primary key),
        // not every call.started of the period joined to the recordings.
        `call_id IN (SELECT call_id FROM (SELECT call_id FROM events WHERE id > ${int(start)} AND id <= ${int(upTo)} AND type = 'call.started' AND ts >= ${int(from)} AND ts < ${int(to)} OFFSET 0) AS c)`,
      )
      const summary = stats.summary
      if (summary && !job.streamSummary) {
        stats.callRows = await copyRows(
          client,
          db,
          'call_rows',
          CALL_ROW_COPY_KINDS,
          `first_id > ${int(summary.low)} AND first_id <= ${int(summary.high)} AND started_at >= ${int(from)} AND started_at < ${int(to)} ORDER BY first_id`,
        )
      }
    }
    stats.events = eventRows.flush()
    db.exec('COMMIT')
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK')
    throw err
  }
  return stats
}

/**
 * What visitRows and reopensUntil read (visit-rows.ts, reopens.ts): the queue-visit summary's
 * checkpoint and span, its rows in visitPlan's range, the events of its walk (VISIT_TYPES
 * after its start, up to its first event dated past the window), the ticket events before
 * then. visitPlan's idBefore() answers are copied by asking them here in the same order.
 */
async function copyVisits(
  client: pg.ClientBase,
  db: Database.Database,
  span: {from: number; to: number; windowMs: number},
  log: {idBefore: (ts: number) => Promise<number>; events: (where: string) => Promise<unknown>; addEvent: (row: CopyValue[]) => void; maxId: number},
): Promise<void> {
  const {idBefore, events, addEvent, maxId} = log
  const saved = new Map<string, number>()
  const {rows} = await client.query<{name: string; checkpoint: string | number; updated_at: string | number}>('SELECT name, checkpoint, updated_at FROM projections WHERE name = ANY($1::text[])', [[VISITS, VISITS_SPAN]])
  for (const r of rows) {
    db.prepare('INSERT INTO projections (name, checkpoint, updated_at) VALUES (?, ?, ?)').run(r.name, Number(r.checkpoint), Number(r.updated_at))
    saved.set(r.name, Number(r.checkpoint))
  }
  const checkpoint = saved.get(VISITS) ?? 0
  const low = await idBefore(span.from - (saved.get(VISITS_SPAN) ?? 0) - CLOCK_SKEW_MS)
  const walkUntil = span.to + span.windowMs + CLOCK_SKEW_MS
  let after: number
  if (checkpoint > low) {
    const high = Math.min(checkpoint, await idBefore(walkUntil))
    await copyRows(client, db, 'queue_visits', VISIT_COLUMN_KINDS, `first_id > ${int(low)} AND first_id <= ${int(high)} AND last_at >= ${int(span.from)}`)
    // The edges report queues reads the rows across the period's start and end by (visit-sql.ts edges).
    await idBefore(span.from + CLOCK_SKEW_MS)
    await idBefore(span.to - SIMPLE_SPAN_MS - CLOCK_SKEW_MS)
    after = checkpoint
  } else after = await idBefore(span.from - CLOCK_SKEW_MS)
  const types = typeList(VISIT_TYPES)
  let step = FIRST_STEP
  while (after < maxId) {
    const upTo = Math.min(maxId, after + step)
    let stopped = false
    await copyOut(client, `${EVENTS_SELECT} WHERE id > ${int(after)} AND id <= ${int(upTo)} AND type IN (${types}) ORDER BY id`, EVENT_KINDS, (row) => {
      addEvent(row)
      if ((row[1] as number) >= walkUntil) stopped = true
    })
    if (stopped) break
    after = upTo
    step *= 4
  }
  await events(`type IN (${typeList(REOPEN_TYPES)}) AND ts < ${int(span.to + span.windowMs)}`)
}

/** A predicate told each event of the walk in id order: true once the report's walk would stop there. */
function walkEnd(inputs: ReportInputs, period: {from: number; to: number}): (row: CopyValue[]) => boolean {
  if (inputs.until === 'period') return (row) => (row[1] as number) >= period.to + CLOCK_SKEW_MS
  const scan = new CallScan(period)
  return (row) => {
    // The fields CallLine reads; the data is parsed only if a fold asks for it.
    const e = {id: row[0] as number, ts: row[1] as number, type: row[2] as EventType, callId: row[3] as string | null, queue: row[4] as string | null, agent: row[5] as string | null, data: {}, origin: ''} satisfies StoredEvent
    for (const _ of scan.push(e));
    return scan.done
  }
}

async function copyCheckpoint(client: pg.ClientBase, db: Database.Database): Promise<number> {
  const {rows} = await client.query<{name: string; checkpoint: string | number; updated_at: string | number}>("SELECT name, checkpoint, updated_at FROM projections WHERE name = 'call_rows'")
  const row = rows[0]
  if (!row) return 0
  db.prepare('INSERT INTO projections (name, checkpoint, updated_at) VALUES (?, ?, ?)').run(row.name, Number(row.checkpoint), Number(row.updated_at))
  return Number(row.checkpoint)
}

async function copyTable(client: pg.ClientBase, db: Database.Database, table: string, columns: Record<string, CopyColumn>): Promise<number> {
  return copyRows(client, db, table, columns, 'true')
}

/** Rows of `table` matching `where` (SQL after WHERE), the named columns. */
async function copyRows(client: pg.ClientBase, db: Database.Database, table: string, columns: Record<string, CopyColumn>, where: string): Promise<number> {
  const names = Object.keys(columns)
  const rows = new RowWriter(db, `INSERT INTO ${table} (${names.join(', ')}) VALUES`, names.length)
  const cast = names.map((n) => `${n}${columns[n] === 'int4' ? '::int4' : ''}`)
  await copyOut(client, `SELECT ${cast.join(', ')} FROM ${table} WHERE ${where}`, Object.values(columns), (row) => rows.add(row))
  return rows.flush()
}

/** Rows per INSERT: one statement with a VALUES list of this many costs far less than as many statements. */
const ROWS_PER_INSERT = 100

/** Rows into a SQLite table, ROWS_PER_INSERT at a time; flush() writes the rest and returns how many went in. */
class RowWriter {
  private readonly many: Database.Statement
  private readonly one: Database.Statement
  private readonly pending: CopyValue[] = []
  private written = 0

  constructor(
    db: Database.Database,
    insertValues: string,
    private readonly width: number,
  ) {
    const tuple = `(${Array<string>(width).fill('?').join(', ')})`
    this.many = db.prepare(`${insertValues} ${Array<string>(ROWS_PER_INSERT).fill(tuple).join(', ')}`)
    this.one = db.prepare(`${insertValues} ${tuple}`)
  }

  add(row: readonly CopyValue[]): void {
    for (let i = 0; i < this.width; i++) this.pending.push(row[i] as CopyValue)
    if (this.pending.length === this.width * ROWS_PER_INSERT) {
      this.written += this.many.run(this.pending).changes
      this.pending.length = 0
    }
  }

  flush(): number {
    for (let at = 0; at < this.pending.length; at += this.width) this.written += this.one.run(this.pending.slice(at, at + this.width)).changes
    this.pending.length = 0
    return this.written
  }
}

function typeList(types: readonly string[]): string {
  return types.map((t) => `'${t.replace(/'/g, "''")}'`).join(', ')
}

/** A number written into SQL: only ever a whole number (ids, epoch ms). */
function int(v: number): string {
  if (!Number.isSafeInteger(v)) throw new Error(`not a whole number: ${v}`)
  return String(v)
}
