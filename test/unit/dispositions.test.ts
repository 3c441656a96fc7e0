import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {chooseDisposition, deskCall, saveNote} from '../../src/engine/calls/desk-work.js'
import {Engine} from '../../src/engine/calls/engine.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// Dispositions with a recorded ARI and a fake clock: a queue with codes holds its agent in
// wrap-up until one is chosen (agent.ready refused, the timer's end not enough); a code
// chosen during the call owes nothing after it. Notes and codes are events of the call
// carrying its customer.

const CODES = [
  {code: 'resolved', label: '已解决', key: '1'},
  {code: 'follow-up', label: 'Follow-up', key: '2'},
]

describe('dispositions (fake ARI, fake clock)', () => {
  let ari: FakeAri
  let clock: FakeClock
  let store: SqliteStore
  let engine: Engine

  beforeEach(async () => {
    ari = new FakeAri()
    clock = new FakeClock()
    store = new SqliteStore(':memory:')
    await addQueue(store, 'sales', {wrapUp: 10, dispositions: CODES})
    await addQueue(store, 'plain', {wrapUp: 0})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales', 'plain']})
    await loginAgent(store, 'a1')
    engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000})
    await engine.start()
  })

  afterEach(async () => {
    await engine.stop()
    await store.close()
  })

  async function answeredCall(did: string, number: string): Promise<{callId: string; agentChannel: string}> {
    ari.callerArrives(`ch-${number}`, number, did, 'Caller')
    await settle()
    const ring = ari.originated().at(-1)!
    const callId = ring.appArgs!.split(',')[1]!
    ari.agentAnswers(ring.channelId!, callId)
    await settle()
    return {callId, agentChannel: ring.channelId!}
  }

  async function events(type: string): Promise<StoredEvent[]> {
    await engine.events.flush()
    const out: StoredEvent[] = []
    for await (const e of store.events()) if (e.type === type) out.push(e)
    return out
  }

  const state = () => engine.acd.agentView(engine.acd.agents.get('a1')!).state

  it('holds wrap-up past its time until a code is chosen, refuses ready meanwhile, then frees the agent at once', async () => {
    const {callId, agentChannel} = await answeredCall('sales', '+8613800138000')
    clock.advance(20_000)
    ari.hangsUp(agentChannel)
    await settle()
    expect(state()).toBe('wrap-up')
    expect(() => engine.agentReady('a1')).toThrow(
      expect.objectContaining({
        code: 'disposition_required',
        message: `Agent "a1" must choose a disposition for call ${callId} before being ready`,
        // A command a supervisor can run (not an API method name).
        suggestion: `Choose one of queue sales's codes: callctl call disposition ${callId} resolved (codes: 1 resolved, 2 follow-up)`,
      }),
    )
    // The queue's 10 s pass: still in wrap-up, offered nothing.
    clock.advance(15_000)
    expect(state()).toBe('wrap-up')
    ari.callerArrives('ch-next', '+8613900000001', 'sales')
    await settle()
    expect(ari.originated()).toHaveLength(1)
    // A code not of the queue is refused with the queue's codes.
    const call = deskCall(engine.core, callId)!
    expect(() => chooseDisposition(engine.core, call, 'nope', 'a1')).toThrow(expect.objectContaining({code: 'unknown_disposition', suggestion: 'Codes: resolved (已解决, key 1), follow-up (Follow-up, key 2)'}))
    expect(chooseDisposition(engine.core, call, 'resolved', 'a1')).toEqual({callId, code: 'resolved', label: '已解决', released: true})
    expect(state()).not.toBe('wrap-up')
    await settle()
    // Ready again: the waiting caller rings it.
    expect(ari.originated()).toHaveLength(2)
    const [d] = await events('call.disposition')
    expect(d).toMatchObject({callId, agent: 'a1', queue: 'sales', data: {code: 'resolved', label: '已解决', number: '+8613800138000', by: 'a1'}})
    expect((await events('agent.wrapup_ended'))[0]!.data).toEqual({how: 'disposition'})
  })

  it('a code chosen on the live call owes nothing after it; ready early works; notes carry the customer', async () => {
    const {callId, agentChannel} = await answeredCall('sales', '+8613800138000')
    const live = deskCall(engine.core, callId)!
    expect(chooseDisposition(engine.core, live, 'follow-up', 'a1').released).toBe(false)
    const {note} = saveNote(engine.core, live, {text: '客户要求回电', by: 'a1'})
    saveNote(engine.core, live, {note, text: '客户要求明天回电', by: 'a1'})
    ari.hangsUp(agentChannel)
    await settle()
    expect(state()).toBe('wrap-up')
    expect(engine.agentReady('a1').state).toBe('idle')
    const notes = await events('call.note')
    expect(notes.map((n) => n.data)).toEqual([
      {note, text: '客户要求回电', number: '+8613800138000', by: 'a1'},
      {note, text: '客户要求明天回电', number: '+8613800138000', by: 'a1'},
    ])
    expect(notes[0]).toMatchObject({callId, agent: 'a1', queue: 'sales'})
    expect(() => saveNote(engine.core, live, {text: 'x'.repeat(4001), by: 'a1'})).toThrow(expect.objectContaining({code: 'note_too_long'}))
  })

  it('an engine restarted meanwhile holds the agent as the last one did, until the code is chosen', async () => {
    const {callId, agentChannel} = await answeredCall('sales', '+8613800138000')
    ari.hangsUp(agentChannel)
    await settle()
    clock.advance(15_000)
    expect(state()).toBe('wrap-up')
    await engine.stop()
    engine = new Engine({ari: new FakeAri(), store, log: silentLogger, clock, syncIntervalMs: 3_600_000})
    await engine.start()
    clock.advance(1000)
    expect(state()).toBe('wrap-up')
    expect(() => engine.agentReady('a1')).toThrow(expect.objectContaining({code: 'disposition_required'}))
    const call = deskCall(engine.core, callId)!
    expect(call).toMatchObject({callId, agent: 'a1', queue: 'sales', number: '+8613800138000'})
    expect(chooseDisposition(engine.core, call, 'follow-up', 'a1').released).toBe(true)
    expect(state()).toBe('idle')
  })

  it('a simulated agent (its phone in the simulator dialplan) chooses one of the codes itself: its wrap-up ends on time', async () => {
    engine.acd.agents.get('a1')!.endpoint = 'Local/1-5-5-a1@callctl-sim-agent'
    const {callId, agentChannel} = await answeredCall('sales', '+8613800138000')
    ari.hangsUp(agentChannel)
    await settle()
    const [d] = await events('call.disposition')
    expect(d).toMatchObject({callId, agent: 'a1', queue: 'sales', data: {by: 'simulator'}})
    expect(CODES.map((c) => c.code)).toContain(d!.data.code)
    expect(state()).toBe('wrap-up')
    clock.advance(10_000)
    expect(state()).toBe('idle')
  })

  it('a queue without codes asks for none, even with no wrap-up time', async () => {
    const {agentChannel} = await answeredCall('plain', '+8613800138001')
    ari.hangsUp(agentChannel)
    await settle()
    expect(state()).toBe('idle')
  })

  it('a queue with codes and no wrap-up time still waits for the code', async () => {
    await addQueue(store, 'sales', {wrapUp: 0}, {update: true})
    await engine.applyAdminEvent({type: 'queue.updated', queue: 'sales', agent: null, data: {}, ts: clock.now()})
    const {callId, agentChannel} = await answeredCall('sales', '+8613800138002')
    ari.hangsUp(agentChannel)
    await settle()
    clock.advance(1000)
    expect(state()).toBe('wrap-up')
    expect(chooseDisposition(engine.core, deskCall(engine.core, callId)!, 'resolved', 'sup').released).toBe(true)
    expect(state()).toBe('idle')
  })
})
