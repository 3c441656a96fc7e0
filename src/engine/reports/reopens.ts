import type Database from 'better-sqlite3'
import type {EventType} from '../store/events.js'
import {customerKey} from './metrics.js'

/** The ticket events that say whose a ticket is and when it was reopened. */
export const REOPEN_TYPES: readonly EventType[] = ['ticket.created', 'ticket.updated', 'ticket.status_changed']

const OPEN = new Set(['open', 'pending'])
const DONE = new Set(['solved', 'closed'])

/**
 * Every ticket reopen dated before `until` (ticket.status_changed from solved or closed to
 * open or pending), with the ticket's customer then (customerKey of its contact, else its
 * number). Read along the (type, ts) index: tickets are few beside calls, and a reopen may
 * belong to a ticket created long before.
 */
export function reopensUntil(db: Database.Database, until: number): {at: number; customer: string}[] {
  const rows = db
    .prepare(`SELECT ts, type, data FROM events WHERE type IN (${REOPEN_TYPES.map(() => '?').join(', ')}) AND ts < ? ORDER BY id`)
    .raw(true)
    .all(...REOPEN_TYPES, until) as [number, EventType, string][]
  const whose = new Map<string, {contact: string | null; number: string | null}>()
  const out: {at: number; customer: string}[] = []
  for (const [ts, type, raw] of rows) {
    const d = JSON.parse(raw) as Record<string, unknown>
    const id = String(d.ticket ?? '')
    if (type === 'ticket.created') whose.set(id, {contact: typeof d.contact === 'string' ? d.contact : null, number: typeof d.number === 'string' ? d.number : null})
    else if (type === 'ticket.updated') {
      const w = whose.get(id)
      const changes = (d.changes ?? {}) as Record<string, {to?: unknown}>
      if (w && changes.contact) w.contact = typeof changes.contact.to === 'string' && changes.contact.to !== '' ? changes.contact.to : null
      if (w && changes.number) w.number = typeof changes.number.to === 'string' && changes.number.to !== '' ? changes.number.to : null
    } else if (DONE.has(String(d.from)) && OPEN.has(String(d.to))) {
      const w = whose.get(id)
      if (w) out.push({at: ts, customer: customerKey(w.contact, w.number)})
    }
  }
  return out
}
