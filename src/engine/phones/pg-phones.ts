import type {NewEvent} from '../store/events.js'
import {pgText, type PgDatabase} from '../store/pg/repo-access.js'
import {toPhone, type PhoneRecord, type PhoneRepository} from './phone-store.js'

const COLUMNS = 'id, agent, transport, created_at, updated_at'

/** The phones table in PostgreSQL (repo-schema.ts version 5); each change and its event in one transaction of the store. */
export class PgPhones implements PhoneRepository {
  constructor(private readonly db: PgDatabase) {}

  async list(): Promise<PhoneRecord[]> {
    const {rows} = await this.db.pool.query(`SELECT ${COLUMNS} FROM phones ORDER BY id`)
    return rows.map(toPhone)
  }

  async get(id: string): Promise<PhoneRecord | undefined> {
    const {rows} = await this.db.pool.query(`SELECT ${COLUMNS} FROM phones WHERE id = $1`, [pgText(id)])
    return rows[0] ? toPhone(rows[0]) : undefined
  }

  async byAgent(agent: string): Promise<PhoneRecord | undefined> {
    const {rows} = await this.db.pool.query(`SELECT ${COLUMNS} FROM phones WHERE agent = $1 ORDER BY id LIMIT 1`, [pgText(agent)])
    return rows[0] ? toPhone(rows[0]) : undefined
  }

  async save(p: PhoneRecord, event: NewEvent): Promise<void> {
    await this.db.write(async (tx) => {
      await tx.client.query(
        `INSERT INTO phones (${COLUMNS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET agent = excluded.agent, transport = excluded.transport, updated_at = excluded.updated_at`,
        [pgText(p.id), pgText(p.agent), p.transport, p.createdAt, p.updatedAt],
      )
      await tx.appendEvents([event])
    })
  }

  async remove(id: string, event: NewEvent): Promise<void> {
    await this.db.write(async (tx) => {
      await tx.client.query('DELETE FROM phones WHERE id = $1', [pgText(id)])
      await tx.appendEvents([event])
    })
  }

  async event(event: NewEvent): Promise<void> {
    await this.db.write((tx) => tx.appendEvents([event]))
  }
}
