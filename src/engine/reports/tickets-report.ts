import type Database from 'better-sqlite3'
import type {EventType} from '../store/events.js'
import {foldTicket, isOpenStatus, isOverdue, type Ticket} from '../tickets/ticket.js'
import {median} from './metrics.js'
import {periodMeta, sec, type ReportContext} from './report-context.js'
import type {Cell, TableReport} from './report-output.js'

/** The events the report reads: every ticket event dated before the period's end (a ticket may be older than the period). */
export const TICKET_TYPES: readonly EventType[] = ['ticket.created', 'ticket.updated', 'ticket.status_changed', 'ticket.assigned', 'ticket.commented', 'ticket.call_linked']

interface Figures {
  created: number
  solved: number
  overdue: number
  /** Resolution times of the tickets solved, ms. */
  resolutions: number[]
}

/**
 * Tickets per queue, agent and category: created and solved in the period, overdue at its
 * end, and resolution time of those solved (p50 and average). A ticket is counted for its
 * assignee (an agent, or a queue; '' for the other, both '' when unassigned) and category as
 * they were when the thing counted happened: at its creation, at its solving, at the
 * period's end (or now, if sooner) for overdue.
 */
export function ticketsReport(ctx: ReportContext): TableReport {
  return {
    kind: 'table',
    type: 'tickets',
    columns: ['queue', 'agent', 'category', 'created', 'solved', 'overdue', 'resolution_p50_s', 'resolution_avg_s'],
    meta: {
      ...periodMeta(ctx),
      notes: {
        queue: "the ticket's assignee when it is a queue, else empty; agent: when it is an agent",
        solved: 'moves from open or pending to solved or closed in the period (a ticket reopened and solved again counts again)',
        overdue: 'open or pending at the end of the period (or now, if sooner) and past its due time',
        resolution: 'from creation to solving, seconds, for the tickets solved in the period: the median (the middle one; the lower of the two middle ones for an even count) and the average',
      },
    },
    rows: rows(ctx),
  }
}

/** Every ticket event dated before `until`, in log order (along the (type, ts) index: tickets are few beside calls). */
export function ticketEvents(db: Database.Database, until: number): {ts: number; type: EventType; callId: string | null; data: Record<string, unknown>}[] {
  const rows = db
    .prepare(`SELECT ts, type, call_id, data FROM events WHERE type IN (${TICKET_TYPES.map(() => '?').join(', ')}) AND ts < ? ORDER BY id`)
    .raw(true)
    .all(...TICKET_TYPES, until) as [number, EventType, string | null, string][]
  return rows.map(([ts, type, callId, data]) => ({ts, type, callId, data: JSON.parse(data) as Record<string, unknown>}))
}

function* rows(ctx: ReportContext): Generator<Cell[]> {
  const {from, to} = ctx.period
  const tickets = new Map<string, Ticket>()
  const by = new Map<string, Figures>()
  const figures = (t: Ticket): Figures | null => {
    const queue = t.assignee && 'queue' in t.assignee ? t.assignee.queue : ''
    const agent = t.assignee && 'agent' in t.assignee ? t.assignee.agent : ''
    if ((ctx.queue !== null && queue !== ctx.queue) || (ctx.agent !== null && agent !== ctx.agent)) return null
    const key = `${queue}\u0000${agent}\u0000${t.category}`
    let f = by.get(key)
    if (!f) by.set(key, (f = {created: 0, solved: 0, overdue: 0, resolutions: []}))
    return f
  }
  for (const e of ticketEvents(ctx.db, to)) {
    const id = String(e.data.ticket ?? '')
    const before = tickets.get(id) ?? null
    const after = foldTicket(before, e)
    if (!after) continue
    tickets.set(id, after)
    if (e.ts < from) continue
    if (e.type === 'ticket.created') {
      const f = figures(after)
      if (f) f.created++
    } else if (e.type === 'ticket.status_changed' && before && isOpenStatus(before.status) && !isOpenStatus(after.status)) {
      // Counted as it was when solved: its assignee and category before the move.
      const f = figures(before)
      if (f) {
        f.solved++
        f.resolutions.push(e.ts - after.createdAt)
      }
    }
  }
  const end = Math.min(to, ctx.now)
  for (const t of tickets.values()) {
    if (t.createdAt >= end || !isOverdue(t, end)) continue
    const f = figures(t)
    if (f) f.overdue++
  }
  const sorted = [...by.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [key, f] of sorted) {
    const [queue, agent, category] = key.split('\u0000') as [string, string, string]
    const avg = f.resolutions.length > 0 ? f.resolutions.reduce((a, b) => a + b, 0) / f.resolutions.length : null
    yield [queue, agent, category, f.created, f.solved, f.overdue, sec(median(f.resolutions)), sec(avg)]
  }
}
