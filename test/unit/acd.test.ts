import {beforeEach, describe, expect, it} from 'vitest'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import {Acd} from '../../src/engine/routing/acd.js'
import {FakeClock} from '../support/fake-clock.js'

describe('ACD state transitions (fake clock)', () => {
  let acd: Acd
  let clock: FakeClock
  const agent = (id: string, queues: Record<string, number> = {sales: 0}) => acd.setAgent({id, name: id, endpoint: `Local/${id}@x`, queues, skills: {}}, clock.now())

  beforeEach(() => {
    clock = new FakeClock()
    acd = new Acd()
    acd.setQueue('sales', {...DEFAULT_QUEUE_SETTINGS, wrapUp: 10}, clock.now())
    acd.setQueue('support', {...DEFAULT_QUEUE_SETTINGS, wrapUp: 0}, clock.now())
  })

  it('a new agent is offline and gets no call until logged in', () => {
    agent('a1')
    acd.enqueue({callId: 'c1', queue: 'sales', number: '1'}, clock.now())
    expect(acd.agentView(acd.agents.get('a1')!).state).toBe('offline')
    expect(acd.dispatch(clock.now())).toEqual([])
    acd.setPresence('a1', 'available', null, clock.now())
    expect(acd.dispatch(clock.now())).toEqual([{callId: 'c1', queue: 'sales', agentId: 'a1', kind: 'caller'}])
    expect(acd.agentView(acd.agents.get('a1')!).state).toBe('ringing')
  })

  it('offers the agent idle longest first', () => {
    agent('a1')
    agent('a2')
    acd.setPresence('a2', 'available', null, clock.now())
    clock.advance(5000)
    acd.setPresence('a1', 'available', null, clock.now())
    acd.enqueue({callId: 'c1', queue: 'sales', number: '1'}, clock.now())
    expect(acd.dispatch(clock.now())[0]!.agentId).toBe('a2')
  })

  it('a ring timeout frees the agent and the next ring goes to another agent', () => {
    agent('a1')
    agent('a2')
    acd.setPresence('a1', 'available', null, clock.now())
    clock.advance(1000)
    acd.setPresence('a2', 'available', null, clock.now())
    acd.enqueue({callId: 'c1', queue: 'sales', number: '1'}, clock.now())
    expect(acd.dispatch(clock.now())[0]!.agentId).toBe('a1')
    clock.advance(15_000)
    acd.ringEnded('c1', 'a1', 'no-answer', clock.now())
    const a1 = acd.agents.get('a1')!
    expect(acd.agentState(a1)).toBe('idle')
    expect(a1.missedRings).toBe(1)
    // a1 is still the longest idle, but it already missed this caller.
    expect(acd.dispatch(clock.now())).toEqual([{callId: 'c1', queue: 'sales', agentId: 'a2', kind: 'caller'}])
  })

  it('rings an agent who missed the caller again only after the retry pause, and says when to look again', () => {
    agent('a1')
    acd.setPresence('a1', 'available', null, clock.now())
    acd.enqueue({callId: 'c1', queue: 'sales', number: '1'}, clock.now())
    acd.dispatch(clock.now())
    acd.ringEnded('c1', 'a1', 'no-answer', clock.now())
    expect(acd.dispatch(clock.now())).toEqual([])
    expect(acd.nextWakeAt()).toBe(clock.now() + 5000)
    clock.advance(5000)
    expect(acd.dispatch(clock.now())).toEqual([{callId: 'c1', queue: 'sales', agentId: 'a1', kind: 'caller'}])
  })

  it('answer → on-call → wrap-up for the queue\'s seconds → idle', () => {
    agent('a1')
    acd.setPresence('a1', 'available', null, clock.now())
    acd.enqueue({callId: 'c1', queue: 'sales', number: '1'}, clock.now())
    acd.dispatch(clock.now())
    clock.advance(3000)
    const {waitMs} = acd.answered('c1', 'a1', clock.now())
    expect(waitMs).toBe(3000)
    expect(acd.waiting.size).toBe(0)
    const a1 = acd.agents.get('a1')!
    expect(acd.agentState(a1)).toBe('on-call')
    clock.advance(60_000)
    expect(acd.callEnded('a1', 60_000, clock.now())).toBe(10)
    expect(acd.agentState(a1)).toBe('wrap-up')
    expect(a1.callsTaken).toBe(1)
    expect(a1.talkMs).toBe(60_000)
    // In wrap-up the agent is not offered calls.
    acd.enqueue({callId: 'c2', queue: 'sales', number: '2'}, clock.now())
    expect(acd.dispatch(clock.now())).toEqual([])
    clock.advance(10_000)
    expect(acd.endWrapUp('a1', clock.now())).toBe(true)
    expect(acd.dispatch(clock.now())).toEqual([{callId: 'c2', queue: 'sales', agentId: 'a1', kind: 'caller'}])
  })

  it('a queue without wrap-up returns the agent to idle at once', () => {
    agent('a1', {support: 0})
    acd.setPresence('a1', 'available', null, clock.now())
    acd.enqueue({callId: 'c1', queue: 'support', number: '1'}, clock.now())
    acd.dispatch(clock.now())
    acd.answered('c1', 'a1', clock.now())
    expect(acd.callEnded('a1', 1000, clock.now())).toBe(0)
    expect(acd.agentState(acd.agents.get('a1')!)).toBe('idle')
  })

  it('a caller hanging up during the ring leaves the agent idle, not reserved', () => {
    agent('a1')
    acd.setPresence('a1', 'available', null, clock.now())
    acd.enqueue({callId: 'c1', queue: 'sales', number: '1'}, clock.now())
    acd.dispatch(clock.now())
    expect(acd.leave('c1', clock.now())).toEqual(['a1'])
    const a1 = acd.agents.get('a1')!
    expect(acd.agentState(a1)).toBe('idle')
    expect(a1.callId).toBeNull()
    // The late "ring canceled" report changes nothing and counts no missed ring.
    acd.ringEnded('c1', 'a1', 'canceled', clock.now())
    expect(a1.missedRings).toBe(0)
    acd.enqueue({callId: 'c2', queue: 'sales', number: '2'}, clock.now())
    expect(acd.dispatch(clock.now())).toEqual([{callId: 'c2', queue: 'sales', agentId: 'a1', kind: 'caller'}])
  })

  it('paused agents get no calls; unpausing makes them available again', () => {
    agent('a1')
    acd.setPresence('a1', 'available', null, clock.now())
    acd.setPresence('a1', 'paused', 'lunch', clock.now())
    const a1 = acd.agents.get('a1')!
    expect(acd.agentView(a1)).toMatchObject({state: 'paused', pauseReason: 'lunch'})
    acd.enqueue({callId: 'c1', queue: 'sales', number: '1'}, clock.now())
    expect(acd.dispatch(clock.now())).toEqual([])
    acd.setPresence('a1', 'available', null, clock.now())
    expect(acd.dispatch(clock.now())).toHaveLength(1)
  })

  it('logging out during a call takes effect after it: no wrap-up offers, offline', () => {
    agent('a1')
    acd.setPresence('a1', 'available', null, clock.now())
    acd.enqueue({callId: 'c1', queue: 'sales', number: '1'}, clock.now())
    acd.dispatch(clock.now())
    acd.answered('c1', 'a1', clock.now())
    acd.setPresence('a1', 'offline', null, clock.now())
    const a1 = acd.agents.get('a1')!
    expect(acd.agentState(a1)).toBe('on-call')
    acd.callEnded('a1', 1000, clock.now())
    acd.endWrapUp('a1', clock.now())
    expect(acd.agentState(a1)).toBe('offline')
    acd.enqueue({callId: 'c2', queue: 'sales', number: '2'}, clock.now())
    expect(acd.dispatch(clock.now())).toEqual([])
  })

  it('an agent takes one call at a time even in several queues', () => {
    agent('a1', {sales: 0, support: 0})
    acd.setPresence('a1', 'available', null, clock.now())
    acd.enqueue({callId: 'c1', queue: 'sales', number: '1'}, clock.now())
    acd.enqueue({callId: 'c2', queue: 'support', number: '2'}, clock.now())
    expect(acd.dispatch(clock.now())).toHaveLength(1)
    expect(acd.dispatch(clock.now())).toHaveLength(0)
  })

  it('positions count priority first, then time joined', () => {
    acd.enqueue({callId: 'c1', queue: 'sales', number: '1'}, clock.now())
    clock.advance(1000)
    acd.enqueue({callId: 'c2', queue: 'sales', number: '2'}, clock.now())
    acd.enqueue({callId: 'vip', queue: 'sales', number: '3', priority: 5}, clock.now())
    acd.enqueue({callId: 'other', queue: 'support', number: '4'}, clock.now())
    expect([acd.position('vip'), acd.position('c1'), acd.position('c2'), acd.position('other')]).toEqual([1, 2, 3, 1])
    expect(acd.queueView('sales')!.waiting.map((w) => w.callId)).toEqual(['vip', 'c1', 'c2'])
  })

  it('rejects an answer for a ring that is not live', () => {
    agent('a1')
    acd.setPresence('a1', 'available', null, clock.now())
    acd.enqueue({callId: 'c1', queue: 'sales', number: '1'}, clock.now())
    expect(() => acd.answered('c1', 'a1', clock.now())).toThrow(/not live/)
  })
})
