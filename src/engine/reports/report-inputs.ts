import type {EventType} from '../store/events.js'
import {ABANDONED_TYPES, LOOKBACK_MS as ABANDONED_LOOKBACK_MS} from './abandoned-report.js'
import {CALL_RECORD_TYPES} from './call-scan.js'
import {CHAT_LOOKBACK_MS, CHAT_REPORT_TYPES} from './chat-tally.js'
import {DISPOSITION_TYPES} from './dispositions-report.js'
import {CLOCK_SKEW_MS} from './event-scan.js'
import {HOURLY_TYPES} from './hourly-report.js'
import {TALLY_TYPES} from './interval-tally.js'
import {IVR_TYPES} from './ivr-report.js'
import {QUEUE_LOG_TYPES} from './queue-log.js'
import {LOOKBACK_MS as QUEUE_LOG_LOOKBACK_MS} from './queue-log-report.js'
import {SURVEY_TYPES} from './survey-report.js'
import {TICKET_TYPES} from './tickets-report.js'

/**
 * What a report reads of the store besides the configuration (queues, agents and
 * memberships, which every report may read): declared beside each report in REPORTS
 * (report-types.ts), so that a report on PostgreSQL copies exactly that into a local SQLite
 * database and runs there unchanged (pg-report-copy.ts). A report that reads more than it
 * declares gives other figures on PostgreSQL than on SQLite, which the identity tests on
 * both stores (test/unit/pg-reports.test.ts) catch.
 */
export interface ReportInputs {
  /** The event types its walk along the log reads (scanEvents). */
  types: readonly EventType[]
  /** The walk starts at idBefore(from - lookbackMs). */
  lookbackMs: number
  /**
   * Where the walk stops: 'period' at the first of its events dated CLOCK_SKEW_MS past the
   * period's end; 'calls' when every call that started in the period is complete
   * (CallScan), reading from the call summary's checkpoint when it is further on.
   */
  until: 'period' | 'calls'
  /** Times (offsets from the period's start) at which it asks each agent's presence and phone state (presenceAt). */
  presenceAt: readonly number[]
  /** The pause reasons of agent.paused events dated in the period (agents-report.ts). */
  pausesInPeriod: boolean
  /** The call summary (call_rows, the checkpoint) and the recordings of the calls it folds. */
  summary: boolean
  /**
   * The queue-visit rows (visit-rows.ts visitRows): the summary's (queue_visits, its
   * checkpoint and span) in visitPlan's range, the events of VISIT_TYPES after its start up
   * to the FCR window past the period, and the ticket events before then (reopensUntil).
   */
  visits: boolean
  /** Every ticket event dated before the period's end (tickets-report.ts ticketEvents). */
  tickets: boolean
}

const SCAN = {lookbackMs: CLOCK_SKEW_MS, until: 'period', presenceAt: [], pausesInPeriod: false, summary: false, visits: false, tickets: false} as const

export const CALLS_INPUTS: ReportInputs = {...SCAN, types: CALL_RECORD_TYPES, until: 'calls', summary: true}
export const TALLY_INPUTS: ReportInputs = {...SCAN, types: TALLY_TYPES, presenceAt: [0]}
export const QUEUES_INPUTS: ReportInputs = {...TALLY_INPUTS, visits: true}
// Chats next to calls: the chat events too, from a day back (chats open at the period's start).
export const AGENTS_INPUTS: ReportInputs = {...TALLY_INPUTS, types: [...TALLY_TYPES, ...CHAT_REPORT_TYPES], lookbackMs: CHAT_LOOKBACK_MS, pausesInPeriod: true, visits: true}
export const HOURLY_INPUTS: ReportInputs = {...SCAN, types: HOURLY_TYPES}
export const ABANDONED_INPUTS: ReportInputs = {...SCAN, types: ABANDONED_TYPES, lookbackMs: ABANDONED_LOOKBACK_MS}
export const IVR_INPUTS: ReportInputs = {...SCAN, types: IVR_TYPES}
export const SURVEY_INPUTS: ReportInputs = {...SCAN, types: SURVEY_TYPES}
export const DISPOSITIONS_INPUTS: ReportInputs = {...SCAN, types: DISPOSITION_TYPES}
export const TICKETS_INPUTS: ReportInputs = {...SCAN, types: TICKET_TYPES, tickets: true}
export const QUEUE_LOG_INPUTS: ReportInputs = {...SCAN, types: QUEUE_LOG_TYPES, lookbackMs: QUEUE_LOG_LOOKBACK_MS, presenceAt: [-QUEUE_LOG_LOOKBACK_MS]}
export const CHATS_INPUTS: ReportInputs = {...SCAN, types: CHAT_REPORT_TYPES, lookbackMs: CHAT_LOOKBACK_MS}
