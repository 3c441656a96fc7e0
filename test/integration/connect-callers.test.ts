import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {originateSimCaller} from '../../src/engine/sim/simulator.js'
import {startTestEngine, type Harness} from '../support/harness.js'

// 20 callers, 5 agents on the real sandbox Asterisk. Even callers are patient
// (60 s), odd ones give up after 2 s: the first five are answered at once, and
// impatient callers who arrive while every agent is busy must show up as abandoned
// with a wait equal to their patience.
describe('callers are connected to agents or abandon (real Asterisk)', () => {
  let h: Harness
  const patience = (i: number) => (i % 2 === 0 ? 60 : 2)

  beforeAll(async () => {
    h = await startTestEngine({
      queues: {support: {wrapUp: 1, ringTimeout: 10}},
      agents: Array.from({length: 5}, (_, i) => ({id: `a${i + 1}`, ring: 1, talk: {min: 2, max: 4}, queues: ['support']})),
    })
    for (let i = 0; i < 20; i++) {
      await originateSimCaller(h.rest, {number: `+1555000${String(i).padStart(4, '0')}`, name: `Caller ${i}`, did: 'support', patience: patience(i), app: h.app})
      await new Promise((r) => setTimeout(r, 250))
    }
    await h.waitFor('all 20 calls to end', async () => {
      const calls = await h.calls()
      return calls.length === 20 && calls.every((c) => c.outcome !== 'live') && h.engine.liveCalls === 0
    }, 90_000)
  })

  afterAll(async () => {
    await h?.stop()
  })

  it('answers or counts as abandoned every caller, by patience', async () => {
    const calls = await h.calls()
    expect(calls).toHaveLength(20)
    const byNumber = new Map(calls.map((c) => [c.number, c]))
    let connected = 0
    let abandoned = 0
    for (let i = 0; i < 20; i++) {
      const c = byNumber.get(`+1555000${String(i).padStart(4, '0')}`)!
      expect(c, `caller ${i}`).toBeDefined()
      if (c.outcome === 'completed') {
        connected++
        expect(c.agent).toMatch(/^a[1-5]$/)
        expect(c.waitMs!).toBeLessThan(patience(i) * 1000 + 500)
        expect(c.talkMs!).toBeGreaterThanOrEqual(1500)
      } else {
        expect(c.outcome, `caller ${i}`).toBe('abandoned')
        abandoned++
        // The caller hung up because its patience ran out, not for another reason.
        expect(c.waitMs!).toBeGreaterThan(patience(i) * 1000 - 1000)
        expect(c.waitMs!).toBeLessThan(patience(i) * 1000 + 1500)
      }
    }
    expect(connected + abandoned).toBe(20)
    expect(connected).toBeGreaterThanOrEqual(10) // every patient caller is served
    expect(abandoned).toBeGreaterThan(0)
  })

  it('logs every call as entered → connected → completed, or entered → abandoned', async () => {
    for (const c of await h.calls()) {
      const trail = c.trail.filter((t) => !t.startsWith('agent.'))
      if (c.outcome === 'completed') expect(trail).toEqual(['call.started', 'queue.entered', 'call.connected', 'call.completed', 'call.ended'])
      else expect(trail).toEqual(['call.started', 'queue.entered', 'queue.abandoned', 'call.ended'])
      // Every ring that did not connect was closed (no agent left reserved).
      const rings = c.trail.filter((t) => t === 'agent.ringing').length
      const closed = c.trail.filter((t) => t === 'agent.ring_noanswer' || t === 'agent.ring_canceled').length
      expect(rings - closed).toBe(c.outcome === 'completed' ? 1 : 0)
    }
  })

  it('spreads calls over all agents and leaves them idle', async () => {
    const calls = await h.calls()
    const agents = new Set(calls.filter((c) => c.agent).map((c) => c.agent))
    expect(agents.size).toBe(5)
    await h.waitFor('agents idle after wrap-up', () => h.engine.snapshot().agents.every((a) => a.state === 'idle'), 10_000)
  })

  it('leaves no channel or bridge in Asterisk', async () => {
    // This lane's Asterisk is shared with the files before this one: a bridge of theirs is
    // printed with what it holds (so a leak elsewhere is seen in the log and can be traced),
    // while a channel, or a bridge of one of this file's 20 calls, fails the test.
    const own = new Set((await h.calls()).map((c) => c.callId))
    const look = async () => {
      const bridges = await h.rest.listBridges()
      return {
        channels: (await h.rest.listChannels()).map((c) => c.name),
        bridges: bridges.filter((b) => own.has(b.name)).map((b) => b.id),
        foreign: bridges.filter((b) => !own.has(b.name)).map((b) => `${b.id} name=${b.name} created=${b.creationtime ?? '?'} [${b.channels.join(',')}]`),
      }
    }
    let last = await look()
    await h.waitFor('Asterisk to be clean', async () => {
      last = await look()
      return last.channels.length === 0 && last.bridges.length === 0 && last.foreign.length === 0
    }, 10_000).catch(() => undefined)
    if (last.foreign.length > 0) console.warn(`bridges left by an earlier file in this lane: ${last.foreign.join('; ')}`)
    expect({channels: last.channels, bridges: last.bridges}).toEqual({channels: [], bridges: []})
    expect(own.size).toBe(20)
  })
})
