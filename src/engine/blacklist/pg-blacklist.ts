import {pgText, type PgDatabase} from '../store/pg/repo-access.js'
import {canonical, mustListable, sameSubscriber, toEntry, type Blacklist, type BlacklistEntry} from './blacklist.js'

/** The blacklist in PostgreSQL (repo-schema.ts version 2); answers as SqliteBlacklist does. */
export class PgBlacklist implements Blacklist {
  constructor(private readonly db: PgDatabase) {}

  async add(e: Omit<BlacklistEntry, 'createdAt'>, at: number): Promise<BlacklistEntry> {
    const number = mustListable(e.number)
    await this.db.write(({client}) =>
      client.query(
        'INSERT INTO blacklist (number, reason, until, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (number) DO UPDATE SET reason = excluded.reason, until = excluded.until',
        [number, pgText(e.reason), e.until, at],
      ),
    )
    return {number, reason: e.reason, until: e.until, createdAt: at}
  }

  async remove(number: string): Promise<boolean> {
    const n = pgText(canonical(number) ?? number)
    return this.db.write(async ({client}) => ((await client.query('DELETE FROM blacklist WHERE number = $1', [n])).rowCount ?? 0) > 0)
  }

  async list(now: number): Promise<BlacklistEntry[]> {
    const {rows} = await this.db.pool.query('SELECT number, reason, until, created_at FROM blacklist WHERE until IS NULL OR until > $1 ORDER BY number', [now])
    return rows.map(toEntry)
  }

  async match(number: string, now: number): Promise<BlacklistEntry | undefined> {
    const n = canonical(number)
    if (!n) return undefined
    // The same caller may arrive as +8613800138000 or 13800138000, and be listed in either
    // form: compare the last digits both ways (sameSubscriber decides).
    const {rows} = await this.db.pool.query(
      `SELECT number, reason, until, created_at FROM blacklist
       WHERE (number = $1 OR number = $2 OR $1 LIKE '%' || ltrim(number, '+0') OR number LIKE '%' || ltrim($1, '+0')) AND (until IS NULL OR until > $3) ORDER BY number`,
      [n, `+${n.replace(/^\+/, '')}`, now],
    )
    return rows.map(toEntry).find((e) => sameSubscriber(e.number, n))
  }
}
