import {afterEach, describe, expect, it} from 'vitest'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {finish, startTestEngine, type Harness} from '../support/harness.js'

// Leaving the line without an agent, coming back to it, and being called back, on the
// real sandbox Asterisk.

let h: Harness | undefined

afterEach(async () => {
  await finish(h)
  h = undefined
})

const ofCall = (events: StoredEvent[], callId: string) => events.filter((e) => e.callId === callId)

describe('overflow, resume and callback on the real sandbox', () => {
  it('overflows to another queue on maximum wait, keeping the caller in line', async () => {
    h = await startTestEngine({
      queues: {
        front: {maxWait: 2, overflow: {action: 'queue', queue: 'back'}},
        back: {wrapUp: 0},
      },
      agents: [{id: 'b1', ring: 0, talk: {min: 1, max: 1}, queues: ['back']}],
    })
    await h.call({number: '+15550200001', did: 'front', patience: 30})
    const c = await h.ended('+15550200001')
    expect(c.outcome).toBe('completed')
    expect(c.agent).toBe('b1')
    const events = ofCall(await h.events(), c.callId)
    const exited = events.find((e) => e.type === 'queue.exited')!
    expect(exited).toMatchObject({queue: 'front', data: {reason: 'timeout', action: 'queue', to: 'back'}})
    expect(Number(exited.data.waitMs)).toBeGreaterThanOrEqual(1900)
    const entered = events.filter((e) => e.type === 'queue.entered')
    expect(entered.map((e) => e.queue)).toEqual(['front', 'back'])
    expect(entered[1]!.data).toMatchObject({overflowFrom: 'front'})
    expect(c.trail).toEqual(['call.started', 'queue.entered', 'queue.exited', 'queue.entered', 'agent.ringing', 'call.connected', 'call.completed', 'call.ended'])
  })

  it('plays a message and hangs up when a full queue turns a caller away', async () => {
    h = await startTestEngine({
      queues: {q: {maxCallers: 1, overflow: {action: 'message', prompt: 'vm-nobodyavail'}}},
      agents: [],
    })
    await h.call({number: '+15550200002', did: 'q', patience: 20})
    await h.waitFor('the first caller waiting', () => h!.engine.snapshot().queues[0]!.waiting.length === 1)
    await h.call({number: '+15550200003', did: 'q', patience: 20})
    const refused = await h.ended('+15550200003')
    expect(refused.outcome).toBe('exit-full')
    const exited = (await h.events()).find((e) => e.type === 'queue.exited' && e.callId === refused.callId)!
    expect(exited.data).toMatchObject({reason: 'full', action: 'message'})
    // The message really played before the hangup: the call lasted about its length.
    expect(refused.endedAt! - refused.startedAt).toBeGreaterThan(1000)
  })

  it('gives a caller who hung up and called straight back its old place', async () => {
    h = await startTestEngine({
      queues: {q: {wrapUp: 0, resumeWindow: 60}},
      agents: [{id: 'a1', ring: 0, talk: {min: 4, max: 4}, queues: ['q']}],
    })
    await h.call({number: '+15550200010', did: 'q', patience: 60}) // keeps the agent busy
    await h.waitFor('the agent busy', () => h!.engine.snapshot().agents[0]!.state === 'on-call')
    await h.call({number: '+15550200011', did: 'q', patience: 1}) // hangs up after a second
    await h.ended('+15550200011')
    await h.call({number: '+15550200012', did: 'q', patience: 60})
    await new Promise((r) => setTimeout(r, 300))
    await h.call({number: '+15550200011', did: 'q', patience: 60}) // calls back
    await h.waitFor('both waiting callers served', async () => (await h!.calls()).filter((c) => c.outcome === 'completed').length === 3, 40_000)
    const calls = await h.calls()
    const served = calls.filter((c) => c.connectedAt).sort((a, b) => a.connectedAt! - b.connectedAt!).map((c) => c.number)
    expect(served).toEqual(['+15550200010', '+15550200011', '+15550200012'])
    const resumed = (await h.events()).filter((e) => e.type === 'queue.entered' && e.data.resumed)
    expect(resumed).toHaveLength(1)
  })

  it('calls back a caller who asked for it, in its original place: agent first, then the customer', async () => {
    h = await startTestEngine({
      queues: {q: {wrapUp: 0, callbackKey: '*', callbackRetryDelay: 5}},
      agents: [{id: 'a1', ring: 0, talk: {min: 6, max: 6}, queues: ['q']}],
    })
    await h.call({number: '+15550200020', did: 'q', patience: 60}) // keeps the agent busy
    await h.waitFor('the agent busy', () => h!.engine.snapshot().agents[0]!.state === 'on-call')
    // Presses * after a second, hears its number read back, presses 1 to confirm.
    await h.call({number: '+15550200021', did: 'q', patience: 60, dtmf: 'w*wwww1'})
    await new Promise((r) => setTimeout(r, 300))
    await h.call({number: '+15550200022', did: 'q', patience: 60})
    const requested = await h.waitFor('the callback request', async () => (await h!.events()).find((e) => e.type === 'callback.requested'), 20_000)
    expect(requested.data).toMatchObject({number: '+15550200021'})
    await h.waitFor('all three served', async () => (await h!.calls()).filter((c) => c.outcome === 'completed').length === 3, 60_000)
    const calls = await h.calls()
    const served = calls.filter((c) => c.connectedAt).sort((a, b) => a.connectedAt! - b.connectedAt!).map((c) => c.number)
    expect(served).toEqual(['+15550200020', '+15550200021', '+15550200022'])
    const cb = calls.find((c) => c.number === '+15550200021')!
    const events = ofCall(await h.events(), cb.callId)
    const types = events.map((e) => e.type)
    // The caller left the line by key and hung up; later the agent was rung before the customer was dialled.
    expect(types.indexOf('callback.requested')).toBeLessThan(types.indexOf('agent.ringing'))
    expect(types.indexOf('agent.ringing')).toBeLessThan(types.indexOf('callback.attempt'))
    expect(types.indexOf('callback.attempt')).toBeLessThan(types.indexOf('call.connected'))
    expect(events.find((e) => e.type === 'call.connected')!.data).toMatchObject({callback: true, attempt: 1, number: '+15550200021'})
    expect(events.find((e) => e.type === 'queue.exited')!.data).toMatchObject({reason: 'key', action: 'callback'})
    expect(Number(events.find((e) => e.type === 'call.completed')!.data.talkMs)).toBeGreaterThanOrEqual(3000)
  })

  it('retries a callback the customer does not answer, with back-off, then gives up', async () => {
    h = await startTestEngine({
      queues: {q: {wrapUp: 0, maxWait: 1, overflow: {action: 'callback'}, callbackAttempts: 2, callbackRetryDelay: 5}},
      // The agent stays on the line while the customer's phone rings.
      agents: [{id: 'a1', ring: 0, talk: {min: 30, max: 30}, queues: ['q'], loggedIn: false}],
      engine: {customerRingTimeout: 4},
    })
    // 999… numbers never answer in the sandbox's callee context.
    await h.call({number: '+9995550300', did: 'q', patience: 30})
    await h.waitFor('the callback', async () => (await h!.events()).some((e) => e.type === 'callback.requested'), 10_000)
    const {loginAgent} = await import('../../src/engine/admin/admin.js')
    await loginAgent(h.store, 'a1')
    const c = await h.ended('+9995550300', 120_000)
    expect(c.outcome).toBe('callback-failed')
    const events = ofCall(await h.events(), c.callId)
    expect(events.filter((e) => e.type === 'callback.attempt').map((e) => e.data.attempt)).toEqual([1, 2])
    expect(events.filter((e) => e.type === 'callback.attempt_failed')).toHaveLength(2)
    const retry = events.find((e) => e.type === 'callback.retry_scheduled')!
    expect(retry.data).toMatchObject({attempt: 1, inMs: 5000})
    const attempts = events.filter((e) => e.type === 'callback.attempt')
    expect(attempts[1]!.ts - events.find((e) => e.type === 'callback.attempt_failed')!.ts).toBeGreaterThanOrEqual(4900)
    expect(h.engine.snapshot().agents[0]!.state).toBe('idle') // no wrap-up for an unanswered callback
  }, 150_000)
})
