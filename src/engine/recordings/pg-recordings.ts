import {pgText, type PgDatabase} from '../store/pg/repo-access.js'
import {RECORDING_COLUMNS as COLUMNS, recordingFilter, toRecording, type NewRecording, type RecordingEnd, type RecordingQuery, type RecordingRepository, type RecordingRow} from './recording-store.js'

/** The recordings table in PostgreSQL (repo-schema.ts version 4); answers as SqliteRecordings does. */
export class PgRecordings implements RecordingRepository {
  constructor(private readonly db: PgDatabase) {}

  async insert(r: NewRecording): Promise<boolean> {
    const {rowCount} = await this.db.write(({client}) =>
      client.query(
        "INSERT INTO recordings (name, call_id, queue, agent, number, started_at, format, state) VALUES ($1, $2, $3, $4, $5, $6, $7, 'recording') ON CONFLICT (name) DO NOTHING",
        [pgText(r.name), pgText(r.callId), pgText(r.queue), pgText(r.agent), pgText(r.number), r.startedAt, pgText(r.format)],
      ),
    )
    return (rowCount ?? 0) > 0
  }

  async get(name: string): Promise<RecordingRow | undefined> {
    const {rows} = await this.db.pool.query(`SELECT ${COLUMNS} FROM recordings WHERE name = $1`, [pgText(name)])
    return rows[0] ? toRecording(rows[0]) : undefined
  }

  async finish(name: string, f: RecordingEnd): Promise<boolean> {
    const {rowCount} = await this.db.write(({client}) =>
      client.query("UPDATE recordings SET state = $1, ended_at = $2, duration_ms = $3, host_path = $4, size_bytes = $5, error = $6 WHERE name = $7 AND state = 'recording'", [
        f.state,
        f.endedAt,
        // A bigint column: Asterisk's duration is whole seconds, a WAV header's whole ms, but never trust a float into it.
        f.durationMs === null ? null : Math.round(f.durationMs),
        pgText(f.hostPath),
        f.sizeBytes,
        pgText(f.error),
        pgText(name),
      ]),
    )
    return (rowCount ?? 0) > 0
  }

  async fail(name: string, at: number, error: string): Promise<boolean> {
    const {rowCount} = await this.db.write(({client}) =>
      client.query("UPDATE recordings SET state = 'failed', ended_at = $1, error = $2 WHERE name = $3 AND state = 'recording'", [at, pgText(error), pgText(name)]),
    )
    return (rowCount ?? 0) > 0
  }

  async callEnded(callId: string, at: number): Promise<void> {
    await this.db.write(({client}) => client.query("UPDATE recordings SET ended_at = $1 WHERE call_id = $2 AND state = 'recording' AND ended_at IS NULL", [at, pgText(callId)]))
  }

  async list(q: RecordingQuery = {}): Promise<RecordingRow[]> {
    const {where, args} = recordingFilter(q, (i) => `$${i}`)
    const clean = args.map((a) => (typeof a === 'string' ? pgText(a) : a))
    if (q.limit) clean.push(q.limit)
    const {rows} = await this.db.pool.query(`SELECT ${COLUMNS} FROM recordings${where} ORDER BY started_at DESC, name DESC${q.limit ? ` LIMIT $${clean.length}` : ''}`, clean)
    return rows.map(toRecording)
  }

  async open(): Promise<RecordingRow[]> {
    const {rows} = await this.db.pool.query(`SELECT ${COLUMNS} FROM recordings WHERE state = 'recording' ORDER BY started_at, name`)
    return rows.map(toRecording)
  }

  async startedBefore(cutoff: number): Promise<RecordingRow[]> {
    const {rows} = await this.db.pool.query(`SELECT ${COLUMNS} FROM recordings WHERE started_at < $1 ORDER BY started_at, name`, [cutoff])
    return rows.map(toRecording)
  }

  async delete(name: string): Promise<void> {
    await this.db.write(({client}) => client.query('DELETE FROM recordings WHERE name = $1', [pgText(name)]))
  }
}
