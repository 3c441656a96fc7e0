import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {LiveStats} from '../../src/engine/reports/live-stats.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {connectFirstCaller, FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// What the engine's snapshot gives the wallboard beyond queues and calls: supervisions,
// each agent's talk time and occupancy today up to now, and the last hour per queue.
describe('the engine snapshot for the wallboard (fake ARI, fake clock)', () => {
  let ari: FakeAri
  let clock: FakeClock
  let store: SqliteStore
  let engine: Engine

  beforeEach(async () => {
    ari = new FakeAri()
    store = new SqliteStore(':memory:')
    await addQueue(store, 'sales', {ringTimeout: 15, wrapUp: 10})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
    await loginAgent(store, 'a1')
    // The login was written at the real time: the engine's clock starts from there.
    clock = new FakeClock(Date.now())
    engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000})
    await engine.start()
  })

  afterEach(async () => {
    await engine.stop()
    await store.close()
  })

  it("an agent's talk today and occupancy count the call in progress and the login still open", async () => {
    clock.advance(60_000) // a minute logged in, idle
    await connectFirstCaller(ari, 'ch1', '5551000', 'sales')
    clock.advance(180_000) // three minutes on the call, not ended yet
    const a1 = engine.snapshot().stats.agents.a1!
    // Logged in a moment before the engine's clock started.
    expect(a1.loggedInMs).toBeGreaterThanOrEqual(240_000)
    expect(a1.loggedInMs).toBeLessThan(250_000)
    expect(a1.talkTodayMs).toBe(180_000)
    expect(a1.occupancy).toBeCloseTo(180_000 / a1.loggedInMs)
  })

  it('lists supervisions in progress, so the wallboard can mark the agent', async () => {
    const callId = await connectFirstCaller(ari, 'ch1', '5551000', 'sales')
    await engine.supervision.start(engine.control.supervised(engine.control.connected(callId)), 'whisper', 'PJSIP/2001', 'test')
    await settle()
    expect(engine.snapshot().supervisions).toMatchObject([{agent: 'a1', callId, mode: 'whisper', from: 'PJSIP/2001'}])
  })

  it('counts callers offered per queue in the last hour, in 5-minute buckets of the clock', async () => {
    const start = clock.now()
    ari.callerArrives('ch1', '5551000', 'sales')
    await settle()
    clock.advance(10 * 60_000)
    ari.callerArrives('ch2', '5551001', 'sales')
    ari.callerArrives('ch3', '5551002', 'sales')
    await settle()
    const h = engine.snapshot().stats.lastHour!
    expect(h.bucketMs).toBe(300_000)
    expect(h.offered.sales).toHaveLength(12)
    expect(h.offered.sales!.reduce((n, x) => n + x, 0)).toBe(3)
    expect(h.offered.sales!.at(-1)).toBe(2)
    // The first caller's bucket is two buckets back (or three, when start fell late in its bucket).
    const back = Math.floor(clock.now() / 300_000) - Math.floor(start / 300_000)
    expect(h.offered.sales![11 - back]).toBe(1)
    // An hour on, those callers are out of the series.
    clock.advance(3_600_000)
    expect(engine.snapshot().stats.lastHour!.offered.sales).toEqual(Array(12).fill(0))
  })
})

describe("today's agent figures across midnight and restarts", () => {
  it('an agent logged in across midnight is still logged in after it (its span carries over)', () => {
    const midnight = Date.UTC(2026, 10, 24)
    const stats = new LiveStats(() => undefined)
    stats.apply({type: 'agent.login', ts: midnight - 3_600_000, agent: 'a1', queue: null, callId: null, data: {}})
    // The first event after midnight starts the new day.
    stats.apply({type: 'queue.entered', ts: midnight + 60_000, agent: null, queue: 'sales', callId: 'c1', data: {}})
    expect(stats.view(midnight + 600_000).agents.a1?.loggedInMs).toBe(600_000)
  })

  it('an agent logged in and paused since before the log begins today counts from midnight (engine start)', async () => {
    const store = new SqliteStore(':memory:')
    const now = Date.UTC(2026, 10, 24, 2)
    const stats = new LiveStats(() => undefined)
    await stats.seed(store, now, [{agent: 'a1', loggedIn: true, pausedReason: 'lunch', since: now - 86_400_000}])
    const a1 = stats.view(now + 60_000).agents.a1!
    expect(a1.loggedInMs).toBe(2 * 3_600_000 + 60_000)
    expect(a1.pausedMs).toBe(2 * 3_600_000 + 60_000)
    expect(a1.occupancy).toBeNull()
    await store.close()
  })
})
