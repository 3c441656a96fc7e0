import Database from 'better-sqlite3'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {AriRequestError} from '../../src/engine/ari/port.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {Recorder} from '../../src/engine/recordings/recorder.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {PgStore} from '../../src/engine/store/pg/pg-store.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import type {Store} from '../../src/engine/store/store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {connectFirstCaller, FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'
import {startPostgres, type TestPostgres} from '../support/postgres.js'

// README: "Database locked, disk full or PostgreSQL stopped: calls go on". Calls go on
// recorded: the recorder starts Asterisk's bridge recording without waiting for the store,
// holds the rows it could not write and writes them when the store is back; a recording
// still open when the store went away is settled once it returns (misuse report 21, #2).

/** Asterisk's recordings: `live` ones it would stop, `stored` files it has. */
class RecordingAri extends FakeAri {
  readonly live = new Set<string>()
  readonly stored = new Set<string>()
  override async recordBridge(id: string, p: {name: string; format: string}) {
    const r = await super.recordBridge(id, p)
    this.live.add(p.name)
    return r
  }
  override async stopRecording(n: string): Promise<void> {
    await super.stopRecording(n)
    if (!this.live.delete(n)) throw new AriRequestError(404, 'POST /recordings/live/x/stop', 'Recording not found')
    this.stored.add(n)
  }
  override async downloadStoredRecording(n: string) {
    if (!this.stored.has(n)) throw new AriRequestError(404, 'GET /recordings/stored', 'Recording not found')
    return Buffer.alloc(4)
  }
}

/** Waits (polling) until `ok` holds; the recorder's check after a call waits for Asterisk on a real timer. */
async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 20_000; !(await Promise.resolve().then(ok).catch(() => false)); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function eventsOf(store: Store, type: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = []
  for await (const e of store.events()) if (e.type === type) out.push(e)
  return out
}

describe('recording while SQLite is locked', () => {
  let dir: string
  let store: SqliteStore
  let locker: Database.Database
  let ari: RecordingAri
  let clock: FakeClock
  let timers: (() => void)[]
  let recorder: Recorder
  let engine: Engine

  // Another process holds the write lock: every write of the engine fails at once (busy_timeout 0).
  const lock = () => locker.exec('BEGIN EXCLUSIVE')
  const unlock = () => locker.exec('COMMIT')
  const rows = async () => (await repositoriesOf(store).recordings.list()).map((r) => [r.name, r.state])
  /** Time passes: the recorder's timers (its retries, its checks after a call) run. */
  async function runTimers(): Promise<void> {
    for (let round = 0; round < 3; round++) {
      for (const fn of timers.splice(0)) fn()
      for (let i = 0; i < 5; i++) await settle()
    }
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callctl-rec-outage-'))
    store = new SqliteStore(join(dir, 'callctl.db'), {busyTimeoutMs: 0})
    await addQueue(store, 'sales', {record: true, wrapUp: 0})
    for (const a of ['a1', 'a2']) {
      await addAgent(store, {id: a, endpoint: `PJSIP/${a}`, queues: ['sales']})
      await loginAgent(store, a)
    }
    locker = new Database(join(dir, 'callctl.db'))
    ari = new RecordingAri()
    clock = new FakeClock()
    timers = []
    recorder = new Recorder({ari, recordings: repositoriesOf(store).recordings, log: silentLogger, now: () => clock.now(), events: {append: (e) => engine.events.append(e)}, setTimer: (fn) => void timers.push(fn)})
    engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000, recorder})
    await engine.start()
  })
  afterEach(async () => {
    if (locker.inTransaction) unlock()
    locker.close()
    await recorder.stop()
    await engine.stop()
    await store.close()
    rmSync(dir, {recursive: true, force: true})
  })

  it('records calls during the outage, writes their rows when the store is back, and settles a recording that was open', async () => {
    const first = await connectFirstCaller(ari, 'ch1', '5551001', 'sales')
    expect(await rows()).toEqual([[first, 'recording']])

    lock()
    ari.callerArrives('ch2', '5551002', 'sales')
    await settle()
    const ring = ari.originated().at(-1)!
    const second = ring.appArgs!.split(',')[1]!
    ari.agentAnswers(ring.channelId!, second)
    await settle()
    // The bridge is recorded though the store takes nothing.
    expect(ari.ops('recordBridge').map((a) => (a[1] as {name: string}).name)).toEqual([first, second])
    expect(ari.live.has(second)).toBe(true)
    // The first call ends; Asterisk's RecordingFinished is lost with its bridge: the recorder's own check settles it.
    const live: string[] = []
    engine.events.subscribe((e) => void live.push(e.type))
    ari.hangsUp('ch1')
    await settle()
    await runTimers()
    await until('the first recording settled', () => live.includes('recording.finished'))
    expect(ari.ops('stopRecording')).toEqual([[first]])
    expect(await rows()).toEqual([[first, 'recording']])
    expect(recorder.pending).toBeGreaterThan(0)

    unlock()
    await runTimers()
    expect(recorder.pending).toBe(0)
    expect((await rows()).sort()).toEqual([
      [first, 'done'],
      [second, 'recording'],
    ])
    const stored = await repositoriesOf(store).recordings.get(first)
    expect(stored?.endedAt).toBe(clock.now())
    await engine.events.flush()
    expect((await eventsOf(store, 'recording.started')).map((e) => e.data.recording)).toEqual([first, second])
    expect((await eventsOf(store, 'recording.finished')).map((e) => [e.data.recording, e.data.checked])).toEqual([[first, true]])
  })

  it('a recording Asterisk refuses during the outage gets its recording.failed event, then its failed row', async () => {
    lock()
    ari.recordBridge = async () => {
      throw new AriRequestError(500, 'POST /bridges/x/record', 'Internal Server Error')
    }
    const callId = await connectFirstCaller(ari, 'ch1', '5551001', 'sales')
    expect(await rows()).toEqual([])
    unlock()
    await runTimers()
    expect(await repositoriesOf(store).recordings.get(callId)).toMatchObject({state: 'failed', error: 'POST /bridges/x/record: 500 Internal Server Error'})
    await engine.events.flush()
    expect((await eventsOf(store, 'recording.failed')).map((e) => [e.callId, e.data.recording])).toEqual([[callId, callId]])
  })

  it('recordings left open before a restart, whose settling the store refused, are settled when the store takes writes again', async () => {
    const old = (name: string) => repositoriesOf(store).recordings.insert({name, callId: name, queue: 'sales', agent: 'a1', number: '5550000', startedAt: clock.now() - 60_000, format: 'wav'})
    await old('call-old-1')
    await old('call-old-2')
    ari.stored.add('call-old-1')
    lock()
    await recorder.reconcile(new Set(['call-old-2']))
    // Asterisk reports the other one's end while the store is still locked.
    recorder.onRecordingEvent({type: 'RecordingFailed', application: 'fake', timestamp: '', recording: {name: 'call-old-2', format: 'wav', state: 'failed', target_uri: 'bridge:b', cause: 'disk full'}})
    await settle()
    expect(await rows()).toEqual([
      ['call-old-2', 'recording'],
      ['call-old-1', 'recording'],
    ])
    unlock()
    await runTimers()
    expect(await rows()).toEqual([
      ['call-old-2', 'failed'],
      ['call-old-1', 'done'],
    ])
    expect(recorder.pending).toBe(0)
    await engine.events.flush()
    expect((await eventsOf(store, 'recording.finished')).map((e) => e.data.recording)).toEqual(['call-old-1'])
    expect((await eventsOf(store, 'recording.failed')).map((e) => e.data.recording)).toEqual(['call-old-2'])
  })

  it('a name Asterisk already has (a recording of this call from before a restart) gives the next one', async () => {
    const taken = new Set<string>()
    const record = ari.recordBridge.bind(ari)
    ari.recordBridge = async (id, p) => {
      if (taken.has(p.name)) throw new AriRequestError(409, 'POST /bridges/x/record', 'Recording with the same name already exists')
      taken.add(p.name)
      return record(id, p)
    }
    lock()
    const callId = await connectFirstCaller(ari, 'ch1', '5551001', 'sales')
    taken.add(`${callId}-2`)
    recorder.callConnected({callId, bridgeId: `${callId}.b`, queue: 'sales', agent: 'a1', number: '5551001'})
    await settle()
    unlock()
    await runTimers()
    expect((await rows()).sort()).toEqual([
      [callId, 'recording'],
      [`${callId}-3`, 'recording'],
    ])
  })
})

describe('recording while PostgreSQL is stopped', () => {
  let cluster: TestPostgres
  beforeAll(async () => {
    cluster = await startPostgres()
  })
  afterAll(() => cluster?.stop())

  it('starts Asterisk’s recording at once, and its row and the end of an open one are written once PostgreSQL is back', async () => {
    const store = await PgStore.open(cluster.createDatabase('recordings'))
    const ari = new RecordingAri()
    const recordings = repositoriesOf(store).recordings
    const events: {type: string; data: Record<string, unknown>}[] = []
    const recorder = new Recorder({ari, recordings, log: silentLogger, events: {append: (e) => (events.push(e as never), e as never)}})
    const call = (n: number) => ({callId: `call-pg-${n}`, bridgeId: `call-pg-${n}.b`, queue: 'sales', agent: 'a1', number: '+8613800138000'})
    try {
      recorder.callConnected(call(1))
      await until('the first row', async () => (await recordings.get('call-pg-1')) !== undefined && recorder.pending === 0)

      cluster.down()
      // The pool must notice its idle connections died before the recorder writes: a write
      // (PgStore.write, pool.connect) handed a dead one gets an 'error' event on a checked-out
      // client that nothing listens to, an uncaught exception (a store bug, reported).
      await until('the pool to drop its dead connections', () => store.pool.totalCount === 0)
      recorder.callConnected(call(2))
      await until('the second recording in Asterisk', async () => ari.live.has('call-pg-2'))
      expect(events.map((e) => [e.type, e.data.recording])).toEqual([
        ['recording.started', 'call-pg-1'],
        ['recording.started', 'call-pg-2'],
      ])
      recorder.callEnded('call-pg-1')
      recorder.onRecordingEvent({type: 'RecordingFinished', application: 'fake', timestamp: '', recording: {name: 'call-pg-1', format: 'wav', state: 'done', target_uri: 'bridge:b', duration: 3}})
      await until('the held rows', async () => recorder.pending >= 3)

      cluster.up()
      await until('the rows written', async () => recorder.pending === 0)
      expect((await recordings.list()).map((r) => [r.name, r.state, r.durationMs])).toEqual([
        ['call-pg-2', 'recording', null],
        ['call-pg-1', 'done', 3000],
      ])
      expect(events.map((e) => e.type)).toEqual(['recording.started', 'recording.started', 'recording.finished'])
    } finally {
      await recorder.stop()
      await store.close()
    }
  })
})
