import type Database from 'better-sqlite3'
import {DEFAULT_QUEUE_SETTINGS, type QueueSettings} from '../model.js'
import {Buckets, type Interval} from './interval.js'
import type {Period} from './period.js'
import {shareOf, tenthsOfSecond} from './rounding.js'
import {SlBook} from './sl-columns.js'

/** Everything a report needs: the store, the period, the filters, the configuration. */
export interface ReportContext {
  db: Database.Database
  period: Period
  interval: Interval | null
  queue: string | null
  agent: string | null
  /** Configured queues and their settings (SL threshold and formula, wrap-up, ...). */
  queues: ReadonlyMap<string, QueueSettings>
  /** Configured agents' display names. */
  agentNames: ReadonlyMap<string, string>
  staffing: {targetSl: number; targetSeconds: number | null}
  /** First-contact resolution's window (metrics.ts), ms. */
  fcrWindowMs: number
  now: number
}

export function loadContext(db: Database.Database, base: Omit<ReportContext, 'db' | 'queues' | 'agentNames'>): ReportContext {
  const queues = new Map<string, QueueSettings>()
  for (const r of db.prepare('SELECT name, settings FROM queues').all() as {name: string; settings: string}[]) queues.set(r.name, {...DEFAULT_QUEUE_SETTINGS, ...(JSON.parse(r.settings) as Partial<QueueSettings>)})
  const agentNames = new Map<string, string>()
  for (const r of db.prepare('SELECT id, name FROM agents').all() as {id: string; name: string}[]) agentNames.set(r.id, r.name)
  return {...base, db, queues, agentNames}
}

export function slBook(ctx: ReportContext): SlBook {
  return new SlBook(ctx.queues)
}

export function buckets(ctx: ReportContext, fallback: Interval | null = null): Buckets {
  return new Buckets(ctx.period, ctx.interval ?? fallback)
}

/** The meta block of --format json: the period as asked, in the report's zone. */
export function periodMeta(ctx: ReportContext): Record<string, unknown> {
  const z = ctx.period.zone
  return {
    from: z.format(ctx.period.from),
    to: z.format(ctx.period.to),
    tz: z.name,
    interval: ctx.interval?.label ?? null,
    queue: ctx.queue,
    agent: ctx.agent,
    generated_at: z.format(ctx.now),
  }
}

/** Milliseconds as seconds with one decimal (rounding.ts: half up); null stays empty. */
export function sec(ms: number | null | undefined): number | null {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? null : tenthsOfSecond(ms)
}

/** A share (0..1) to four decimals (rounding.ts: half up); null (no denominator) stays empty. */
export function share(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : shareOf(v)
}

/** The span a report with first-contact resolution reads: its period, and the window after it. */
export function fcrSpan(ctx: ReportContext): {from: number; to: number; windowMs: number} {
  return {from: ctx.period.from, to: ctx.period.to, windowMs: ctx.fcrWindowMs}
}

/** The notes on first-contact resolution's columns. */
export function fcrMeta(ctx: ReportContext): Record<string, string> {
  const days = ctx.fcrWindowMs / 86_400_000
  const window = Number.isInteger(days) ? `${days} d` : `${ctx.fcrWindowMs / 3_600_000} h`
  return {
    fcr: `first-contact resolution, window ${window}: fcr_rate = fcr_resolved / fcr_contacts. A contact is an inbound call an agent answered (a transferred call is one contact, counted for its last queue and agent, in the interval it started); it is resolved when the same customer (contact id, else number) makes no inbound call and has no ticket reopened within the window after it started`,
    fcr_pending: 'contacts not followed so far whose window had not ended when the report was made: in no rate',
    fcr_anonymous: 'contacts from callers with no contact and no number (withheld): in no rate',
  }
}
