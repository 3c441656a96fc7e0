import {afterEach, describe, expect, it} from 'vitest'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {finish, leftovers, startTestEngine, type Harness} from '../support/harness.js'

// Routing on the real sandbox Asterisk: simulated agents are Local channels that ring,
// answer and talk for real; every expectation is read back from the event log.

const NEVER = 999
let h: Harness | undefined

afterEach(async () => {
  await finish(h)
  h = undefined
})

const byType = (events: StoredEvent[], type: string) => events.filter((e) => e.type === type)

describe('routing on the real sandbox', () => {
  it('a ring timeout moves the caller to the next agent', async () => {
    h = await startTestEngine({
      queues: {q: {ringTimeout: 2, autoPauseAfter: 0, wrapUp: 0}},
      agents: [
        {id: 'deaf', ring: NEVER, talk: {min: 2, max: 2}, queues: ['q']},
        {id: 'ok', ring: 1, talk: {min: 2, max: 2}, queues: ['q']},
      ],
    })
    h.engine.acd.agents.get('deaf')!.idleSince -= 60_000 // longest idle: rung first
    await h.call({number: '+15550100001', did: 'q', patience: 30})
    const c = await h.ended('+15550100001')
    expect(c.agent).toBe('ok')
    expect(c.trail.filter((t) => t.startsWith('agent.ring'))).toEqual(['agent.ringing', 'agent.ring_noanswer', 'agent.ringing'])
    const noAnswer = byType(await h.events(), 'agent.ring_noanswer')[0]!
    expect(noAnswer).toMatchObject({agent: 'deaf', data: {reason: 'timeout'}})
    expect(Number(noAnswer.data.ringMs)).toBeGreaterThanOrEqual(1900)
    expect(Number(noAnswer.data.ringMs)).toBeLessThan(3000)
  })

  it('pauses an agent automatically after missed rings in a row', async () => {
    h = await startTestEngine({
      queues: {q: {ringTimeout: 2, autoPauseAfter: 2, wrapUp: 0}},
      agents: [{id: 'deaf', ring: NEVER, talk: {min: 1, max: 1}, queues: ['q']}],
    })
    await h.call({number: '+15550100002', did: 'q', patience: 15})
    // Rung at 0 s, again after the 5 s retry pause: two misses in a row.
    const paused = await h.waitFor('the automatic pause', async () => byType(await h!.events(), 'agent.paused')[0], 20_000)
    expect(paused).toMatchObject({agent: 'deaf', data: {reason: 'no-answer', auto: true, missedRings: 2}})
    expect((await h.store.listPresence()).find((p) => p.agent === 'deaf')).toMatchObject({status: 'paused', reason: 'no-answer'})
    expect(h.engine.snapshot().agents[0]).toMatchObject({state: 'paused', pauseReason: 'no-answer'})
    await h.ended('+15550100002')
    expect(byType(await h.events(), 'agent.ringing')).toHaveLength(2) // not rung once paused
  })

  it('holds an agent back for its wrap-up time', async () => {
    h = await startTestEngine({
      queues: {q: {wrapUp: 4}},
      agents: [{id: 'a1', ring: 0, talk: {min: 2, max: 2}, queues: ['q']}],
    })
    await h.call({number: '+15550100003', did: 'q', patience: 60})
    await new Promise((r) => setTimeout(r, 300))
    await h.call({number: '+15550100004', did: 'q', patience: 60})
    await h.ended('+15550100003')
    const second = await h.ended('+15550100004', 30_000)
    // From the wrap-up's start (the first call's agent part done, logged a millisecond or so
    // before its call.ended) to the next caller connected to the same agent.
    const wrapUp = byType(await h.events(), 'agent.wrapup_started')[0]!
    const gap = second.connectedAt! - wrapUp.ts
    expect(gap).toBeGreaterThanOrEqual(4000)
    expect(gap).toBeLessThan(5500)
    expect(byType(await h.events(), 'agent.wrapup_ended')[0]).toMatchObject({agent: 'a1', data: {how: 'timer'}})
  })

  it('serves a VIP caller before normal callers who came earlier', async () => {
    h = await startTestEngine({
      queues: {q: {wrapUp: 0}},
      agents: [{id: 'a1', ring: 0, talk: {min: 3, max: 3}, queues: ['q']}],
    })
    await h.call({number: '+15550100010', did: 'q', patience: 60}) // occupies the agent
    await h.waitFor('the agent busy', () => h!.engine.snapshot().agents[0]!.state === 'on-call')
    for (const n of ['+15550100011', '+15550100012']) {
      await h.call({number: n, did: 'q', patience: 60})
      await new Promise((r) => setTimeout(r, 200))
    }
    await h.call({number: '+15550100019', did: 'q', patience: 60, priority: 10})
    await h.ended('+15550100012', 40_000)
    const calls = await h.calls()
    const order = calls.filter((c) => c.connectedAt).sort((a, b) => a.connectedAt! - b.connectedAt!).map((c) => c.number)
    expect(order).toEqual(['+15550100010', '+15550100019', '+15550100011', '+15550100012'])
    expect(byType(await h.events(), 'queue.entered').find((e) => e.data.priority === 10)).toBeDefined()
  })

  it('offers a returning caller to the agent who served it last', async () => {
    h = await startTestEngine({
      queues: {q: {wrapUp: 0, lastAgentWindow: 600, lastAgentWait: 10}},
      agents: [
        {id: 'a1', ring: 0, talk: {min: 1, max: 1}, queues: ['q']},
        {id: 'a2', ring: 0, talk: {min: 1, max: 1}, queues: ['q']},
      ],
    })
    h.engine.acd.agents.get('a2')!.idleSince -= 60_000
    await h.call({number: '+15550100020', did: 'q', patience: 30})
    const first = await h.ended('+15550100020')
    expect(first.agent).toBe('a2')
    // Now a1 has been idle longest, so plain longest-idle would pick it.
    await h.call({number: '+15550100020', did: 'q', patience: 30})
    const again = await h.waitFor('the second call to end', async () => {
      const cs = (await h!.calls()).filter((c) => c.number === '+15550100020')
      return cs.length === 2 && cs[1]!.outcome !== 'live' ? cs[1] : undefined
    })
    expect(again.agent).toBe('a2')
    expect(byType(await h.events(), 'queue.entered').at(-1)!.data).toMatchObject({lastAgent: 'a2'})
  })

  it('an agent in two queues takes the caller who has waited longest across them', async () => {
    h = await startTestEngine({
      queues: {a: {wrapUp: 0}, b: {wrapUp: 0}},
      agents: [{id: 'both', ring: 0, talk: {min: 3, max: 3}, queues: ['a', 'b']}],
    })
    await h.call({number: '+15550100030', did: 'a', patience: 60})
    await h.waitFor('the agent busy', () => h!.engine.snapshot().agents[0]!.state === 'on-call')
    await h.call({number: '+15550100031', did: 'b', patience: 60})
    await new Promise((r) => setTimeout(r, 500))
    await h.call({number: '+15550100032', did: 'a', patience: 60})
    await h.ended('+15550100032', 40_000)
    const order = (await h.calls()).filter((c) => c.connectedAt).sort((x, y) => x.connectedAt! - y.connectedAt!).map((c) => `${c.queue}:${c.number.slice(-2)}`)
    expect(order).toEqual(['a:30', 'b:31', 'a:32'])
  })

  it('a caller hanging up during the ring leaves the agent idle, not reserved', async () => {
    h = await startTestEngine({
      queues: {q: {ringTimeout: 30, wrapUp: 0}},
      agents: [{id: 'slow', ring: NEVER, talk: {min: 1, max: 1}, queues: ['q']}],
    })
    await h.call({number: '+15550100040', did: 'q', patience: 2})
    const c = await h.ended('+15550100040')
    expect(c.outcome).toBe('abandoned')
    expect(c.trail).toContain('agent.ring_canceled')
    expect(h.engine.snapshot().agents[0]).toMatchObject({id: 'slow', state: 'idle', callId: null})
    // The agent's phone stops ringing too.
    await h.waitFor('no channels left', async () => (await leftovers(h!.rest)).channels.length === 0, 5000)
  })
})
