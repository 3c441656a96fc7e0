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

export type NewRecording = Pick<RecordingRow, 'name' | 'callId' | 'queue' | 'agent' | 'number' | 'startedAt' | 'format'>

export interface RecordingEnd {
  state: RecordingState
  endedAt: number
  durationMs: number | null
  hostPath: string | null
  sizeBytes: number | null
  error: string | null
}

/** The recordings table (SQLite migration 4, PostgreSQL repo-schema.ts version 4). */
export interface RecordingRepository {
  /** Adds a recording in state 'recording'; false when one of that name exists already. */
  insert(r: NewRecording): Promise<boolean>
  get(name: string): Promise<RecordingRow | undefined>
  /**
   * Ends a recording still in state 'recording'; false when it had ended already. Asterisk's
   * event and the recorder's own check may both end one: the first one wins, once.
   */
  finish(name: string, f: RecordingEnd): Promise<boolean>
  /** finish() as failed, keeping what is known of it. */
  fail(name: string, at: number, error: string): Promise<boolean>
  /** The call ended: a recording whose end Asterisk has not reported yet gets the call's end. */
  callEnded(callId: string, at: number): Promise<void>
  /** Newest first. */
  list(q?: RecordingQuery): Promise<RecordingRow[]>
  /** Recordings not yet finished or failed, oldest first. */
  open(): Promise<RecordingRow[]>
  /** Oldest first. */
  startedBefore(cutoff: number): Promise<RecordingRow[]>
  delete(name: string): Promise<void>
}

export const RECORDING_COLUMNS = 'name, call_id, queue, agent, number, started_at, ended_at, duration_ms, format, state, host_path, size_bytes, error'
const COLUMNS = RECORDING_COLUMNS

const orNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

export function toRecording(r: Row): RecordingRow {
  return {
    name: r.name as string,
    callId: r.call_id as string,
    queue: (r.queue as string | null) ?? null,
    agent: (r.agent as string | null) ?? null,
    number: r.number as string,
    startedAt: Number(r.started_at),
    endedAt: orNull(r.ended_at),
    durationMs: orNull(r.duration_ms),
    format: r.format as string,
    state: r.state as RecordingState,
    hostPath: (r.host_path as string | null) ?? null,
    sizeBytes: orNull(r.size_bytes),
    error: (r.error as string | null) ?? null,
  }
}

/** The WHERE clause and arguments of a RecordingQuery; `param(i)` writes the i-th placeholder (1-based). */
export function recordingFilter(q: RecordingQuery, param: (i: number) => string): {where: string; args: unknown[]} {
  const where: string[] = []
  const args: unknown[] = []
  const add = (column: string, op: string, v: unknown) => {
    args.push(v)
    where.push(`${column} ${op} ${param(args.length)}`)
  }
  if (q.since !== undefined) add('started_at', '>=', q.since)
  if (q.until !== undefined) add('started_at', '<', q.until)
  if (q.queue !== undefined) add('queue', '=', q.queue)
  if (q.agent !== undefined) add('agent', '=', q.agent)
  if (q.callId !== undefined) add('call_id', '=', q.callId)
  if (q.number !== undefined) add('number', '=', q.number)
  return {where: where.length ? ` WHERE ${where.join(' AND ')}` : '', args}
}

export class SqliteRecordings implements RecordingRepository {
  constructor(private readonly db: Database.Database) {}

  async insert(r: NewRecording): Promise<boolean> {
    const info = this.db
      .prepare("INSERT INTO recordings (name, call_id, queue, agent, number, started_at, format, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'recording') ON CONFLICT(name) DO NOTHING")
      .run(r.name, r.callId, r.queue, r.agent, r.number, r.startedAt, r.format)
    return info.changes > 0
  }

  async get(name: string): Promise<RecordingRow | undefined> {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM recordings WHERE name = ?`).get(name) as Row | undefined
    return r && toRecording(r)
  }

  async finish(name: string, f: RecordingEnd): Promise<boolean> {
    return (
      this.db
        .prepare("UPDATE recordings SET state = ?, ended_at = ?, duration_ms = ?, host_path = ?, size_bytes = ?, error = ? WHERE name = ? AND state = 'recording'")
        .run(f.state, f.endedAt, f.durationMs, f.hostPath, f.sizeBytes, f.error, name).changes > 0
    )
  }

  async fail(name: string, at: number, error: string): Promise<boolean> {
    return this.db.prepare("UPDATE recordings SET state = 'failed', ended_at = ?, error = ? WHERE name = ? AND state = 'recording'").run(at, error, name).changes > 0
  }

  async callEnded(callId: string, at: number): Promise<void> {
    this.db.prepare("UPDATE recordings SET ended_at = ? WHERE call_id = ? AND state = 'recording' AND ended_at IS NULL").run(at, callId)
  }

  async list(q: RecordingQuery = {}): Promise<RecordingRow[]> {
    const {where, args} = recordingFilter(q, () => '?')
    const sql = `SELECT ${COLUMNS} FROM recordings${where} ORDER BY started_at DESC, name DESC${q.limit ? ' LIMIT ?' : ''}`
    if (q.limit) args.push(q.limit)
    return (this.db.prepare(sql).all(...args) as Row[]).map(toRecording)
  }

  async open(): Promise<RecordingRow[]> {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM recordings WHERE state = 'recording' ORDER BY started_at, name`).all() as Row[]).map(toRecording)
  }

  async startedBefore(cutoff: number): Promise<RecordingRow[]> {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM recordings WHERE started_at < ? ORDER BY started_at, name`).all(cutoff) as Row[]).map(toRecording)
  }

  async delete(name: string): Promise<void> {
    this.db.prepare('DELETE FROM recordings WHERE name = ?').run(name)
  }
}
