import type pg from 'pg'
import type {AgentRecord, Presence, PresenceStatus, QueueRecord} from '../../model.js'
import type {NewEvent, StoredEvent} from '../events.js'
import {FencedError, type Fence} from '../fencing.js'
import {toAgent, toEvent, toQueue, type Row} from '../rows.js'
import type {EventQuery, Store} from '../store.js'
import {LOCK, LOCK_SPACE} from './locks.js'
import {migratePg, rollback} from './pg-migrations.js'
import {createPgPool, pgOpenError, type PgPoolOptions} from './pg-pool.js'

/** Rows per query while events() reads the log: memory stays bounded however long the log. */
const EVENT_BATCH = 2000

/** One writing transaction of a PgStore, given to PgStore.write. */
export interface PgWrite {
  client: pg.PoolClient
  /**
   * Appends events in this transaction. Always the transaction's last step: from here to
   * the commit it holds the events lock, so it must wait for nothing else (a row another
   * writer holds while waiting for that lock would deadlock).
   */
  appendEvents(events: readonly NewEvent[]): Promise<void>
}

export interface PgStoreOptions extends PgPoolOptions {
  /** Set from the start (see setFence). */
  fence?: Fence | null
}

/**
 * The store in PostgreSQL, for several engines and CLI processes on one database.
 *
 * Event ids every reader can follow. A reader tails the log with `id > last`. With only a
 * sequence, ids are drawn when rows are inserted but become visible when their
 * transaction commits: a writer that drew 10 may commit after one that drew 11, and a
 * reader that saw 11 first never looks at 10 again. So every transaction that appends
 * takes one advisory lock (LOCK.events) right before it inserts, held until it commits:
 * appenders draw ids one transaction at a time, and a transaction draws its first id only
 * after the previous one is committed and visible (PostgreSQL releases a transaction's
 * locks after making it visible). A reader that sees id N therefore sees every id below N
 * that will ever exist; a rolled-back append leaves a hole, never a late arrival. The price
 * is that appends from all processes are serial, each holding the lock for one INSERT and
 * its commit; the engine appends in batches (bench:store measures it). Reading the
 * snapshot's lowest running transaction instead would need a wait on every read, and a
 * sequence with a per-session cache (CACHE > 1) would break the order even with the lock.
 */
export class PgStore implements Store {
  private fence: Fence | null

  private constructor(
    readonly url: string,
    /** For the repositories ported to PostgreSQL: their writes go through write() to be fenced. */
    readonly pool: pg.Pool,
    fence: Fence | null,
  ) {
    this.fence = fence
  }

  /** Connects, brings the schema up to date and returns the store; an unreachable or refusing database is a UserError (exit 2). */
  static async open(url: string, o: PgStoreOptions = {}): Promise<PgStore> {
    const pool = createPgPool(url, o)
    try {
      await migratePg(pool)
    } catch (err) {
      await pool.end().catch(() => {})
      throw pgOpenError(err, url)
    }
    return new PgStore(url, pool, o.fence ?? null)
  }

  /**
   * From now on every writing transaction first reads the leadership row `fence.key` FOR
   * SHARE and aborts with FencedError unless it holds `fence.epoch`. The row lock lasts to
   * the commit, so a takeover that raises the epoch waits for a write in flight, and every
   * write after it is refused. null: writes are not fenced (CLI processes, one engine).
   */
  setFence(fence: Fence | null): void {
    this.fence = fence ? {...fence} : null
  }

  get currentFence(): Fence | null {
    return this.fence
  }

  /** Told of every write refused by the fence: the engine steps down at once, not at its next renewal. */
  onFenced: ((err: FencedError) => void) | null = null

  private fenced(err: unknown): void {
    if (err instanceof FencedError) this.onFenced?.(err)
  }

  /** Runs fn in one transaction, fenced when a fence is set; commits when fn resolves. */
  async write<T>(fn: (w: PgWrite) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    let broken = false
    try {
      await client.query('BEGIN')
      if (this.fence) await checkFence(client, this.fence)
      let locked = false
      const result = await fn({
        client,
        appendEvents: async (events) => {
          if (events.length === 0) return
          if (!locked) {
            await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, LOCK.events])
            locked = true
          }
          await insertEvents(client, events)
        },
      })
      await client.query('COMMIT')
      return result
    } catch (err) {
      broken = !(await rollback(client))
      this.fenced(err)
      throw err
    } finally {
      client.release(broken)
    }
  }

  /**
   * The engine's hot path, in one statement (one round trip, its own transaction): the
   * fence check, the events lock and the insert that write() would do in five.
   */
  async appendEvents(events: readonly NewEvent[]): Promise<void> {
    if (events.length === 0) return
    const fence = this.fence
    const {rows} = await this.pool.query<{epoch: number | null}>({
      name: 'callctl_append_events',
      text: APPEND_EVENTS,
      values: [...eventColumns(events), LOCK_SPACE, LOCK.events, fence?.key ?? null, fence?.epoch ?? null],
    })
    const current = rows[0]?.epoch ?? null
    if (fence && current !== fence.epoch) {
      const err = new FencedError(fence, current)
      this.fenced(err)
      throw err
    }
  }

  /** Reads in batches by id (keyset): a long log streams, and no transaction stays open while the caller consumes. */
  async *events(q: EventQuery = {}): AsyncIterable<StoredEvent> {
    const where: string[] = []
    const args: unknown[] = []
    const arg = (v: unknown) => (args.push(v), `$${args.length}`)
    if (q.since !== undefined) where.push(`ts >= ${arg(q.since)}`)
    if (q.until !== undefined) where.push(`ts < ${arg(q.until)}`)
    if (q.callId !== undefined) where.push(`call_id = ${arg(q.callId)}`)
    if (q.types && q.types.length > 0) where.push(`type = ANY(${arg(q.types)}::text[])`)
    const after = `$${args.length + 1}`
    const limit = `$${args.length + 2}`
    const sql = `SELECT id, ts, type, call_id, queue, agent, data, origin FROM events WHERE ${[...where, `id > ${after}`].join(' AND ')} ORDER BY id LIMIT ${limit}`
    // Ids start at 1 (a copy from SQLite keeps SQLite's, which do too).
    let last = q.afterId ?? 0
    let left = q.limit ? Math.floor(q.limit) : Infinity
    while (left > 0) {
      const n = Math.min(EVENT_BATCH, left)
      const {rows} = await this.pool.query<Row>(sql, [...args, last, n])
      for (const row of rows) yield toEvent(row)
      if (rows.length < n) return
      last = rows.at(-1)!.id as number
      left -= rows.length
    }
  }

  async lastEventId(): Promise<number> {
    const {rows} = await this.pool.query<{id: number}>('SELECT COALESCE(MAX(id), 0) AS id FROM events')
    return rows[0]!.id
  }

  async openCallIds(since: number): Promise<string[]> {
    const {rows} = await this.pool.query<{id: string}>(
      `SELECT s.call_id AS id FROM events s WHERE s.type = 'call.started' AND s.ts >= $1
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.call_id = s.call_id AND e.type = 'call.ended') ORDER BY s.id`,
      [since],
    )
    return rows.map((r) => r.id)
  }

  async seenInEvents(kind: 'queue' | 'agent', name: string, range: {since?: number | undefined; until?: number | undefined}): Promise<boolean> {
    const column = kind === 'queue' ? 'queue' : 'agent'
    const {rowCount} = await this.pool.query(`SELECT 1 FROM events WHERE ${column} = $1 AND ts >= $2 AND ts < $3 LIMIT 1`, [
      name,
      range.since ?? 0,
      range.until ?? Number.MAX_SAFE_INTEGER,
    ])
    return (rowCount ?? 0) > 0
  }

  async listQueues(): Promise<QueueRecord[]> {
    const {rows} = await this.pool.query<Row>('SELECT name, settings, created_at FROM queues ORDER BY name COLLATE "C"')
    return rows.map(toQueue)
  }

  async getQueue(name: string): Promise<QueueRecord | undefined> {
    const {rows} = await this.pool.query<Row>('SELECT name, settings, created_at FROM queues WHERE name = $1', [name])
    return rows[0] ? toQueue(rows[0]) : undefined
  }

  async saveQueue(queue: QueueRecord, event: NewEvent): Promise<void> {
    await this.write(async (w) => {
      await lockQueues(w.client)
      await writeQueue(w, queue, event)
    })
  }

  /**
   * The queues lock, taken before the read, makes a racing check wait for this commit; in
   * READ COMMITTED its read, a new statement after the lock, then sees what this one wrote.
   */
  async saveQueueChecked(decide: (queues: readonly QueueRecord[]) => {queue: QueueRecord; event: NewEvent}): Promise<QueueRecord> {
    return this.write(async (w) => {
      await lockQueues(w.client)
      const {rows} = await w.client.query<Row>('SELECT name, settings, created_at FROM queues ORDER BY name COLLATE "C"')
      const {queue, event} = decide(rows.map(toQueue))
      await writeQueue(w, queue, event)
      return queue
    })
  }

  async removeQueue(name: string, event: NewEvent): Promise<void> {
    await this.write(async (w) => {
      await lockQueues(w.client)
      await w.client.query('DELETE FROM queues WHERE name = $1', [name])
      await w.appendEvents([event])
    })
  }

  async listAgents(): Promise<AgentRecord[]> {
    const [members, agents] = await Promise.all([
      this.pool.query<Row>('SELECT agent, queue, penalty FROM agent_queues'),
      this.pool.query<Row>('SELECT id, name, endpoint, skills, created_at FROM agents ORDER BY id COLLATE "C"'),
    ])
    const byAgent = new Map<string, Record<string, number>>()
    for (const m of members.rows) {
      const q = byAgent.get(m.agent as string) ?? {}
      q[m.queue as string] = m.penalty as number
      byAgent.set(m.agent as string, q)
    }
    return agents.rows.map((r) => toAgent(r, byAgent.get(r.id as string) ?? {}))
  }

  async getAgent(id: string): Promise<AgentRecord | undefined> {
    const [agent, members] = await Promise.all([
      this.pool.query<Row>('SELECT id, name, endpoint, skills, created_at FROM agents WHERE id = $1', [id]),
      this.pool.query<Row>('SELECT queue, penalty FROM agent_queues WHERE agent = $1', [id]),
    ])
    const row = agent.rows[0]
    if (!row) return undefined
    const queues: Record<string, number> = {}
    for (const m of members.rows) queues[m.queue as string] = m.penalty as number
    return toAgent(row, queues)
  }

  async saveAgent(agent: AgentRecord, event: NewEvent): Promise<void> {
    await this.write(async (w) => {
      await w.client.query(
        `INSERT INTO agents (id, name, endpoint, skills, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, endpoint = excluded.endpoint,
           skills = excluded.skills, updated_at = excluded.updated_at`,
        [agent.id, agent.name, agent.endpoint, JSON.stringify(agent.skills), agent.createdAt, event.ts],
      )
      await w.client.query('DELETE FROM agent_queues WHERE agent = $1', [agent.id])
      const queues = Object.entries(agent.queues)
      if (queues.length > 0) {
        await w.client.query('INSERT INTO agent_queues (agent, queue, penalty) SELECT $1, q, p FROM unnest($2::text[], $3::int[]) AS m(q, p)', [
          agent.id,
          queues.map(([q]) => q),
          queues.map(([, p]) => p),
        ])
      }
      await w.appendEvents([event])
    })
  }

  async removeAgent(id: string, event: NewEvent): Promise<void> {
    await this.write(async (w) => {
      await w.client.query('DELETE FROM agents WHERE id = $1', [id])
      await w.appendEvents([event])
    })
  }

  async setMembership(agent: string, queue: string, penalty: number, event: NewEvent): Promise<void> {
    await this.write(async (w) => {
      await w.client.query(
        `INSERT INTO agent_queues (agent, queue, penalty) VALUES ($1, $2, $3)
         ON CONFLICT (agent, queue) DO UPDATE SET penalty = excluded.penalty`,
        [agent, queue, penalty],
      )
      await w.appendEvents([event])
    })
  }

  async removeMembership(agent: string, queue: string, event: NewEvent): Promise<void> {
    await this.write(async (w) => {
      await w.client.query('DELETE FROM agent_queues WHERE agent = $1 AND queue = $2', [agent, queue])
      await w.appendEvents([event])
    })
  }

  async listPresence(): Promise<Presence[]> {
    const {rows} = await this.pool.query<Row>('SELECT agent, status, reason, since FROM agent_presence')
    return rows.map((r) => ({
      agent: r.agent as string,
      status: r.status as PresenceStatus,
      reason: (r.reason as string | null) ?? null,
      since: r.since as number,
    }))
  }

  async setPresence(p: Presence, event: NewEvent): Promise<void> {
    await this.write(async (w) => {
      await w.client.query(
        `INSERT INTO agent_presence (agent, status, reason, since) VALUES ($1, $2, $3, $4)
         ON CONFLICT (agent) DO UPDATE SET status = excluded.status, reason = excluded.reason, since = excluded.since`,
        [p.agent, p.status, p.reason, p.since],
      )
      await w.appendEvents([event])
    })
  }

  private closing: Promise<void> | null = null

  async close(): Promise<void> {
    this.closing ??= this.pool.end()
    await this.closing
  }
}

/** Every queue write holds it to its commit; taken after the fence's row and before the events lock, the order every write keeps. */
async function lockQueues(client: pg.PoolClient): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, LOCK.queues])
}

async function writeQueue(w: PgWrite, queue: QueueRecord, event: NewEvent): Promise<void> {
  await w.client.query(
    `INSERT INTO queues (name, settings, created_at, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
    [queue.name, JSON.stringify(queue.settings), queue.createdAt, event.ts],
  )
  await w.appendEvents([event])
}

async function checkFence(client: pg.PoolClient, fence: Fence): Promise<void> {
  const {rows} = await client.query<{epoch: number}>('SELECT epoch FROM leadership WHERE key = $1 FOR SHARE', [fence.key])
  const current = rows[0]?.epoch ?? null
  if (current !== fence.epoch) throw new FencedError(fence, current)
}

const UNNEST_EVENTS = `unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
  WITH ORDINALITY AS e(ts, type, call_id, queue, agent, data, origin, n)`

/**
 * appendEvents as one statement. `fence` reads the leadership row FOR SHARE (no row when
 * unfenced: $10 is null); `allowed` takes the events lock only when the epoch matches, after
 * the row lock (the order every write takes them in); the insert draws its ids from rows
 * joined to `allowed`, so after the lock, and draws none when fenced. Both locks last
 * until the statement's transaction commits. The caller compares the epoch returned.
 */
const APPEND_EVENTS = `
  WITH fence AS MATERIALIZED (
    SELECT epoch FROM leadership WHERE key = $10::text FOR SHARE
  ), allowed AS MATERIALIZED (
    SELECT pg_advisory_xact_lock($8, $9) WHERE $10::text IS NULL OR EXISTS (SELECT 1 FROM fence WHERE epoch = $11::bigint)
  ), appended AS (
    INSERT INTO events (ts, type, call_id, queue, agent, data, origin)
    SELECT e.ts, e.type, e.call_id, e.queue, e.agent, e.data, e.origin FROM allowed, ${UNNEST_EVENTS}
    ORDER BY e.n
    RETURNING 1
  )
  SELECT (SELECT epoch FROM fence) AS epoch, (SELECT count(*) FROM appended) AS appended`

/** One statement for any batch; WITH ORDINALITY keeps the batch's order in its ids. Prepared once per connection. */
async function insertEvents(client: pg.PoolClient, events: readonly NewEvent[]): Promise<void> {
  await client.query({
    name: 'callctl_insert_events',
    text: `INSERT INTO events (ts, type, call_id, queue, agent, data, origin)
      SELECT e.ts, e.type, e.call_id, e.queue, e.agent, e.data, e.origin FROM ${UNNEST_EVENTS}
      ORDER BY e.n`,
    values: eventColumns(events),
  })
}

/** The events as the seven arrays $1..$7 of UNNEST_EVENTS. */
function eventColumns(events: readonly NewEvent[]): unknown[] {
  return [
    events.map((e) => e.ts),
    events.map((e) => e.type),
    events.map((e) => e.callId ?? null),
    events.map((e) => e.queue ?? null),
    events.map((e) => e.agent ?? null),
    events.map((e) => JSON.stringify(e.data ?? {})),
    events.map((e) => e.origin ?? ''),
  ]
}
