import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent, pauseAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// Calls the system ends are not abandons (recorded ARI, fake clock, in-memory store).
// Only a deliberate stop that says so ends calls; a plain stop leaves them for the next
// engine. Callers an Asterisk restart took away while no engine ran are system-ended too;
// callers gone while the same Asterisk ran hung up (an abandon, as before).

/** An Asterisk whose startup time is `startedAt` (the fake has none). */
class AsteriskStartedAt extends FakeAri {
  constructor(private readonly startedAt: string) {
    super()
  }
  override async asteriskInfo() {
    return {...(await super.asteriskInfo()), status: {startup_time: this.startedAt}}
  }
}

describe('system-ended queue visits', () => {
  let ari: FakeAri
  let clock: FakeClock
  let store: SqliteStore
  let engine: Engine | undefined

  beforeEach(() => {
    ari = new FakeAri()
    clock = new FakeClock()
    store = new SqliteStore(':memory:')
    engine = undefined
  })

  afterEach(async () => {
    await engine?.stop()
    await store.close()
  })

  async function boot(): Promise<Engine> {
    await addQueue(store, 'sales', {})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
    await loginAgent(store, 'a1')
    // Paused: callers wait.
    await pauseAgent(store, 'a1', 'break')
    engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000})
    await engine.start()
    return engine
  }

  async function events(): Promise<StoredEvent[]> {
    const out: StoredEvent[] = []
    for await (const e of store.events({})) out.push(e)
    return out
  }

  async function callerInLine(ch: string): Promise<string> {
    ari.callerArrives(ch, '5551000', 'sales')
    await settle()
    await engine!.events.flush()
    const started = (await events()).filter((e) => e.type === 'call.started' && e.data.channel === ch).at(-1)
    return started!.callId!
  }

  it('a stop that ends the calls logs the caller in line system-ended, hangs it up, and its hang-up coming back is no abandon', async () => {
    const eng = await boot()
    const id = await callerInLine('ch1')
    clock.advance(10_000)
    await eng.stop(undefined, {endCalls: 'demo-stopped'})
    expect(ari.ops('hangup').map((a) => a[0])).toContain('ch1')
    ari.hangsUp('ch1')
    await settle()
    const trail = (await events()).filter((e) => e.callId === id)
    expect(trail.map((e) => e.type)).toEqual(['call.started', 'queue.entered', 'queue.system_ended', 'call.ended'])
    expect(trail[2]!.data).toMatchObject({reason: 'demo-stopped', waitMs: 10_000, position: 1})
    expect(trail[3]!.data).toEqual({cause: 'system-ended'})
    expect((await events()).find((e) => e.type === 'engine.stopped')!.data).toEqual({liveCalls: 0})
  })

  it('a plain stop ends nothing: the caller stays in Asterisk for the next engine to re-adopt', async () => {
    const eng = await boot()
    const id = await callerInLine('ch1')
    await eng.stop()
    expect(ari.ops('hangup').map((a) => a[0])).not.toContain('ch1')
    const types = (await events()).filter((e) => e.callId === id).map((e) => e.type)
    expect(types).toEqual(['call.started', 'queue.entered'])
  })

  describe('a caller in line found gone when the engine starts', () => {
    async function startAfter(previousAsterisk: string, nowAsterisk: string): Promise<string[]> {
      await store.appendEvents([
        {type: 'engine.started', ts: clock.now() - 60_000, data: {asteriskStartedAt: previousAsterisk}},
        {type: 'call.started', ts: clock.now() - 50_000, callId: 'c1', data: {direction: 'inbound', number: '5551000', did: 'sales', channel: 'gone'}},
        {type: 'queue.entered', ts: clock.now() - 50_000, callId: 'c1', queue: 'sales', data: {position: 1}},
      ])
      ari = new AsteriskStartedAt(nowAsterisk)
      await (await boot()).events.flush()
      return (await events()).filter((e) => e.callId === 'c1' || e.callId === 'c1.gone').map((e) => e.type)
    }

    it('went with Asterisk when Asterisk started again meanwhile: system-ended', async () => {
      const types = await startAfter('2026-12-07T01:00:00', '2026-12-07T02:00:00')
      expect(types).toContain('queue.system_ended')
      expect(types).not.toContain('queue.abandoned')
    })

    it('hung up when the same Asterisk ran all along (a kill -9 of the engine): an abandon, as before', async () => {
      const types = await startAfter('2026-12-07T01:00:00', '2026-12-07T01:00:00')
      expect(types).toContain('queue.abandoned')
      expect(types).not.toContain('queue.system_ended')
    })
  })
})
