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
    const number = mustListable(e.number)
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
    // The same caller may arrive as +8613800138000 or 13800138000, and be listed in either
    // form: compare the last digits both ways (sameSubscriber decides).
    const rows = this.db
      .prepare(
        `SELECT number, reason, until, created_at FROM blacklist
         WHERE (number = @n OR number = @plus OR @n LIKE '%' || ltrim(number, '+0') OR number LIKE '%' || ltrim(@n, '+0')) AND (until IS NULL OR until > @now) ORDER BY number`,
      )
      .all({n, plus: `+${n.replace(/^\+/, '')}`, now}) as Record<string, unknown>[]
    return rows.map(toEntry).find((e) => sameSubscriber(e.number, n))
  }
}

/** The number as listed, or a UserError saying what a number may be. */
export function mustListable(raw: string): string {
  const number = canonical(raw)
  if (!number) throw new UserError(`Invalid number "${raw}"`, {suggestion: 'Use digits with an optional leading +, e.g. +8613800138000.', exitCode: 2})
  return number
}

export function canonical(raw: string): string | null {
  const n = raw.replace(/[\s().-]/g, '')
  return /^\+?[0-9]{3,20}$/.test(n) ? n : null
}

/** +8613800138000 and 13800138000 (national form) are the same line; short numbers must match whole. */
export function sameSubscriber(listed: string, caller: string): boolean {
  if (listed === caller) return true
  const a = listed.replace(/^\+/, '').replace(/^0+/, '')
  const b = caller.replace(/^\+/, '').replace(/^0+/, '')
  const short = a.length < b.length ? a : b
  const long = a.length < b.length ? b : a
  return short.length >= 7 && long.endsWith(short)
}

export function toEntry(r: Record<string, unknown>): BlacklistEntry {
  return {number: r.number as string, reason: r.reason as string, until: r.until === null || r.until === undefined ? null : Number(r.until), createdAt: Number(r.created_at)}
}
