import {CLOCK_SKEW_MS, idBefore, scanEvents} from './event-scan.js'
import {periodMeta, sec, slBook, type ReportContext} from './report-context.js'
import type {Cell, TableReport} from './report-output.js'

const COLUMNS = ['abandoned_at', 'call_id', 'caller_number', 'caller_name', 'queue', 'priority', 'wait_s', 'position', 'entry_position', 'short_abandon', 'short_abandon_below_s']

// A caller who hung up before its call started is not in the report; one whose call
// started up to this long before the period is (its number and name are read from there).
export const LOOKBACK_MS = 6 * 3_600_000

/** The events the report reads. */
export const ABANDONED_TYPES = ['call.started', 'queue.entered', 'queue.abandoned', 'call.ended'] as const

/** Each caller who hung up while waiting in a queue: wait, position when leaving, position on arrival. */
export function abandonedReport(ctx: ReportContext): TableReport {
  return {
    kind: 'table',
    type: 'abandoned',
    columns: COLUMNS,
    meta: {
      ...periodMeta(ctx),
      notes: {
        position: 'place in line when the caller hung up (1 = next)',
        entry_position: 'place in line when the caller entered that queue',
        short_abandon: 'yes when the wait was under the queue\'s short-abandon threshold: left out of the abandon rate',
      },
    },
    rows: rows(ctx),
  }
}

function* rows(ctx: ReportContext): Generator<Cell[]> {
  const sl = slBook(ctx)
  const {from, to, zone} = ctx.period
  const calls = new Map<string, {number: string; name: string; entry: Map<string, number>}>()
  for (const e of scanEvents(ctx.db, {afterId: idBefore(ctx.db, from - LOOKBACK_MS), types: ABANDONED_TYPES})) {
    if (e.ts >= to + CLOCK_SKEW_MS) break
    if (!e.callId) continue
    const d = e.data
    if (e.type === 'call.started') {
      calls.set(e.callId, {number: String(d.number ?? ''), name: String(d.name ?? ''), entry: new Map()})
    } else if (e.type === 'queue.entered') {
      if (e.queue && typeof d.position === 'number') calls.get(e.callId)?.entry.set(e.queue, d.position)
    } else if (e.type === 'call.ended') {
      calls.delete(e.callId)
    } else if (e.ts >= from && e.ts < to && e.queue && (ctx.queue === null || e.queue === ctx.queue)) {
      const c = calls.get(e.callId)
      const s = sl.of(e.queue)
      const waitMs = Number(d.waitMs ?? 0)
      yield [
        zone.format(e.ts),
        e.callId,
        c?.number ?? String(d.number ?? ''),
        c?.name ?? '',
        e.queue,
        typeof d.priority === 'number' ? d.priority : null,
        sec(waitMs),
        typeof d.position === 'number' ? d.position : null,
        c?.entry.get(e.queue) ?? null,
        waitMs < s.shortAbandonSeconds * 1000 ? 'yes' : 'no',
        s.shortAbandonSeconds,
      ]
    }
  }
}
