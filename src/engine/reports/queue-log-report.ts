import {CLOCK_SKEW_MS, idBefore, scanEvents} from './event-scan.js'
import {presenceAt} from './interval-tally.js'
import {QUEUE_LOG_TYPES, QueueLogConverter} from './queue-log.js'
import type {ReportContext} from './report-context.js'
import type {LinesReport} from './report-output.js'

// Calls that started up to this long before the period are followed from their start,
// so their lines in the period carry the caller's number and entry position.
export const LOOKBACK_MS = 6 * 3_600_000

/** The period's events as an Asterisk queue_log (see queue-log.ts), for QueueMetrics and the like. */
export function queueLogReport(ctx: ReportContext): LinesReport {
  return {kind: 'lines', type: 'queue-log', lines: lines(ctx)}
}

function* lines(ctx: ReportContext): Generator<string> {
  const {from, to} = ctx.period
  const start = from - LOOKBACK_MS
  const membership = new Map<string, string[]>()
  for (const r of ctx.db.prepare('SELECT agent, queue FROM agent_queues').all() as {agent: string; queue: string}[]) {
    membership.set(r.agent, [...(membership.get(r.agent) ?? []), r.queue])
  }
  const converter = new QueueLogConverter({
    membership,
    loggedIn: presenceAt(ctx.db, start).keys(),
    callbackKey: (q) => ctx.queues.get(q)?.callbackKey ?? '',
  })
  const keep = (line: string) => {
    if (ctx.queue === null && ctx.agent === null) return true
    const [, , queue, agent] = line.split('|')
    return (ctx.queue === null || queue === ctx.queue) && (ctx.agent === null || agent === ctx.agent)
  }
  for (const e of scanEvents(ctx.db, {afterId: idBefore(ctx.db, start), types: QUEUE_LOG_TYPES})) {
    if (e.ts >= to + CLOCK_SKEW_MS) break
    const out = converter.lines(e)
    if (e.ts < from || e.ts >= to) continue
    for (const l of out) if (keep(l)) yield l
  }
  for (const l of converter.flush()) if (keep(l)) yield l
}
