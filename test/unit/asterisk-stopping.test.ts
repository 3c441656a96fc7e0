import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {isShutdownHangup} from '../../src/engine/calls/asterisk-stopping.js'
import {Engine} from '../../src/engine/calls/engine.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// Asterisk stopping hangs up every channel itself; the engine must not count its callers in
// line as abandoned (asterisk-stopping.ts). The requests are the ones Asterisk 22 sent when
// the sandbox went down under waiting callers: {soft: true, cause: 4} (AST_SOFTHANGUP_SHUTDOWN)
// on the caller's channel before its StasisEnd. The integration test is asterisk-restart's
// clean stop.

describe('Asterisk stopping under calls (fake ARI, fake clock)', () => {
  let ari: FakeAri
  let clock: FakeClock
  let store: SqliteStore
  let engine: Engine

  beforeEach(async () => {
    ari = new FakeAri()
    clock = new FakeClock()
    store = new SqliteStore(':memory:')
    await addQueue(store, 'sales', {ringTimeout: 15, wrapUp: 10})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
    engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000})
    await engine.start()
  })

  afterEach(async () => {
    await engine.stop()
    await store.close()
  })

  async function trail(): Promise<StoredEvent[]> {
    await engine.events.flush()
    const out: StoredEvent[] = []
    for await (const e of store.events({types: undefined})) if (e.callId) out.push(e)
    return out
  }

  const hangupRequest = (channelId: string, cause: number, soft: boolean) =>
    ari.emit('ChannelHangupRequest', {channel: ari.channels.get(channelId) ?? ari.channel(channelId, '', ''), cause, ...(soft ? {soft} : {})})

  it('reads the shutdown bit of a soft hang-up, and nothing else', () => {
    expect(isShutdownHangup({soft: true, cause: 4})).toBe(true)
    expect(isShutdownHangup({soft: true, cause: 4 | 16})).toBe(true)
    expect(isShutdownHangup({soft: true, cause: 16})).toBe(false) // an app unloading
    expect(isShutdownHangup({soft: true, cause: 32})).toBe(false) // a hang-up asked over ARI
    expect(isShutdownHangup({cause: 4})).toBe(false) // not soft: a Q.850 cause (4 is unused there, but not ours to read)
    expect(isShutdownHangup({soft: true})).toBe(false)
  })

  it('a caller in line when Asterisk stops is system-ended (asterisk-stopped), never abandoned', async () => {
    ari.callerArrives('ch1', '5551000', 'sales')
    await settle()
    clock.advance(7_000)
    hangupRequest('ch1', 4, true)
    ari.hangsUp('ch1')
    await settle()
    const events = await trail()
    expect(events.map((e) => e.type)).toEqual(['call.started', 'queue.entered', 'queue.system_ended', 'call.ended'])
    expect(events[2]!.data).toMatchObject({reason: 'asterisk-stopped', waitMs: 7_000, position: 1, number: '5551000'})
    expect(events[3]!.data).toEqual({cause: 'system-ended'})
    expect(engine.acd.waiting.size).toBe(0)
  })

  it('a caller who hangs up, or whom the engine hangs up (soft, explicit), is abandoned as before', async () => {
    ari.callerArrives('ch1', '5551000', 'sales')
    ari.callerArrives('ch2', '5552000', 'sales')
    await settle()
    hangupRequest('ch1', 16, false)
    ari.hangsUp('ch1')
    hangupRequest('ch2', 32, true)
    ari.hangsUp('ch2')
    await settle()
    const types = (await trail()).map((e) => e.type)
    expect(types.filter((t) => t === 'queue.abandoned')).toHaveLength(2)
    expect(types).not.toContain('queue.system_ended')
  })

  it('a talking call cut by Asterisk stopping completes by the system, from either leg', async () => {
    await loginAgent(store, 'a1')
    await engine.applyAdminEvent({type: 'agent.login', agent: 'a1', queue: null, data: {}, ts: clock.now()})
    engine.scheduleDispatch()
    await settle()
    ari.callerArrives('ch1', '5551000', 'sales')
    await settle()
    const ring = ari.originated()[0]!
    ari.agentAnswers(ring.channelId!, ring.appArgs!.split(',')[1]!)
    await settle()
    clock.advance(20_000)
    // The agent's leg goes first here: without the mark it would read "the agent hung up".
    hangupRequest(ring.channelId!, 4, true)
    ari.hangsUp(ring.channelId!)
    ari.hangsUp('ch1')
    await settle()
    const completed = (await trail()).find((e) => e.type === 'call.completed')!
    expect(completed.data).toMatchObject({by: 'system', talkMs: 20_000})
  })
})
