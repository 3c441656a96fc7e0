import Database from 'better-sqlite3'
import {chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, statSync} from 'node:fs'
import {dirname} from 'node:path'
import {UserError} from '../util/errors.js'
import {makeDirectory} from '../util/paths.js'
import {rememberOpened, sqliteUserError} from './sqlite-errors.js'
import type {AgentRecord, Presence, PresenceStatus, QueueRecord} from '../model.js'
import type {NewEvent, StoredEvent} from './events.js'
import {MIGRATIONS} from './migrations.js'
import {toAgent, toEvent, toQueue, type Row} from './rows.js'
import type {EventQuery, Store} from './store.js'

/** The embedded store: one SQLite file in WAL mode, shared by the engine and CLI processes. */
export class SqliteStore implements Store {
  readonly db: Database.Database
  private readonly insertEvent: Database.Statement

  constructor(readonly file: string, opts: {readonly?: boolean; busyTimeoutMs?: number; createDirectory?: boolean} = {}) {
    if (file !== ':memory:') prepareFile(file, opts.createDirectory ?? true)
    if (file !== ':memory:' && !opts.readonly) createPrivate(file)
    rememberOpened(file)
    let db: Database.Database | undefined
    try {
      db = new Database(file, {readonly: opts.readonly ?? false})
      // Several processes share the file: wait for a writer instead of failing at once. The
      // engine waits little (its writes are buffered and retried; a long wait would freeze
      // every call), admin commands longer.
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`)
      if (!opts.readonly) {
        db.pragma('journal_mode = WAL')
        db.pragma('synchronous = NORMAL')
        db.pragma('foreign_keys = ON')
        migrate(db)
      }
      this.insertEvent = db.prepare('INSERT INTO events (ts, type, call_id, queue, agent, data, origin) VALUES (?, ?, ?, ?, ?, ?, ?)')
    } catch (err) {
      if (db?.open) db.close()
      // A file that is not a database, a read-only or full disk: the user's to fix (sqlite-errors.ts).
      throw sqliteUserError(err, file) ?? err
    }
    this.db = db
  }

  private append(e: NewEvent): void {
    this.insertEvent.run(e.ts, e.type, e.callId ?? null, e.queue ?? null, e.agent ?? null, JSON.stringify(e.data ?? {}), e.origin ?? '')
  }

  async appendEvents(events: readonly NewEvent[]): Promise<void> {
    if (events.length === 0) return
    this.db.transaction(() => {
      for (const e of events) this.append(e)
    })()
  }

  async *events(q: EventQuery = {}): AsyncIterable<StoredEvent> {
    const where: string[] = []
    const args: unknown[] = []
    if (q.since !== undefined) (where.push('ts >= ?'), args.push(q.since))
    if (q.until !== undefined) (where.push('ts < ?'), args.push(q.until))
    if (q.afterId !== undefined) (where.push('id > ?'), args.push(q.afterId))
    if (q.callId !== undefined) (where.push('call_id = ?'), args.push(q.callId))
    if (q.types && q.types.length > 0) {
      where.push(`type IN (${q.types.map(() => '?').join(',')})`)
      args.push(...q.types)
    }
    const sql = `SELECT id, ts, type, call_id, queue, agent, data, origin FROM events${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY id${q.limit ? ' LIMIT ' + Math.floor(q.limit) : ''}`
    for (const row of this.db.prepare(sql).iterate(...args) as Iterable<Row>) yield toEvent(row)
  }

  async lastEventId(): Promise<number> {
    const row = this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get() as {id: number}
    return row.id
  }

  async openCallIds(since: number): Promise<string[]> {
    const rows = this.db
      .prepare(
        `SELECT s.call_id AS id FROM events s WHERE s.type = 'call.started' AND s.ts >= ?
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.call_id = s.call_id AND e.type = 'call.ended') ORDER BY s.id`,
      )
      .all(since) as {id: string}[]
    return rows.map((r) => r.id)
  }

  async seenInEvents(kind: 'queue' | 'agent', name: string, range: {since?: number | undefined; until?: number | undefined}): Promise<boolean> {
    const column = kind === 'queue' ? 'queue' : 'agent'
    const row = this.db.prepare(`SELECT 1 FROM events WHERE ${column} = ? AND ts >= ? AND ts < ? LIMIT 1`).get(name, range.since ?? 0, range.until ?? Number.MAX_SAFE_INTEGER)
    return row !== undefined
  }

  /** An online, consistent copy of the database (SQLite's backup API), safe while the engine writes. */
  async backup(file: string): Promise<{pages: number}> {
    createPrivate(file)
    const r = await this.db.backup(file)
    return {pages: r.totalPages}
  }

  async listQueues(): Promise<QueueRecord[]> {
    return this.queues()
  }

  private queues(): QueueRecord[] {
    return (this.db.prepare('SELECT name, settings, created_at FROM queues ORDER BY name').all() as Row[]).map(toQueue)
  }

  async getQueue(name: string): Promise<QueueRecord | undefined> {
    const row = this.db.prepare('SELECT name, settings, created_at FROM queues WHERE name = ?').get(name) as Row | undefined
    return row ? toQueue(row) : undefined
  }

  async saveQueue(queue: QueueRecord, event: NewEvent): Promise<void> {
    this.db.transaction(() => this.writeQueue(queue, event))()
  }

  /**
   * BEGIN IMMEDIATE takes SQLite's write lock before the read: another process's check and
   * write wait for this one's commit (busy_timeout) and then read what it wrote. A deferred
   * transaction would let two processes read the same queues and both write.
   */
  async saveQueueChecked(decide: (queues: readonly QueueRecord[]) => {queue: QueueRecord; event: NewEvent}): Promise<QueueRecord> {
    return this.db
      .transaction(() => {
        const {queue, event} = decide(this.queues())
        this.writeQueue(queue, event)
        return queue
      })
      .immediate()
  }

  private writeQueue(queue: QueueRecord, event: NewEvent): void {
    this.db
      .prepare(
        `INSERT INTO queues (name, settings, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
      )
      .run(queue.name, JSON.stringify(queue.settings), queue.createdAt, event.ts)
    this.append(event)
  }

  async removeQueue(name: string, event: NewEvent): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM queues WHERE name = ?').run(name)
      this.append(event)
    })()
  }

  async listAgents(): Promise<AgentRecord[]> {
    const members = this.db.prepare('SELECT agent, queue, penalty FROM agent_queues').all() as Row[]
    const byAgent = new Map<string, Record<string, number>>()
    for (const m of members) {
      const q = byAgent.get(m.agent as string) ?? {}
      q[m.queue as string] = m.penalty as number
      byAgent.set(m.agent as string, q)
    }
    return (this.db.prepare('SELECT id, name, endpoint, skills, created_at FROM agents ORDER BY id').all() as Row[]).map((r) =>
      toAgent(r, byAgent.get(r.id as string) ?? {}),
    )
  }

  async getAgent(id: string): Promise<AgentRecord | undefined> {
    const row = this.db.prepare('SELECT id, name, endpoint, skills, created_at FROM agents WHERE id = ?').get(id) as Row | undefined
    if (!row) return undefined
    const queues: Record<string, number> = {}
    for (const m of this.db.prepare('SELECT queue, penalty FROM agent_queues WHERE agent = ?').all(id) as Row[]) {
      queues[m.queue as string] = m.penalty as number
    }
    return toAgent(row, queues)
  }

  async saveAgent(agent: AgentRecord, event: NewEvent): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO agents (id, name, endpoint, skills, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET name = excluded.name, endpoint = excluded.endpoint,
             skills = excluded.skills, updated_at = excluded.updated_at`,
        )
        .run(agent.id, agent.name, agent.endpoint, JSON.stringify(agent.skills), agent.createdAt, event.ts)
      this.db.prepare('DELETE FROM agent_queues WHERE agent = ?').run(agent.id)
      const ins = this.db.prepare('INSERT INTO agent_queues (agent, queue, penalty) VALUES (?, ?, ?)')
      for (const [queue, penalty] of Object.entries(agent.queues)) ins.run(agent.id, queue, penalty)
      this.append(event)
    })()
  }

  async removeAgent(id: string, event: NewEvent): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM agents WHERE id = ?').run(id)
      this.append(event)
    })()
  }

  async setMembership(agent: string, queue: string, penalty: number, event: NewEvent): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO agent_queues (agent, queue, penalty) VALUES (?, ?, ?)
           ON CONFLICT(agent, queue) DO UPDATE SET penalty = excluded.penalty`,
        )
        .run(agent, queue, penalty)
      this.append(event)
    })()
  }

  async removeMembership(agent: string, queue: string, event: NewEvent): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM agent_queues WHERE agent = ? AND queue = ?').run(agent, queue)
      this.append(event)
    })()
  }

  async listPresence(): Promise<Presence[]> {
    return (this.db.prepare('SELECT agent, status, reason, since FROM agent_presence').all() as Row[]).map((r) => ({
      agent: r.agent as string,
      status: r.status as PresenceStatus,
      reason: (r.reason as string | null) ?? null,
      since: r.since as number,
    }))
  }

  async setPresence(p: Presence, event: NewEvent): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO agent_presence (agent, status, reason, since) VALUES (?, ?, ?, ?)
           ON CONFLICT(agent) DO UPDATE SET status = excluded.status, reason = excluded.reason, since = excluded.since`,
        )
        .run(p.agent, p.status, p.reason, p.since)
      this.append(event)
    })()
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close()
  }
}

/**
 * The path is checked before SQLite sees it, so a mistake reads as one: a directory given
 * as the database, or a directory that does not exist. Its directory is made only when
 * `createDirectory` (callctl's own home); a mistyped CALLCTL_DB or `database:` must not
 * leave a new empty database, and its parents, wherever the typo points.
 */
function prepareFile(file: string, createDirectory: boolean): void {
  let isDirectory = false
  try {
    isDirectory = statSync(file).isDirectory()
  } catch {
    // Absent: made below (or refused).
  }
  if (isDirectory) {
    throw new UserError(`The database path ${file} is a directory, not a database file`, {suggestion: `Name a file (database: in the config, CALLCTL_DB), e.g. ${file.replace(/\/+$/, '')}/callctl.db.`, exitCode: 2, code: 'bad_path'})
  }
  const dir = dirname(file)
  if (createDirectory) return makeDirectory(dir, `the database ${file}`)
  if (!existsSync(dir)) {
    throw new UserError(`The database ${file} does not exist yet, nor its directory ${dir}`, {
      suggestion: `Check the path (database: in the config, CALLCTL_DB); to start a new database there, make the directory first: mkdir -p ${dir}`,
      exitCode: 2,
      code: 'no_database',
    })
  }
}

/**
 * The database holds callers' numbers, names and call history: readable by its owner and
 * group (a backup or reporting account), never by every user on the host. SQLite would
 * create it 0644 under the usual umask 022, so it is created here first, 0640; SQLite
 * gives the -wal and -shm files the database's mode. A file made world-readable by an
 * older callctl loses the world bits when opened.
 */
function createPrivate(file: string): void {
  if (!existsSync(file)) {
    const fd = openSync(file, 'a', 0o640)
    try {
      fchmodSync(fd, 0o640) // whatever the umask
    } finally {
      closeSync(fd)
    }
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      const mode = statSync(f).mode & 0o777
      if (mode & 0o007) chmodSync(f, mode & ~0o007)
    } catch {
      // Absent (no WAL yet) or not ours to change (another user's file, read-only media): leave it.
    }
  }
}

// Several processes may open a fresh store at once (two commands in a script, an engine and a
// command): each migration runs under SQLite's write lock (BEGIN IMMEDIATE, waiting busy_timeout)
// and looks again whether another process applied it meanwhile, as pg-migrations.ts does with an
// advisory lock. Without that, the second process ran ALTER TABLE again ("duplicate column").
function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?')
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as {version: number}[]).map((r) => r.version))
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue
    db.transaction(() => {
      if (isApplied.get(m.version)) return
      db.exec(m.sql)
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now())
    }).immediate()
  }
}

export function schemaVersion(db: Database.Database): number {
  const row = db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as {v: number}
  return row.v
}
