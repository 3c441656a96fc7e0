import type Database from 'better-sqlite3'
import {UserError} from '../util/errors.js'

export interface BlacklistEntry {
  number: string
  reason: string
  /** Listed until this time (ms); null = for good. */
  until: number | null
  createdAt: number
}

/** Numbers refused before the IVR. */
export interface Blacklist {
  add(e: Omit<BlacklistEntry, 'createdAt'>, at: number): Promise<BlacklistEntry>
  remove(number: string): Promise<boolean>
  list(now: number): Promise<BlacklistEntry[]>
  /** The entry that blocks this number now, if any. */
  match(number: string, now: number): Promise<BlacklistEntry | undefined>
}

export class SqliteBlacklist implements Blacklist {
  constructor(private readonly db: Database.Database) {}

  async add(e: Omit<BlacklistEntry, 'createdAt'>, at: number): Promise<BlacklistEntry> {
    const number = canonical(e.number)
    if (!number) throw new UserError(`Invalid number "${e.number}"`, {suggestion: 'Use digits with an optional leading +, e.g. +8613800138000.', exitCode: 2})
    this.db
      .prepare('INSERT INTO blacklist (number, reason, until, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(number) DO UPDATE SET reason = excluded.reason, until = excluded.until')
      .run(number, e.reason, e.until, at)
    return {number, reason: e.reason, until: e.until, createdAt: at}
  }

  async remove(number: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM blacklist WHERE number = ?').run(canonical(number) ?? number).changes > 0
  }

  async list(now: number): Promise<BlacklistEntry[]> {
    return (this.db.prepare('SELECT number, reason, until, created_at FROM blacklist WHERE until IS NULL OR until > ? ORDER BY number').all(now) as Record<string, unknown>[]).map(toEntry)
  }

  async match(number: string, now: number): Promise<BlacklistEntry | undefined> {
    const n = canonical(number)
    if (!n) return undefined
    // The same caller may arrive as +8613800138000 or 13800138000: compare the last digits too.
    const rows = this.db.prepare('SELECT number, reason, until, created_at FROM blacklist WHERE (number = ? OR number = ? OR ? LIKE \'%\' || ltrim(number, \'+0\')) AND (until IS NULL OR until > ?)').all(n, `+${n.replace(/^\+/, '')}`, n, now) as Record<string, unknown>[]
    return rows.map(toEntry).find((e) => sameSubscriber(e.number, n))
  }
}

function canonical(raw: string): string | null {
  const n = raw.replace(/[\s().-]/g, '')
  return /^\+?[0-9]{3,20}$/.test(n) ? n : null
}

/** +8613800138000 and 13800138000 (national form) are the same line; short numbers must match whole. */
function sameSubscriber(listed: string, caller: string): boolean {
  if (listed === caller) return true
  const a = listed.replace(/^\+/, '').replace(/^0+/, '')
  const b = caller.replace(/^\+/, '').replace(/^0+/, '')
  const short = a.length < b.length ? a : b
  const long = a.length < b.length ? b : a
  return short.length >= 7 && long.endsWith(short)
}

function toEntry(r: Record<string, unknown>): BlacklistEntry {
  return {number: r.number as string, reason: r.reason as string, until: (r.until as number | null) ?? null, createdAt: r.created_at as number}
}
