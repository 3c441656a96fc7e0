import type {NewEvent} from '../store/events.js'
import type {SqliteStore} from '../store/sqlite-store.js'
import {UserError} from '../util/errors.js'
import {asAssignee, foldTicket, ticketId, ticketSeq, type Assignee, type Ticket, type TicketStatus} from './ticket.js'

// The tickets table (SQLite migration 9, PostgreSQL repo-schema version 8): a projection
// of the ticket.* events, written in the transaction that appends them. A writer never
// sets a column: it gives the events, and foldTicket turns them into the row.

/** One write: a new ticket (its id drawn, or the one an import names), or events about an existing one. */
export type TicketOp =
  | {kind: 'create'; seq?: number; make: (id: string) => NewEvent[]}
  | {kind: 'change'; id: string; make: (t: Ticket) => NewEvent[]}

export interface TicketQuery {
  id?: string
  status?: readonly TicketStatus[]
  /** An agent, a queue, or 'none' (unassigned). */
  assignee?: Assignee | 'none'
  /** Open or pending and due before this time. */
  overdueAt?: number
  contact?: string
  /** Linked to this call. */
  call?: string
  /** What an agent may see: assigned to it or one of its queues, or linked to a call it took. */
  visibleTo?: {agent: string; queues: readonly string[]}
  limit?: number
}

export interface TicketRepository {
  /** All the ops in one transaction, each op's events folded into its row and appended to the log; the tickets as they end up. */
  write(ops: readonly TicketOp[]): Promise<Ticket[]>
  get(id: string): Promise<Ticket | undefined>
  /** Newest first. */
  list(query?: TicketQuery): Promise<Ticket[]>
  count(query?: TicketQuery): Promise<number>
  /** Makes the table again from the log's ticket.* events (it is derived: nothing else goes into it); the number of tickets. */
  rebuild(events: AsyncIterable<Pick<NewEvent, 'type' | 'ts' | 'callId' | 'data'>>): Promise<number>
}

/** Every ticket the events make, by its number. */
export async function foldAll(events: AsyncIterable<Pick<NewEvent, 'type' | 'ts' | 'callId' | 'data'>>): Promise<Map<number, Ticket>> {
  const out = new Map<number, Ticket>()
  for await (const e of events) {
    if (!e.type.startsWith('ticket.')) continue
    const seq = ticketSeq(String(e.data?.ticket ?? ''))
    if (seq === null) continue
    const t = foldTicket(out.get(seq) ?? null, e)
    if (t) out.set(seq, t)
  }
  return out
}

export const TICKET_COLUMNS =
  'seq, id, subject, description, status, priority, category, assignee_agent, assignee_queue, contact, number, calls, comments, due_ts, created_at, created_by, updated_at, resolved_at, reopens'

/** The row's values in TICKET_COLUMNS order. */
export function ticketRow(seq: number, t: Ticket): unknown[] {
  const a = t.assignee
  return [
    seq,
    t.id,
    t.subject,
    t.description,
    t.status,
    t.priority,
    t.category,
    a && 'agent' in a ? a.agent : null,
    a && 'queue' in a ? a.queue : null,
    t.contact,
    t.number,
    JSON.stringify(t.calls),
    JSON.stringify(t.comments),
    t.dueAt,
    t.createdAt,
    t.createdBy,
    t.updatedAt,
    t.resolvedAt,
    t.reopens,
  ]
}

export function toTicket(r: Record<string, unknown>): Ticket {
  return {
    id: r.id as string,
    subject: r.subject as string,
    description: r.description as string,
    status: r.status as TicketStatus,
    priority: r.priority as Ticket['priority'],
    category: r.category as string,
    assignee: asAssignee({agent: r.assignee_agent ?? undefined, queue: r.assignee_queue ?? undefined}),
    contact: (r.contact as string | null) ?? null,
    number: (r.number as string | null) ?? null,
    calls: parseList(r.calls) as string[],
    comments: parseList(r.comments) as Ticket['comments'],
    dueAt: Number(r.due_ts),
    createdAt: Number(r.created_at),
    createdBy: r.created_by as string,
    updatedAt: Number(r.updated_at),
    resolvedAt: r.resolved_at === null || r.resolved_at === undefined ? null : Number(r.resolved_at),
    reopens: Number(r.reopens),
  }
}

function parseList(v: unknown): unknown[] {
  try {
    const x = JSON.parse(String(v ?? '[]')) as unknown
    return Array.isArray(x) ? x : []
  } catch {
    return []
  }
}

/** A ticket the events fold into, or why not (a bug of the writer: refused, nothing written). */
export function folded(t: Ticket | null, events: readonly NewEvent[], id: string): Ticket {
  let out = t
  for (const e of events) {
    if (!e.type.startsWith('ticket.') || e.data?.ticket !== id) throw new Error(`event ${e.type} is not about ticket ${id}`)
    out = foldTicket(out, e)
  }
  if (!out) throw new Error(`ticket ${id}: no ticket.created`)
  return out
}

export function unknownTicket(id: string): UserError {
  return new UserError(`Ticket ${JSON.stringify(id.slice(0, 40))} does not exist`, {suggestion: 'List tickets with: callctl ticket list', exitCode: 1, code: 'unknown_ticket'})
}

export function takenTicket(id: string): UserError {
  return new UserError(`Ticket ${id} already exists`, {suggestion: 'Leave the id out to get a new one, or update the ticket instead.', exitCode: 1, code: 'ticket_exists'})
}

/** WHERE text and its arguments, placeholders made by `p` (SQLite "?", PostgreSQL "$n"). */
export function ticketFilter(q: TicketQuery, p: (value: unknown) => string): string {
  const where: string[] = []
  if (q.id !== undefined) where.push(`id = ${p(q.id)}`)
  if (q.status && q.status.length > 0) where.push(`status IN (${q.status.map((s) => p(s)).join(', ')})`)
  if (q.assignee === 'none') where.push('assignee_agent IS NULL AND assignee_queue IS NULL')
  else if (q.assignee && 'agent' in q.assignee) where.push(`assignee_agent = ${p(q.assignee.agent)}`)
  else if (q.assignee && 'queue' in q.assignee) where.push(`assignee_queue = ${p(q.assignee.queue)}`)
  if (q.overdueAt !== undefined) where.push(`status IN ('open', 'pending') AND due_ts < ${p(q.overdueAt)}`)
  if (q.contact !== undefined) where.push(`contact = ${p(q.contact)}`)
  if (q.call !== undefined) where.push(`id IN (SELECT ticket FROM ticket_calls WHERE call_id = ${p(q.call)})`)
  if (q.visibleTo) {
    const {agent, queues} = q.visibleTo
    const mine = [`assignee_agent = ${p(agent)}`]
    if (queues.length > 0) mine.push(`assignee_queue IN (${queues.map((x) => p(x)).join(', ')})`)
    // A call it took: the log says which agent each call connected to.
    mine.push(`id IN (SELECT tc.ticket FROM ticket_calls tc JOIN events e ON e.call_id = tc.call_id AND e.type = 'call.connected' WHERE e.agent = ${p(agent)})`)
    where.push(`(${mine.join(' OR ')})`)
  }
  return where.length ? ` WHERE ${where.join(' AND ')}` : ''
}

const INSERT_EVENT = 'INSERT INTO events (ts, type, call_id, queue, agent, data, origin) VALUES (?, ?, ?, ?, ?, ?, ?)'

export class SqliteTickets implements TicketRepository {
  constructor(private readonly store: SqliteStore) {}

  private get db() {
    return this.store.db
  }

  async write(ops: readonly TicketOp[]): Promise<Ticket[]> {
    const db = this.db
    const select = db.prepare(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE id = ?`)
    const upsert = db.prepare(
      `INSERT INTO tickets (${TICKET_COLUMNS}) VALUES (${TICKET_COLUMNS.split(',').map(() => '?').join(', ')})
       ON CONFLICT(seq) DO UPDATE SET ${TICKET_COLUMNS.split(', ').slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`,
    )
    const link = db.prepare('INSERT OR IGNORE INTO ticket_calls (call_id, ticket) VALUES (?, ?)')
    const append = db.prepare(INSERT_EVENT)
    return db.transaction(() => {
      const out: Ticket[] = []
      for (const op of ops) {
        let seq: number
        let before: Ticket | null = null
        if (op.kind === 'create') {
          seq = op.seq ?? (db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM tickets').get() as {n: number}).n
          if (select.get(ticketId(seq))) throw takenTicket(ticketId(seq))
        } else {
          const row = select.get(op.id) as Record<string, unknown> | undefined
          if (!row) throw unknownTicket(op.id)
          seq = Number(row.seq)
          before = toTicket(row)
        }
        const id = ticketId(seq)
        const events = op.kind === 'create' ? op.make(id) : op.make(before!)
        const t = folded(before, events, id)
        upsert.run(...ticketRow(seq, t))
        for (const c of t.calls) link.run(c, id)
        for (const e of events) append.run(e.ts, e.type, e.callId ?? null, e.queue ?? null, e.agent ?? null, JSON.stringify(e.data ?? {}), e.origin ?? '')
        out.push(t)
      }
      return out
    })()
  }

  async get(id: string): Promise<Ticket | undefined> {
    const row = this.db.prepare(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE id = ?`).get(id) as Record<string, unknown> | undefined
    return row ? toTicket(row) : undefined
  }

  async list(q: TicketQuery = {}): Promise<Ticket[]> {
    const args: unknown[] = []
    const where = ticketFilter(q, (v) => (args.push(v), '?'))
    const limit = q.limit !== undefined && Number.isFinite(q.limit) ? ` LIMIT ${Math.max(0, Math.floor(q.limit))}` : ''
    return (this.db.prepare(`SELECT ${TICKET_COLUMNS} FROM tickets${where} ORDER BY seq DESC${limit}`).all(...args) as Record<string, unknown>[]).map(toTicket)
  }

  async count(q: TicketQuery = {}): Promise<number> {
    const args: unknown[] = []
    const where = ticketFilter(q, (v) => (args.push(v), '?'))
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM tickets${where}`).get(...args) as {n: number}).n
  }

  async rebuild(events: AsyncIterable<Pick<NewEvent, 'type' | 'ts' | 'callId' | 'data'>>): Promise<number> {
    const all = await foldAll(events)
    const insert = this.db.prepare(`INSERT INTO tickets (${TICKET_COLUMNS}) VALUES (${TICKET_COLUMNS.split(',').map(() => '?').join(', ')})`)
    const link = this.db.prepare('INSERT OR IGNORE INTO ticket_calls (call_id, ticket) VALUES (?, ?)')
    this.db.transaction(() => {
      this.db.exec('DELETE FROM ticket_calls; DELETE FROM tickets;')
      for (const [seq, t] of all) {
        insert.run(...ticketRow(seq, t))
        for (const c of t.calls) link.run(c, t.id)
      }
    })()
    return all.size
  }
}
