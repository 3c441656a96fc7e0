import type Database from 'better-sqlite3'
import {parseInterval} from './interval.js'
import {DEFAULT_FCR_WINDOW_MS} from './metrics.js'
import {loadContext} from './report-context.js'
import {writeReport, type CsvText, type Sink} from './report-output.js'
import {REPORTS} from './report-types.js'
import type {ReportJob} from './report-job.js'
import {zone, type Zone} from './zone.js'

/** Where a PostgreSQL store's summarized calls come from when they are streamed, not copied (pg-report.ts). */
export type SummaryCsvSource = (filter: {queue: string | null; agent: string | null}, zone: Zone) => AsyncIterable<CsvText>

/**
 * The report made from a SQLite database: the store's own, or a local copy of what it reads
 * from a PostgreSQL store. `summaryCsv`: the summarized calls of `report calls --format csv`
 * streamed from PostgreSQL; the copy holds the summary's checkpoint but not those rows, so
 * the report's own summary text is empty and these go out in its place, first.
 */
export async function reportFrom(db: Database.Database, job: Omit<ReportJob, 'database'>, sink: Sink, progress?: (rows: number) => void, summaryCsv?: SummaryCsvSource): Promise<number> {
  const z = zone(job.tz)
  const ctx = loadContext(db, {
    period: {from: job.from, to: job.to, zone: z},
    interval: job.interval === null ? null : parseInterval(job.interval),
    queue: job.queue,
    agent: job.agent,
    staffing: job.staffing,
    fcrWindowMs: job.fcrWindowMs ?? DEFAULT_FCR_WINDOW_MS,
    now: job.now,
  })
  const report = REPORTS[job.type].build(ctx)
  if (summaryCsv && report.kind === 'table' && report.csv) report.csv = concat(summaryCsv({queue: job.queue, agent: job.agent}, z), report.csv)
  return writeReport(report, sink, {format: job.format, bom: job.bom, progress, terminal: job.terminal ?? sink.terminal})
}

async function* concat<T>(first: AsyncIterable<T>, then: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  yield* first
  yield* then
}
