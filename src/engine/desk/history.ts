import type {EventType, StoredEvent} from '../store/events.js'
import type {Store} from '../store/store.js'

// A customer's earlier contacts, as the agent's pop shows them: calls (with what became
// of them, their disposition and notes) and tickets, newest first, read from the event
// log. A customer is its contact (the E.164 number the contacts are keyed on) or, for
// callers without a contact, the number as it called; both are compared after the same
// normalisation, so "013812345678" and "+8613812345678" are one customer.

export interface Interaction {
  kind: 'call' | 'ticket'
  /** When it started (the call arrived, the ticket was opened), ms since the epoch. */
  at: number
  /** The call id or the ticket id. */
  id: string
  direction: 'inbound' | 'outbound' | null
  queue: string | null
  agent: string | null
  /** A call: answered, abandoned, callback, voicemail or how it ended; a ticket: its status. */
  outcome: string
  /** The disposition code chosen for the call (or null), with its label. */
  disposition: {code: string; label: string} | null
  /** The call's notes (the latest text of each), or the ticket's subject. */
  notes: string[]
  /** A ticket's priority. */
  priority: string | null
}

export interface HistoryQuery {
  /** The customer: its number as a caller ID gives it. */
  number: string
  /** Number → E.164 (or null); the same function the contacts are keyed with. */
  normalise(number: string): string | null
  /** Not this call (the one ringing now). */
  exceptCall?: string | null
  limit: number
  /** How far back to look (ms since the epoch). */
  since: number
  /** Now, by the engine's clock. */
  now: number
  /** Stop looking further back after this long (the pop waits for the history). */
  budgetMs?: number
  /** The clock the budget is measured with. */
  elapsed?: () => number
}

export interface History {
  interactions: Interaction[]
  /** How far back the log was read: `since`, or less when the budget ran out first. */
  searchedFrom: number
}

const FIRST_PASS: EventType[] = ['call.started', 'ticket.created']
const TICKET_CHANGES: EventType[] = ['ticket.status_changed']
const DAY_MS = 86_400_000

type Found = {kind: 'call'; id: string; at: number; direction: 'inbound' | 'outbound'} | {kind: 'ticket'; id: string; at: number; e: StoredEvent}

/**
 * The customer's last `limit` interactions, newest first. The log is read backwards in
 * windows of time that double (a day, two, four...; the (type, ts) index finds each
 * window's calls), so a regular caller's last contacts are found in the first windows
 * read, and reading stops once `limit` are found, at `since`, or when the budget is
 * spent: a caller never seen before costs at most the budget, not a read of months.
 */
export async function customerHistory(store: Store, q: HistoryQuery): Promise<History> {
  const wanted = q.normalise(q.number) ?? q.number
  // Two spellings of one number end in the same digits: only those are worth normalising.
  const tail = wanted.replace(/\D/g, '').slice(-7)
  const seen = new Map<string, string | null>()
  const same = (raw: unknown): boolean => {
    if (typeof raw !== 'string' || raw === '') return false
    if (raw === q.number || raw === wanted) return true
    if (!raw.replace(/\D/g, '').endsWith(tail)) return false
    let n = seen.get(raw)
    if (n === undefined) seen.set(raw, (n = q.normalise(raw)))
    return n === wanted
  }
  const elapsed = q.elapsed ?? (() => performance.now())
  const started = elapsed()
  const found: Found[] = []
  let until = q.now + 1
  let span = DAY_MS
  /** Milliseconds the last window took per millisecond of log. */
  let pace = 0
  // The last day is always read, whatever the budget.
  const inBudget = () => q.budgetMs === undefined || until > q.now || elapsed() - started < q.budgetMs
  while (until > q.since && found.length < q.limit && inBudget()) {
    if (q.budgetMs !== undefined && until <= q.now && pace > 0) {
      // The next window no larger than what the budget left can read, at the pace of the last.
      const left = q.budgetMs - (elapsed() - started)
      span = Math.max(60_000, Math.min(span, (left / pace) * 0.8))
    }
    const windowStart = elapsed()
    const from = Math.max(q.since, until - span)
    const window: Found[] = []
    for await (const e of store.events({since: from, until, types: FIRST_PASS})) {
      if (e.type === 'call.started') {
        if (e.callId && e.callId !== q.exceptCall && same(e.data.number)) window.push({kind: 'call', id: e.callId, at: e.ts, direction: e.data.direction === 'outbound' ? 'outbound' : 'inbound'})
      } else if (same(e.data.contact) || same(e.data.number)) {
        window.push({kind: 'ticket', id: String(e.data.ticket), at: e.ts, e})
      }
    }
    found.push(...window.sort((a, b) => b.at - a.at))
    pace = (elapsed() - windowStart) / Math.max(1, until - from)
    until = from
    span *= 2
  }
  const newest = found.slice(0, q.limit)
  const status = await ticketStatus(store, newest.filter((t) => t.kind === 'ticket').map((t) => t.id), Math.min(...newest.map((t) => t.at)))
  // Found enough: what is older does not matter, as if read to `since`.
  const searchedFrom = newest.length >= q.limit ? q.since : until
  const out: Interaction[] = []
  for (const n of newest) {
    if (n.kind === 'ticket') {
      const d = n.e.data
      out.push({
        kind: 'ticket',
        at: n.at,
        id: n.id,
        direction: null,
        queue: assignee(d.assignee, 'queue'),
        agent: assignee(d.assignee, 'agent'),
        outcome: status.get(n.id) ?? String(d.status ?? 'open'),
        disposition: null,
        notes: typeof d.subject === 'string' ? [d.subject] : [],
        priority: typeof d.priority === 'string' ? d.priority : null,
      })
    } else {
      const events: StoredEvent[] = []
      for await (const e of store.events({callId: n.id})) events.push(e)
      out.push(callInteraction(n.id, n.at, n.direction, events))
    }
  }
  return {interactions: out, searchedFrom: Math.max(q.since, searchedFrom)}
}

/** What one call's events say of it, for the history. */
export function callInteraction(id: string, at: number, direction: 'inbound' | 'outbound', events: readonly StoredEvent[]): Interaction {
  let queue: string | null = null
  let agent: string | null = null
  let outcome: string | null = null
  let ended: string | null = null
  let disposition: Interaction['disposition'] = null
  const notes = new Map<string, string>()
  for (const e of events) {
    if (e.queue && !queue) queue = e.queue
    switch (e.type) {
      case 'call.connected':
        outcome = 'answered'
        agent = e.agent ?? agent
        break
      case 'queue.abandoned':
        outcome ??= 'abandoned'
        break
      case 'callback.requested':
        outcome ??= 'callback'
        break
      case 'voicemail.left':
        outcome ??= 'voicemail'
        break
      case 'call.ended':
        ended = String(e.data.cause ?? 'ended')
        break
      case 'call.disposition':
        disposition = {code: String(e.data.code ?? ''), label: String(e.data.label ?? e.data.code ?? '')}
        agent ??= e.agent
        break
      case 'call.note': {
        const text = String(e.data.text ?? '')
        const key = String(e.data.note ?? notes.size)
        // The latest text of a note wins; an emptied note is gone.
        notes.delete(key)
        if (text.trim()) notes.set(key, text)
        break
      }
      default:
    }
  }
  return {kind: 'call', at, id, direction, queue, agent, outcome: outcome ?? ended ?? 'in progress', disposition, notes: [...notes.values()], priority: null}
}

async function ticketStatus(store: Store, ids: string[], since: number): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  if (ids.length === 0) return out
  const wanted = new Set(ids)
  for await (const e of store.events({since, types: TICKET_CHANGES})) {
    const id = String(e.data.ticket)
    if (wanted.has(id) && typeof e.data.to === 'string') out.set(id, e.data.to)
  }
  return out
}

function assignee(a: unknown, kind: 'agent' | 'queue'): string | null {
  if (!a || typeof a !== 'object') return null
  const v = (a as Record<string, unknown>)[kind]
  return typeof v === 'string' ? v : null
}
