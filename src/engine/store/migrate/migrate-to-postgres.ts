import {existsSync} from 'node:fs'
import type pg from 'pg'
import {UserError} from '../../util/errors.js'
import {isPostgresUrl, maskDatabase} from '../database-url.js'
import {LOCK, LOCK_SPACE} from '../pg/locks.js'
import {rollback} from '../pg/pg-migrations.js'
import {PgStore} from '../pg/pg-store.js'
import {copyIn} from '../pg/copy-stream.js'
import {SqliteStore} from '../sqlite-store.js'
import {compareReports, type ReportComparison} from './compare-reports.js'
import {ALL_TABLES, copyLine, EVENTS, TABLES, type TableCopy} from './tables.js'

// `callctl db migrate --to postgres://…`: a SQLite store copied into PostgreSQL, then
// checked, in one PostgreSQL transaction. Either the target ends up holding the same store,
// counted table by table and giving every report byte for byte as SQLite does, or nothing
// is committed and it holds what it held before (a failure, Ctrl-C, a check that differs).
//
// The source is read in one SQLite read transaction: a snapshot, which the checks read too.
// Events keep their ids (the log's ids are what `events --follow` and the call summary's
// checkpoint count by); they are copied last, holding the events lock as every PostgreSQL
// writer does from its insert to its commit (pg-store.ts), and the id identity is then moved
// past the largest, so the next append draws the next id.

export interface MigrateOptions {
  /** The SQLite store's file. */
  source: string
  /** postgres://… */
  target: string
  /** Replace what the target holds (its callctl tables are emptied in the same transaction). */
  force?: boolean
  onProgress?: (p: MigrateProgress) => void
  /** The reports' clock (tests). */
  now?: number
  /** Compare every report on both stores before committing (default true; benchmarks loading a store skip it, counts are still checked). */
  checkReports?: boolean
}

export type MigrateProgress =
  | {phase: 'copy'; table: string; done: number; total: number}
  | {phase: 'check'; report: string; done: number; total: number}
  /** After the commit: VACUUM (ANALYZE) table by table. */
  | {phase: 'analyze'; table: string; done: number; total: number}

export interface TableCount {
  table: string
  source: number
  target: number
}

export interface MigrateResult {
  source: string
  /** The target with its password masked. */
  target: string
  /** What --force removed from the target (table → rows), or null when it was empty. */
  replaced: Record<string, number> | null
  tables: TableCount[]
  events: number
  lastEventId: number
  /** The period the reports were compared over (all the data): [fromAt, toAt). */
  period: {fromAt: number; toAt: number}
  reports: ReportComparison[]
  /** VACUUM (ANALYZE) ran on every table after the commit (false: it failed; PostgreSQL's autovacuum will do it). */
  analyzed: boolean
  seconds: number
}

/** Rows per COPY write, and the most text gathered before one. */
const BATCH_ROWS = 5_000
const BATCH_CHARS = 1 << 20

export async function migrateToPostgres(o: MigrateOptions): Promise<MigrateResult> {
  const started = performance.now()
  if (!isPostgresUrl(o.target)) {
    throw new UserError(`--to must be a PostgreSQL URL, not ${maskDatabase(o.target)}`, {suggestion: 'Give --to postgres://USER:PASSWORD@HOST:PORT/DATABASE.', exitCode: 2, code: 'bad_option'})
  }
  if (isPostgresUrl(o.source)) {
    throw new UserError(`The configured database is already PostgreSQL (${maskDatabase(o.source)})`, {suggestion: 'db migrate copies a SQLite store: point database: (or CALLCTL_DB) at the SQLite file.', exitCode: 2, code: 'bad_option'})
  }
  if (o.source !== ':memory:' && !existsSync(o.source)) {
    throw new UserError(`No database at ${o.source}`, {suggestion: 'Check --config / CALLCTL_DB, or CALLCTL_HOME.', exitCode: 1, code: 'no_database'})
  }
  const source = new SqliteStore(o.source)
  let target: PgStore | null = null
  try {
    target = await PgStore.open(o.target, {poolSize: 1, applicationName: 'callctl migrate'})
    const client = await target.pool.connect()
    let broken = false
    let committed = false
    try {
      await client.query('BEGIN')
      const replaced = await makeRoom(client, o)
      source.db.exec('BEGIN')
      try {
        const totals = new Map(ALL_TABLES.map((t) => [t.table, count(source, t.table)]))
        for (const t of TABLES) await copyTable(source, client, t, totals.get(t.table)!, o.onProgress)
        // Last, as every writer takes it: see pg-store.ts.
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, LOCK.events])
        await copyTable(source, client, EVENTS, totals.get('events')!, o.onProgress)
        for (const t of ALL_TABLES) if (t.identity) await moveIdentity(client, t.table, t.identity)

        const tables: TableCount[] = []
        for (const t of ALL_TABLES) {
          const {rows} = await client.query<{n: string}>(`SELECT count(*) AS n FROM ${t.table}`)
          tables.push({table: t.table, source: totals.get(t.table)!, target: Number(rows[0]!.n)})
        }
        const range = source.db.prepare('SELECT MIN(ts) AS first, MAX(ts) AS last, COALESCE(MAX(id), 0) AS id FROM events').get() as {first: number | null; last: number | null; id: number}
        const period = range.first === null ? {from: 0, to: 1} : {from: range.first, to: range.last! + 1}
        const reports =
          o.checkReports === false ? [] : await compareReports(source.db, client, {...period, now: o.now ?? Math.max(Date.now(), period.to)}, (report, done, total) => o.onProgress?.({phase: 'check', report, done, total}))
        const result: MigrateResult = {
          source: o.source,
          target: maskDatabase(o.target),
          replaced,
          tables,
          events: totals.get('events')!,
          lastEventId: range.id,
          period: {fromAt: period.from, toAt: period.to},
          reports,
          analyzed: false,
          seconds: 0,
        }
        const problems = [
          ...tables.filter((t) => t.source !== t.target).map((t) => `${t.table}: ${t.source} rows in SQLite, ${t.target} in PostgreSQL`),
          ...reports.filter((r) => !r.identical).map((r) => `report ${r.report}: ${r.rows} rows from SQLite, ${r.target!.rows} from PostgreSQL, other bytes`),
        ]
        if (problems.length > 0) {
          throw new UserError(`The copy differs from the SQLite store, so nothing was committed: ${problems.join('; ')}`, {
            suggestion:
              'The target is as it was before. Text PostgreSQL cannot hold (U+0000 in a caller\'s name: it keeps U+FFFD) changes a report; otherwise this is a bug worth reporting, with callctl --version.',
            exitCode: 1,
            code: 'migrate_check',
          })
        }
        await client.query('COMMIT')
        committed = true
        // As after any bulk load: the planner's statistics for the reports' queries, and the
        // rows' hint bits and visibility set now rather than by the first report to read them.
        // Committed by then: a failure here leaves the store whole, only not yet analyzed.
        try {
          o.onProgress?.({phase: 'analyze', table: 'all', done: 0, total: ALL_TABLES.length})
          for (const [i, t] of ALL_TABLES.entries()) {
            await client.query(`VACUUM (ANALYZE) ${t.table}`)
            o.onProgress?.({phase: 'analyze', table: t.table, done: i + 1, total: ALL_TABLES.length})
          }
          result.analyzed = true
        } catch {
          result.analyzed = false
        }
        result.seconds = (performance.now() - started) / 1000
        return result
      } finally {
        if (source.db.inTransaction) source.db.exec('COMMIT')
      }
    } catch (err) {
      if (!committed) broken = !(await rollback(client))
      throw err
    } finally {
      client.release(broken)
    }
  } finally {
    await target?.close()
    await source.close()
  }
}

/**
 * Makes sure the target may be filled: refused while an engine leads on it (even with
 * --force: emptying a store under a running engine loses what it writes), and when it
 * holds any callctl data unless --force, which empties those tables here, in the migration's
 * transaction. Returns what --force removed.
 */
async function makeRoom(client: pg.ClientBase, o: MigrateOptions): Promise<Record<string, number> | null> {
  const {rows: leaders} = await client.query<{key: string; holder: string | null}>('SELECT key, holder FROM leadership WHERE expires_at > now()')
  if (leaders.length > 0) {
    const l = leaders[0]!
    throw new UserError(`An engine leads on ${maskDatabase(o.target)} (app "${l.key}", ${l.holder ?? 'unknown holder'}): migrating into a store in use would lose what it writes`, {
      suggestion: 'Stop the engines that use this database first, or migrate into another database.',
      exitCode: 2,
      code: 'target_in_use',
    })
  }
  const held: Record<string, number> = {}
  for (const t of ALL_TABLES) {
    const {rows} = await client.query<{n: string}>(`SELECT count(*) AS n FROM ${t.table}`)
    const n = Number(rows[0]!.n)
    if (n > 0) held[t.table] = n
  }
  if (Object.keys(held).length === 0) return null
  const what = Object.entries(held)
    .map(([t, n]) => `${t}: ${n.toLocaleString('en-US')}`)
    .join(', ')
  if (!o.force) {
    throw new UserError(`The target ${maskDatabase(o.target)} already holds a callctl store (${what})`, {
      suggestion: 'Migrate into an empty database, or add --force to replace what it holds (emptied in the same transaction: a failed migration leaves it as it was).',
      exitCode: 2,
      code: 'target_not_empty',
    })
  }
  // Row triggers do not see a TRUNCATE: the knowledge base's counts are reset by hand.
  await client.query(`TRUNCATE ${ALL_TABLES.map((t) => t.table).join(', ')} RESTART IDENTITY`)
  await client.query('UPDATE kb_stats SET entries = 0, chars = 0')
  return held
}

function count(source: SqliteStore, table: string): number {
  return (source.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as {n: number}).n
}

/**
 * One table over COPY … FROM STDIN, a batch of rows per write, reporting progress after
 * each. A row PostgreSQL refuses (a constraint SQLite did not enforce when it was written)
 * is the user's data to look at: a UserError naming the table and PostgreSQL's reason.
 */
async function copyTable(source: SqliteStore, client: pg.ClientBase, t: TableCopy, total: number, onProgress?: (p: MigrateProgress) => void): Promise<void> {
  try {
    await copyRows(source, client, t, total, onProgress)
  } catch (err) {
    const sqlstate = (err as {code?: unknown}).code
    if (typeof sqlstate === 'string' && /^(22|23)/.test(sqlstate)) {
      throw new UserError(`PostgreSQL refused a row of ${t.table}: ${(err as Error).message}; nothing was committed`, {
        suggestion: `Look at that row in the SQLite store (sqlite3 ${source.file} "SELECT * FROM ${t.table} …"), correct or remove it, and migrate again.`,
        exitCode: 1,
        code: 'migrate_row',
      })
    }
    throw err
  }
}

async function copyRows(source: SqliteStore, client: pg.ClientBase, t: TableCopy, total: number, onProgress?: (p: MigrateProgress) => void): Promise<void> {
  const copy = copyIn(client, t.table, t.target ?? t.columns.map(([c]) => c))
  const rows = source.db.prepare(`SELECT ${t.columns.map(([c]) => c).join(', ')} FROM ${t.table} ORDER BY ${t.orderBy}`).raw(true)
  let text = ''
  let batch = 0
  let done = 0
  onProgress?.({phase: 'copy', table: t.table, done, total})
  for (const row of rows.iterate() as Iterable<unknown[]>) {
    text += copyLine(t, row)
    if (++batch >= BATCH_ROWS || text.length >= BATCH_CHARS) {
      await copy.write(text)
      done += batch
      text = ''
      batch = 0
      onProgress?.({phase: 'copy', table: t.table, done, total})
    }
  }
  if (text) await copy.write(text)
  done += batch
  await copy.end()
  onProgress?.({phase: 'copy', table: t.table, done, total})
}

/** The identity's next value past the largest copied id (or back to 1 on an empty table). */
async function moveIdentity(client: pg.ClientBase, table: string, column: string): Promise<void> {
  await client.query(
    `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(${column}) FROM ${table}), 1), (SELECT MAX(${column}) FROM ${table}) IS NOT NULL)`,
    [table, column],
  )
}
