import {DEFAULT_QUEUE_SETTINGS, type QueueSettings} from '../../src/engine/model.js'
import {DEFAULT_FCR_WINDOW_MS} from '../../src/engine/reports/metrics.js'
import type {Interval} from '../../src/engine/reports/interval.js'
import {parseInterval} from '../../src/engine/reports/interval.js'
import {reportPeriod} from '../../src/engine/reports/period.js'
import {loadContext, type ReportContext} from '../../src/engine/reports/report-context.js'
import {writeReport, type Cell, type Report, type TableReport} from '../../src/engine/reports/report-output.js'
import type {EventType, NewEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'

/** Hand-made event logs for report tests: times in seconds after `t0`. */
export class Log {
  readonly events: NewEvent[] = []
  constructor(readonly t0: number) {}

  at(sec: number, type: EventType, o: {call?: string; queue?: string; agent?: string; data?: Record<string, unknown>} = {}): this {
    this.events.push({type, ts: this.t0 + sec * 1000, callId: o.call ?? null, queue: o.queue ?? null, agent: o.agent ?? null, data: o.data ?? {}, origin: 'test'})
    return this
  }
}

/** An in-memory store with these queues (settings over the defaults) and the log's events. */
export async function storeWith(queues: Record<string, Partial<QueueSettings>>, log: Log, agents: Record<string, string> = {}): Promise<SqliteStore> {
  const store = new SqliteStore(':memory:')
  for (const [name, s] of Object.entries(queues)) {
    await store.saveQueue({name, settings: {...DEFAULT_QUEUE_SETTINGS, ...s}, createdAt: 0}, {type: 'queue.added', ts: 0, queue: name})
  }
  for (const [id, name] of Object.entries(agents)) {
    await store.saveAgent({id, name, endpoint: `PJSIP/${id}`, skills: {}, queues: {}, createdAt: 0}, {type: 'agent.added', ts: 0, agent: id})
  }
  await store.appendEvents([...log.events].sort((a, b) => a.ts - b.ts))
  return store
}

export function contextFor(
  store: SqliteStore,
  o: {from: string; to: string; tz?: string; interval?: string; queue?: string; agent?: string; targetSl?: number; targetSeconds?: number; now?: number; fcrWindowMs?: number},
): ReportContext {
  const interval: Interval | null = o.interval ? parseInterval(o.interval) : null
  return loadContext(store.db, {
    period: reportPeriod({from: o.from, to: o.to, tz: o.tz}),
    interval,
    queue: o.queue ?? null,
    agent: o.agent ?? null,
    staffing: {targetSl: o.targetSl ?? 0.8, targetSeconds: o.targetSeconds ?? null},
    fcrWindowMs: o.fcrWindowMs ?? DEFAULT_FCR_WINDOW_MS,
    now: o.now ?? Date.UTC(2026, 10, 25),
  })
}

/** A table report's rows as objects keyed by column. */
export function rowsOf(report: Report): Record<string, Cell>[] {
  const r = report as TableReport
  return [...r.rows].map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i] ?? null])))
}

/** The report as --format csv writes it. */
export async function csvOf(report: Report): Promise<string> {
  let text = ''
  await writeReport(report, {file: null, write: async (t) => void (text += t), commit: async () => {}, abort: () => {}}, {format: 'csv', bom: false})
  return text
}
