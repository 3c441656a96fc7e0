import type {NewEvent} from '../store/events.js'
import type {SqliteStore} from '../store/sqlite-store.js'

export interface PhoneRecord {
  id: string
  /** The agent this phone rings for (its endpoint is PJSIP/id); null for a supervisor's or spare phone. */
  agent: string | null
  /** Force one transport; null lets the phone use UDP or TCP. */
  transport: 'udp' | 'tcp' | null
  createdAt: number
  updatedAt: number
}

/** The phones table (SQLite migration 7, PostgreSQL repo-schema.ts version 5): each change written with its event in one transaction. */
export interface PhoneRepository {
  /** By id. */
  list(): Promise<PhoneRecord[]>
  get(id: string): Promise<PhoneRecord | undefined>
  /** The agent's phone (the first by id, should there be several). */
  byAgent(agent: string): Promise<PhoneRecord | undefined>
  save(p: PhoneRecord, event: NewEvent): Promise<void>
  remove(id: string, event: NewEvent): Promise<void>
  /** An event about a phone with no change to its row (its secret reset). */
  event(event: NewEvent): Promise<void>
}

const COLUMNS = 'id, agent, transport, created_at, updated_at'

export class SqlitePhones implements PhoneRepository {
  constructor(private readonly store: SqliteStore) {}

  async list(): Promise<PhoneRecord[]> {
    return (this.store.db.prepare(`SELECT ${COLUMNS} FROM phones ORDER BY id`).all() as Record<string, unknown>[]).map(toPhone)
  }

  async get(id: string): Promise<PhoneRecord | undefined> {
    const r = this.store.db.prepare(`SELECT ${COLUMNS} FROM phones WHERE id = ?`).get(id) as Record<string, unknown> | undefined
    return r ? toPhone(r) : undefined
  }

  async byAgent(agent: string): Promise<PhoneRecord | undefined> {
    const r = this.store.db.prepare(`SELECT ${COLUMNS} FROM phones WHERE agent = ? ORDER BY id LIMIT 1`).get(agent) as Record<string, unknown> | undefined
    return r ? toPhone(r) : undefined
  }

  async save(p: PhoneRecord, event: NewEvent): Promise<void> {
    this.store.db.transaction(() => {
      this.store.db
        .prepare(`INSERT INTO phones (${COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET agent = excluded.agent, transport = excluded.transport, updated_at = excluded.updated_at`)
        .run(p.id, p.agent, p.transport, p.createdAt, p.updatedAt)
      this.appendIn(event)
    })()
  }

  async remove(id: string, event: NewEvent): Promise<void> {
    this.store.db.transaction(() => {
      this.store.db.prepare('DELETE FROM phones WHERE id = ?').run(id)
      this.appendIn(event)
    })()
  }

  /**
   * The event, in the caller's transaction. Not through the store's appendEvents: it is
   * async, so its failure would reach no one here and the row would be committed without
   * its event.
   */
  private appendIn(e: NewEvent): void {
    this.store.db
      .prepare('INSERT INTO events (ts, type, call_id, queue, agent, data, origin) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(e.ts, e.type, e.callId ?? null, e.queue ?? null, e.agent ?? null, JSON.stringify(e.data ?? {}), e.origin ?? '')
  }

  async event(event: NewEvent): Promise<void> {
    await this.store.appendEvents([event])
  }
}

export function toPhone(r: Record<string, unknown>): PhoneRecord {
  return {id: r.id as string, agent: (r.agent as string | null) ?? null, transport: (r.transport as PhoneRecord['transport']) ?? null, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at)}
}
