import {CLOCK_SKEW_MS, idBefore, scanEvents} from './event-scan.js'
import {EventTally} from './event-tally.js'
import {abandonRate, answerRate, emptyTally, mergeTally} from './metrics.js'
import {periodMeta, share, slBook, type ReportContext} from './report-context.js'
import type {Cell, TableReport} from './report-output.js'

/**
 * Offered, answered and abandoned calls by hour of the day (00-23, report zone) over the
 * whole period: the shape of a day, for staffing. Counted by EventTally.
 */
export function hourlyReport(ctx: ReportContext): TableReport {
  return {
    kind: 'table',
    type: 'hourly',
    columns: ['hour', 'offered', 'answered', 'abandoned', 'short_abandoned', 'system_ended', 'answer_rate', 'abandon_rate', 'days'],
    meta: {...periodMeta(ctx), notes: {hour: 'hour of the day in the report zone, all days of the period together', days: 'days of the period that have this hour', system_ended: 'queue visits the system ended (a shutdown, Asterisk restarting): in no rate'}},
    rows: rows(ctx),
  }
}

/** Offers, and every way a queue visit finishes (the rates' denominators, metrics.ts). */
export const HOURLY_TYPES = ['queue.entered', 'call.connected', 'queue.abandoned', 'queue.exited', 'callback.failed', 'queue.system_ended', 'call.ended'] as const

function* rows(ctx: ReportContext): Generator<Cell[]> {
  const sl = slBook(ctx)
  const {from, to, zone} = ctx.period
  const hours = Array.from({length: 24}, () => new EventTally((q) => sl.of(q)))
  for (const e of scanEvents(ctx.db, {afterId: idBefore(ctx.db, from - CLOCK_SKEW_MS), types: HOURLY_TYPES})) {
    if (e.ts >= to + CLOCK_SKEW_MS) break
    if (e.ts < from || e.ts >= to || (ctx.queue !== null && e.queue !== ctx.queue)) continue
    hours[zone.wall(e.ts).hour]!.apply(e)
  }
  const days = daysPerHour(ctx)
  for (let h = 0; h < 24; h++) {
    const t = emptyTally()
    for (const q of hours[h]!.queues.values()) mergeTally(t, q)
    yield [String(h).padStart(2, '0'), t.offered, t.answered, t.abandoned, t.shortAbandoned, t.systemEnded, share(answerRate(t)), share(abandonRate(t)), days[h]!]
  }
}

/** How many times each local hour occurs in the period (for averages per day). */
function daysPerHour(ctx: ReportContext): number[] {
  const {from, to, zone} = ctx.period
  const out = new Array<number>(24).fill(0)
  const seen = new Set<string>()
  for (let t = from; t < to; t += 15 * 60_000) {
    const w = zone.wall(t)
    const key = `${w.year}-${w.month}-${w.day}-${w.hour}`
    if (!seen.has(key)) {
      seen.add(key)
      out[w.hour]!++
    }
  }
  return out
}
