import {createHash} from 'node:crypto'
import type Database from 'better-sqlite3'
import type pg from 'pg'
import {pgReport} from '../../reports/pg-report.js'
import {reportFrom} from '../../reports/report-from.js'
import type {Sink} from '../../reports/report-output.js'
import {REPORT_NAMES, type ReportName} from '../../reports/report-types.js'
import type {ReportJob} from '../../reports/report-job.js'

/** One report made from both stores: its rows and the SHA-256 of its bytes on each. */
export interface ReportComparison {
  report: ReportName
  rows: number
  sha256: string
  identical: boolean
  /** PostgreSQL's, when it differs. */
  target?: {rows: number; sha256: string}
}

/** Takes a report's text and keeps only its hash and length. */
class HashSink implements Sink {
  readonly file = null
  readonly terminal = false
  private readonly hash = createHash('sha256')
  bytes = 0
  async write(text: string): Promise<void> {
    this.hash.update(text)
    this.bytes += text.length
  }
  async commit(): Promise<void> {}
  abort(): void {}
  digest(): string {
    return this.hash.digest('hex')
  }
}

/**
 * Every report (CSV, UTC, no filter) for the period, made from the SQLite database and from
 * PostgreSQL through `client` (which may be inside the transaction that wrote the data), and
 * compared byte for byte.
 */
export async function compareReports(
  sqlite: Database.Database,
  client: pg.ClientBase,
  period: {from: number; to: number; now: number},
  onReport?: (report: ReportName, done: number, total: number) => void,
): Promise<ReportComparison[]> {
  const out: ReportComparison[] = []
  for (const [i, type] of REPORT_NAMES.entries()) {
    onReport?.(type, i, REPORT_NAMES.length)
    const job: Omit<ReportJob, 'database'> = {
      type,
      from: period.from,
      to: period.to,
      tz: 'UTC',
      interval: null,
      queue: null,
      agent: null,
      staffing: {targetSl: 0.8, targetSeconds: null},
      format: 'csv',
      bom: false,
      now: period.now,
    }
    const a = new HashSink()
    const rows = await reportFrom(sqlite, job, a)
    const b = new HashSink()
    const targetRows = await pgReport(client, job, b)
    const sha256 = a.digest()
    const theirs = b.digest()
    const identical = sha256 === theirs && rows === targetRows && a.bytes === b.bytes
    out.push({report: type, rows, sha256, identical, ...(identical ? {} : {target: {rows: targetRows, sha256: theirs}})})
  }
  onReport?.(REPORT_NAMES.at(-1)!, REPORT_NAMES.length, REPORT_NAMES.length)
  return out
}
