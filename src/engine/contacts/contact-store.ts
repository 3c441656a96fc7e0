import type Database from 'better-sqlite3'

export interface Contact {
  /** E.164, the key callers are matched on. */
  number: string
  name: string
  tier: string
  language: string
  company: string
  notes: string
  extra: Record<string, string>
  updatedAt: number
}

/** A field left undefined keeps its stored value on update and is '' on insert. */
export interface ContactInput {
  number: string
  name?: string
  tier?: string
  language?: string
  company?: string
  notes?: string
  extra?: Record<string, string>
}

export interface ContactQuery {
  limit?: number
  /** Compared without regard to case. */
  tier?: string
}

/** The contacts behind screen pop. Numbers are always E.164 (see normaliseNumber). */
export interface ContactDirectory {
  /** All or nothing: one transaction. */
  upsertMany(contacts: readonly ContactInput[]): Promise<{inserted: number; updated: number}>
  get(number: string): Promise<Contact | undefined>
  list(query?: ContactQuery): Promise<Contact[]>
  remove(number: string): Promise<boolean>
  count(query?: Pick<ContactQuery, 'tier'>): Promise<number>
}

type Row = Record<string, unknown>

const E164 = /^\+[1-9]\d{6,14}$/

/** A caller that skipped normalisation would store a key no caller ID ever matches. */
export function mustBeE164(contacts: readonly ContactInput[]): void {
  const bad = contacts.find((c) => !E164.test(c.number))
  if (bad) throw new Error(`contact number ${JSON.stringify(bad.number)} is not E.164`)
}

const COLUMNS = 'number, name, tier, language, company, notes, extra, updated_at'

export class SqliteContactDirectory implements ContactDirectory {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {}

  async upsertMany(contacts: readonly ContactInput[]): Promise<{inserted: number; updated: number}> {
    mustBeE164(contacts)
    const select = this.db.prepare(`SELECT ${COLUMNS} FROM contacts WHERE number = ?`)
    const write = this.db.prepare(
      `INSERT INTO contacts (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(number) DO UPDATE SET name = excluded.name, tier = excluded.tier, language = excluded.language,
         company = excluded.company, notes = excluded.notes, extra = excluded.extra, updated_at = excluded.updated_at`,
    )
    const ts = this.now()
    return this.db.transaction(() => {
      let inserted = 0
      let updated = 0
      for (const c of contacts) {
        const row = select.get(c.number) as Row | undefined
        const old = row ? toContact(row) : undefined
        if (old) updated++
        else inserted++
        write.run(
          c.number,
          c.name ?? old?.name ?? '',
          c.tier ?? old?.tier ?? '',
          c.language ?? old?.language ?? '',
          c.company ?? old?.company ?? '',
          c.notes ?? old?.notes ?? '',
          JSON.stringify(c.extra ?? old?.extra ?? {}),
          ts,
        )
      }
      return {inserted, updated}
    })()
  }

  async get(number: string): Promise<Contact | undefined> {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM contacts WHERE number = ?`).get(number) as Row | undefined
    return row ? toContact(row) : undefined
  }

  async list(query: ContactQuery = {}): Promise<Contact[]> {
    const {where, args} = filter(query)
    const limit = query.limit !== undefined && Number.isFinite(query.limit) ? ` LIMIT ${Math.max(0, Math.floor(query.limit))}` : ''
    const rows = this.db.prepare(`SELECT ${COLUMNS} FROM contacts${where} ORDER BY name, number${limit}`).all(...args) as Row[]
    return rows.map(toContact)
  }

  async remove(number: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM contacts WHERE number = ?').run(number).changes > 0
  }

  async count(query: Pick<ContactQuery, 'tier'> = {}): Promise<number> {
    const {where, args} = filter(query)
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM contacts${where}`).get(...args) as {n: number}).n
  }
}

function filter(query: Pick<ContactQuery, 'tier'>): {where: string; args: unknown[]} {
  if (query.tier === undefined) return {where: '', args: []}
  // Stored tiers are NFC (import.ts); 贵宾 typed in another normal form finds them.
  return {where: ' WHERE tier = ? COLLATE NOCASE', args: [query.tier.normalize('NFC')]}
}

export function toContact(r: Row): Contact {
  return {
    number: r.number as string,
    name: r.name as string,
    tier: r.tier as string,
    language: r.language as string,
    company: r.company as string,
    notes: r.notes as string,
    extra: parseExtra(r.extra as string),
    updatedAt: Number(r.updated_at),
  }
}

// Another tool may have written the column: a broken value must not hide the contact.
function parseExtra(text: string): Record<string, string> {
  try {
    const v = JSON.parse(text) as unknown
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return {}
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
  } catch {
    return {}
  }
}
