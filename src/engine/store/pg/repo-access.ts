import type pg from 'pg'
import type {NewEvent} from '../events.js'

// What the PostgreSQL repositories (contacts, blacklist, flows, prompts, knowledge base,
// recordings, phones) need of the store: its pool for reads, and its writing transaction
// for writes, so that an engine's writes carry its fence like the store's own (PgStore.write,
// which this matches) and an event goes into the log with the change it records.

/** One writing transaction: a client inside BEGIN, and the log's append in that transaction (its last step). */
export interface PgTransaction {
  client: pg.PoolClient
  appendEvents(events: readonly NewEvent[]): Promise<void>
}

export interface PgDatabase {
  readonly pool: pg.Pool
  /** Runs fn in one transaction (fenced when the store is); commits when fn resolves, rolls back when it throws. */
  write<T>(fn: (tx: PgTransaction) => Promise<T>): Promise<T>
}

export function isPgDatabase(x: unknown): x is PgDatabase {
  const o = x as Partial<PgDatabase> | null
  return typeof o === 'object' && o !== null && typeof o.write === 'function' && typeof o.pool?.query === 'function'
}

/** An integer column: node-postgres gives BIGINT as a string unless the pool maps it (PgStore's does). */
export function int(v: unknown): number {
  return typeof v === 'number' ? v : Number(v)
}

export function intOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : int(v)
}

/**
 * Text for a PostgreSQL text column. PostgreSQL cannot store U+0000 (SQLite can): it becomes
 * U+FFFD, as a lone surrogate already does in both stores, instead of failing the write.
 */
export function pgText(s: string): string
export function pgText(s: string | null): string | null
export function pgText(s: string | null): string | null {
  return s !== null && s.includes('\u0000') ? s.replaceAll('\u0000', '\ufffd') : s
}

/** A LIKE pattern matching `text` anywhere, with LIKE's own characters taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`
}
