import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {watchedPhone} from '../../src/engine/calls/phone-presence.js'
import {ringFailure} from '../../src/engine/calls/ring-attempts.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {createLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// Issue 14, part 3: presence from the phone. The decisions with a fake ARI and a fake
// clock; test/integration/sip-presence.test.ts shows the same on real registrations.

describe('agent presence from the phone (fake ARI, fake clock)', () => {
  let ari: FakeAri
  let clock: FakeClock
  let store: SqliteStore
  let engine: Engine

  beforeEach(() => {
    ari = new FakeAri()
    clock = new FakeClock()
    store = new SqliteStore(':memory:')
  })
  afterEach(async () => {
    await engine.stop()
    await store.close()
  })

  /** The engine's log lines ("warn  agent a1 ..."). */
  const logged: string[] = []
  const log = createLogger({level: 'info', write: (line) => logged.push(line.replace(/^\S+ /, ''))})
  const applied: string[] = []
  /** What each push asked for: '*' every phone, else the one phone. */
  const asked: string[] = []
  async function boot(settings: Record<string, unknown>, agents: string[], phones: string[] = []): Promise<void> {
    await addQueue(store, 'sales', settings)
    for (const id of agents) {
      await addAgent(store, {id, endpoint: `PJSIP/${id}`, queues: ['sales']})
      await loginAgent(store, id)
    }
    applied.length = 0
    asked.length = 0
    logged.length = 0
    const phoneBook = {
      ids: async () => phones,
      apply: async (_rest: unknown, only?: string) => {
        asked.push(only ?? '*')
        applied.push(...phones)
        return {applied: phones.length, failed: []}
      },
    }
    engine = new Engine({ari, store, log, clock, syncIntervalMs: 3_600_000, phones: phoneBook})
    await engine.start()
  }
  const ringsTo = (agent: string) => ari.originated().filter((p) => p.endpoint === `PJSIP/${agent}`)
  const stateOf = (agent: string) => engine.snapshot().agents.find((a) => a.id === agent)!
  const endpoint = (id: string, state: 'online' | 'offline') => ari.emit('EndpointStateChange', {endpoint: {technology: 'PJSIP', resource: id, state, channel_ids: []}})
  const device = (id: string, state: string) => ari.emit('DeviceStateChanged', {device_state: {name: `PJSIP/${id}`, state}})
  async function events(): Promise<StoredEvent[]> {
    await engine.events.flush()
    const out: StoredEvent[] = []
    for await (const e of store.events({})) out.push(e)
    return out
  }

  it('subscribes to the endpoint and device of every agent phone, and reads their state at start', async () => {
    ari.endpointStates.set('PJSIP/a2', 'offline')
    await boot({}, ['a1', 'a2'])
    const sources = ari.ops('subscribe').flatMap((a) => a[1] as string[])
    expect(sources.sort()).toEqual(['deviceState:PJSIP/a1', 'deviceState:PJSIP/a2', 'endpoint:PJSIP/a1', 'endpoint:PJSIP/a2'])
    expect(stateOf('a1').state).toBe('idle')
    expect(stateOf('a2').state).toBe('unreachable')
    expect(stateOf('a2').why).toMatch(/^phone unreachable since \d\d:\d\d:\d\d: not registered$/)
    // The queue's idle count means free for a call: the unreachable agent is not one (the wallboard said 1 idle for it).
    expect(engine.snapshot().queues[0]!.agents).toEqual({idle: 1, busy: 0, paused: 0, loggedIn: 2})
    device('a1', 'INUSE')
    await settle()
    expect(engine.snapshot().queues[0]!.agents).toEqual({idle: 0, busy: 1, paused: 0, loggedIn: 2})
  })

  it('an unreachable phone is never offered a call; the caller goes to it the moment the phone is back', async () => {
    ari.endpointStates.set('PJSIP/a1', 'offline')
    await boot({}, ['a1'])
    ari.callerArrives('c1', '5551001', 'sales')
    await settle()
    clock.advance(30_000)
    await settle()
    expect(ringsTo('a1')).toHaveLength(0)
    endpoint('a1', 'online')
    await settle()
    expect(ringsTo('a1')).toHaveLength(1)
    const ev = await events()
    const back = ev.find((e) => e.type === 'agent.reachable')!
    expect(back.agent).toBe('a1')
    expect(back.data.unreachableMs).toBe(30_000)
  })

  it('a phone that unregisters while the agent is idle makes it unreachable, with an event that says why', async () => {
    await boot({}, ['a1'])
    ari.emit('ContactStatusChange', {endpoint: {technology: 'PJSIP', resource: 'a1', state: 'offline', channel_ids: []}, contact_info: {uri: 'sip:a1@127.0.0.1:5999', contact_status: 'Removed', aor: 'a1'}})
    endpoint('a1', 'offline')
    await settle()
    expect(stateOf('a1').state).toBe('unreachable')
    const ev = (await events()).filter((e) => e.type === 'agent.unreachable')
    expect(ev).toHaveLength(1)
    expect(ev[0]!.data).toMatchObject({phone: 'PJSIP/a1', reason: 'unregistered'})
    ari.callerArrives('c1', '5551001', 'sales')
    await settle()
    expect(ringsTo('a1')).toHaveLength(0)
  })

  it('a phone in use on a call the engine did not place is busy on another call: not offered until it hangs up', async () => {
    await boot({}, ['a1', 'a2'])
    device('a1', 'INUSE')
    await settle()
    expect(stateOf('a1').state).toBe('other-call')
    ari.callerArrives('c1', '5551001', 'sales')
    await settle()
    expect(ringsTo('a1')).toHaveLength(0)
    expect(ringsTo('a2')).toHaveLength(1)
    device('a1', 'NOT_INUSE')
    await settle()
    expect(stateOf('a1').state).toBe('idle')
    ari.callerArrives('c2', '5551002', 'sales')
    await settle()
    expect(ringsTo('a1')).toHaveLength(1)
    const types = (await events()).map((e) => e.type)
    expect(types).toContain('agent.other_call')
    expect(types).toContain('agent.other_call_ended')
  })

  it("the engine's own ring and call do not count as another call", async () => {
    await boot({wrapUp: 0}, ['a1'])
    ari.callerArrives('c1', '5551001', 'sales')
    await settle()
    const ring = ringsTo('a1')[0]!
    device('a1', 'RINGING')
    ari.agentAnswers(ring.channelId!, ari.originated()[0]!.appArgs!.split(',')[1]!)
    device('a1', 'INUSE')
    await settle()
    expect(stateOf('a1').state).toBe('on-call')
    ari.hangsUp(ring.channelId!)
    device('a1', 'NOT_INUSE')
    await settle()
    expect(stateOf('a1').state).toBe('idle')
    expect((await events()).some((e) => e.type === 'agent.other_call')).toBe(false)
  })

  it('a ring refused busy is skipped, not a missed ring; with autoPauseBusy the agent is paused "busy"', async () => {
    await boot({autoPauseAfter: 1}, ['a1'])
    ari.callerArrives('c1', '5551001', 'sales')
    await settle()
    ari.ringFails(ringsTo('a1')[0]!.channelId!, 17)
    await settle()
    // autoPauseAfter 1 would have paused it for a missed ring: busy is not one.
    expect(stateOf('a1').state).not.toBe('paused')
    expect(engine.acd.agents.get('a1')!.missedRings).toBe(0)

    await addQueue(store, 'sales', {autoPauseBusy: true}, {update: true})
    await engine.applyAdminEvent({type: 'queue.updated', queue: 'sales', agent: null, data: {}, ts: clock.now()})
    clock.advance(60_000)
    await settle()
    const second = ringsTo('a1')[1]!
    ari.ringFails(second.channelId!, 17)
    await settle()
    expect(stateOf('a1').state).toBe('paused')
    expect(stateOf('a1').pauseReason).toBe('busy')
  })

  it("pushes the store's phones to Asterisk at start and on a phone change, and watches phones that ring for no agent", async () => {
    await boot({}, ['a1'], ['a1', 'sup1'])
    expect(applied).toEqual(['a1', 'sup1'])
    const sources = ari.ops('subscribe').flatMap((a) => a[1] as string[])
    expect(sources).toContain('endpoint:PJSIP/sup1')
    await engine.applyAdminEvent({type: 'phone.added', agent: null, queue: null, data: {phone: 'sup1'}, ts: clock.now()})
    expect(applied).toEqual(['a1', 'sup1', 'a1', 'sup1'])
    // At start every phone; on a change only the phone that changed.
    expect(asked.slice(-2)).toEqual(['*', 'sup1'])
    ari.emit('ContactStatusChange', {endpoint: {technology: 'PJSIP', resource: 'sup1', state: 'online', channel_ids: []}, contact_info: {uri: 'sip:sup1@127.0.0.1:5999', contact_status: 'Reachable', aor: 'sup1', roundtrip_usec: '2500'}})
    expect(engine.phoneContacts().find((c) => c.endpoint === 'PJSIP/sup1')).toMatchObject({contact: 'sip:sup1@127.0.0.1:5999', rttMs: 2.5, status: 'Reachable'})
  })

  it('a phone found unreachable mid-ring ends that ring at once: its caller is offered to the next agent', async () => {
    await boot({ringTimeout: 15}, ['a1', 'a2'])
    ari.deviceStates.set('PJSIP/a2', 'INUSE')
    device('a2', 'INUSE')
    ari.callerArrives('c1', '5551001', 'sales')
    await settle()
    expect(ringsTo('a1')).toHaveLength(1)
    endpoint('a1', 'offline')
    ari.emit('ContactStatusChange', {endpoint: {technology: 'PJSIP', resource: 'a1', state: 'offline', channel_ids: []}, contact_info: {uri: 'sip:a1@127.0.0.1:5999', contact_status: 'Unreachable', aor: 'a1'}})
    await settle()
    expect(stateOf('a1').state).toBe('unreachable')
    const canceled = (await events()).filter((e) => e.type === 'agent.ring_canceled')
    expect(canceled.map((e) => e.data.reason)).toEqual(['phone unreachable (no answer to qualify)'])
    device('a2', 'NOT_INUSE')
    await settle()
    expect(ringsTo('a2')).toHaveLength(1)
  })

  it("a dead contact dropped after the phone registered again says nothing about the phone", async () => {
    await boot({}, ['a1'])
    const contact = (uri: string, status: 'Created' | 'Removed') =>
      ari.emit('ContactStatusChange', {endpoint: {technology: 'PJSIP', resource: 'a1', state: 'online', channel_ids: []}, contact_info: {uri, contact_status: status, aor: 'a1'}})
    contact('sip:a1@127.0.0.1:6001', 'Created')
    contact('sip:a1@127.0.0.1:6002', 'Created')
    contact('sip:a1@127.0.0.1:6001', 'Removed')
    await settle()
    expect(stateOf('a1').state).toBe('idle')
    expect((await events()).some((e) => e.type === 'agent.unreachable')).toBe(false)
    expect(engine.phoneContacts()[0]).toMatchObject({contact: 'sip:a1@127.0.0.1:6002'})
  })

  it('an agent on an endpoint Asterisk does not have costs only itself: the others are watched, it is unreachable and warned about once', async () => {
    // Asterisk refuses a whole subscription (422) for one unknown endpoint: every phone of
    // the batch went unwatched and unread, and the sync was logged as a bug (misuse report 20, finding 5).
    ari.unknownEndpoints.add('PJSIP/a1')
    ari.endpointStates.set('PJSIP/a3', 'offline')
    await boot({}, ['a1', 'a2', 'a3'])
    const subscribed = ari.ops('subscribe').map((a) => (a[1] as string[]).join(' '))
    expect(subscribed).toEqual([
      'endpoint:PJSIP/a1 deviceState:PJSIP/a1 endpoint:PJSIP/a2 deviceState:PJSIP/a2 endpoint:PJSIP/a3 deviceState:PJSIP/a3',
      'endpoint:PJSIP/a1 deviceState:PJSIP/a1',
      'endpoint:PJSIP/a2 deviceState:PJSIP/a2',
      'endpoint:PJSIP/a3 deviceState:PJSIP/a3',
    ])
    expect(stateOf('a1').state).toBe('unreachable')
    expect(stateOf('a1').why).toMatch(/: no such phone in Asterisk$/)
    expect(stateOf('a2').state).toBe('idle')
    expect(stateOf('a3').state).toBe('unreachable')
    expect(stateOf('a3').why).toMatch(/: not registered$/)
    expect(engine.phoneContacts().find((c) => c.endpoint === 'PJSIP/a1')).toMatchObject({state: 'missing'})
    expect(logged.filter((l) => l.startsWith('error'))).toEqual([])
    const warned = logged.filter((l) => l.includes('a1'))
    expect(warned).toEqual([
      'warn  agent a1 rings on PJSIP/a1, which is no phone Asterisk has: offered no call until it is one. Try: callctl phone add a1 --agent a1 (or give the agent another endpoint: callctl agent add a1 --update --endpoint ...)',
    ])
    // Events from the watched phones still count: a3 registers and is offered the next caller after a2.
    endpoint('a3', 'online')
    await settle()
    expect(stateOf('a3').state).toBe('idle')
    ari.callerArrives('c1', '5551001', 'sales')
    ari.callerArrives('c2', '5551002', 'sales')
    await settle()
    expect(ringsTo('a1')).toHaveLength(0)
    expect(ringsTo('a2')).toHaveLength(1)
    expect(ringsTo('a3')).toHaveLength(1)
    expect((await events()).filter((e) => e.type === 'agent.unreachable' && e.agent === 'a1').map((e) => e.data.reason)).toEqual(['no such phone in Asterisk'])

    // A later sync (an admin change) tries the missing phone again, alone, and says nothing new.
    const before = ari.ops('subscribe').length
    await addAgent(store, {id: 'a4', endpoint: 'PJSIP/a4', queues: ['sales']})
    await engine.applyAdminEvent({type: 'agent.added', agent: 'a4', queue: null, data: {}, ts: clock.now()})
    await settle()
    expect(ari.ops('subscribe').slice(before).map((a) => (a[1] as string[]).join(' '))).toEqual(['endpoint:PJSIP/a4 deviceState:PJSIP/a4', 'endpoint:PJSIP/a1 deviceState:PJSIP/a1'])
    expect(logged.filter((l) => l.includes('a1'))).toHaveLength(1)

    // The phone is provisioned (callctl phone add a1): the next sync watches it and the agent is offered calls.
    ari.unknownEndpoints.delete('PJSIP/a1')
    await engine.applyAdminEvent({type: 'phone.added', agent: 'a1', queue: null, data: {phone: 'a1'}, ts: clock.now()})
    await settle()
    expect(stateOf('a1').state).toBe('idle')
    device('a1', 'INUSE')
    await settle()
    expect(stateOf('a1').state).toBe('other-call')
    expect(logged.filter((l) => l.startsWith('error'))).toEqual([])
  })

  it('a phone callctl provisions but has not pushed yet is unreachable without the configuration warning', async () => {
    // agent add 2001 --sip saves the agent before its phone reaches Asterisk: the sync for the agent may come first.
    ari.unknownEndpoints.add('PJSIP/a1')
    await boot({}, ['a1'], ['a1'])
    expect(stateOf('a1').state).toBe('unreachable')
    expect(logged.filter((l) => l.includes('a1') && !l.startsWith('info  phones pushed'))).toEqual(['info  agent a1: phone PJSIP/a1 is not in Asterisk yet; offered no call until it is'])
  })

  it('subscribes many phones in batches (75 phones in one query string were refused by Asterisk with 400)', async () => {
    const ids = Array.from({length: 75}, (_, i) => `p${i}`)
    await boot({}, ids)
    const calls = ari.ops('subscribe').map((a) => a[1] as string[])
    expect(calls.map((c) => c.length)).toEqual([40, 40, 40, 30])
    expect(new Set(calls.flat()).size).toBe(150)
  })

  it('maps hang-up causes to their paths, and only watches phones it can', () => {
    expect([19, 18, 21, 17, 20, 3, 27, 34, 42, 16].map(ringFailure)).toEqual(['no-answer', 'no-answer', 'no-answer', 'busy', 'unavailable', 'unavailable', 'unavailable', 'congestion', 'congestion', 'failed'])
    expect(watchedPhone('PJSIP/1001')).toBe('PJSIP/1001')
    expect(watchedPhone('PJSIP/123@carrier')).toBeNull()
    expect(watchedPhone('Local/1001@agents')).toBeNull()
  })
})
