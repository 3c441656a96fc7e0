import type {DirectOutput, ReportFormat} from './report-output.js'
import type {ReportName} from './report-types.js'

/** A report to make: plain data, so it can cross into the worker thread. */
export interface ReportJob {
  type: ReportName
  database: string
  from: number
  to: number
  tz: string
  interval: string | null
  queue: string | null
  agent: string | null
  staffing: {targetSl: number; targetSeconds: number | null}
  /** First-contact resolution's window, ms (default DEFAULT_FCR_WINDOW_MS, 7 days). */
  fcrWindowMs?: number
  format: ReportFormat
  bom: boolean
  now: number
  /** Set by runReportInWorker when the sink is a file the worker can write itself. */
  direct?: DirectOutput
  /** Set by runReportInWorker when the text goes to a terminal (made inert there). */
  terminal?: boolean
}
