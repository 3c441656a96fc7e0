import type Database from 'better-sqlite3'
import {foldCall} from './call-records.js'
import {scanCalls} from './call-scan.js'
import {callAgents, callRow, summarizedCsv, summarizedRows} from './call-rows.js'
import {periodMeta, type ReportContext} from './report-context.js'
import {recordingFiles} from '../store/migrations.js'
import type {Cell, CsvText, TableReport} from './report-output.js'

export const CALL_COLUMNS = [
  'call_id',
  'started_at',
  'answered_at',
  'ended_at',
  'direction',
  'caller_number',
  'caller_name',
  'did',
  'ivr_keys',
  'queue',
  'queues',
  'priority',
  'entry_position',
  'wait_s',
  'agents_tried',
  'agent',
  'talk_s',
  'hold_s',
  'wrap_up_s',
  'transfers',
  'outcome',
  'disconnect',
  'recording',
  'survey_score',
]

const COLUMN_NOTES = {
  started_at: 'the call reached the engine; answered_at: first agent connected; times in the report zone',
  ivr_keys: 'NODE:KEYS for each IVR input, space separated',
  queues: 'every queue the call entered, in order (overflow, transfers)',
  wait_s: 'seconds in line before an agent answered, or before the caller left the line',
  agents_tried: 'agents whose phone rang without an answer (ring-no-answer), in order',
  talk_s: 'connected time summed over agents, hold not included',
  wrap_up_s: 'after-call work of the agent that ended the call (empty if unknown)',
  transfers: 'KIND:TARGET_TYPE:TARGET for each transfer',
  outcome: 'the cause on call.ended (completed, abandoned, exit-timeout, voicemail, system-ended: ended by a shutdown, never an abandon, ...), or live',
  disconnect: 'caller | agent | system: who ended the call',
  recording: 'the recording file (path on this machine when known, else its name in Asterisk)',
}

// Recordings are looked up a batch of calls at a time: one query per batch, not per call.
const BATCH = 256
/** Where the three times and the recording sit in a row (callRow). */
const TIMES = [1, 2, 3] as const
const RECORDING = CALL_COLUMNS.indexOf('recording')

/** One row per call that started in the period, in the order they started. */
export function callsReport(ctx: ReportContext): TableReport {
  return {
    kind: 'table',
    type: 'calls',
    columns: CALL_COLUMNS,
    meta: {...periodMeta(ctx), columns: COLUMN_NOTES},
    rows: callRows(ctx),
    csv: callCsv(ctx),
  }
}

/**
 * Calls that started up to the summary's checkpoint come from their rows in call_rows;
 * the rest (recent calls, or all of them when no engine keeps the summary) are folded
 * from their events here. Both give the same row: callRow made both.
 */
function* callRows(ctx: ReportContext): Generator<Cell[]> {
  const z = ctx.period.zone
  const summarized = summarizedRows(ctx.db, ctx.period, {queue: ctx.queue, agent: ctx.agent})
  for (const row of summarized.rows) {
    for (const i of TIMES) if (row[i] !== null) row[i] = z.format(row[i] as number)
    yield row
  }
  yield* foldedRows(ctx, summarized.checkpoint)
}

/** The same for --format csv: the summarized calls as the CSV text the summary keeps. */
function* callCsv(ctx: ReportContext): Generator<CsvText | Cell[]> {
  const summarized = summarizedCsv(ctx.db, ctx.period, {queue: ctx.queue, agent: ctx.agent}, ctx.period.zone)
  for (const page of summarized.pages) yield page
  yield* foldedRows(ctx, summarized.checkpoint)
}

/** The calls that started after the summary's checkpoint, folded from their events. */
function* foldedRows(ctx: ReportContext, checkpoint: number): Generator<Cell[]> {
  const z = ctx.period.zone
  let batch: Cell[][] = []
  const lookup = recordingLookup(ctx.db)
  const flush = function* (): Generator<Cell[]> {
    const files = lookup(batch.map((row) => row[0] as string))
    for (const row of batch) {
      for (const i of TIMES) row[i] = row[i] === null ? null : z.format(row[i] as number)
      row[RECORDING] = files.get(row[0] as string) ?? ''
      yield row
    }
    batch = []
  }
  for (const events of scanCalls(ctx.db, ctx.period, {afterId: checkpoint})) {
    if (ctx.agent !== null && !callAgents(events).includes(ctx.agent)) continue
    const r = foldCall(events)
    if (!r || (ctx.queue !== null && !r.queues.includes(ctx.queue))) continue
    batch.push(callRow(r))
    if (batch.length >= BATCH) yield* flush()
  }
  yield* flush()
}

/**
 * Call id → its recording files, for a batch of calls in one query, by the same SQL the
 * summary keeps them with (migration 6).
 */
function recordingLookup(db: Database.Database): (callIds: string[]) => Map<string, string> {
  const stmt = db.prepare(`SELECT ids.value AS callId, ${recordingFiles('ids.value')} AS files FROM json_each(?) AS ids`)
  return (callIds) => new Map((stmt.all(JSON.stringify(callIds)) as {callId: string; files: string}[]).map((r) => [r.callId, r.files]))
}
