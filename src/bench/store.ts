import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pg from 'pg'
import type {NewEvent} from '../engine/store/events.js'
import {maskDatabase} from '../engine/store/database-url.js'
import {PgStore} from '../engine/store/pg/pg-store.js'
import {SqliteStore} from '../engine/store/sqlite-store.js'
import type {Store} from '../engine/store/store.js'
import {flag, numberFlag} from './flags.js'
import {startBenchPostgres} from './pg-cluster.js'
import {reportsOnBothStores, type StoreReports} from './store-reports.js'

// The store's write cost, SQLite against PostgreSQL on the same machine in one run: events
// appended per second by one appender, in transactions of 1 event (an admin change, an
// engine flushing a quiet moment) and of 100 (the engine's writer under load). Each
// measurement starts on a new, empty database. SQLite runs as the engine opens it (WAL,
// synchronous=NORMAL); PostgreSQL as installed (fsync on), with synchronous_commit on
// (the default: each commit waits for its WAL flush) and off (a commit may be lost, never
// half-written, if the server crashes, as with SQLite's NORMAL on power loss).
// PostgreSQL appends also take the events lock that keeps ids in commit order (pg-store.ts);
// one more row shows 4 appenders at once (4 pools), which that lock serializes.
//
// Then the read side (store-reports.ts): bench:reports' week of calls in SQLite (summary built)
// and loaded into PostgreSQL, `report calls` and `report queues --interval 15m` from each
// store by the built CLI; and the store's cost in one table: appends per second, report
// calls rows per second, report queues seconds, SQLite against PostgreSQL, with ratios.
// Exits 1 when report calls from PostgreSQL is under 200,000 rows/s (issue 15) or the two
// stores' reports differ.
//
// Flags: --json, --events N (events per measurement in transactions of 1; transactions of
// 100 append 10 times as many), --pg-url URL (a server to use instead of a throwaway cluster;
// the bench creates and drops databases there), --calls N (the reports' calls, default
// 1,000,000; 0 skips the reports), --db FILE (their SQLite store, kept and reused), --seed N.

interface Measured {
  events: number
  seconds: number
  perSec: number
}

const WARMUP = 50

function event(i: number): NewEvent {
  return {type: 'agent.ringing', ts: 1_700_000_000_000 + i, callId: `call-${i >> 3}`, queue: 'support', agent: `a${i % 40}`, data: {endpoint: `PJSIP/a${i % 40}`, attempt: 1 + (i % 3)}, origin: 'bench'}
}

async function measure(stores: Store[], batch: number, events: number): Promise<Measured> {
  const per = Math.floor(events / stores.length / batch)
  let next = 0
  const take = () => Array.from({length: batch}, () => event(next++))
  for (let i = 0; i < WARMUP / batch + 1; i++) await stores[0]!.appendEvents(take())
  const started = process.hrtime.bigint()
  await Promise.all(
    stores.map(async (s) => {
      for (let i = 0; i < per; i++) await s.appendEvents(take())
    }),
  )
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const appended = per * batch * stores.length
  return {events: appended, seconds, perSec: appended / seconds}
}

async function sqliteRun(batch: number, events: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-bench-store-'))
  const store = new SqliteStore(join(dir, 'callctl.db'))
  try {
    return await measure([store], batch, events)
  } finally {
    await store.close()
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Databases made on the server for one measurement each, dropped at the end. */
class Databases {
  private n = 0
  private readonly made: string[] = []
  constructor(private readonly serverUrl: string) {}

  async fresh(options?: string): Promise<string> {
    const name = `callctl_bench_${process.pid}_${++this.n}`
    await this.admin(`CREATE DATABASE ${name}`)
    this.made.push(name)
    const u = new URL(this.serverUrl)
    u.pathname = `/${name}`
    if (options) u.searchParams.set('options', options)
    return u.toString()
  }

  async dropAll(): Promise<void> {
    for (const name of this.made.splice(0)) await this.admin(`DROP DATABASE IF EXISTS ${name}`)
  }

  private async admin(sql: string): Promise<void> {
    const c = new pg.Client({connectionString: this.serverUrl})
    await c.connect()
    try {
      await c.query(sql)
    } finally {
      await c.end()
    }
  }
}

async function pgRun(dbs: Databases, batch: number, events: number, o: {syncCommit: boolean; appenders?: number}): Promise<Measured> {
  const url = await dbs.fresh(o.syncCommit ? undefined : '-c synchronous_commit=off')
  const stores = await Promise.all(Array.from({length: o.appenders ?? 1}, () => PgStore.open(url, {poolSize: 2})))
  try {
    return await measure(stores, batch, events)
  } finally {
    await Promise.all(stores.map((s) => s.close()))
  }
}

/** Issue 15: `report calls` from PostgreSQL, rows per second. */
const TARGET_ROWS_PER_S = 200_000

async function run(args: string[], log: (s: string) => void) {
  const events = numberFlag(args, '--events', 3000, {integer: true, min: 100})
  const calls = numberFlag(args, '--calls', 1_000_000, {integer: true, min: 0})
  const seed = numberFlag(args, '--seed', 1, {integer: true})
  const given = flag(args, '--pg-url')
  const cluster = given ? null : await startBenchPostgres()
  const serverUrl = given ?? cluster!.url
  const dbs = new Databases(serverUrl)
  try {
    const rows = []
    log('Timing appends on both stores ...')
    for (const batch of [1, 100]) {
      const n = batch === 1 ? events : events * 10
      const sqlite = await sqliteRun(batch, n)
      const pgOn = await pgRun(dbs, batch, n, {syncCommit: true})
      const pgOff = await pgRun(dbs, batch, n, {syncCommit: false})
      rows.push({batch, appenders: 1, sqlite, pgOn, pgOff})
    }
    const concurrent = {
      batch: 1,
      appenders: 4,
      sqlite: null,
      pgOn: await pgRun(dbs, 1, events, {syncCommit: true, appenders: 4}),
      pgOff: await pgRun(dbs, 1, events, {syncCommit: false, appenders: 4}),
    }
    const version = await serverVersion(serverUrl)
    let reports: StoreReports | null = null
    if (calls > 0) {
      const work = mkdtempSync(join(tmpdir(), 'callctl-bench-store-reports-'))
      try {
        reports = await reportsOnBothStores({file: flag(args, '--db') ?? join(work, 'callctl.db'), calls, seed, pgUrl: await dbs.fresh(), work, log})
      } finally {
        rmSync(work, {recursive: true, force: true})
      }
    }
    return {
      machine: {node: process.version, sqlite: sqliteVersion(), postgres: version, server: given ? maskDatabase(given) : 'throwaway local cluster (fsync on)'},
      rows: [...rows, concurrent],
      reports,
    }
  } finally {
    await dbs.dropAll().catch(() => {})
    cluster?.stop()
  }
}

function sqliteVersion(): string {
  const s = new SqliteStore(':memory:')
  try {
    return (s.db.prepare('SELECT sqlite_version() AS v').get() as {v: string}).v
  } finally {
    void s.close()
  }
}

async function serverVersion(url: string): Promise<string> {
  const c = new pg.Client({connectionString: url})
  await c.connect()
  try {
    return ((await c.query('SHOW server_version')).rows[0] as {server_version: string}).server_version
  } finally {
    await c.end()
  }
}

type Result = Awaited<ReturnType<typeof run>>

function printTable(r: Result): void {
  const int = (v: number) => Math.round(v).toLocaleString('en-US')
  const ratio = (pgRate: number, sqlite: Measured | null) => (sqlite ? `${(pgRate / sqlite.perSec).toFixed(2)}x` : '')
  const rows: string[][] = [['transactions', 'appenders', 'SQLite ev/s', 'PostgreSQL ev/s', 'PG/SQLite', 'PG sync off ev/s', 'PG off/SQLite']]
  for (const x of r.rows) {
    rows.push([
      x.batch === 1 ? 'of 1 event' : `of ${x.batch} events`,
      String(x.appenders),
      x.sqlite ? int(x.sqlite.perSec) : '-',
      int(x.pgOn.perSec),
      ratio(x.pgOn.perSec, x.sqlite),
      int(x.pgOff.perSec),
      ratio(x.pgOff.perSec, x.sqlite),
    ])
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()
  const m = r.machine
  console.log(`Store appends: events per second (node ${m.node}, SQLite ${m.sqlite}, PostgreSQL ${m.postgres}: ${m.server})`)
  console.log('SQLite: WAL, synchronous=NORMAL (as the engine opens it). PostgreSQL: synchronous_commit on (default) and off; every append takes the events lock (ids in commit order).')
  console.log('')
  console.log(line(rows[0]!))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of rows.slice(1)) console.log(line(row))
  if (r.reports) printCost(r)
}

/** The store's cost side by side: appends, report calls, report queues. */
function printCost(r: Result): void {
  const x = r.reports!
  const int = (v: number) => Math.round(v).toLocaleString('en-US')
  const of100 = r.rows.find((row) => row.batch === 100 && row.appenders === 1)!
  const rows: string[][] = [
    ['', 'SQLite', 'PostgreSQL', 'PG/SQLite'],
    ['events appended/s (transactions of 100)', int(of100.sqlite!.perSec), int(of100.pgOn.perSec), `${(of100.pgOn.perSec / of100.sqlite!.perSec).toFixed(2)}x`],
    ['report calls, rows/s', int(x.reportCalls.sqlite.rowsPerSec), int(x.reportCalls.postgres.rowsPerSec), `${(x.reportCalls.postgres.rowsPerSec / x.reportCalls.sqlite.rowsPerSec).toFixed(2)}x`],
    ['report calls, seconds', x.reportCalls.sqlite.seconds.toFixed(2), x.reportCalls.postgres.seconds.toFixed(2), `${(x.reportCalls.postgres.seconds / x.reportCalls.sqlite.seconds).toFixed(2)}x`],
    ['report queues --interval 15m, seconds', x.reportQueues.sqlite.seconds.toFixed(2), x.reportQueues.postgres.seconds.toFixed(2), `${(x.reportQueues.postgres.seconds / x.reportQueues.sqlite.seconds).toFixed(2)}x`],
    ['report calls, peak RSS MB', int(x.reportCalls.sqlite.peakRssMB), int(x.reportCalls.postgres.peakRssMB), ''],
    ['report queues, peak RSS MB', int(x.reportQueues.sqlite.peakRssMB), int(x.reportQueues.postgres.peakRssMB), ''],
  ]
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()
  console.log('')
  console.log(`Store cost, SQLite against PostgreSQL (synchronous_commit on): ${int(x.calls)} calls, ${int(x.events)} events over a week, call summary built; reports by the built CLI, each in its own process`)
  console.log('')
  console.log(line(rows[0]!))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of rows.slice(1)) console.log(line(row))
  console.log('')
  console.log(`Loaded into PostgreSQL by db migrate (copy, counts, VACUUM ANALYZE) in ${x.load.seconds.toFixed(1)} s (${int(x.load.eventsPerSec)} events/s with everything else).`)
  console.log(`The two stores' reports: ${x.identical ? 'the same bytes' : 'DIFFERENT'}. Target (report calls from PostgreSQL >= ${int(TARGET_ROWS_PER_S)} rows/s): ${missed(r).length === 0 ? 'met' : 'MISSED'}`)
}

function missed(r: Result): string[] {
  if (!r.reports) return []
  const out: string[] = []
  if (r.reports.reportCalls.postgres.rowsPerSec < TARGET_ROWS_PER_S) out.push(`report calls from PostgreSQL ${Math.round(r.reports.reportCalls.postgres.rowsPerSec).toLocaleString('en-US')} rows/s < ${TARGET_ROWS_PER_S.toLocaleString('en-US')}`)
  if (!r.reports.identical) out.push('report calls or report queues differ between the stores')
  return out
}

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const json = args.includes('--json')
  const result = await run(args, (s) => (json ? undefined : console.log(s)))
  if (json) console.log(JSON.stringify({...result, targets: {rowsPerSec: TARGET_ROWS_PER_S, missed: missed(result)}}, null, 2))
  else printTable(result)
  for (const m of missed(result)) console.error(`store bench: target missed: ${m}`)
  return missed(result).length === 0 ? 0 : 1
}

process.exitCode = await main()
