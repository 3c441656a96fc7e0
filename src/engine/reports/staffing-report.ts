import {parseInterval} from './interval.js'
import {tallyByInterval} from './interval-tally.js'
import {agentsNeeded, aht, emptyTally} from './metrics.js'
import {buckets, periodMeta, sec, slBook, type ReportContext} from './report-context.js'
import type {Cell, TableReport} from './report-output.js'
import {roundHalfUp} from './rounding.js'

const COLUMNS = ['interval_start', 'interval_end', 'queue', 'offered', 'calls_per_hour', 'aht_s', 'aht_source', 'traffic_erlangs', 'target_sl', 'target_s', 'agents_needed']

/**
 * Erlang C staffing advice per queue and interval (1h unless --interval says otherwise):
 * the agents needed to answer target_sl of the calls within target_s, for the load
 * offered and the handle time measured in that interval. An interval with calls but none
 * finished uses the queue's configured handle time (aht_source "configured").
 */
export function staffingReport(ctx: ReportContext): TableReport {
  const queues = [...ctx.queues.keys()].filter((q) => ctx.queue === null || q === ctx.queue)
  return {
    kind: 'table',
    type: 'staffing',
    columns: COLUMNS,
    meta: {
      ...periodMeta(ctx),
      interval: (ctx.interval ?? parseInterval('1h')).label,
      target_service_level: ctx.staffing.targetSl,
      // null: each queue its own T (service_level below); a number, as the contract has seconds (docs/json.md).
      target_s: ctx.staffing.targetSeconds,
      service_level: slBook(ctx).definitions(queues),
      notes: {
        agents_needed: 'Erlang C (metrics.ts agentsNeeded): fewest agents so that target_sl of calls wait at most target_s',
        traffic_erlangs: 'calls_per_hour * aht_s / 3600',
        aht_source: 'measured in the interval, or configured (the queue\'s defaultHandleTime) when no call finished in it',
      },
    },
    rows: rows(ctx),
  }
}

function* rows(ctx: ReportContext): Generator<Cell[]> {
  const sl = slBook(ctx)
  const z = ctx.period.zone
  const targetSl = ctx.staffing.targetSl
  for (const {bucket, tally} of tallyByInterval(ctx.db, buckets(ctx, parseInterval('1h')), ctx.period, (q) => sl.of(q), ctx.now)) {
    const hours = (bucket.end - bucket.start) / 3_600_000
    const names = new Set([...ctx.queues.keys(), ...tally.queues.keys()])
    for (const q of [...names].sort()) {
      if (ctx.queue !== null && q !== ctx.queue) continue
      const t = tally.queues.get(q) ?? emptyTally()
      const measured = aht(t)
      const ahtMs = measured ?? (ctx.queues.get(q)?.defaultHandleTime ?? 180) * 1000
      const perHour = hours > 0 ? t.offered / hours : 0
      const targetS = ctx.staffing.targetSeconds ?? sl.of(q).seconds
      yield [
        z.format(bucket.start),
        z.format(bucket.end),
        q,
        t.offered,
        roundHalfUp(perHour, 2),
        sec(ahtMs),
        measured === null ? 'configured' : 'measured',
        roundHalfUp((perHour * ahtMs) / 3_600_000, 3),
        targetSl,
        targetS,
        agentsNeeded(perHour, ahtMs / 1000, targetSl, targetS),
      ]
    }
  }
}
