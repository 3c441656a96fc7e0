import type {NewEvent} from '../store/events.js'
import type {SqliteStore} from '../store/sqlite-store.js'
import type {Role} from './roles.js'

export interface UserRecord {
  name: string
  role: Role
  /** The agent a user of the agent role acts as; null for the other roles. */
  agent: string | null
  /** SHA-256 (hex) of the user's token; null when it has none (revoked, or never issued). */
  tokenHash: string | null
  /** The hash of the token replaced or revoked last: its use is refused as revoked rather than unknown. */
  oldTokenHash: string | null
  tokenIssuedAt: number | null
  createdAt: number
  updatedAt: number
}

/** The users table (SQLite migration 8, PostgreSQL repo-schema.ts version 7): each change written with its event in one transaction. */
export interface UserRepository {
  /** By name. */
  list(): Promise<UserRecord[]>
  get(name: string): Promise<UserRecord | undefined>
  /** The user whose current token, or last replaced one, has this hash. */
  byTokenHash(hash: string): Promise<UserRecord | undefined>
  save(u: UserRecord, event: NewEvent): Promise<void>
  remove(name: string, event: NewEvent): Promise<void>
}

export const USER_COLUMNS = 'name, role, agent, token_hash, old_token_hash, token_issued_at, created_at, updated_at'

export class SqliteUsers implements UserRepository {
  constructor(private readonly store: SqliteStore) {}

  async list(): Promise<UserRecord[]> {
    return (this.store.db.prepare(`SELECT ${USER_COLUMNS} FROM users ORDER BY name`).all() as Record<string, unknown>[]).map(toUser)
  }

  async get(name: string): Promise<UserRecord | undefined> {
    const r = this.store.db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE name = ?`).get(name) as Record<string, unknown> | undefined
    return r ? toUser(r) : undefined
  }

  async byTokenHash(hash: string): Promise<UserRecord | undefined> {
    // The current token first: a hash can be one user's current token and never another's old one (256 random bits).
    const r = this.store.db.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE token_hash = ? OR old_token_hash = ? ORDER BY coalesce(token_hash = ?, 0) DESC LIMIT 1`).get(hash, hash, hash) as
      | Record<string, unknown>
      | undefined
    return r ? toUser(r) : undefined
  }

  async save(u: UserRecord, event: NewEvent): Promise<void> {
    this.store.db.transaction(() => {
      this.store.db
        .prepare(
          `INSERT INTO users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET role = excluded.role, agent = excluded.agent,
           token_hash = excluded.token_hash, old_token_hash = excluded.old_token_hash, token_issued_at = excluded.token_issued_at, updated_at = excluded.updated_at`,
        )
        .run(u.name, u.role, u.agent, u.tokenHash, u.oldTokenHash, u.tokenIssuedAt, u.createdAt, u.updatedAt)
      this.appendIn(event)
    })()
  }

  async remove(name: string, event: NewEvent): Promise<void> {
    this.store.db.transaction(() => {
      this.store.db.prepare('DELETE FROM users WHERE name = ?').run(name)
      this.appendIn(event)
    })()
  }

  /** The event, in the caller's transaction (as SqlitePhones does: the row is never committed without it). */
  private appendIn(e: NewEvent): void {
    this.store.db
      .prepare('INSERT INTO events (ts, type, call_id, queue, agent, data, origin) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(e.ts, e.type, e.callId ?? null, e.queue ?? null, e.agent ?? null, JSON.stringify(e.data ?? {}), e.origin ?? '')
  }
}

export function toUser(r: Record<string, unknown>): UserRecord {
  const int = (v: unknown) => (v === null || v === undefined ? null : Number(v))
  return {
    name: r.name as string,
    role: r.role as Role,
    agent: (r.agent as string | null) ?? null,
    tokenHash: (r.token_hash as string | null) ?? null,
    oldTokenHash: (r.old_token_hash as string | null) ?? null,
    tokenIssuedAt: int(r.token_issued_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  }
}
