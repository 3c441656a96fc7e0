import {int, pgText, type PgDatabase} from '../store/pg/repo-access.js'
import type {Ticket} from './ticket.js'
import {ticketId} from './ticket.js'
import type {NewEvent} from '../store/events.js'
import {foldAll, folded, takenTicket, TICKET_COLUMNS, ticketFilter, ticketRow, toTicket, unknownTicket, type TicketOp, type TicketQuery, type TicketRepository} from './ticket-store.js'

const PLACEHOLDERS = TICKET_COLUMNS.split(', ').map((_, i) => `$${i + 1}`).join(', ')
const UPDATE_ALL = TICKET_COLUMNS.split(', ').slice(1).map((c) => `${c} = excluded.${c}`).join(', ')

/** The tickets table in PostgreSQL (repo-schema.ts version 8); answers as SqliteTickets does. */
export class PgTickets implements TicketRepository {
  constructor(private readonly db: PgDatabase) {}

  async write(ops: readonly TicketOp[]): Promise<Ticket[]> {
    return this.db.write(async (tx) => {
      const c = tx.client
      // Ids are drawn as MAX + 1: one writer at a time, so two engines or commands never draw the same.
      await c.query('LOCK TABLE tickets IN SHARE ROW EXCLUSIVE MODE')
      const out: Ticket[] = []
      for (const op of ops) {
        let seq: number
        let before: Ticket | null = null
        if (op.kind === 'create') {
          seq = op.seq ?? int((await c.query('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM tickets')).rows[0]!.n)
          if ((await c.query('SELECT 1 FROM tickets WHERE seq = $1', [seq])).rowCount) throw takenTicket(ticketId(seq))
        } else {
          const {rows} = await c.query(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE id = $1`, [pgText(op.id)])
          if (!rows[0]) throw unknownTicket(op.id)
          seq = int(rows[0].seq)
          before = toTicket(rows[0])
        }
        const id = ticketId(seq)
        const events = op.kind === 'create' ? op.make(id) : op.make(before!)
        const t = folded(before, events, id)
        const values = ticketRow(seq, t).map((v) => (typeof v === 'string' ? pgText(v) : v))
        await c.query(`INSERT INTO tickets (${TICKET_COLUMNS}) VALUES (${PLACEHOLDERS}) ON CONFLICT (seq) DO UPDATE SET ${UPDATE_ALL}`, values)
        if (t.calls.length > 0) {
          await c.query('INSERT INTO ticket_calls (call_id, ticket) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING', [t.calls.map((x) => pgText(x)), id])
        }
        await tx.appendEvents(events)
        out.push(t)
      }
      return out
    })
  }

  async get(id: string): Promise<Ticket | undefined> {
    const {rows} = await this.db.pool.query(`SELECT ${TICKET_COLUMNS} FROM tickets WHERE id = $1`, [pgText(id)])
    return rows[0] ? toTicket(rows[0]) : undefined
  }

  async list(q: TicketQuery = {}): Promise<Ticket[]> {
    const args: unknown[] = []
    const where = ticketFilter(q, (v) => (args.push(typeof v === 'string' ? pgText(v) : v), `$${args.length}`))
    const limit = q.limit !== undefined && Number.isFinite(q.limit) ? ` LIMIT ${Math.max(0, Math.floor(q.limit))}` : ''
    const {rows} = await this.db.pool.query(`SELECT ${TICKET_COLUMNS} FROM tickets${where} ORDER BY seq DESC${limit}`, args)
    return rows.map(toTicket)
  }

  async rebuild(events: AsyncIterable<Pick<NewEvent, 'type' | 'ts' | 'callId' | 'data'>>): Promise<number> {
    const all = await foldAll(events)
    await this.db.write(async ({client}) => {
      await client.query('LOCK TABLE tickets IN SHARE ROW EXCLUSIVE MODE')
      await client.query('DELETE FROM ticket_calls')
      await client.query('DELETE FROM tickets')
      for (const [seq, t] of all) {
        await client.query(`INSERT INTO tickets (${TICKET_COLUMNS}) VALUES (${PLACEHOLDERS})`, ticketRow(seq, t).map((v) => (typeof v === 'string' ? pgText(v) : v)))
        if (t.calls.length > 0) await client.query('INSERT INTO ticket_calls (call_id, ticket) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING', [t.calls.map((x) => pgText(x)), t.id])
      }
    })
    return all.size
  }

  async count(q: TicketQuery = {}): Promise<number> {
    const args: unknown[] = []
    const where = ticketFilter(q, (v) => (args.push(typeof v === 'string' ? pgText(v) : v), `$${args.length}`))
    const {rows} = await this.db.pool.query(`SELECT count(*) AS n FROM tickets${where}`, args)
    return int(rows[0]!.n)
  }
}
