import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// The call session's decisions with a recorded ARI and a fake clock. Real audio and
// channel behaviour is covered by the integration suite on the sandbox.
describe('engine call flow (fake ARI, fake clock)', () => {
  let ari: FakeAri
  let clock: FakeClock
  let store: SqliteStore
  let engine: Engine

  beforeEach(async () => {
    ari = new FakeAri()
    clock = new FakeClock()
    store = new SqliteStore(':memory:')
    await addQueue(store, 'sales', {ringTimeout: 15, wrapUp: 10})
    for (const id of ['a1', 'a2']) {
      await addAgent(store, {id, endpoint: `PJSIP/${id}`, queues: ['sales']})
      await loginAgent(store, id)
    }
    engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000})
    await engine.start()
    // a1 idle longer than a2
    engine.acd.agents.get('a1')!.idleSince = clock.now() - 60_000
  })

  afterEach(async () => {
    await engine.stop()
    await store.close()
  })

  async function events(): Promise<StoredEvent[]> {
    await engine.events.flush()
    const out: StoredEvent[] = []
    for await (const e of store.events({types: undefined})) if (e.callId) out.push(e)
    return out
  }

  it('rings the longest-idle agent at once, leaving the caller unanswered (ringing) with no hold music', async () => {
    ari.requests.length = 0
    ari.callerArrives('ch1', '5551000', 'sales', 'Alice')
    await settle()
    const [orig] = ari.originated()
    expect(orig).toMatchObject({endpoint: 'PJSIP/a1', app: 'fake', timeout: 20, callerId: '"Alice" <5551000>'})
    expect(orig!.appArgs).toMatch(/^agent,call-/)
    // app_queue's way: nothing is answered or played while an idle agent's phone rings,
    // and the ring is the engine's first request (no variable set on the caller first).
    expect(ari.ops('answer')).toEqual([])
    expect(ari.ops('startMoh')).toEqual([])
    expect(ari.ops('setChannelVar')).toEqual([])
    expect(ari.requests.filter((r) => r.op !== 'subscribe')[0]!.op).toBe('originate')
  })

  it('a caller nobody can ring for is answered and hears hold music at once', async () => {
    for (const id of ['a1', 'a2']) await engine.applyAdminEvent({type: 'agent.paused', agent: id, queue: null, data: {reason: 'break'}, ts: clock.now()})
    ari.callerArrives('ch1', '5551000', 'sales')
    await settle()
    expect(ari.originated()).toEqual([])
    expect(ari.ops('answer')).toEqual([['ch1']])
    expect(ari.ops('startMoh')).toEqual([['ch1', 'default']])
  })

  it('when the only ring ends unanswered the caller is answered with music; when a ring goes on to the next agent it is not', async () => {
    ari.callerArrives('ch1', '5551000', 'sales')
    await settle()
    // a2 is busy with another caller: after a1's ring times out nobody rings for ch1.
    ari.callerArrives('ch2', '5552000', 'sales')
    await settle()
    expect(ari.originated().map((o) => o.endpoint)).toEqual(['PJSIP/a1', 'PJSIP/a2'])
    expect(ari.ops('answer')).toEqual([])
    const ring2 = ari.originated()[1]!
    ari.agentAnswers(ring2.channelId!, ring2.appArgs!.split(',')[1]!)
    await settle()
    expect(ari.ops('answer')).toEqual([['ch2']])
    clock.advance(15_000)
    await settle()
    // a1 rang out; a1 is tried again only after its back-off, so ch1 waits answered, with music.
    expect(ari.ops('answer')).toEqual([['ch2'], ['ch1']])
    expect(ari.ops('startMoh')).toEqual([['ch1', 'default']])
  })

  it('a simulated (Local) caller is told it is connected; a SIP caller is not sent the variable', async () => {
    ari.callerArrives('ch1', '5551000', 'sales', '', 'Local/100@callctl-sim-0000001;2')
    await settle()
    const ring = ari.originated()[0]!
    ari.agentAnswers(ring.channelId!, ring.appArgs!.split(',')[1]!)
    await settle()
    expect(ari.ops('setChannelVar')).toEqual([['ch1', 'CALLCTL_CONNECTED', '1']])
    ari.callerArrives('ch2', '5552000', 'sales', '', 'PJSIP/carrier-00000001')
    await settle()
    const ring2 = ari.originated()[1]!
    ari.agentAnswers(ring2.channelId!, ring2.appArgs!.split(',')[1]!)
    await settle()
    expect(ari.ops('setChannelVar')).toEqual([['ch1', 'CALLCTL_CONNECTED', '1']])
    expect(ari.ops('addToBridge').map((a) => (a[1] as string[])[0])).toEqual(['ch1', 'ch2'])
  })

  it('a ring timeout hangs up that phone and rings the next agent', async () => {
    ari.callerArrives('ch1', '5551000', 'sales')
    await settle()
    const first = ari.originated()[0]!
    clock.advance(15_000)
    await settle()
    expect(ari.ops('hangup')).toContainEqual([first.channelId])
    const second = ari.originated()[1]!
    expect(second.endpoint).toBe('PJSIP/a2')
    const types = (await events()).map((e) => e.type)
    expect(types).toContain('agent.ring_noanswer')
    expect(engine.acd.agentView(engine.acd.agents.get('a1')!).state).toBe('idle')
  })

  it('a failed ring (busy, unreachable) moves on at once', async () => {
    ari.failingEndpoints.add('PJSIP/a1')
    ari.callerArrives('ch1', '5551000', 'sales')
    await settle()
    await settle()
    expect(ari.originated().map((o) => o.endpoint)).toEqual(['PJSIP/a1', 'PJSIP/a2'])
  })

  it('bridges on answer, and when the agent hangs up ends the call and starts wrap-up', async () => {
    ari.callerArrives('ch1', '5551000', 'sales')
    await settle()
    const ring = ari.originated()[0]!
    const callId = ring.appArgs!.split(',')[1]!
    clock.advance(2000)
    ari.agentAnswers(ring.channelId!, callId)
    await settle()
    expect(ari.ops('createBridge')[0]).toEqual(['mixing', `${callId}.b`, callId])
    // Answered only now, with the agent (it heard ringing, no music to stop).
    expect(ari.ops('answer')).toEqual([['ch1']])
    expect(ari.ops('stopMoh')).toEqual([])
    expect(ari.ops('addToBridge')).toEqual([[`${callId}.b`, ['ch1', ring.channelId]]])
    expect(engine.acd.agentView(engine.acd.agents.get('a1')!).state).toBe('on-call')

    clock.advance(30_000)
    ari.hangsUp(ring.channelId!)
    await settle()
    expect(ari.ops('hangup')).toContainEqual(['ch1'])
    expect(ari.ops('destroyBridge')).toEqual([[`${callId}.b`]])
    const a1 = engine.acd.agents.get('a1')!
    expect(engine.acd.agentView(a1).state).toBe('wrap-up')
    const trail = (await events()).filter((e) => e.callId === callId)
    expect(trail.map((e) => e.type)).toEqual(['call.started', 'queue.entered', 'agent.ringing', 'call.connected', 'call.completed', 'agent.wrapup_started', 'call.ended'])
    expect(trail.find((e) => e.type === 'call.connected')!.data).toMatchObject({waitMs: 2000})
    expect(trail.find((e) => e.type === 'call.completed')!.data).toMatchObject({by: 'agent', talkMs: 30_000})

    // Wrap-up holds a1 back: a new caller goes to a2 ...
    ari.callerArrives('ch2', '5552000', 'sales')
    await settle()
    expect(ari.originated()[1]!.endpoint).toBe('PJSIP/a2')
    // ... and after the queue's 10 s a1 is idle again.
    clock.advance(10_000)
    expect(engine.acd.agentView(a1).state).toBe('idle')
  })

  it('a caller hanging up during the ring cancels it and leaves the agent idle', async () => {
    ari.callerArrives('ch1', '5551000', 'sales')
    await settle()
    const ring = ari.originated()[0]!
    clock.advance(3000)
    ari.hangsUp('ch1')
    await settle()
    expect(ari.ops('hangup')).toContainEqual([ring.channelId])
    expect(engine.acd.agentView(engine.acd.agents.get('a1')!).state).toBe('idle')
    const types = (await events()).map((e) => e.type)
    expect(types).toEqual(['call.started', 'queue.entered', 'agent.ringing', 'agent.ring_canceled', 'queue.abandoned', 'call.ended'])
    // The agent's phone answering a moment too late is hung up, not bridged.
    ari.agentAnswers(ring.channelId!, ring.appArgs!.split(',')[1]!)
    await settle()
    expect(ari.ops('createBridge')).toEqual([])
    expect(ari.ops('hangup').filter((a) => a[0] === ring.channelId).length).toBeGreaterThanOrEqual(2)
    expect(clock.pendingTimers).toBe(0)
  })

  it('a number that matches no queue is refused unanswered (a trunk bills from the answer): unallocated, no prompt', async () => {
    ari.callerArrives('ch1', '5551000', '999')
    await settle()
    expect(ari.ops('answer')).toEqual([])
    expect(ari.ops('playOnChannel')).toEqual([])
    expect(ari.ops('hangup')).toEqual([['ch1', 'unallocated']])
    const ev = await events()
    expect(ev.map((e) => e.type)).toEqual(['call.started', 'call.rejected', 'call.ended'])
    expect(ev[1]!.data).toMatchObject({reason: 'no-queue', did: '999'})
  })
})

describe('hostile caller input (fake ARI)', () => {
  it('caps a 10 KB caller name full of escapes and broken UTF-16, and it stays inert on screen', async () => {
    const {safeText} = await import('../../src/engine/util/text.js')
    const ari = new FakeAri()
    const clock = new FakeClock()
    const store = new SqliteStore(':memory:')
    await addQueue(store, 'sales', {})
    const engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000})
    await engine.start()
    const name = '\u001b]0;owned\u0007\u001b[2J=HYPERLINK("x")\ud800' + 'A'.repeat(10_000)
    ari.callerArrives('ch1', '+1555\u001b[31m0001', 'sales', name)
    await settle()
    const call = engine.snapshot().calls[0]!
    expect(call.caller.name.length).toBe(256)
    const shown = safeText(call.caller.name, 80) + safeText(call.caller.number)
    expect(shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
    expect(shown).not.toMatch(/[\ud800-\udfff]/)
    await engine.events.flush()
    const started = []
    for await (const e of store.events({types: ['call.started']})) started.push(e)
    expect(String(started[0]!.data.name).length).toBe(256)
    await engine.stop()
    await store.close()
  })
})
