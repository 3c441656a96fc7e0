import {createHash} from 'node:crypto'
import {createReadStream, rmSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {summarizeCalls} from '../engine/reports/call-rows.js'
import {migrateToPostgres} from '../engine/store/migrate/migrate-to-postgres.js'
import {SqliteStore} from '../engine/store/sqlite-store.js'
import {DAYS, prepareCallLog, START} from './report-data/call-log-file.js'
import {countLines, measure} from './report-data/measure.js'

// The read side of bench:store: the same week of calls as bench:reports in a SQLite file
// (its call summary built, as an engine keeps it) and loaded into PostgreSQL by db migrate's
// copy, then the built CLI's `report calls` and `report queues --interval 15m` from each
// store, each in its own process, in the same run. The two stores' outputs must be the same
// bytes; the figures are rows per second and seconds, side by side.

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface ReportRun {
  rows: number
  seconds: number
  rowsPerSec: number
  peakRssMB: number
  sha256: string
}

export interface StoreReports {
  calls: number
  events: number
  /** Loading the SQLite store into PostgreSQL (db migrate's copy, without its report check). */
  load: {seconds: number; eventsPerSec: number}
  reportCalls: {sqlite: ReportRun; postgres: ReportRun}
  reportQueues: {sqlite: ReportRun; postgres: ReportRun}
  /** Both stores gave the same bytes for both reports. */
  identical: boolean
}

export async function reportsOnBothStores(o: {file: string; calls: number; seed: number; pgUrl: string; work: string; log: (s: string) => void}): Promise<StoreReports> {
  o.log(`Preparing ${o.calls.toLocaleString('en-US')} calls over ${DAYS} days in ${o.file} ...`)
  const data = prepareCallLog(o.file, o.calls, o.seed)
  const store = new SqliteStore(o.file)
  try {
    // The summary an engine keeps as calls end (done once; a reused file has it).
    summarizeCalls(store.db)
  } finally {
    await store.close()
  }
  o.log('Loading it into PostgreSQL (db migrate) ...')
  const migrated = await migrateToPostgres({source: o.file, target: o.pgUrl, checkReports: false})
  const period = ['--from', new Date(START).toISOString(), '--to', new Date(START + DAYS * 86_400_000).toISOString()]
  const run = async (database: string, args: string[]): Promise<ReportRun> => {
    const out = join(o.work, 'report.out')
    const m = await measure(process.execPath, [BIN, 'report', ...args, ...period, '--out', out], {env: {...process.env, CALLCTL_HOME: join(o.work, 'home'), CALLCTL_DB: database}})
    if (m.code !== 0) throw new Error(`callctl report ${args.join(' ')} on ${database.startsWith('postgres') ? 'PostgreSQL' : 'SQLite'} failed: ${m.stderr.trim().split('\n').at(-1)}`)
    const rows = countLines(out) - 1
    const sha256 = await fileHash(out)
    rmSync(out, {force: true})
    return {rows, seconds: m.seconds, rowsPerSec: rows / m.seconds, peakRssMB: m.peakRssMB, sha256}
  }
  o.log('Timing report calls on both stores ...')
  const reportCalls = {sqlite: await run(o.file, ['calls']), postgres: await run(o.pgUrl, ['calls'])}
  o.log('Timing report queues --interval 15m on both stores ...')
  const reportQueues = {sqlite: await run(o.file, ['queues', '--interval', '15m']), postgres: await run(o.pgUrl, ['queues', '--interval', '15m'])}
  return {
    calls: o.calls,
    events: data.events,
    load: {seconds: migrated.seconds, eventsPerSec: migrated.events / migrated.seconds},
    reportCalls,
    reportQueues,
    identical: reportCalls.sqlite.sha256 === reportCalls.postgres.sha256 && reportQueues.sqlite.sha256 === reportQueues.postgres.sha256,
  }
}

function fileHash(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256')
    createReadStream(file)
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')))
  })
}
