import type Database from 'better-sqlite3'
import {EVENT_TYPES, type EventType, type StoredEvent} from '../store/events.js'

// Reports read the log in the order it was written, a page at a time along the rowid:
// a sequential read of the table, where walking an index (by time, by call) costs a
// random page read per event. No statement stays open between pages, so the caller may
// query the store in between, and memory holds one page.

/** How far the clocks of processes writing the log may disagree (ms): the scan starts this much early. */
export const CLOCK_SKEW_MS = 60_000
const PAGE = 1000

/** The id just before the first event written at or after `ts`. */
export function idBefore(db: Database.Database, ts: number): number {
  const row = db.prepare('SELECT id FROM events WHERE ts >= ? ORDER BY ts, id LIMIT 1').get(ts) as {id: number} | undefined
  if (row) return row.id - 1
  return (db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get() as {id: number}).id
}

export interface ScanOptions {
  /** Events with a larger id. */
  afterId: number
  /** Only these types (the others are skipped inside SQLite). */
  types?: readonly EventType[]
}

/**
 * A scanned event. Its data is parsed the first time it is read: a report reads the
 * data of few event types, and parsing is most of the cost of a row.
 */
export class ScannedEvent implements StoredEvent {
  private parsed: Record<string, unknown> | null = null
  readonly origin = ''
  constructor(
    readonly id: number,
    readonly ts: number,
    readonly type: EventType,
    readonly callId: string | null,
    readonly queue: string | null,
    readonly agent: string | null,
    private readonly raw: string,
  ) {}

  get data(): Record<string, unknown> {
    return (this.parsed ??= JSON.parse(this.raw) as Record<string, unknown>)
  }
}

/** The events after `afterId` in log order, page by page. */
export function* scanEvents(db: Database.Database, o: ScanOptions): Generator<StoredEvent> {
  const types = o.types && o.types.length > 0 ? o.types : EVENT_TYPES
  // The type comes back as its index in `types` (a number costs less than a string per row);
  // "+type" keeps SQLite on the rowid instead of the (type, ts) index.
  const code = `CASE type ${types.map((_, i) => `WHEN @t${i} THEN ${i}`).join(' ')} END`
  const filter = o.types && o.types.length > 0 ? ` AND +type IN (${types.map((_, i) => `@t${i}`).join(',')})` : ''
  const stmt = db.prepare(`SELECT id, ts, ${code}, call_id, queue, agent, data FROM events WHERE id > @after${filter} ORDER BY id LIMIT ${PAGE}`).raw(true)
  const params: Record<string, string | number> = {after: o.afterId}
  types.forEach((t, i) => (params[`t${i}`] = t))
  for (;;) {
    const rows = stmt.all(params) as [number, number, number | null, string | null, string | null, string | null, string][]
    for (const r of rows) {
      // A type written by a newer version (not in our vocabulary) is skipped.
      if (r[2] !== null) yield new ScannedEvent(r[0], r[1], types[r[2]]!, r[3], r[4], r[5], r[6])
    }
    if (rows.length < PAGE) return
    params.after = rows[rows.length - 1]![0]
  }
}
