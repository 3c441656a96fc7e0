import type Database from 'better-sqlite3'

export type RecordingState = 'recording' | 'done' | 'failed'

export interface RecordingRow {
  /** The stored recording's name in Asterisk (also the file's base name). */
  name: string
  callId: string
  queue: string | null
  agent: string | null
  number: string
  startedAt: number
  endedAt: number | null
  durationMs: number | null
  format: string
  state: RecordingState
  /** The file on this machine, when the engine could reach Asterisk's spool. */
  hostPath: string | null
  sizeBytes: number | null
  error: string | null
}

export interface RecordingQuery {
  /** Inclusive lower bound on the start (ms). */
  since?: number
  /** Exclusive upper bound on the start (ms). */
  until?: number
  queue?: string
  agent?: string
  callId?: string
  number?: string
  limit?: number
}

type Row = Record<string, unknown>

const COLUMNS = 'name, call_id, queue, agent, number, started_at, ended_at, duration_ms, format, state, host_path, size_bytes, error'

function toRow(r: Row): RecordingRow {
  return {
    name: r.name as string,
    callId: r.call_id as string,
    queue: (r.queue as string | null) ?? null,
    agent: (r.agent as string | null) ?? null,
    number: r.number as string,
    startedAt: r.started_at as number,
    endedAt: (r.ended_at as number | null) ?? null,
    durationMs: (r.duration_ms as number | null) ?? null,
    format: r.format as string,
    state: r.state as RecordingState,
    hostPath: (r.host_path as string | null) ?? null,
    sizeBytes: (r.size_bytes as number | null) ?? null,
    error: (r.error as string | null) ?? null,
  }
}

/** The recordings table (migration 4). */
export class SqliteRecordings {
  constructor(private readonly db: Database.Database) {}

  insert(r: Pick<RecordingRow, 'name' | 'callId' | 'queue' | 'agent' | 'number' | 'startedAt' | 'format'>): void {
    this.db
      .prepare("INSERT INTO recordings (name, call_id, queue, agent, number, started_at, format, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'recording')")
      .run(r.name, r.callId, r.queue, r.agent, r.number, r.startedAt, r.format)
  }

  get(name: string): RecordingRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM recordings WHERE name = ?`).get(name) as Row | undefined
    return r && toRow(r)
  }

  exists(name: string): boolean {
    return this.db.prepare('SELECT 1 FROM recordings WHERE name = ?').get(name) !== undefined
  }

  finish(name: string, f: {state: RecordingState; endedAt: number; durationMs: number | null; hostPath: string | null; sizeBytes: number | null; error: string | null}): void {
    this.db
      .prepare('UPDATE recordings SET state = ?, ended_at = ?, duration_ms = ?, host_path = ?, size_bytes = ?, error = ? WHERE name = ?')
      .run(f.state, f.endedAt, f.durationMs, f.hostPath, f.sizeBytes, f.error, name)
  }

  fail(name: string, at: number, error: string): void {
    this.db.prepare("UPDATE recordings SET state = 'failed', ended_at = ?, error = ? WHERE name = ?").run(at, error, name)
  }

  /** The call ended: a recording whose end Asterisk has not reported yet gets the call's end. */
  callEnded(callId: string, at: number): void {
    this.db.prepare("UPDATE recordings SET ended_at = ? WHERE call_id = ? AND state = 'recording' AND ended_at IS NULL").run(at, callId)
  }

  list(q: RecordingQuery = {}): RecordingRow[] {
    const where: string[] = []
    const args: unknown[] = []
    const add = (sql: string, v: unknown) => {
      where.push(sql)
      args.push(v)
    }
    if (q.since !== undefined) add('started_at >= ?', q.since)
    if (q.until !== undefined) add('started_at < ?', q.until)
    if (q.queue !== undefined) add('queue = ?', q.queue)
    if (q.agent !== undefined) add('agent = ?', q.agent)
    if (q.callId !== undefined) add('call_id = ?', q.callId)
    if (q.number !== undefined) add('number = ?', q.number)
    const sql = `SELECT ${COLUMNS} FROM recordings ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at DESC, name DESC${q.limit ? ' LIMIT ?' : ''}`
    if (q.limit) args.push(q.limit)
    return (this.db.prepare(sql).all(...args) as Row[]).map(toRow)
  }

  /** Recordings not yet finished or failed. */
  open(): RecordingRow[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM recordings WHERE state = 'recording' ORDER BY started_at`).all() as Row[]).map(toRow)
  }

  startedBefore(cutoff: number): RecordingRow[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM recordings WHERE started_at < ? ORDER BY started_at`).all(cutoff) as Row[]).map(toRow)
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM recordings WHERE name = ?').run(name)
  }
}
