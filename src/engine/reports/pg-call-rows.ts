import type pg from 'pg'
import {to as copyTo} from 'pg-copy-streams'
import type {EventType} from '../store/events.js'
import {BinaryCopyDecoder} from '../store/pg/copy-binary.js'
import {pgText, type PgDatabase} from '../store/pg/repo-access.js'
import type {CsvText} from './report-output.js'
import type {Zone} from './zone.js'
import {SUMMARY_COLUMNS, SUMMARY_CSV_COLUMNS, summaryCsvRecord, SummaryFold} from './summary-fold.js'
import {CALL_RECORD_TYPES} from './call-scan.js'
import {ScannedEvent} from './event-scan.js'

// The call summary in a PostgreSQL store (repo-schema.ts version 6): the same fold as on
// SQLite (SummaryFold), reading the log a slice at a time and writing the calls it completes
// with the checkpoint in one transaction through the store's write(), so an engine that no
// longer leads (its fence is stale) writes nothing. Event ids are drawn in commit order
// (pg-store.ts): reading `id > last` never skips an event committed later.

const NAME = 'call_rows'

/** Each summary column's type, in SUMMARY_COLUMNS order (the casts of the unnest below). */
const TYPES: Record<(typeof SUMMARY_COLUMNS)[number], 'bigint' | 'text' | 'float8'> = {
  first_id: 'bigint',
  call_id: 'text',
  started_at: 'bigint',
  answered_at: 'bigint',
  ended_at: 'bigint',
  direction: 'text',
  caller_number: 'text',
  caller_name: 'text',
  did: 'text',
  ivr_keys: 'text',
  queue: 'text',
  queues: 'text',
  priority: 'float8',
  entry_position: 'float8',
  wait_s: 'float8',
  agents_tried: 'text',
  agent: 'text',
  talk_s: 'float8',
  hold_s: 'float8',
  wrap_up_s: 'float8',
  transfers: 'text',
  outcome: 'text',
  disconnect: 'text',
  survey_score: 'float8',
  agents: 'text',
  csv_middle: 'text',
  csv_last: 'text',
}

/** Every call_rows column (the summary's and the recording) as binary COPY reads it: for a report's copy (pg-report-copy.ts). */
export const CALL_ROW_COPY_KINDS: Record<string, 'int8' | 'text' | 'float8'> = {
  ...Object.fromEntries(SUMMARY_COLUMNS.map((c) => [c, TYPES[c] === 'bigint' ? 'int8' : TYPES[c]])),
  recording: 'text',
}

// The recording files are read from the recordings table as the row is written, by the
// function the triggers on recordings keep them current with (as SQLite's INSERT does).
const UPSERT = `INSERT INTO call_rows (${SUMMARY_COLUMNS.join(', ')}, recording)
  SELECT r.*, call_recording_files(r.call_id)
  FROM unnest(${SUMMARY_COLUMNS.map((c, i) => `$${i + 1}::${TYPES[c]}[]`).join(', ')}) AS r(${SUMMARY_COLUMNS.join(', ')})
  ON CONFLICT (first_id) DO UPDATE SET ${[...SUMMARY_COLUMNS.slice(1), 'recording'].map((c) => `${c} = excluded.${c}`).join(', ')}`

// Two writers (the engine, `db summarize`) may race: the checkpoint never goes back.
const SAVE = `INSERT INTO projections (name, checkpoint, updated_at) VALUES ($1, $2, $3)
  ON CONFLICT (name) DO UPDATE SET checkpoint = GREATEST(projections.checkpoint, excluded.checkpoint), updated_at = excluded.updated_at`

const READ = 'SELECT id, ts, type, call_id, queue, agent, data FROM events WHERE id > $1 AND type = ANY($2::text[]) ORDER BY id LIMIT $3'

/** Up to which call.started event (id) every call has its row; 0 when there is no summary. */
export async function pgSummaryCheckpoint(db: pg.Pool | pg.ClientBase): Promise<number> {
  const {rows} = await db.query<{checkpoint: number | string}>('SELECT checkpoint FROM projections WHERE name = $1', [NAME])
  return rows[0] ? Number(rows[0].checkpoint) : 0
}

/** Keeps call_rows up to date in a PostgreSQL store, as CallRowsProjector does in SQLite. */
export class PgCallRowsProjector {
  private fold: SummaryFold | null = null
  private checkpoint = 0

  constructor(private readonly db: PgDatabase) {}

  /** Forget what is in memory and start again from the stored checkpoint (after a failed write). */
  async reset(): Promise<void> {
    this.checkpoint = await pgSummaryCheckpoint(this.db.pool)
    this.fold = new SummaryFold(this.checkpoint)
  }

  /** Reads up to `maxEvents` events and writes the calls they finish, with the new checkpoint, in one transaction. */
  async advance(maxEvents = 20_000): Promise<{written: number; atEnd: boolean; checkpoint: number}> {
    if (!this.fold) await this.reset()
    const fold = this.fold!
    const {rows} = await this.db.pool.query<unknown[]>({text: READ, values: [fold.lastId, CALL_RECORD_TYPES, maxEvents], rowMode: 'array'})
    const out: unknown[][] = []
    for (const r of rows) {
      fold.push(new ScannedEvent(Number(r[0]), Number(r[1]), r[2] as EventType, r[3] as string | null, r[4] as string | null, r[5] as string | null, r[6] as string), out)
    }
    const checkpoint = fold.checkpoint
    if (out.length > 0 || checkpoint !== this.checkpoint) {
      await this.db.write(async ({client}) => {
        if (out.length > 0) await client.query(UPSERT, columnsOf(out))
        await client.query(SAVE, [NAME, checkpoint, Date.now()])
      })
      this.checkpoint = checkpoint
    }
    return {written: out.length, atEnd: rows.length < maxEvents, checkpoint}
  }

  /** Everything up to the log's end, at once (`callctl db summarize`). */
  async catchUp(): Promise<{written: number; checkpoint: number}> {
    let written = 0
    for (;;) {
      const r = await this.advance()
      written += r.written
      if (r.atEnd) return {written, checkpoint: r.checkpoint}
    }
  }
}

/** SummaryFold's rows as one array per column, for the unnest of UPSERT (text as PostgreSQL can hold it). */
function columnsOf(rows: unknown[][]): unknown[][] {
  return SUMMARY_COLUMNS.map((c, i) => rows.map((r) => (TYPES[c] === 'text' && typeof r[i] === 'string' ? pgText(r[i] as string) : (r[i] ?? null))))
}

/** Records per page of text, as summarizedCsv's pages. */
const CSV_PAGE = 500

/**
 * The summarized calls of a report on PostgreSQL as CSV text, straight from call_rows: the
 * rows summarizedCsv reads (its range along first_id, the period, the --queue / --agent
 * filter, in first_id order) made into records by the same function. `range` is what the
 * copy of the report's other inputs found (pg-report-copy.ts), in the same snapshot: read
 * through the same `client`, inside its transaction. Streamed rather than copied into the
 * local SQLite: `report calls` is mostly these rows, and going through SQLite would write
 * and read each one once more.
 */
export async function* pgSummarizedCsv(
  client: pg.ClientBase,
  range: {low: number; high: number},
  period: {from: number; to: number},
  filter: {queue: string | null; agent: string | null},
  zone: Zone,
): AsyncGenerator<CsvText> {
  const where = [
    `first_id > ${whole(range.low)} AND first_id <= ${whole(range.high)} AND started_at >= ${whole(period.from)} AND started_at < ${whole(period.to)}`,
    ...(filter.queue !== null ? [`strpos(' ' || queues || ' ', ' ' || ${sqlText(filter.queue)} || ' ') > 0`] : []),
    ...(filter.agent !== null ? [`strpos(' ' || agents || ' ', ' ' || ${sqlText(filter.agent)} || ' ') > 0`] : []),
  ].join(' AND ')
  const record = summaryCsvRecord(zone)
  let text = ''
  let rows = 0
  const decoder = new BinaryCopyDecoder(['text', 'int8', 'int8', 'int8', 'text', 'text', 'text'], (r) => {
    text += record(r)
    rows++
  })
  const stream = client.query(copyTo(`COPY (SELECT ${SUMMARY_CSV_COLUMNS} FROM call_rows WHERE ${where} ORDER BY first_id) TO STDOUT (FORMAT binary)`))
  for await (const chunk of stream) {
    decoder.push(chunk as Buffer)
    if (rows >= CSV_PAGE) {
      yield {text, rows}
      text = ''
      rows = 0
    }
  }
  decoder.end()
  if (rows > 0) yield {text, rows}
}

/** A SQL string literal for COPY's query, which takes no parameters (quote_literal's rules). */
function sqlText(s: string): string {
  const t = pgText(s).replace(/'/g, "''")
  return t.includes('\\') ? `E'${t.replace(/\\/g, '\\\\')}'` : `'${t}'`
}

function whole(v: number): string {
  if (!Number.isSafeInteger(v)) throw new Error(`not a whole number: ${v}`)
  return String(v)
}
