import type pg from 'pg'
import type {EventType} from '../store/events.js'
import {pgText, type PgDatabase} from '../store/pg/repo-access.js'
import {ScannedEvent} from './event-scan.js'
import {VISIT_TYPES, VisitFold, type VisitRow} from './queue-visits.js'
import {CONTACT_ROW, firstContacts, VISIT_COLUMN_KINDS, VISIT_COLUMNS, visitValues, VISITS, VISITS_SPAN} from './visit-rows.js'

// The queue-visit summary in a PostgreSQL store (repo-schema.ts version 9): the same fold as
// on SQLite (VisitFold), written with its checkpoint and span in one transaction through the
// store's write(), so an engine that no longer leads writes nothing (as pg-call-rows.ts).

const SQL_TYPE = {int8: 'bigint', float8: 'float8', text: 'text'} as const

const UPSERT = `INSERT INTO queue_visits (${VISIT_COLUMNS.join(', ')})
  SELECT * FROM unnest(${VISIT_COLUMNS.map((c, i) => `$${i + 1}::${SQL_TYPE[VISIT_COLUMN_KINDS[c]]}[]`).join(', ')})
  ON CONFLICT (first_id, seq) DO NOTHING`

// As visit-rows.ts NEXT_CONTACT, for every customer of a batch at once.
const v = (alias: string) => `${alias}.${CONTACT_ROW.replace(/ AND /g, ` AND ${alias}.`)}`
const NEXT_CONTACT = `UPDATE queue_visits AS v SET next_contact_at = (
    SELECT MIN(w.contact_at) FROM queue_visits AS w WHERE w.customer = v.customer AND ${v('w')} AND w.contact_at > v.contact_at)
  FROM unnest($1::text[], $2::bigint[]) AS b(customer, at)
  WHERE v.customer = b.customer AND ${v('v')} AND (v.next_contact_at IS NULL OR v.next_contact_at > b.at)`

const SAVE = `INSERT INTO projections (name, checkpoint, updated_at) VALUES ($1, $2, $3)
  ON CONFLICT (name) DO UPDATE SET checkpoint = GREATEST(projections.checkpoint, excluded.checkpoint), updated_at = excluded.updated_at`

const READ = 'SELECT id, ts, type, call_id, queue, agent, data FROM events WHERE id > $1 AND type = ANY($2::text[]) ORDER BY id LIMIT $3'

async function projection(db: pg.Pool | pg.ClientBase, name: string): Promise<number> {
  const {rows} = await db.query<{checkpoint: number | string}>('SELECT checkpoint FROM projections WHERE name = $1', [name])
  return rows[0] ? Number(rows[0].checkpoint) : 0
}

export async function pgVisitsCheckpoint(db: pg.Pool | pg.ClientBase): Promise<number> {
  return projection(db, VISITS)
}

/** Keeps queue_visits up to date in a PostgreSQL store, as VisitsProjector does in SQLite. */
export class PgVisitsProjector {
  private fold: VisitFold | null = null
  private checkpoint = 0
  private span = 0

  constructor(private readonly db: PgDatabase) {}

  async reset(): Promise<void> {
    this.checkpoint = await projection(this.db.pool, VISITS)
    this.span = await projection(this.db.pool, VISITS_SPAN)
    this.fold = new VisitFold(this.checkpoint)
  }

  async advance(maxEvents = 20_000): Promise<{written: number; atEnd: boolean; checkpoint: number}> {
    if (!this.fold) await this.reset()
    const fold = this.fold!
    const {rows} = await this.db.pool.query<unknown[]>({text: READ, values: [fold.lastId, VISIT_TYPES, maxEvents], rowMode: 'array'})
    const out: VisitRow[] = []
    for (const r of rows) {
      fold.push(new ScannedEvent(Number(r[0]), Number(r[1]), r[2] as EventType, r[3] as string | null, r[4] as string | null, r[5] as string | null, r[6] as string), out)
    }
    const checkpoint = fold.checkpoint
    if (out.length > 0 || checkpoint !== this.checkpoint) {
      for (const r of out) this.span = Math.max(this.span, r.lastAt - r.startedAt)
      const span = this.span
      await this.db.write(async ({client}) => {
        if (out.length > 0) {
          await client.query(UPSERT, columnsOf(out.map(visitValues)))
          const first = firstContacts(out)
          if (first.size > 0) await client.query(NEXT_CONTACT, [[...first.keys()].map(pgText), [...first.values()]])
        }
        const now = Date.now()
        await client.query(SAVE, [VISITS, checkpoint, now])
        await client.query(SAVE, [VISITS_SPAN, span, now])
      })
      this.checkpoint = checkpoint
    }
    return {written: out.length, atEnd: rows.length < maxEvents, checkpoint}
  }

  async catchUp(): Promise<{written: number; checkpoint: number}> {
    let written = 0
    for (;;) {
      const r = await this.advance()
      written += r.written
      if (r.atEnd) return {written, checkpoint: r.checkpoint}
    }
  }
}

function columnsOf(rows: unknown[][]): unknown[][] {
  return VISIT_COLUMNS.map((c, i) => rows.map((r) => (VISIT_COLUMN_KINDS[c] === 'text' && typeof r[i] === 'string' ? pgText(r[i] as string) : (r[i] ?? null))))
}
