import {int, pgText, type PgDatabase} from '../store/pg/repo-access.js'
import {mustBeE164, toContact, type Contact, type ContactDirectory, type ContactInput, type ContactQuery} from './contact-store.js'

const COLUMNS = 'number, name, tier, language, company, notes, extra, updated_at'
/** Contacts per statement of an import: two statements per batch instead of two per contact. */
const BATCH = 1000
/** SQLite's NOCASE folds A-Z only; the same here, whatever the database's locale would fold. */
const ASCII_FOLD = (column: string) => `translate(${column}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`

/** The contact directory in PostgreSQL (repo-schema.ts version 2); answers as SqliteContactDirectory does. */
export class PgContactDirectory implements ContactDirectory {
  constructor(
    private readonly db: PgDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  async upsertMany(contacts: readonly ContactInput[]): Promise<{inserted: number; updated: number}> {
    mustBeE164(contacts)
    const ts = this.now()
    return this.db.write(async ({client}) => {
      let inserted = 0
      let updated = 0
      for (let i = 0; i < contacts.length; i += BATCH) {
        const batch = contacts.slice(i, i + BATCH)
        const {rows} = await client.query(`SELECT ${COLUMNS} FROM contacts WHERE number = ANY($1::text[]) FOR UPDATE`, [batch.map((c) => c.number)])
        const known = new Map<string, Contact>(rows.map((r) => [r.number as string, toContact(r)]))
        // One row per number, as if written one after another: a number given twice is
        // inserted, then updated (a single upsert may not touch a row twice).
        const merged = new Map<string, Contact>()
        for (const c of batch) {
          const old = merged.get(c.number) ?? known.get(c.number)
          if (old) updated++
          else inserted++
          merged.set(c.number, {
            number: c.number,
            name: c.name ?? old?.name ?? '',
            tier: c.tier ?? old?.tier ?? '',
            language: c.language ?? old?.language ?? '',
            company: c.company ?? old?.company ?? '',
            notes: c.notes ?? old?.notes ?? '',
            extra: c.extra ?? old?.extra ?? {},
            updatedAt: ts,
          })
        }
        const list = [...merged.values()]
        const col = (f: (c: Contact) => string) => list.map((c) => pgText(f(c)))
        await client.query(
          `INSERT INTO contacts (${COLUMNS})
           SELECT n, na, t, l, co, no, e, $8 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS c(n, na, t, l, co, no, e)
           ON CONFLICT (number) DO UPDATE SET name = excluded.name, tier = excluded.tier, language = excluded.language,
             company = excluded.company, notes = excluded.notes, extra = excluded.extra, updated_at = excluded.updated_at`,
          [
            col((c) => c.number),
            col((c) => c.name),
            col((c) => c.tier),
            col((c) => c.language),
            col((c) => c.company),
            col((c) => c.notes),
            col((c) => JSON.stringify(c.extra)),
            ts,
          ],
        )
      }
      return {inserted, updated}
    })
  }

  async get(number: string): Promise<Contact | undefined> {
    const {rows} = await this.db.pool.query(`SELECT ${COLUMNS} FROM contacts WHERE number = $1`, [pgText(number)])
    return rows[0] ? toContact(rows[0]) : undefined
  }

  async list(query: ContactQuery = {}): Promise<Contact[]> {
    const {where, args} = filter(query)
    const limit = query.limit !== undefined && Number.isFinite(query.limit) ? ` LIMIT ${Math.max(0, Math.floor(query.limit))}` : ''
    const {rows} = await this.db.pool.query(`SELECT ${COLUMNS} FROM contacts${where} ORDER BY name, number${limit}`, args)
    return rows.map(toContact)
  }

  async remove(number: string): Promise<boolean> {
    return this.db.write(async ({client}) => ((await client.query('DELETE FROM contacts WHERE number = $1', [pgText(number)])).rowCount ?? 0) > 0)
  }

  async count(query: Pick<ContactQuery, 'tier'> = {}): Promise<number> {
    const {where, args} = filter(query)
    const {rows} = await this.db.pool.query(`SELECT count(*) AS n FROM contacts${where}`, args)
    return int(rows[0]!.n)
  }
}

function filter(query: Pick<ContactQuery, 'tier'>): {where: string; args: unknown[]} {
  if (query.tier === undefined) return {where: '', args: []}
  // Stored tiers are NFC (import.ts); 贵宾 typed in another normal form finds them.
  return {where: ` WHERE ${ASCII_FOLD('tier')} = ${ASCII_FOLD('$1')}`, args: [pgText(query.tier.normalize('NFC'))]}
}
