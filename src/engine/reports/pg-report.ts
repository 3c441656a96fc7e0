import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type pg from 'pg'
import {PgStore} from '../store/pg/pg-store.js'
import {rollback} from '../store/pg/pg-migrations.js'
import {SqliteStore} from '../store/sqlite-store.js'
import {pgSummarizedCsv} from './pg-call-rows.js'
import {copyReportInputs, type ReportCopyJob, type ReportCopyStats} from './pg-report-copy.js'
import {reportFrom, type SummaryCsvSource} from './report-from.js'
import type {Sink} from './report-output.js'
import {REPORTS} from './report-types.js'
import type {ReportJob} from './report-job.js'

/** A local SQLite database with the store's schema, holding a report's inputs copied from PostgreSQL. */
export interface LocalReportStore {
  store: SqliteStore
  stats: ReportCopyStats
  /** The summarized calls streamed from PostgreSQL in the copy's snapshot, when the job left them out of the copy. */
  summaryCsv: SummaryCsvSource | undefined
  /** Closes and deletes it, and ends the read on PostgreSQL. */
  dispose(): Promise<void>
}

/**
 * A report from a PostgreSQL store: its inputs copied into a local SQLite database, then made
 * there by the same code as on SQLite (pg-report-copy.ts says why). `report calls --format
 * csv` streams its summarized calls from PostgreSQL instead of copying them (pgSummarizedCsv).
 */
export async function pgReport(database: string | pg.ClientBase, job: Omit<ReportJob, 'database'>, sink: Sink, progress?: (rows: number) => void): Promise<number> {
  const inputs = REPORTS[job.type].reads
  const local = await copyForReport(database, {from: job.from, to: job.to, inputs, windowMs: job.fcrWindowMs, streamSummary: inputs.summary && job.format === 'csv'})
  try {
    return await reportFrom(local.store.db, job, sink, progress, local.summaryCsv)
  } finally {
    await local.dispose()
  }
}

/**
 * The report's inputs in a SQLite file of its own. A file, not :memory:: a month of events
 * is gigabytes that SQLite then pages through its cache instead of holding in the process.
 * It lives in a private temporary directory (0700: it holds callers' numbers) and is
 * deleted by dispose().
 *
 * `database`: a URL, read through one connection of its own in a read-only REPEATABLE READ
 * transaction (one snapshot for the copy and the streamed summary), kept until dispose();
 * or a connection already inside a transaction (db migrate checks its uncommitted copy so).
 */
export async function copyForReport(database: string | pg.ClientBase, job: ReportCopyJob): Promise<LocalReportStore> {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-report-'))
  let store: SqliteStore | null = null
  let reader: Reader | null = null
  const dispose = async () => {
    await reader?.end()
    await store?.close()
    rmSync(dir, {recursive: true, force: true})
  }
  try {
    store = new SqliteStore(join(dir, 'report.db'))
    // Nothing to recover after a crash: the file is thrown away.
    store.db.pragma('journal_mode = OFF')
    store.db.pragma('synchronous = OFF')
    store.db.pragma('cache_size = -65536')
    // Lookups by call id no report makes; keeping them up would cost the copy more than all else.
    store.db.exec('DROP INDEX events_call; DROP INDEX call_rows_call')
    reader = typeof database === 'string' ? await Reader.open(database) : null
    const client = reader?.client ?? (database as pg.ClientBase)
    const stats = await copyReportInputs(client, store.db, job)
    const range = stats.summary
    const summaryCsv: SummaryCsvSource | undefined =
      job.streamSummary && range
        ? (filter, zone) => {
            const r = reader
            const pages = pgSummarizedCsv(client, range, {from: job.from, to: job.to}, filter, zone)
            // A COPY left half-read makes the connection useless: reader.end() then drops it.
            if (!r) return pages
            return (async function* () {
              r.streaming = true
              yield* pages
              r.streaming = false
            })()
          }
        : undefined
    return {store, stats, summaryCsv, dispose}
  } catch (err) {
    await dispose()
    throw err
  }
}

/** One connection of a report's own, in a read-only snapshot, until end(). */
class Reader {
  streaming = false

  private constructor(
    private readonly store: PgStore,
    readonly client: pg.PoolClient,
  ) {}

  static async open(url: string): Promise<Reader> {
    // Opened as every command opens the store: a database of an older schema is brought up to date.
    const store = await PgStore.open(url, {poolSize: 1, applicationName: 'callctl report'})
    try {
      const client = await store.pool.connect()
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      } catch (err) {
        client.release(true)
        throw err
      }
      return new Reader(store, client)
    } catch (err) {
      await store.close()
      throw err
    }
  }

  async end(): Promise<void> {
    try {
      // Read only: nothing to keep, and a half-read COPY leaves nothing to say to this connection.
      const broken = this.streaming || !(await rollback(this.client))
      this.client.release(broken)
    } finally {
      await this.store.close()
    }
  }
}
