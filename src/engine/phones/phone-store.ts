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

/** The phones table (migration 7): each change written with its event in one transaction. */
export class PhoneStore {
  constructor(private readonly store: SqliteStore) {}

  list(): PhoneRecord[] {
    return (this.store.db.prepare('SELECT id, agent, transport, created_at, updated_at FROM phones ORDER BY id').all() as Record<string, unknown>[]).map(toRecord)
  }

  get(id: string): PhoneRecord | undefined {
    const r = this.store.db.prepare('SELECT id, agent, transport, created_at, updated_at FROM phones WHERE id = ?').get(id) as Record<string, unknown> | undefined
    return r ? toRecord(r) : undefined
  }

  byAgent(agent: string): PhoneRecord | undefined {
    const r = this.store.db.prepare('SELECT id, agent, transport, created_at, updated_at FROM phones WHERE agent = ? ORDER BY id LIMIT 1').get(agent) as Record<string, unknown> | undefined
    return r ? toRecord(r) : undefined
  }

  save(p: PhoneRecord, event: NewEvent): void {
    this.store.db.transaction(() => {
      this.store.db
        .prepare('INSERT INTO phones (id, agent, transport, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET agent = excluded.agent, transport = excluded.transport, updated_at = excluded.updated_at')
        .run(p.id, p.agent, p.transport, p.createdAt, p.updatedAt)
      void this.store.appendEvents([event])
    })()
  }

  remove(id: string, event: NewEvent): void {
    this.store.db.transaction(() => {
      this.store.db.prepare('DELETE FROM phones WHERE id = ?').run(id)
      void this.store.appendEvents([event])
    })()
  }

  event(event: NewEvent): void {
    void this.store.appendEvents([event])
  }
}

function toRecord(r: Record<string, unknown>): PhoneRecord {
  return {id: r.id as string, agent: (r.agent as string | null) ?? null, transport: (r.transport as PhoneRecord['transport']) ?? null, createdAt: r.created_at as number, updatedAt: r.updated_at as number}
}
