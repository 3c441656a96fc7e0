import type {NewEvent} from '../store/events.js'

// A ticket (工单) and the one fold that makes it from its events. The tickets table is
// derived: each change is a ticket.* event, and the row is what foldTicket makes of the
// events so far (the repositories apply it as they append; a rebuild replays the log).

export const TICKET_STATUSES = ['open', 'pending', 'solved', 'closed'] as const
export type TicketStatus = (typeof TICKET_STATUSES)[number]
export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const
export type TicketPriority = (typeof TICKET_PRIORITIES)[number]

/** Who works on a ticket: an agent, a queue (any of its agents), or nobody yet. */
export type Assignee = {agent: string} | {queue: string} | null

export interface TicketComment {
  /** 1, 2, ... within the ticket. */
  id: number
  text: string
  by: string
  ts: number
}

export interface Ticket {
  /** T-000042. */
  id: string
  subject: string
  description: string
  status: TicketStatus
  priority: TicketPriority
  category: string
  assignee: Assignee
  /** The contact's key (its E.164 number) when the customer is a known contact. */
  contact: string | null
  /** The customer's number as the call or the user gave it. */
  number: string | null
  /** Linked calls, in the order they were linked. */
  calls: string[]
  comments: TicketComment[]
  /** When it should be solved by (the SLA of its priority, or set); events name it dueTs. */
  dueAt: number
  createdAt: number
  createdBy: string
  updatedAt: number
  /** When it last became solved or closed (null while open or pending): resolution time. */
  resolvedAt: number | null
  /** Moves from solved or closed back to open or pending. */
  reopens: number
}

/** Due time per priority: how long after creation a ticket should be solved. */
export type Sla = Record<TicketPriority, number>

const HOUR = 3_600_000
export const DEFAULT_SLA: Sla = {urgent: 4 * HOUR, high: 24 * HOUR, normal: 3 * 24 * HOUR, low: 7 * 24 * HOUR}

/** Limits on what people type: a ticket is read in a terminal and sent to an outside system. */
export const TICKET_LIMITS = {subject: 200, description: 10_000, category: 64, comment: 10_000, calls: 100, comments: 1000} as const

const ID = /^T-(\d{6,})$/

export function ticketId(seq: number): string {
  return `T-${String(seq).padStart(6, '0')}`
}

/** The number in T-000042, or null for anything else. Case and missing zeros are forgiven (t-42). */
export function ticketSeq(id: string): number | null {
  const m = /^[Tt]-?(\d{1,12})$/.exec(id.trim())
  if (!m) return null
  const n = Number(m[1])
  return Number.isSafeInteger(n) && n > 0 ? n : null
}

export function isTicketId(id: string): boolean {
  return ID.test(id)
}

export function dueFor(createdAt: number, priority: TicketPriority, sla: Sla = DEFAULT_SLA): number {
  return createdAt + sla[priority]
}

export function isOpenStatus(s: TicketStatus): boolean {
  return s === 'open' || s === 'pending'
}

/** Past its due time and not solved or closed. */
export function isOverdue(t: Pick<Ticket, 'status' | 'dueAt'>, now: number): boolean {
  return isOpenStatus(t.status) && now > t.dueAt
}

export function sameAssignee(a: Assignee, b: Assignee): boolean {
  if (a === null || b === null) return a === b
  return 'agent' in a ? 'agent' in b && a.agent === b.agent : 'queue' in b && a.queue === b.queue
}

export function assigneeText(a: Assignee): string {
  if (a === null) return ''
  return 'agent' in a ? `agent:${a.agent}` : `queue:${a.queue}`
}

/** The event's agent and queue columns: the ticket's assignee, so a log filter by agent or queue finds its tickets. */
export function assigneeColumns(a: Assignee): {agent: string | null; queue: string | null} {
  if (a === null) return {agent: null, queue: null}
  return 'agent' in a ? {agent: a.agent, queue: null} : {agent: null, queue: a.queue}
}

/** The fields ticket.updated may change. */
export const UPDATABLE = ['subject', 'description', 'priority', 'category', 'dueTs', 'contact', 'number'] as const
export type Updatable = (typeof UPDATABLE)[number]

type EventLike = Pick<NewEvent, 'type' | 'ts' | 'callId' | 'data'>

/**
 * The ticket after one of its events (null before its ticket.created). Pure: the same
 * events always make the same row, on either store. Unknown fields are ignored, so an
 * older callctl reading a newer log keeps what it knows.
 */
export function foldTicket(t: Ticket | null, e: EventLike): Ticket | null {
  const d = e.data ?? {}
  if (e.type === 'ticket.created') {
    return {
      id: String(d.ticket),
      subject: String(d.subject ?? ''),
      description: String(d.description ?? ''),
      status: 'open',
      priority: asPriority(d.priority),
      category: String(d.category ?? ''),
      assignee: asAssignee(d.assignee),
      contact: typeof d.contact === 'string' ? d.contact : null,
      number: typeof d.number === 'string' ? d.number : null,
      calls: Array.isArray(d.calls) ? d.calls.filter((c): c is string => typeof c === 'string') : [],
      comments: [],
      dueAt: Number(d.dueTs ?? e.ts),
      createdAt: e.ts,
      createdBy: String(d.by ?? ''),
      updatedAt: e.ts,
      resolvedAt: null,
      reopens: 0,
    }
  }
  if (!t) return null
  const next: Ticket = {...t, updatedAt: e.ts}
  switch (e.type) {
    case 'ticket.updated': {
      const changes = (d.changes ?? {}) as Record<string, {to?: unknown}>
      for (const f of UPDATABLE) {
        if (!Object.hasOwn(changes, f)) continue
        const to = changes[f]?.to
        if (f === 'priority') next.priority = asPriority(to)
        else if (f === 'dueTs') next.dueAt = Number(to)
        else if (f === 'contact' || f === 'number') next[f] = typeof to === 'string' && to !== '' ? to : null
        else next[f] = String(to ?? '')
      }
      return next
    }
    case 'ticket.status_changed': {
      const to = asStatus(d.to)
      if (!isOpenStatus(t.status) && isOpenStatus(to)) next.reopens = t.reopens + 1
      next.resolvedAt = isOpenStatus(to) ? null : isOpenStatus(t.status) ? e.ts : t.resolvedAt
      next.status = to
      return next
    }
    case 'ticket.assigned':
      next.assignee = asAssignee(d.to)
      return next
    case 'ticket.commented':
      next.comments = [...t.comments, {id: Number(d.comment), text: String(d.text ?? ''), by: String(d.by ?? ''), ts: e.ts}]
      return next
    case 'ticket.call_linked':
      if (e.callId && !t.calls.includes(e.callId)) next.calls = [...t.calls, e.callId]
      return next
    default:
      return t
  }
}

function asPriority(v: unknown): TicketPriority {
  return (TICKET_PRIORITIES as readonly unknown[]).includes(v) ? (v as TicketPriority) : 'normal'
}

function asStatus(v: unknown): TicketStatus {
  return (TICKET_STATUSES as readonly unknown[]).includes(v) ? (v as TicketStatus) : 'open'
}

export function asAssignee(v: unknown): Assignee {
  if (typeof v !== 'object' || v === null) return null
  const o = v as Record<string, unknown>
  if (typeof o.agent === 'string') return {agent: o.agent}
  if (typeof o.queue === 'string') return {queue: o.queue}
  return null
}
