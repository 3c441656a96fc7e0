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
// Flags: --json, --events N (events per measurement in transactions of 1; transactions of
// 100 append 10 times as many), --pg-url URL (a server to use instead of a throwaway cluster;
// the bench creates and drops databases there).

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

async function run(args: string[]) {
  const events = numberFlag(args, '--events', 3000, {integer: true, min: 100})
  const given = flag(args, '--pg-url')
  const cluster = given ? null : await startBenchPostgres()
  const serverUrl = given ?? cluster!.url
  const dbs = new Databases(serverUrl)
  try {
    const rows = []
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
    return {
      machine: {node: process.version, sqlite: sqliteVersion(), postgres: version, server: given ? maskDatabase(given) : 'throwaway local cluster (fsync on)'},
      rows: [...rows, concurrent],
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
}

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const result = await run(args)
  if (args.includes('--json')) console.log(JSON.stringify(result, null, 2))
  else printTable(result)
  return 0
}

process.exitCode = await main()
