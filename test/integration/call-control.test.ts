import {afterEach, describe, expect, it} from 'vitest'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {finish, startTestEngine, type Harness} from '../support/harness.js'

// Hold, transfer and click-to-call on the real sandbox Asterisk, checked in the event log
// and in what Asterisk really has bridged.

let h: Harness | undefined

afterEach(async () => {
  await finish(h)
  h = undefined
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const typesOf = (events: StoredEvent[], callId: string) => events.filter((e) => e.callId === callId).map((e) => e.type)

async function connectedCall(h: Harness, number: string, queue = 'q1'): Promise<string> {
  await h.call({number, did: queue, patience: 60})
  return h.waitFor('the call to connect', () => h.engine.snapshot().calls.find((c) => c.caller.number === number && c.state === 'connected')?.id)
}

/** Channel ids in the call's bridge, as Asterisk reports them. */
async function bridged(h: Harness, callId: string): Promise<string[]> {
  const b = (await h.rest.listBridges()).find((x) => x.name === callId)
  return b ? b.channels : []
}

describe('call control on the real sandbox', () => {
  it('holds a call with music and takes it back, counting the hold time', async () => {
    h = await startTestEngine({queues: {q1: {wrapUp: 0}}, agents: [{id: 'a1', ring: 0, talk: {min: 30, max: 30}, queues: ['q1']}]})
    const callId = await connectedCall(h, '+15550500001')
    await h.waitFor('both legs bridged', async () => (await bridged(h!, callId)).length === 2)
    await h.engine.control.hold(callId, 'test')
    await h.waitFor('the caller out of the bridge', async () => (await bridged(h!, callId)).length === 1)
    await sleep(2000)
    const r = await h.engine.control.unhold(callId, 'test')
    expect(r.holdMs).toBeGreaterThanOrEqual(1900)
    await h.waitFor('the caller back in the bridge', async () => (await bridged(h!, callId)).length === 2)
    await h.engine.control.hangupCall(callId, 'test')
    const c = await h.ended('+15550500001')
    const events = (await h.events()).filter((e) => e.callId === callId)
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['call.held', 'call.unheld', 'call.hangup_requested', 'call.completed']))
    expect(Number(events.find((e) => e.type === 'call.completed')!.data.holdMs)).toBeGreaterThanOrEqual(1900)
    expect(c.outcome).toBe('completed')
  })

  it('blind-transfers a call to another queue: same call, new agent, first agent to wrap-up', async () => {
    h = await startTestEngine({
      queues: {q1: {wrapUp: 5}, q2: {wrapUp: 0}},
      agents: [
        {id: 'a1', ring: 0, talk: {min: 30, max: 30}, queues: ['q1']},
        {id: 'a2', ring: 0, talk: {min: 2, max: 2}, queues: ['q2']},
      ],
    })
    const callId = await connectedCall(h, '+15550500002')
    await h.engine.control.blindTransfer(callId, {queue: 'q2'}, 'test')
    const c = await h.ended('+15550500002')
    expect(c.callId).toBe(callId)
    expect(c.agent).toBe('a2')
    const events = await h.events()
    expect(typesOf(events, callId)).toEqual(['call.started', 'queue.entered', 'agent.ringing', 'call.connected', 'call.transferred', 'call.completed', 'agent.wrapup_started', 'queue.entered', 'agent.ringing', 'call.connected', 'call.completed', 'call.ended'])
    expect(events.find((e) => e.type === 'call.transferred')).toMatchObject({agent: 'a1', data: {kind: 'blind', to: {queue: 'q2'}}})
    expect(events.filter((e) => e.type === 'queue.entered').at(-1)).toMatchObject({queue: 'q2', data: {transferFrom: 'a1'}})
    expect(events.filter((e) => e.type === 'call.completed').map((e) => [e.agent, e.data.by])).toEqual([['a1', 'transfer'], ['a2', 'agent']])
  })

  it('consults another agent first, then completes the transfer', async () => {
    h = await startTestEngine({
      queues: {q1: {wrapUp: 0}},
      agents: [
        {id: 'a1', ring: 0, talk: {min: 30, max: 30}, queues: ['q1']},
        {id: 'b1', ring: 1, talk: {min: 30, max: 30}, queues: []},
      ],
    })
    const callId = await connectedCall(h, '+15550500003')
    await h.engine.control.consult(callId, {agent: 'b1'}, 'test')
    await h.waitFor('the consulted agent answering', async () => (await h!.events()).some((e) => e.type === 'call.consult_answered'))
    // Agent and consulted agent talk; the caller waits outside the bridge on hold. The event
    // marks the answer; the engine adds the leg to the bridge right after, so wait for Asterisk.
    await h.waitFor('a1 and b1 bridged', async () => (await bridged(h!, callId)).length === 2)
    const during = await bridged(h, callId)
    expect(during).toHaveLength(2)
    const callerChannel = String((await h.events()).find((e) => e.callId === callId && e.type === 'call.started')!.data.channel)
    expect(during).not.toContain(callerChannel)
    await h.engine.control.completeConsult(callId, 'test')
    await h.waitFor('caller and b1 bridged', async () => (await bridged(h!, callId)).length === 2 && h!.engine.snapshot().calls[0]?.agent === 'b1')
    expect(h.engine.snapshot().agents.find((a) => a.id === 'a1')!.state).toBe('idle')
    await h.engine.control.hangupCall(callId, 'test')
    const c = await h.ended('+15550500003')
    expect(c.agent).toBe('b1')
    const t = typesOf(await h.events(), callId)
    expect(t).toEqual(expect.arrayContaining(['call.held', 'call.consult_started', 'call.consult_answered', 'call.transferred', 'call.connected', 'call.ended']))
    expect(t.indexOf('call.consult_answered')).toBeLessThan(t.indexOf('call.transferred'))
  })

  it('cancels a consultation: the consulted agent is hung up and the caller returns', async () => {
    h = await startTestEngine({
      queues: {q1: {wrapUp: 0}},
      agents: [
        {id: 'a1', ring: 0, talk: {min: 30, max: 30}, queues: ['q1']},
        {id: 'b1', ring: 0, talk: {min: 30, max: 30}, queues: []},
      ],
    })
    const callId = await connectedCall(h, '+15550500004')
    await h.engine.control.consult(callId, {agent: 'b1'}, 'test')
    await h.waitFor('the consulted agent answering', async () => (await h!.events()).some((e) => e.type === 'call.consult_answered'))
    await h.engine.control.cancelConsult(callId, 'test')
    await h.waitFor('caller back with a1', async () => (await bridged(h!, callId)).length === 2)
    await h.waitFor('b1 free', () => h!.engine.snapshot().agents.find((a) => a.id === 'b1')!.state === 'idle')
    expect(h.engine.snapshot().calls[0]).toMatchObject({agent: 'a1', state: 'connected'})
    const ended = (await h.events()).find((e) => e.type === 'call.consult_ended')!
    expect(ended.data).toMatchObject({reason: 'canceled', to: {agent: 'b1'}})
  })

  it('blind-transfers a call to an external number through the trunk', async () => {
    h = await startTestEngine({queues: {q1: {wrapUp: 0}}, agents: [{id: 'a1', ring: 0, talk: {min: 30, max: 30}, queues: ['q1']}]})
    const callId = await connectedCall(h, '+15550500005')
    await h.engine.control.blindTransfer(callId, {number: '+8613911112222'}, 'test')
    await h.waitFor('caller bridged with the external party', async () => {
      const chans = await h!.rest.listChannels()
      const ext = chans.find((c) => c.name.startsWith('Local/+8613911112222@callctl-sim-callee') && c.name.endsWith(';1'))
      return ext && (await bridged(h!, callId)).includes(ext.id)
    })
    await h.engine.control.hangupCall(callId, 'test')
    const c = await h.ended('+15550500005')
    expect(c.outcome).toBe('transferred')
    expect((await h.events()).find((e) => e.type === 'call.transferred')!.data).toMatchObject({kind: 'blind', to: {number: '+8613911112222'}})
  })

  it('click-to-call rings the agent first, then the customer, and logs the call as outbound', async () => {
    h = await startTestEngine({queues: {q1: {}}, agents: [{id: 'a1', ring: 1, talk: {min: 4, max: 4}, queues: ['q1']}]})
    const {callId} = await h.engine.control.dial('+8613933334444', 'a1', 'test')
    const c = await h.ended('+8613933334444', 30_000)
    expect(c.callId).toBe(callId)
    expect(c.direction).toBe('outbound')
    expect(c.agent).toBe('a1')
    expect(c.talkMs!).toBeGreaterThanOrEqual(1500)
    const events = (await h.events()).filter((e) => e.callId === callId)
    const t = events.map((e) => e.type)
    expect(t[0]).toBe('call.started')
    expect(events[0]!.data).toMatchObject({direction: 'outbound', number: '+8613933334444'})
    expect(t.indexOf('agent.ringing')).toBeLessThan(t.indexOf('callback.attempt'))
    expect(t.indexOf('callback.attempt')).toBeLessThan(t.indexOf('call.connected'))
    expect(events.find((e) => e.type === 'call.connected')!.data).toMatchObject({outbound: true})
    expect(events.find((e) => e.type === 'call.completed')!.data).toMatchObject({outbound: true})
  })
})
