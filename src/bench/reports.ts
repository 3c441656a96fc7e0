import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {flag, numberFlag} from './flags.js'
import {SqliteStore} from '../engine/store/sqlite-store.js'
import {callEventsSql, callsSql, queuesSql, summarySql} from './report-data/baseline-sql.js'
import {DAYS, prepareCallLog as prepare, START} from './report-data/call-log-file.js'
import {countLines, measure, which, type Measured} from './report-data/measure.js'

// Reports benchmark: 1,000,000 calls (their events, as the engine writes them) in a store
// file, then the built CLI's `report calls` (folding every call from the log, then from the
// call summary `db summarize` builds, as the engine keeps it) and `report queues --interval
// 15m` (from the queue-visit summary `db summarize` builds with it), each in its
// own process so time and peak RSS are its own, next to sqlite3 -csv dumping the same rows
// from the same file. Absolute figures depend on the machine (and on what else runs on it);
// the ratio to sqlite3 in the same run is the figure to compare across runs.
//
// Flags: --calls N, --db FILE (kept; reused when it exists), --seed N, --json.
// Exits 1 when a target is missed or a run fails.

const TARGET_ROWS_PER_S = 200_000
/** report queues --interval 15m against sqlite3 -csv's GROUP BY over the same events: at least this many times faster. */
const TARGET_QUEUES_OVER_SQLITE3 = 3
const TARGET_RSS_MB = 200
const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const CEILING = fileURLToPath(new URL('./report-data/csv-ceiling.js', import.meta.url))

interface Run {
  name: string
  what: string
  rows: number
  seconds: number
  rowsPerSec: number
  peakRssMB: number
  ok: boolean
  error?: string
}

function dropSummary(file: string): void {
  const s = new SqliteStore(file)
  s.db.exec('DELETE FROM call_rows; DELETE FROM queue_visits; DELETE FROM projections')
  void s.close()
}

function summarize(name: string, what: string, m: Measured, rows: number, expectCode = 0): Run {
  const ok = m.code === expectCode
  return {name, what, rows, seconds: m.seconds, rowsPerSec: rows / m.seconds, peakRssMB: m.peakRssMB, ok, ...(ok ? {} : {error: m.stderr.trim().split('\n').slice(-3).join(' | ')})}
}

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const calls = numberFlag(args, '--calls', 1_000_000, {integer: true, min: 1})
  const seed = numberFlag(args, '--seed', 1, {integer: true})
  const work = mkdtempSync(join(tmpdir(), 'callctl-bench-reports-'))
  const db = flag(args, '--db') ?? join(work, 'callctl.db')
  const json = args.includes('--json')
  const sqlite3 = which('sqlite3')
  const log = (s: string) => {
    if (!json) console.log(s)
  }
  try {
    log(`Generating ${calls.toLocaleString('en-US')} calls over ${DAYS} days into ${db} ...`)
    const data = prepare(db, calls, seed)
    const env = {...process.env, CALLCTL_HOME: join(work, 'home'), CALLCTL_DB: db}
    const period = ['--from', new Date(START).toISOString(), '--to', new Date(START + DAYS * 86_400_000).toISOString()]
    const to = START + DAYS * 86_400_000
    const runs: Run[] = []

    const report = async (name: string, what: string, extra: string[]) => {
      const out = join(work, `${name}.csv`)
      const m = await measure(process.execPath, [BIN, 'report', ...extra, ...period, '--out', out], {env})
      runs.push(summarize(name, what, m, m.code === 0 ? countLines(out) - 1 : 0))
      rmSync(out, {force: true})
    }
    const sql = async (name: string, what: string, query: string) => {
      if (!sqlite3) return runs.push({name, what, rows: 0, seconds: NaN, rowsPerSec: NaN, peakRssMB: NaN, ok: false, error: 'sqlite3 is not installed (scripts/setup.sh installs it)'})
      const out = join(work, `${name}.csv`)
      const m = await measure(sqlite3, ['-readonly', '-csv', '-header', db, query], {env, stdoutFile: out})
      runs.push(summarize(name, what, m, m.code === 0 ? countLines(out) - 1 : 0))
      rmSync(out, {force: true})
    }

    // A reused file may hold a summary from an earlier run: the log-only run must not see it.
    dropSummary(db)
    log('Timing report calls from the log alone (no call summary) ...')
    await report('report calls (log)', 'callctl report calls, every call folded from its events', ['calls'])
    log('Building the call summary (callctl db summarize; the engine does this as calls end) ...')
    const built = await measure(process.execPath, [BIN, 'db', 'summarize'], {env})
    runs.push(summarize('db summarize', 'one-off: the call and queue-visit summaries of every call (the engine keeps them as calls end)', built, calls))
    log('Timing report calls ...')
    await report('report calls', 'callctl report calls (one row per call, from the summary)', ['calls'])
    await sql('sqlite3 summary', 'sqlite3 -csv: the same rows from the summary report calls reads (call_rows)', summarySql(START, to))
    await sql('sqlite3 calls', 'sqlite3 -csv: the same rows from the events (GROUP BY call, json_extract)', callsSql(START, to))
    await sql('sqlite3 events', 'sqlite3 -csv: the calls\' raw events, unfolded', callEventsSql(START, to))
    log('Timing report queues --interval 15m ...')
    await report('report queues 15m', 'callctl report queues --interval 15m (from the queue-visit summary)', ['queues', '--interval', '15m'])
    await sql('sqlite3 queues 15m', 'sqlite3 -csv: per queue and 15 min (GROUP BY, json_extract)', queuesSql(START, to, 15))
    const ceiling = await measure(process.execPath, [CEILING, String(calls)], {env})
    runs.push(summarize('csv output only', 'rows encoded at report time alone (no database; calls not yet summarized): csvSafe + csv-stringify', ceiling, calls))

    const by = (n: string) => runs.find((r) => r.name === n)!
    const missed: string[] = []
    const calls_ = by('report calls')
    const queues_ = by('report queues 15m')
    for (const r of runs) if (!r.ok) missed.push(`${r.name} failed: ${r.error}`)
    const queuesRatio = by('sqlite3 queues 15m').seconds / queues_.seconds
    if (queues_.ok && by('sqlite3 queues 15m').ok && !(queuesRatio >= TARGET_QUEUES_OVER_SQLITE3)) missed.push(`report queues 15m ${queuesRatio.toFixed(2)}x sqlite3's time < ${TARGET_QUEUES_OVER_SQLITE3}x`)
    if (calls_.ok && calls_.rowsPerSec < TARGET_ROWS_PER_S) missed.push(`report calls ${Math.round(calls_.rowsPerSec).toLocaleString('en-US')} rows/s < ${TARGET_ROWS_PER_S.toLocaleString('en-US')}`)
    for (const r of [calls_, queues_]) if (r.ok && !(r.peakRssMB < TARGET_RSS_MB)) missed.push(`${r.name} peak RSS ${r.peakRssMB.toFixed(0)} MB >= ${TARGET_RSS_MB} MB`)
    if (calls_.ok && by('sqlite3 calls').ok && calls_.rows !== by('sqlite3 calls').rows) missed.push(`report calls wrote ${calls_.rows} rows, sqlite3 ${by('sqlite3 calls').rows}`)
    const result = {
      scenario: {calls, days: DAYS, events: data.events, generatedSeconds: data.generatedIn, node: process.version, sqlite3: sqlite3 !== null},
      runs,
      ratios: {
        reportCallsOverSqlite3Summary: by('sqlite3 summary').seconds / calls_.seconds,
        reportCallsOverSqlite3: by('sqlite3 calls').seconds / calls_.seconds,
        reportCallsLogOverSqlite3: by('sqlite3 calls').seconds / by('report calls (log)').seconds,
        summaryOverLog: by('report calls (log)').seconds / calls_.seconds,
        reportQueuesOverSqlite3: queuesRatio,
      },
      targets: {rowsPerSec: TARGET_ROWS_PER_S, queuesOverSqlite3: TARGET_QUEUES_OVER_SQLITE3, rssMB: TARGET_RSS_MB, met: missed.length === 0, missed},
    }
    if (json) console.log(JSON.stringify(result, null, 2))
    else printTable(result)
    for (const m of missed) console.error(`reports bench: target missed: ${m}`)
    return missed.length === 0 ? 0 : 1
  } finally {
    // The generated store is in here unless --db put it elsewhere (to keep it).
    rmSync(work, {recursive: true, force: true})
  }
}

function printTable(r: {scenario: {calls: number; events: number; generatedSeconds: number | null; node: string}; runs: Run[]; ratios: Record<string, number>; targets: {met: boolean}}): void {
  const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-')
  const rows = [['run', 'rows', 'seconds', 'rows/s', 'peak RSS', 'what'], ...r.runs.map((x) => [x.name, int(x.rows), Number.isFinite(x.seconds) ? x.seconds.toFixed(2) : '-', int(x.rowsPerSec), Number.isFinite(x.peakRssMB) ? `${int(x.peakRssMB)} MB` : '-', x.ok ? x.what : `FAILED: ${x.error}`])]
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
  const line = (row: string[]) => row.map((cell, c) => (c === 0 || c === 5 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()
  const s = r.scenario
  console.log('')
  console.log(`Reports: ${int(s.calls)} calls, ${int(s.events)} events over ${DAYS} days${s.generatedSeconds === null ? ' (existing file)' : `, generated in ${s.generatedSeconds.toFixed(0)} s`}; node ${s.node}`)
  console.log('')
  console.log(line(rows[0]!))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of rows.slice(1)) console.log(line(row))
  console.log('')
  console.log(
    `sqlite3 time / report time (above 1: the report is faster): calls ${r.ratios.reportCallsOverSqlite3Summary!.toFixed(2)}x against sqlite3 dumping the summary, ${r.ratios.reportCallsOverSqlite3!.toFixed(2)}x against sqlite3 folding the events (from the log alone ${r.ratios.reportCallsLogOverSqlite3!.toFixed(2)}x); queues 15m ${r.ratios.reportQueuesOverSqlite3!.toFixed(2)}x`,
  )
  console.log(`report calls from the summary is ${r.ratios.summaryOverLog!.toFixed(1)}x faster than folding every call from the log`)
  console.log(`Targets (report calls >= ${int(TARGET_ROWS_PER_S)} rows/s; report queues 15m >= ${TARGET_QUEUES_OVER_SQLITE3}x sqlite3; peak RSS < ${TARGET_RSS_MB} MB for both reports): ${r.targets.met ? 'met' : 'MISSED'}`)
}

process.exitCode = await main()
