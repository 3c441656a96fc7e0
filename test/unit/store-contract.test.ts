import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pg from 'pg'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {addAgent, addQueue, listAgents, loginAgent, logoutAgent, pauseAgent, removeAgent, removeQueue, unpauseAgent} from '../../src/engine/admin/admin.js'
import type {NewEvent, StoredEvent} from '../../src/engine/store/events.js'
import {FencedError} from '../../src/engine/store/fencing.js'
import {MIGRATIONS} from '../../src/engine/store/migrations.js'
import {openStore} from '../../src/engine/store/open-store.js'
import {migratePg, PG_MIGRATIONS} from '../../src/engine/store/pg/pg-migrations.js'
import {PgStore} from '../../src/engine/store/pg/pg-store.js'
import {schemaVersion, SqliteStore} from '../../src/engine/store/sqlite-store.js'
import type {EventQuery, Store} from '../../src/engine/store/store.js'
import {UserError} from '../../src/engine/util/errors.js'
import {startPostgres, type TestPostgres} from '../support/postgres.js'

// One contract for both stores: every test in the first block runs against a fresh SQLite
// file and a fresh PostgreSQL database (one throwaway cluster for the file). What only one
// of them has (WAL mode; commit-ordered ids across processes, fencing, concurrent
// migrations) follows in blocks of its own.

let cluster: TestPostgres
let databases = 0
const dirs: string[] = []
const opened: Store[] = []

beforeAll(async () => {
  cluster = await startPostgres()
})

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()))
})

afterAll(() => {
  cluster?.stop()
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

interface Backend {
  name: string
  /** A new, empty database: its file path or URL. */
  fresh(): string
  /** The schema as applied: newest version and when each was applied (unchanged by a reopen). */
  schema(database: string): Promise<{version: number; applied: string[]}>
}

const sqlite: Backend = {
  name: 'SQLite',
  fresh() {
    const d = mkdtempSync(join(tmpdir(), 'callctl-store-'))
    dirs.push(d)
    return join(d, 'callctl.db')
  },
  async schema(file) {
    const s = new SqliteStore(file, {readonly: true})
    try {
      const rows = s.db.prepare('SELECT applied_at FROM schema_migrations ORDER BY version').all() as {applied_at: number}[]
      return {version: schemaVersion(s.db), applied: rows.map((r) => String(r.applied_at))}
    } finally {
      await s.close()
    }
  },
}

const postgres: Backend = {
  name: 'PostgreSQL',
  fresh: () => cluster.createDatabase(`contract_${++databases}`),
  async schema(url) {
    const rows = cluster.psql('SELECT version, applied_at FROM schema_version ORDER BY version', new URL(url).pathname.slice(1))
    const lines = rows.split('\n').filter(Boolean)
    return {version: Number(lines.at(-1)!.split('|')[0]), applied: lines.map((l) => l.split('|')[1]!)}
  },
}

async function open(database: string): Promise<Store> {
  const s = await openStore(database)
  opened.push(s)
  return s
}

async function collect(store: Store, q?: EventQuery): Promise<StoredEvent[]> {
  const out: StoredEvent[] = []
  for await (const e of store.events(q)) out.push(e)
  return out
}

const ids = async (store: Store, q?: EventQuery) => (await collect(store, q)).map((e) => e.id)

describe.each([sqlite, postgres])('$name store (contract)', (backend) => {
  it('appends events in order, numbered from 1, and gives back their data exactly as written', async () => {
    const s = await open(backend.fresh())
    expect(await s.lastEventId()).toBe(0)
    expect(await collect(s)).toEqual([])
    // Key order, an escaped NUL and a lone surrogate from a hostile caller name, CJK: the
    // JSON text comes back byte for byte (PostgreSQL keeps it as text, not JSONB).
    const data = {zeta: 1, alpha: {b: [1, 2.5, null], a: '王芳\u0000\ud800 ‮'}, empty: ''}
    await s.appendEvents([
      {type: 'call.started', ts: 1000, callId: 'c1', data, origin: 'e1'},
      {type: 'queue.entered', ts: 1001, callId: 'c1', queue: 'q'},
    ])
    await s.appendEvents([])
    await s.appendEvents([{type: 'agent.login', ts: 1002, agent: 'a1'}])
    const all = await collect(s)
    expect(all).toEqual([
      {id: 1, ts: 1000, type: 'call.started', callId: 'c1', queue: null, agent: null, data, origin: 'e1'},
      {id: 2, ts: 1001, type: 'queue.entered', callId: 'c1', queue: 'q', agent: null, data: {}, origin: ''},
      {id: 3, ts: 1002, type: 'agent.login', callId: null, queue: null, agent: 'a1', data: {}, origin: ''},
    ])
    expect(JSON.stringify(all[0]!.data)).toBe(JSON.stringify(data))
    expect(await s.lastEventId()).toBe(3)
  })

  it('filters by since (inclusive), until (exclusive), afterId, types, callId and limit, alone and together', async () => {
    const s = await open(backend.fresh())
    await s.appendEvents([
      {type: 'call.started', ts: 1000, callId: 'c1'},
      {type: 'queue.entered', ts: 1001, callId: 'c1', queue: 'q'},
      {type: 'call.started', ts: 2000, callId: 'c2'},
      {type: 'call.ended', ts: 2500, callId: 'c1'},
      {type: 'agent.login', ts: 3000, agent: 'a'},
    ])
    expect(await ids(s, {since: 1001, until: 2500})).toEqual([2, 3])
    expect(await ids(s, {since: 2500})).toEqual([4, 5])
    expect(await ids(s, {until: 1001})).toEqual([1])
    expect(await ids(s, {afterId: 2})).toEqual([3, 4, 5])
    expect(await ids(s, {afterId: 5})).toEqual([])
    expect(await ids(s, {types: ['call.started']})).toEqual([1, 3])
    expect(await ids(s, {types: ['call.started', 'call.ended']})).toEqual([1, 3, 4])
    expect(await ids(s, {types: []})).toEqual([1, 2, 3, 4, 5])
    expect(await ids(s, {callId: 'c1'})).toEqual([1, 2, 4])
    expect(await ids(s, {types: ['call.started'], callId: 'c2'})).toEqual([3])
    expect(await ids(s, {limit: 2})).toEqual([1, 2])
    expect(await ids(s, {afterId: 1, callId: 'c1', limit: 1})).toEqual([2])
    expect(await ids(s, {since: 1000, until: 3001, types: ['call.started', 'agent.login'], afterId: 1, limit: 5})).toEqual([3, 5])
  })

  it('streams a log longer than one read batch, in id order, and stops early when the reader does', async () => {
    const s = await open(backend.fresh())
    const batch = (from: number): NewEvent[] => Array.from({length: 500}, (_, i) => ({type: 'call.started', ts: from + i, callId: `c${from + i}`}))
    for (let i = 0; i < 10; i++) await s.appendEvents(batch(i * 500))
    const all = await ids(s)
    expect(all.length).toBe(5000)
    expect(all.every((id, i) => id === i + 1)).toBe(true)
    expect(await ids(s, {afterId: 1999, limit: 2500})).toEqual(Array.from({length: 2500}, (_, i) => 2000 + i))
    let read = 0
    for await (const e of s.events()) {
      if (++read === 3) {
        expect(e.id).toBe(3)
        break
      }
    }
    // The store is still usable after a reader left in the middle.
    expect(await s.lastEventId()).toBe(5000)
  })

  it('lists the calls started since a time that have not ended', async () => {
    const s = await open(backend.fresh())
    await s.appendEvents([
      {type: 'call.started', ts: 500, callId: 'old'},
      {type: 'call.started', ts: 1000, callId: 'c1'},
      {type: 'call.started', ts: 1100, callId: 'c2'},
      {type: 'call.started', ts: 1200, callId: 'c3'},
      {type: 'call.ended', ts: 1300, callId: 'c2'},
    ])
    expect(await s.openCallIds(1000)).toEqual(['c1', 'c3'])
    expect(await s.openCallIds(0)).toEqual(['old', 'c1', 'c3'])
    expect(await s.openCallIds(2000)).toEqual([])
  })

  it('says whether a queue or agent appears in the events of a period', async () => {
    const s = await open(backend.fresh())
    await s.appendEvents([
      {type: 'queue.entered', ts: 1000, callId: 'c1', queue: 'sales'},
      {type: 'agent.login', ts: 2000, agent: 'a1'},
    ])
    expect(await s.seenInEvents('queue', 'sales', {})).toBe(true)
    expect(await s.seenInEvents('queue', 'sales', {since: 1000, until: 1001})).toBe(true)
    expect(await s.seenInEvents('queue', 'sales', {since: 1001})).toBe(false)
    expect(await s.seenInEvents('queue', 'sales', {until: 1000})).toBe(false)
    expect(await s.seenInEvents('agent', 'a1', {since: 0, until: 5000})).toBe(true)
    expect(await s.seenInEvents('agent', 'sales', {})).toBe(false)
    expect(await s.seenInEvents('queue', 'a1', {})).toBe(false)
  })

  it('writes each configuration change together with its event', async () => {
    const s = await open(backend.fresh())
    await addQueue(s, 'sales', {wrapUp: '7'})
    await addQueue(s, 'billing', {})
    await addAgent(s, {id: '1001', endpoint: 'PJSIP/1001', queues: ['sales:2', 'billing'], skills: 'billing:3 english'})
    await addAgent(s, {id: '1000', name: 'Li Na', endpoint: 'PJSIP/1000'})
    await loginAgent(s, '1001')
    await pauseAgent(s, '1001', 'lunch')
    const agents = await listAgents(s)
    expect(agents.map((a) => a.id)).toEqual(['1000', '1001'])
    expect(agents[1]).toMatchObject({id: '1001', queues: {sales: 2, billing: 0}, skills: {billing: 3, english: 1}, presence: 'paused', pauseReason: 'lunch'})
    await unpauseAgent(s, '1001')
    await logoutAgent(s, '1001')
    const events = await collect(s)
    expect(events.map((e) => e.type)).toEqual(['queue.added', 'queue.added', 'agent.added', 'agent.added', 'agent.login', 'agent.paused', 'agent.unpaused', 'agent.logout'])
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect((await s.getQueue('sales'))!.settings.wrapUp).toBe(7)
    expect((await s.listQueues()).map((q) => q.name)).toEqual(['billing', 'sales'])
    expect(await s.getQueue('nope')).toBeUndefined()
    expect(await s.getAgent('nope')).toBeUndefined()
    expect(await s.listPresence()).toEqual([expect.objectContaining({agent: '1001', status: 'offline'})])

    // Saving an agent replaces its memberships.
    await addAgent(s, {id: '1001', endpoint: 'PJSIP/1001', queues: ['billing:4']}, {update: true})
    expect((await s.getAgent('1001'))!.queues).toEqual({billing: 4})

    // Removing a queue removes memberships with it; removing an agent its presence too.
    await removeQueue(s, 'billing')
    expect((await s.getAgent('1001'))!.queues).toEqual({})
    await removeAgent(s, '1001')
    expect(await s.listPresence()).toEqual([])
    expect((await collect(s, {afterId: 8})).map((e) => e.type)).toEqual(['agent.updated', 'queue.removed', 'agent.removed'])
  })

  it('keeps memberships and presence with their events', async () => {
    const s = await open(backend.fresh())
    const {settings} = await addQueue(s, 'q', {})
    const created = (await s.getQueue('q'))!.createdAt
    // An update changes the settings and keeps when the queue was created.
    await s.saveQueue({name: 'q', settings: {...settings, wrapUp: 9}, createdAt: 5}, {type: 'queue.updated', ts: 10, queue: 'q'})
    expect(await s.getQueue('q')).toEqual({name: 'q', settings: {...settings, wrapUp: 9}, createdAt: created})
    await s.saveAgent({id: 'a', name: 'A', endpoint: 'PJSIP/a', skills: {}, queues: {}, createdAt: 7}, {type: 'agent.added', ts: 11, agent: 'a'})
    await s.setMembership('a', 'q', 3, {type: 'agent.member_added', ts: 12, agent: 'a', queue: 'q', data: {penalty: 3}})
    expect((await s.getAgent('a'))!.queues).toEqual({q: 3})
    await s.setMembership('a', 'q', 1, {type: 'agent.member_added', ts: 13, agent: 'a', queue: 'q', data: {penalty: 1}})
    expect((await s.listAgents())[0]).toEqual({id: 'a', name: 'A', endpoint: 'PJSIP/a', skills: {}, queues: {q: 1}, createdAt: 7})
    await s.removeMembership('a', 'q', {type: 'agent.member_removed', ts: 14, agent: 'a', queue: 'q'})
    expect((await s.getAgent('a'))!.queues).toEqual({})

    await s.setPresence({agent: 'a', status: 'paused', reason: 'lunch', since: 1_700_000_000_123}, {type: 'agent.paused', ts: 15, agent: 'a', data: {reason: 'lunch'}})
    await s.setPresence({agent: 'a', status: 'available', reason: null, since: 1_700_000_000_456}, {type: 'agent.unpaused', ts: 16, agent: 'a'})
    expect(await s.listPresence()).toEqual([{agent: 'a', status: 'available', reason: null, since: 1_700_000_000_456}])
    expect((await collect(s, {afterId: 1})).map((e) => [e.ts, e.type])).toEqual([
      [10, 'queue.updated'],
      [11, 'agent.added'],
      [12, 'agent.member_added'],
      [13, 'agent.member_added'],
      [14, 'agent.member_removed'],
      [15, 'agent.paused'],
      [16, 'agent.unpaused'],
    ])
  })

  it('writes neither the row nor its event when the row cannot be written', async () => {
    const s = await open(backend.fresh())
    await addQueue(s, 'q', {})
    const before = await s.lastEventId()
    // No such agent: the membership's foreign key fails, and the event goes with it.
    await expect(s.setMembership('ghost', 'q', 0, {type: 'agent.member_added', ts: 1, agent: 'ghost', queue: 'q'})).rejects.toThrow()
    await expect(s.setPresence({agent: 'ghost', status: 'available', reason: null, since: 1}, {type: 'agent.login', ts: 1, agent: 'ghost'})).rejects.toThrow()
    expect(await s.lastEventId()).toBe(before)
    expect(await s.listPresence()).toEqual([])
    // The store goes on after a failed write.
    await addAgent(s, {id: 'a', endpoint: 'PJSIP/a', queues: ['q']})
    expect((await s.getAgent('a'))!.queues).toEqual({q: 0})
  })

  it('names the missing queue and lists the existing ones when logging in to it', async () => {
    const s = await open(backend.fresh())
    await addQueue(s, 'sales', {})
    await addQueue(s, 'support', {})
    await addAgent(s, {id: '1001', endpoint: 'PJSIP/1001'})
    const err = await loginAgent(s, '1001', ['salse']).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).message).toBe('Queue "salse" does not exist. Existing queues: sales, support')
    expect((err as UserError).suggestion).toContain('callctl queue add salse')
  })

  it('rejects bad queue settings naming the field and the accepted values', async () => {
    const s = await open(backend.fresh())
    await expect(addQueue(s, 'q', {strategy: 'fastest'})).rejects.toMatchObject({
      message: 'Invalid strategy "fastest" for a queue',
      suggestion: expect.stringContaining('ring-all, round-robin, linear, longest-idle'),
    })
    await expect(addQueue(s, 'q', {ringTimeout: '-3'})).rejects.toMatchObject({message: 'Invalid ringTimeout "-3" for a queue', suggestion: 'ringTimeout accepts: seconds from 1 to 600.'})
    await expect(addQueue(s, 'bad name!', {})).rejects.toMatchObject({message: 'Invalid queue name "bad name!"'})
    await expect(addAgent(s, {id: 'x', endpoint: 'not a dial string'})).rejects.toMatchObject({message: 'Invalid endpoint "not a dial string"'})
    expect(await s.lastEventId()).toBe(0)
  })

  it('lets two connections share the database: what one writes the other reads', async () => {
    const database = backend.fresh()
    const writer = await open(database)
    const reader = await open(database)
    await addQueue(writer, 'sales', {})
    expect((await reader.listQueues()).map((q) => q.name)).toEqual(['sales'])
    await reader.appendEvents([{type: 'agent.login', ts: 1, agent: 'x'}])
    expect(await writer.lastEventId()).toBe(2)
    expect((await collect(writer, {afterId: 1})).map((e) => e.type)).toEqual(['agent.login'])
  })

  it('migrates a new database to the newest schema, and reopening it keeps the data and migrates nothing again', async () => {
    const database = backend.fresh()
    const first = await open(database)
    await addQueue(first, 'sales', {})
    await first.close()
    const before = await backend.schema(database)
    expect(before.version).toBe(backend === sqlite ? MIGRATIONS.at(-1)!.version : PG_MIGRATIONS.at(-1)!.version)
    const again = await open(database)
    expect((await again.listQueues()).map((q) => q.name)).toEqual(['sales'])
    expect(await again.lastEventId()).toBe(1)
    await again.close()
    expect(await backend.schema(database)).toEqual(before)
  })
})

describe('SQLite store', () => {
  it('runs in WAL mode', async () => {
    const s = new SqliteStore(sqlite.fresh())
    opened.push(s)
    expect(s.db.pragma('journal_mode', {simple: true})).toBe('wal')
  })
})

describe('PostgreSQL store', () => {
  /** The backends of a database waiting on a lock (the pg_stat_activity view), with the kind of lock. */
  const waiting = (database: string) =>
    cluster.psql(`SELECT wait_event FROM pg_stat_activity WHERE datname = '${database}' AND wait_event_type = 'Lock'`).split('\n').filter(Boolean)

  async function until(what: string, ok: () => boolean): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (ok()) return
      await new Promise((r) => setTimeout(r, 20))
    }
    throw new Error(`gave up waiting: ${what}`)
  }

  it('draws event ids in commit order: a tailer following afterId sees every event once, in order, under many concurrent appenders', async () => {
    const url = postgres.fresh()
    const writers = await Promise.all(Array.from({length: 4}, () => PgStore.open(url, {poolSize: 6})))
    const tailer = await PgStore.open(url, {poolSize: 1})
    opened.push(...writers, tailer)
    const perAppender = 30
    let appending = true
    const seen: StoredEvent[] = []
    const tail = (async () => {
      let last = 0
      for (;;) {
        const done = !appending
        for await (const e of tailer.events({afterId: last})) {
          seen.push(e)
          last = e.id
        }
        if (done) return
      }
    })()
    // 4 pools x 6 appenders: without the events lock, later ids would commit first.
    const sent: string[] = []
    await Promise.all(
      writers.flatMap((store, w) =>
        Array.from({length: 6}, async (_, a) => {
          for (let i = 0; i < perAppender; i++) {
            const batch = Array.from({length: 1 + ((w + a + i) % 4)}, (_, k): NewEvent => ({type: 'call.started', ts: Date.now(), callId: `w${w}a${a}i${i}k${k}`}))
            // Half append in one statement (the engine's path), half in a transaction held
            // open a moment after its insert (a config write, a slow commit).
            if (a % 2 === 0) await store.appendEvents(batch)
            else {
              await store.write(async (tx) => {
                await tx.appendEvents(batch)
                await new Promise((r) => setTimeout(r, (w * 7 + a * 3 + i) % 3))
              })
            }
            sent.push(...batch.map((e) => e.callId!))
          }
        }),
      ),
    )
    appending = false
    await tail
    const stored = await ids(tailer)
    expect(seen.map((e) => e.id)).toEqual(stored)
    expect(seen.map((e) => e.callId).sort()).toEqual([...sent].sort())
    expect(new Set(seen.map((e) => e.callId)).size).toBe(sent.length)
  })

  it('makes a second appender wait for the first to commit, where a plain sequence lets a tailer skip an id forever', async () => {
    const url = postgres.fresh()
    const name = new URL(url).pathname.slice(1)
    const a = await PgStore.open(url)
    const b = await PgStore.open(url)
    opened.push(a, b)
    const ev = (callId: string): NewEvent => ({type: 'call.started', ts: 1, callId})

    // The hazard, with bare INSERTs: id 1 is drawn first but committed last.
    const slow = new pg.Client({connectionString: url})
    await slow.connect()
    try {
      await slow.query('BEGIN')
      await slow.query(`INSERT INTO events (ts, type, call_id) VALUES (1, 'call.started', 'slow')`)
      await a.pool.query(`INSERT INTO events (ts, type, call_id) VALUES (1, 'call.started', 'fast')`)
      const first = await collect(b, {afterId: 0})
      expect(first.map((e) => [e.id, e.callId])).toEqual([[2, 'fast']])
      await slow.query('COMMIT')
      expect(await collect(b, {afterId: 2})).toEqual([]) // 'slow' (id 1) is never seen by this tailer
    } finally {
      await slow.end()
    }

    // The store: the second append waits on the events lock until the first commits.
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    let firstInserted: () => void = () => {}
    const inserted = new Promise<void>((r) => (firstInserted = r))
    const first = a.write(async (tx) => {
      await tx.appendEvents([ev('first')])
      firstInserted()
      await gate
    })
    await inserted
    const second = b.appendEvents([ev('second')])
    await until('the second appender waits for the lock', () => waiting(name).includes('advisory'))
    expect(await collect(b, {afterId: 2})).toEqual([])
    release()
    await Promise.all([first, second])
    expect((await collect(b, {afterId: 2})).map((e) => [e.id, e.callId])).toEqual([
      [3, 'first'],
      [4, 'second'],
    ])
  })

  it('refuses every write of a store whose fence epoch is not the leadership row\'s, and writes nothing', async () => {
    const url = postgres.fresh()
    const name = new URL(url).pathname.slice(1)
    const s = await PgStore.open(url)
    opened.push(s)
    cluster.psql(`INSERT INTO leadership (key, epoch, holder) VALUES ('engine', 2, 'a')`, name)
    s.setFence({key: 'engine', epoch: 2})
    await addQueue(s, 'sales', {})
    await s.appendEvents([{type: 'agent.login', ts: 1, agent: 'x'}])
    expect(await s.lastEventId()).toBe(2)

    // A stale epoch: another engine took over.
    s.setFence({key: 'engine', epoch: 1})
    const err = await s.appendEvents([{type: 'agent.login', ts: 2, agent: 'x'}]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FencedError)
    expect(err).toMatchObject({current: 2, fence: {key: 'engine', epoch: 1}})
    await expect(addQueue(s, 'support', {})).rejects.toBeInstanceOf(FencedError)
    await expect(s.removeQueue('sales', {type: 'queue.removed', ts: 3, queue: 'sales'})).rejects.toBeInstanceOf(FencedError)
    await expect(s.saveAgent({id: 'a', name: 'A', endpoint: 'PJSIP/a', skills: {}, queues: {sales: 0}, createdAt: 1}, {type: 'agent.added', ts: 3, agent: 'a'})).rejects.toBeInstanceOf(FencedError)
    // No leadership row at all is no leadership either.
    s.setFence({key: 'other', epoch: 2})
    await expect(s.appendEvents([{type: 'agent.login', ts: 2, agent: 'x'}])).rejects.toMatchObject({current: null})
    expect(await s.lastEventId()).toBe(2)
    expect((await s.listQueues()).map((q) => q.name)).toEqual(['sales'])
    expect(await s.listAgents()).toEqual([])
    expect(cluster.psql('SELECT count(*) FROM events', name)).toBe('2')

    // Unfenced (a CLI process) writes again.
    s.setFence(null)
    await s.appendEvents([{type: 'agent.logout', ts: 4, agent: 'x'}])
    expect(await s.lastEventId()).toBe(3)
  })

  it('lets a takeover wait for the old leader\'s write in flight, after which the old leader writes nothing', async () => {
    const url = postgres.fresh()
    const name = new URL(url).pathname.slice(1)
    const old = await PgStore.open(url, {fence: {key: 'engine', epoch: 1}})
    opened.push(old)
    cluster.psql(`INSERT INTO leadership (key, epoch) VALUES ('engine', 1)`, name)
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    let started: () => void = () => {}
    const inFlight = new Promise<void>((r) => (started = r))
    const write = old.write(async (tx) => {
      started()
      await gate
      await tx.appendEvents([{type: 'agent.login', ts: 1, agent: 'x'}])
    })
    await inFlight
    const takeover = new pg.Client({connectionString: url})
    await takeover.connect()
    try {
      const bumped = takeover.query(`UPDATE leadership SET epoch = 2 WHERE key = 'engine'`)
      await until('the takeover waits for the write in flight', () => waiting(name).some((w) => w === 'transactionid' || w === 'tuple'))
      release()
      await write
      await bumped
    } finally {
      await takeover.end()
    }
    await expect(old.appendEvents([{type: 'agent.logout', ts: 2, agent: 'x'}])).rejects.toBeInstanceOf(FencedError)
    expect((await collect(old)).map((e) => e.type)).toEqual(['agent.login'])
  })

  it('makes an append that waited for a takeover see the new epoch, and write nothing', async () => {
    const url = postgres.fresh()
    const name = new URL(url).pathname.slice(1)
    const old = await PgStore.open(url, {fence: {key: 'engine', epoch: 1}})
    opened.push(old)
    cluster.psql(`INSERT INTO leadership (key, epoch) VALUES ('engine', 1)`, name)
    const takeover = new pg.Client({connectionString: url})
    await takeover.connect()
    try {
      await takeover.query('BEGIN')
      await takeover.query(`SELECT epoch FROM leadership WHERE key = 'engine' FOR UPDATE`)
      // The old leader's append (one statement) queues behind the takeover's row lock...
      const append = old.appendEvents([{type: 'agent.login', ts: 1, agent: 'x'}]).catch((e: unknown) => e)
      await until('the append waits for the takeover', () => waiting(name).some((w) => w === 'transactionid' || w === 'tuple'))
      // ...which raises the epoch and commits: the append reads the new row, and stops.
      await takeover.query(`UPDATE leadership SET epoch = 2 WHERE key = 'engine'`)
      await takeover.query('COMMIT')
      expect(await append).toMatchObject({name: 'FencedError', current: 2})
    } finally {
      await takeover.end()
    }
    expect(await old.lastEventId()).toBe(0)
  })

  it('migrates an empty database once when several engines start on it at the same moment', async () => {
    const url = postgres.fresh()
    const name = new URL(url).pathname.slice(1)
    const pools = Array.from({length: 4}, () => new pg.Pool({connectionString: url, max: 2}))
    try {
      const applied = await Promise.all(pools.map((p) => migratePg(p)))
      expect(applied.flat().sort((x, y) => x - y)).toEqual(PG_MIGRATIONS.map((m) => m.version))
    } finally {
      await Promise.all(pools.map((p) => p.end()))
    }
    const stores = await Promise.all(Array.from({length: 3}, () => PgStore.open(url)))
    opened.push(...stores)
    await Promise.all(stores.map((s, i) => addQueue(s, `q${i}`, {})))
    expect((await stores[0]!.listQueues()).map((q) => q.name)).toEqual(['q0', 'q1', 'q2'])
    expect(cluster.psql('SELECT count(*) FROM schema_version', name)).toBe(String(PG_MIGRATIONS.length))
    // Two more at once on a database that is up to date apply nothing.
    const more = await Promise.all([0, 1].map(() => new pg.Pool({connectionString: url, max: 1})))
    try {
      expect(await Promise.all(more.map((p) => migratePg(p)))).toEqual([[], []])
    } finally {
      await Promise.all(more.map((p) => p.end()))
    }
  })

  it('fails with one line naming host:port and the reason, never the password, when the database cannot be used', async () => {
    const refused = await openStore('postgres://callctl:s3cret@127.0.0.1:1/callctl').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(UserError)
    expect((refused as UserError).exitCode).toBe(2)
    expect((refused as UserError).message).toMatch(/^Cannot reach PostgreSQL at 127\.0\.0\.1:1\/callctl: .*ECONNREFUSED/)
    expect((refused as UserError).message).not.toContain('s3cret')

    const missing = await openStore(`postgres://callctl:s3cret@127.0.0.1:${cluster.port}/nosuchdb`).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(UserError)
    expect((missing as UserError).message).toBe(`Cannot use PostgreSQL at 127.0.0.1:${cluster.port}/nosuchdb: database "nosuchdb" does not exist`)

    const bad = await openStore('postgres://callctl:s3cret@127.0.0.1:notaport/x').catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(UserError)
    expect((bad as UserError).message).toBe('Invalid PostgreSQL URL postgres://callctl:***@127.0.0.1:notaport/x')
  })
})
