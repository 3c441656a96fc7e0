import type {StoredEvent} from '../store/events.js'
import {disconnectSide, foldCall, type CallRecord} from './call-records.js'
import {CallLine} from './call-scan.js'
import {csvCell, csvCells} from './csv-text.js'
import {sec} from './report-context.js'
import type {Cell} from './report-output.js'
import type {Zone} from './zone.js'

// A call's line in the call summary, whatever the store keeps it in: the fold from its
// events to its row (call-rows.ts writes it into SQLite, pg-call-rows.ts into PostgreSQL).

/**
 * A call's row in CALL_COLUMNS order (calls-report.ts), its times still epoch ms and its
 * recording empty: the form kept in call_rows, finished by the report (zone, recordings).
 */
export function callRow(r: CallRecord): Cell[] {
  const talk = r.talkMs === null ? null : Math.max(0, r.talkMs)
  return [
    r.callId,
    r.startedAt,
    r.connectedAt,
    r.endedAt,
    r.direction,
    r.number,
    r.name,
    r.did,
    r.keyTrail.join(' '),
    r.queue ?? '',
    r.queues.join(' '),
    r.priority,
    r.entryPosition,
    sec(r.waitMs),
    r.agentsTried.join(' '),
    r.agent ?? '',
    sec(talk),
    r.talkMs === null ? null : sec(r.holdMs),
    sec(r.wrapUpMs),
    r.transfers.join(' '),
    r.outcome,
    disconnectSide(r),
    '',
    r.surveyScore,
  ]
}

/** Agents who answered the call or let it ring: whom `--agent` finds it by. */
export function callAgents(events: readonly StoredEvent[]): string[] {
  const out = new Set<string>()
  for (const e of events) if (e.agent && (e.type === 'call.connected' || e.type === 'agent.ring_noanswer')) out.add(e.agent)
  return [...out]
}

/** Where the fixed cells kept as CSV text sit in a row (callRow): direction .. disconnect. */
const MIDDLE = {from: 4, to: 22}
const SURVEY = 23

/**
 * The summary's fold, whatever the store: events of CALL_RECORD_TYPES in log order in, a
 * row for call_rows out for each call once it has ended, its wrap-up is over and every
 * call that started before it is out, and the checkpoint: just before the oldest call still
 * going. A call that never ends (an engine that died with it, until the next start closes
 * it) holds the checkpoint back there: reports stay right, folding the calls after it from
 * the log. Rows are in INSERT's column order, then the call id (for its recordings).
 */
export class SummaryFold {
  private readonly line = new CallLine(() => true, 0, false)

  constructor(public lastId: number) {}

  /** Takes the next event; the rows of the calls it completes are pushed onto `rows`. */
  push(e: StoredEvent, rows: unknown[][]): void {
    this.line.push(e)
    this.lastId = e.id
    for (const events of this.line.ready()) {
      const r = foldCall(events)
      if (!r) continue
      const c = callRow(r)
      rows.push([events[0]!.id, ...c.slice(0, 22), c[SURVEY], callAgents(events).join(' '), csvCells(c.slice(MIDDLE.from, MIDDLE.to)), csvCells([c[SURVEY]]), r.callId])
    }
  }

  get checkpoint(): number {
    const oldest = this.line.oldestId
    return oldest === null ? this.lastId : oldest - 1
  }
}

/** The columns a SummaryFold row fills, in its order (the recording comes from the call id after them). */
export const SUMMARY_COLUMNS = [
  'first_id', 'call_id', 'started_at', 'answered_at', 'ended_at', 'direction', 'caller_number', 'caller_name', 'did', 'ivr_keys', 'queue', 'queues', 'priority', 'entry_position', 'wait_s',
  'agents_tried', 'agent', 'talk_s', 'hold_s', 'wrap_up_s', 'transfers', 'outcome', 'disconnect', 'survey_score', 'agents', 'csv_middle', 'csv_last',
] as const

/** The call_rows columns a summarized call's CSV record is made of, in summaryCsvRecord's order. */
export const SUMMARY_CSV_COLUMNS = 'call_id, started_at, answered_at, ended_at, csv_middle, recording, csv_last'

/** A summarized call (SUMMARY_CSV_COLUMNS) as its CSV record: the kept text, the times in the zone, the recording files encoded. */
export function summaryCsvRecord(zone: Zone): (r: readonly unknown[]) => string {
  const time = (ms: unknown) => (ms === null ? '' : zone.format(ms as number))
  return (r) => `${csvCell(r[0] as string)},${time(r[1])},${time(r[2])},${time(r[3])},${r[4] as string},${csvCell(r[5] as string)},${r[6] as string}\n`
}
