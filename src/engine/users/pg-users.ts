import type {NewEvent} from '../store/events.js'
import {pgText, type PgDatabase} from '../store/pg/repo-access.js'
import {toUser, USER_COLUMNS, type UserRecord, type UserRepository} from './user-store.js'

/** The users table in PostgreSQL (repo-schema.ts version 7); each change and its event in one transaction of the store. */
export class PgUsers implements UserRepository {
  constructor(private readonly db: PgDatabase) {}

  async list(): Promise<UserRecord[]> {
    const {rows} = await this.db.pool.query(`SELECT ${USER_COLUMNS} FROM users ORDER BY name`)
    return rows.map(toUser)
  }

  async get(name: string): Promise<UserRecord | undefined> {
    const {rows} = await this.db.pool.query(`SELECT ${USER_COLUMNS} FROM users WHERE name = $1`, [pgText(name)])
    return rows[0] ? toUser(rows[0]) : undefined
  }

  async byTokenHash(hash: string): Promise<UserRecord | undefined> {
    const {rows} = await this.db.pool.query(`SELECT ${USER_COLUMNS} FROM users WHERE token_hash = $1 OR old_token_hash = $1 ORDER BY coalesce(token_hash = $1, false) DESC LIMIT 1`, [hash])
    return rows[0] ? toUser(rows[0]) : undefined
  }

  async save(u: UserRecord, event: NewEvent): Promise<void> {
    await this.db.write(async (tx) => {
      await tx.client.query(
        `INSERT INTO users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO UPDATE SET role = excluded.role, agent = excluded.agent,
         token_hash = excluded.token_hash, old_token_hash = excluded.old_token_hash, token_issued_at = excluded.token_issued_at, updated_at = excluded.updated_at`,
        [pgText(u.name), u.role, pgText(u.agent), u.tokenHash, u.oldTokenHash, u.tokenIssuedAt, u.createdAt, u.updatedAt],
      )
      await tx.appendEvents([event])
    })
  }

  async remove(name: string, event: NewEvent): Promise<void> {
    await this.db.write(async (tx) => {
      await tx.client.query('DELETE FROM users WHERE name = $1', [pgText(name)])
      await tx.appendEvents([event])
    })
  }
}
