import {beforeEach, describe, expect, it} from 'vitest'
import {DEFAULT_QUEUE_SETTINGS, type QueueSettings} from '../../src/engine/model.js'
import {Acd} from '../../src/engine/routing/acd.js'
import {FakeClock} from '../support/fake-clock.js'

// Who is served first: priority, time joined (across queues), last-agent holds,
// deferred callbacks, and what leaving or reconfiguring does to rings.

describe('caller order and holds (Acd, fake clock)', () => {
  let clock: FakeClock
  let acd: Acd

  const settings = (o: Partial<QueueSettings> = {}): QueueSettings => ({...DEFAULT_QUEUE_SETTINGS, strategy: 'linear', wrapUp: 0, ...o})

  beforeEach(() => {
    clock = new FakeClock()
    acd = new Acd()
    acd.setQueue('sales', settings(), clock.now())
    acd.setQueue('support', settings(), clock.now())
  })

  function agent(id: string, queues: Record<string, number> = {sales: 0}, login = true): void {
    acd.setAgent({id, name: id, endpoint: `PJSIP/${id}`, queues, skills: {}}, clock.now())
    if (login) acd.setPresence(id, 'available', null, clock.now())
  }
  function call(callId: string, o: {queue?: string; priority?: number; joinedAt?: number; preferredAgent?: string | null; notBefore?: number; kind?: 'caller' | 'callback'} = {}) {
    return acd.enqueue({callId, queue: o.queue ?? 'sales', number: `n-${callId}`, ...o}, clock.now())
  }
  const offers = () => acd.dispatch(clock.now()).map((o) => `${o.callId}→${o.agentId}`)
  /** Answers and ends the agent's current call; with wrap-up 0 it is free at once. */
  function finish(agentId: string): void {
    const a = acd.agents.get(agentId)!
    if (a.activity === 'ringing') acd.answered(a.callId!, agentId, clock.now())
    acd.callEnded(agentId, 1000, clock.now())
  }
  /** Serves the line with one agent; returns the order callers were offered. */
  function drain(agentId: string): string[] {
    const order: string[] = []
    for (;;) {
      const o = acd.dispatch(clock.now())
      if (o.length === 0) return order
      expect(o).toHaveLength(1)
      expect(o[0]!.agentId).toBe(agentId)
      order.push(o[0]!.callId)
      finish(agentId)
    }
  }

  describe('priority and FIFO', () => {
    it('serves a VIP (higher priority) first, then FIFO within a priority', () => {
      call('c1')
      clock.advance(1000)
      call('c2')
      clock.advance(1000)
      call('vip', {priority: 5})
      clock.advance(1000)
      call('c3')
      call('vip2', {priority: 5})
      call('vip9', {priority: 9})
      agent('a1')
      expect(drain('a1')).toEqual(['vip9', 'vip', 'vip2', 'c1', 'c2', 'c3'])
    })

    it('callers who joined at the same moment keep their arrival order', () => {
      call('x')
      call('y')
      call('z')
      agent('a1')
      expect(drain('a1')).toEqual(['x', 'y', 'z'])
    })

    it('a caller enqueued with an earlier joinedAt (resumed place) goes ahead', () => {
      const t0 = clock.now()
      clock.advance(60_000)
      call('new')
      call('resumed', {joinedAt: t0})
      expect(acd.position('resumed')).toBe(1)
      expect(acd.position('new')).toBe(2)
      agent('a1')
      expect(drain('a1')).toEqual(['resumed', 'new'])
    })

    it('with many free agents, callers are still paired in order (the best caller picks first)', () => {
      // linear: a1 is everyone's first choice, so the first caller served gets a1
      agent('a1')
      agent('a2')
      agent('a3')
      call('c1')
      call('vip', {priority: 1})
      expect(offers()).toEqual(['vip→a1', 'c1→a2'])
    })

    it('setPriority moves a waiting caller up (and position follows)', () => {
      call('c1')
      clock.advance(1000)
      call('c2')
      clock.advance(1000)
      call('c3')
      expect(acd.position('c3')).toBe(3)
      acd.setPriority('c3', 2, clock.now())
      expect(acd.position('c3')).toBe(1)
      expect(acd.position('c1')).toBe(2)
      agent('a1')
      expect(drain('a1')).toEqual(['c3', 'c1', 'c2'])
    })

    it('setPriority can also lower a caller', () => {
      call('c1', {priority: 3})
      clock.advance(1000)
      call('c2', {priority: 3})
      acd.setPriority('c1', 0, clock.now())
      agent('a1')
      expect(drain('a1')).toEqual(['c2', 'c1'])
    })

    it('setPriority of an unknown call does nothing', () => {
      call('c1')
      acd.setPriority('nope', 9, clock.now())
      expect(acd.position('c1')).toBe(1)
      expect(acd.position('nope')).toBe(0)
    })
  })

  describe('cross-queue fairness', () => {
    it('an agent in two queues takes the caller who has waited longest across them', () => {
      agent('both', {sales: 0, support: 0}, false)
      call('sales-new', {queue: 'sales'})
      clock.advance(1000)
      call('support-old', {queue: 'support', joinedAt: clock.now() - 5000})
      clock.advance(1000)
      call('sales-newer', {queue: 'sales'})
      acd.setPresence('both', 'available', null, clock.now())
      expect(drain('both')).toEqual(['support-old', 'sales-new', 'sales-newer'])
    })

    it('priority comes first across queues too', () => {
      agent('both', {sales: 0, support: 0}, false)
      call('support-old', {queue: 'support'})
      clock.advance(5000)
      call('sales-vip', {queue: 'sales', priority: 1})
      acd.setPresence('both', 'available', null, clock.now())
      expect(drain('both')).toEqual(['sales-vip', 'support-old'])
    })

    it('with several free agents, the longest-waiting caller chooses first', () => {
      // linear in sales: "both" is first; if sales went first it would take "both" and
      // leave the support caller without an agent.
      agent('both', {sales: 0, support: 0})
      agent('s1', {sales: 0})
      agent('s2', {sales: 0})
      call('support-old', {queue: 'support'})
      clock.advance(1000)
      call('sales-new', {queue: 'sales'})
      expect(offers()).toEqual(['support-old→both', 'sales-new→s1'])
    })

    it('the same with fewer free agents than callers', () => {
      agent('both', {sales: 0, support: 0})
      call('support-old', {queue: 'support'})
      clock.advance(1000)
      call('sales-1', {queue: 'sales'})
      call('sales-2', {queue: 'sales'})
      expect(offers()).toEqual(['support-old→both'])
    })
  })

  describe('last-agent preference', () => {
    beforeEach(() => {
      acd.setQueue('sales', settings({lastAgentWait: 20}), clock.now())
    })

    it('holds the caller for its agent while it is busy, and offers it the moment it is free', () => {
      agent('pref')
      agent('other')
      acd.occupy('pref', 'earlier', 'on-call', clock.now())
      const t0 = clock.now()
      call('c1', {preferredAgent: 'pref'})
      expect(offers()).toEqual([])
      expect(acd.agentState(acd.agents.get('other')!)).toBe('idle')
      expect(acd.nextWakeAt()).toBe(t0 + 20_000)
      clock.advance(5000)
      acd.callEnded('pref', 5000, clock.now())
      expect(offers()).toEqual(['c1→pref'])
    })

    it('is offered to the preferred agent at once when it is free', () => {
      agent('other')
      agent('pref')
      call('c1', {preferredAgent: 'pref'})
      expect(offers()).toEqual(['c1→pref'])
    })

    it('routes normally once the wait expires', () => {
      agent('pref')
      agent('other')
      acd.occupy('pref', 'earlier', 'on-call', clock.now())
      const t0 = clock.now()
      call('c1', {preferredAgent: 'pref'})
      expect(offers()).toEqual([])
      expect(acd.nextWakeAt()).toBe(t0 + 20_000)
      clock.advance(19_999)
      expect(offers()).toEqual([])
      clock.advance(1)
      expect(offers()).toEqual(['c1→other'])
    })

    it('after the hold expired and another agent took the call, the preferred agent is not offered it when free', () => {
      agent('pref')
      agent('other')
      acd.occupy('pref', 'earlier', 'on-call', clock.now())
      call('c1', {preferredAgent: 'pref'})
      expect(offers()).toEqual([])
      clock.advance(20_000)
      expect(offers()).toEqual(['c1→other'])
      acd.answered('c1', 'other', clock.now())
      clock.advance(1000)
      acd.callEnded('pref', 1000, clock.now())
      expect(offers()).toEqual([])
      expect(acd.agentState(acd.agents.get('pref')!)).toBe('idle')
    })

    it('a held caller does not block others from the free agents', () => {
      agent('pref')
      agent('other')
      acd.occupy('pref', 'earlier', 'on-call', clock.now())
      call('held', {preferredAgent: 'pref'})
      clock.advance(1000)
      call('c2')
      expect(offers()).toEqual(['c2→other'])
    })

    it('the held caller goes to its agent before an older caller who is not held', () => {
      agent('pref')
      acd.occupy('pref', 'earlier', 'on-call', clock.now())
      call('old')
      clock.advance(1000)
      call('held', {preferredAgent: 'pref'})
      acd.callEnded('pref', 1000, clock.now())
      expect(offers()).toEqual(['held→pref'])
    })

    it('is not held for an agent who is offline, not in the queue, or when the queue waits 0 s', () => {
      agent('off', {sales: 0}, false)
      agent('elsewhere', {support: 0})
      agent('free')
      call('c1', {preferredAgent: 'off'})
      call('c2', {preferredAgent: 'elsewhere'})
      call('c3', {preferredAgent: 'nobody'})
      expect(acd.nextWakeAt()).toBeNull()
      expect(offers()).toEqual(['c1→free'])
      acd.setQueue('nowait', settings({lastAgentWait: 0}), clock.now())
      agent('busy', {nowait: 0})
      acd.occupy('busy', 'x', 'on-call', clock.now())
      agent('helper', {nowait: 0})
      call('n1', {queue: 'nowait', preferredAgent: 'busy'})
      expect(acd.nextWakeAt()).toBeNull()
      expect(offers()).toEqual(['n1→helper'])
    })

    it('a preferred agent who misses the ring is not rung again at once; another free agent gets the caller', () => {
      agent('pref')
      agent('other')
      call('c1', {preferredAgent: 'pref'})
      expect(offers()).toEqual(['c1→pref'])
      acd.ringEnded('c1', 'pref', 'no-answer', clock.now())
      expect(offers()).toEqual(['c1→other'])
    })
  })

  describe('missed rings', () => {
    it('an agent who missed the first caller is skipped for it, not for the caller behind', () => {
      agent('a1')
      call('c1')
      clock.advance(1000)
      call('c2')
      expect(offers()).toEqual(['c1→a1'])
      acd.ringEnded('c1', 'a1', 'no-answer', clock.now())
      expect(offers()).toEqual(['c2→a1'])
    })

    it('the same with more free agents than callers', () => {
      agent('a1')
      agent('a2', {support: 0})
      agent('a3', {support: 0})
      call('c1')
      clock.advance(1000)
      call('c2')
      expect(offers()).toEqual(['c1→a1'])
      acd.ringEnded('c1', 'a1', 'no-answer', clock.now())
      // now 2 callers and 3 free agents: the callers are walked in order
      expect(offers()).toEqual(['c2→a1'])
    })
  })

  describe('deferred callers (callback retry)', () => {
    it('deferCaller takes a caller out of routing until notBefore', () => {
      agent('a1', {sales: 0}, false)
      call('cb', {kind: 'callback'})
      const until = clock.now() + 60_000
      acd.deferCaller('cb', until, clock.now())
      acd.setPresence('a1', 'available', null, clock.now())
      expect(offers()).toEqual([])
      expect(acd.nextWakeAt()).toBe(until)
      clock.advance(59_999)
      expect(offers()).toEqual([])
      clock.advance(1)
      expect(acd.dispatch(clock.now())).toEqual([{callId: 'cb', queue: 'sales', agentId: 'a1', kind: 'callback'}])
    })

    it('enqueue with notBefore does the same, keeping the place in line', () => {
      agent('a1', {sales: 0}, false)
      const t0 = clock.now()
      call('cb', {kind: 'callback', notBefore: t0 + 30_000})
      clock.advance(1000)
      call('c2')
      expect(acd.position('cb')).toBe(1)
      acd.setPresence('a1', 'available', null, clock.now())
      expect(offers()).toEqual(['c2→a1'])
      finish('a1')
      expect(offers()).toEqual([])
      clock.advance(29_000)
      expect(offers()).toEqual(['cb→a1'])
    })

    it('a deferred caller does not stop others from being served', () => {
      agent('a1')
      call('cb', {kind: 'callback'})
      acd.deferCaller('cb', clock.now() + 10_000, clock.now())
      call('c2')
      expect(offers()).toEqual(['c2→a1'])
    })
  })

  describe('leaving and reconfiguring', () => {
    it('leave() during a ring returns the ringing agents and leaves them idle', () => {
      acd.setQueue('sales', settings({strategy: 'ring-all'}), clock.now())
      agent('a1')
      agent('a2')
      call('c1')
      expect(offers().sort()).toEqual(['c1→a1', 'c1→a2'])
      expect(acd.leave('c1', clock.now()).sort()).toEqual(['a1', 'a2'])
      for (const id of ['a1', 'a2']) {
        const a = acd.agents.get(id)!
        expect(acd.agentState(a)).toBe('idle')
        expect(a.callId).toBeNull()
        expect(a.missedRings).toBe(0)
      }
      expect(acd.waitingIn('sales')).toBe(0)
      expect(acd.leave('c1', clock.now())).toEqual([])
      call('c2')
      expect(offers().sort()).toEqual(['c2→a1', 'c2→a2'])
    })

    it('leave() of a waiting caller not ringing returns nothing and frees its place', () => {
      call('c1')
      call('c2')
      expect(acd.leave('c1', clock.now())).toEqual([])
      expect(acd.position('c2')).toBe(1)
      expect(acd.waitingIn('sales')).toBe(1)
    })

    it('removeQueue returns its waiting callers and forgets the queue; other queues are untouched', () => {
      agent('both', {sales: 0, support: 0}, false)
      call('s1')
      call('s2')
      call('t1', {queue: 'support'})
      const left = acd.removeQueue('sales', clock.now())
      expect(left.map((w) => w.callId).sort()).toEqual(['s1', 's2'])
      expect(acd.queues.has('sales')).toBe(false)
      expect(acd.queueView('sales')).toBeUndefined()
      expect(acd.waitingIn('sales')).toBe(0)
      expect(acd.waiting.has('s1')).toBe(false)
      expect([...acd.agents.get('both')!.queues.keys()]).toEqual(['support'])
      acd.setPresence('both', 'available', null, clock.now())
      expect(offers()).toEqual(['t1→both'])
      expect(() => call('s3')).toThrow(/unknown queue sales/)
    })

    it('removeQueue does not leave an agent reserved for a caller that was ringing in it', () => {
      agent('both', {sales: 0, support: 0})
      call('s1')
      expect(offers()).toEqual(['s1→both'])
      acd.removeQueue('sales', clock.now())
      call('t1', {queue: 'support'})
      expect(acd.agentState(acd.agents.get('both')!)).toBe('idle')
      expect(offers()).toEqual(['t1→both'])
    })

    it('an agent removed from a queue via setAgent no longer gets its callers', () => {
      agent('a1', {sales: 0, support: 0})
      acd.setAgent({id: 'a1', name: 'a1', endpoint: 'PJSIP/a1', queues: {support: 0}, skills: {}}, clock.now())
      call('s1')
      expect(offers()).toEqual([])
      expect(acd.loggedIn('sales')).toBe(0)
      expect(acd.queueView('sales')!.agents.loggedIn).toBe(0)
      call('t1', {queue: 'support'})
      expect(offers()).toEqual(['t1→a1'])
      // back in sales: it gets the sales caller again
      finish('a1')
      acd.setAgent({id: 'a1', name: 'a1', endpoint: 'PJSIP/a1', queues: {sales: 0, support: 0}, skills: {}}, clock.now())
      expect(offers()).toEqual(['s1→a1'])
    })

    it('an agent removed entirely gets nothing and the queue counts it no more', () => {
      agent('a1')
      acd.removeAgent('a1')
      call('c1')
      expect(offers()).toEqual([])
      expect(acd.loggedIn('sales')).toBe(0)
      expect(acd.agents.has('a1')).toBe(false)
    })

    it('a queue defined after its agents logged in routes to them', () => {
      agent('a1', {late: 0})
      acd.setQueue('late', settings(), clock.now())
      expect(acd.loggedIn('late')).toBe(1)
      call('c1', {queue: 'late'})
      expect(offers()).toEqual(['c1→a1'])
    })
  })
})
