import {UserError} from '../util/errors.js'
import {abandonedReport} from './abandoned-report.js'
import {agentsReport} from './agents-report.js'
import {chatsReport} from './chats-report.js'
import {dispositionsReport} from './dispositions-report.js'
import {callsReport} from './calls-report.js'
import {hourlyReport} from './hourly-report.js'
import {ivrReport} from './ivr-report.js'
import {queueLogReport} from './queue-log-report.js'
import {queuesReport} from './queues-report.js'
import type {ReportContext} from './report-context.js'
import {ABANDONED_INPUTS, AGENTS_INPUTS, CALLS_INPUTS, CHATS_INPUTS, DISPOSITIONS_INPUTS, HOURLY_INPUTS, TICKETS_INPUTS, IVR_INPUTS, QUEUE_LOG_INPUTS, QUEUES_INPUTS, SURVEY_INPUTS, TALLY_INPUTS, type ReportInputs} from './report-inputs.js'
import type {Report, ReportFormat} from './report-output.js'
import {staffingReport} from './staffing-report.js'
import {surveyReport} from './survey-report.js'
import {ticketsReport} from './tickets-report.js'

interface ReportType {
  build: (ctx: ReportContext) => Report
  /** What it reads of the store (a report on PostgreSQL copies exactly that). */
  reads: ReportInputs
  summary: string
  /** Which options mean something for it. */
  queue: boolean
  agent: boolean
  interval: boolean
  /** Tables take csv or json; queue-log has its own line format. */
  formats: readonly ReportFormat[] | null
}

const TABLE = ['csv', 'json'] as const

export const REPORTS = {
  calls: {build: callsReport, reads: CALLS_INPUTS, summary: 'one row per call', queue: true, agent: true, interval: false, formats: TABLE},
  queues: {build: queuesReport, reads: QUEUES_INPUTS, summary: 'per queue and interval', queue: true, agent: false, interval: true, formats: TABLE},
  agents: {build: agentsReport, reads: AGENTS_INPUTS, summary: 'per agent and interval', queue: false, agent: true, interval: true, formats: TABLE},
  hourly: {build: hourlyReport, reads: HOURLY_INPUTS, summary: 'by hour of the day', queue: true, agent: false, interval: false, formats: TABLE},
  abandoned: {build: abandonedReport, reads: ABANDONED_INPUTS, summary: 'each abandoned call', queue: true, agent: false, interval: false, formats: TABLE},
  ivr: {build: ivrReport, reads: IVR_INPUTS, summary: 'per IVR flow node', queue: false, agent: false, interval: false, formats: TABLE},
  survey: {build: surveyReport, reads: SURVEY_INPUTS, summary: 'survey scores per queue and agent', queue: true, agent: true, interval: false, formats: TABLE},
  staffing: {build: staffingReport, reads: TALLY_INPUTS, summary: 'Erlang C agents needed per interval', queue: true, agent: false, interval: true, formats: TABLE},
  dispositions: {build: dispositionsReport, reads: DISPOSITIONS_INPUTS, summary: 'dispositions per queue, agent and code', queue: true, agent: true, interval: false, formats: TABLE},
  tickets: {build: ticketsReport, reads: TICKETS_INPUTS, summary: 'tickets created, solved, overdue per queue, agent, category', queue: true, agent: true, interval: false, formats: TABLE},
  chats: {build: chatsReport, reads: CHATS_INPUTS, summary: 'chats per queue and agent: offered, answered, abandoned, wait, first response, handle time, concurrency, ratings', queue: true, agent: true, interval: false, formats: TABLE},
  'queue-log': {build: queueLogReport, reads: QUEUE_LOG_INPUTS, summary: 'Asterisk queue_log lines', queue: true, agent: true, interval: false, formats: null},
} satisfies Record<string, ReportType>

export type ReportName = keyof typeof REPORTS
export const REPORT_NAMES = Object.keys(REPORTS) as ReportName[]

export function reportType(name: string): ReportName {
  if (Object.hasOwn(REPORTS, name)) return name as ReportName
  throw new UserError(`Unknown report type "${name}"`, {suggestion: `Report types: ${REPORT_NAMES.join(', ')}.`, exitCode: 2, code: 'unknown_report'})
}

/** Options that a report would silently ignore are refused instead. */
export function checkOptions(name: ReportName, o: {queue?: string; agent?: string; interval?: string; format?: string}): void {
  const t: ReportType = REPORTS[name]
  const refuse = (flag: string) => {
    throw new UserError(`${flag} does not apply to the ${name} report`, {suggestion: `Leave out ${flag}.`, exitCode: 2, code: 'bad_option'})
  }
  if (o.queue !== undefined && !t.queue) refuse('--queue')
  if (o.agent !== undefined && !t.agent) refuse('--agent')
  if (o.interval !== undefined && !t.interval) refuse('--interval')
  if (o.format !== undefined && t.formats === null) refuse('--format')
}
