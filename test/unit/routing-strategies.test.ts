import {beforeEach, describe, expect, it} from 'vitest'
import {DEFAULT_QUEUE_SETTINGS, STRATEGIES, type QueueSettings, type Strategy} from '../../src/engine/model.js'
import {Acd} from '../../src/engine/routing/acd.js'
import {FakeClock} from '../support/fake-clock.js'

// Each routing strategy through the Acd, with a fake clock and (where chance is
// involved) an injected random function.

const DAY = 86_400_000

/** mulberry32: a small seeded pseudo-random generator, for repeatable distributions. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('routing strategies (through the Acd, fake clock)', () => {
  let clock: FakeClock
  let acd: Acd
  let callSeq: number

  function setup(strategy: Strategy, o: {random?: () => number; settings?: Partial<QueueSettings>} = {}): void {
    clock = new FakeClock()
    acd = new Acd(o.random ? {random: o.random} : {})
    acd.setQueue('sales', {...DEFAULT_QUEUE_SETTINGS, strategy, wrapUp: 0, ...o.settings}, clock.now())
    callSeq = 0
  }

  /** Adds an agent to sales with the given penalty and logs it in now. */
  function agent(id: string, penalty = 0, o: {login?: boolean; queues?: Record<string, number>} = {}) {
    const a = acd.setAgent({id, name: id, endpoint: `PJSIP/${id}`, queues: o.queues ?? {sales: penalty}, skills: {}}, clock.now())
    if (o.login !== false) acd.setPresence(id, 'available', null, clock.now())
    return a
  }

  /** Enqueues one caller into sales and returns the agents offered to it. */
  function next(queue = 'sales'): {callId: string; agents: string[]} {
    const callId = `c${++callSeq}`
    acd.enqueue({callId, queue, number: `555${callSeq}`}, clock.now())
    const offers = acd.dispatch(clock.now())
    for (const o of offers) expect(o.callId).toBe(callId)
    return {callId, agents: offers.map((o) => o.agentId)}
  }

  /** Serves a caller to the end: answered by `agentId`, talk, then idle again (wrap-up 0). */
  function serve(callId: string, agentId: string, talkMs = 60_000): void {
    acd.answered(callId, agentId, clock.now())
    clock.advance(talkMs)
    acd.callEnded(agentId, talkMs, clock.now())
  }

  /** Rings one caller, answers with the chosen agent and completes the call. */
  function take(talkMs = 60_000): string {
    const {callId, agents} = next()
    expect(agents).toHaveLength(1)
    serve(callId, agents[0]!, talkMs)
    return agents[0]!
  }

  describe('ring-all', () => {
    beforeEach(() => setup('ring-all'))

    it('offers the caller to every free agent at once', () => {
      agent('a1')
      agent('a2')
      agent('a3')
      const {agents} = next()
      expect(agents.sort()).toEqual(['a1', 'a2', 'a3'])
      for (const id of ['a1', 'a2', 'a3']) expect(acd.agentState(acd.agents.get(id)!)).toBe('ringing')
      expect(acd.queueView('sales')!.waiting[0]!.ringing.sort()).toEqual(['a1', 'a2', 'a3'])
    })

    it('the first to answer wins; the others come back from answered() as canceled and are idle again', () => {
      agent('a1')
      agent('a2')
      agent('a3')
      const {callId} = next()
      clock.advance(4000)
      const {waitMs, others} = acd.answered(callId, 'a2', clock.now())
      expect(waitMs).toBe(4000)
      expect(others.sort()).toEqual(['a1', 'a3'])
      expect(acd.agentState(acd.agents.get('a2')!)).toBe('on-call')
      expect(acd.agentState(acd.agents.get('a1')!)).toBe('idle')
      expect(acd.agentState(acd.agents.get('a3')!)).toBe('idle')
      expect(acd.waiting.has(callId)).toBe(false)
      // The canceled agents are free for the next caller at once.
      expect(next().agents.sort()).toEqual(['a1', 'a3'])
    })

    it('skips busy, paused and offline agents', () => {
      agent('a1')
      agent('a2')
      agent('a3')
      agent('a4', 0, {login: false})
      acd.setPresence('a3', 'paused', 'lunch', clock.now())
      const first = next()
      acd.answered(first.callId, 'a1', clock.now())
      // a1 on a call, a3 paused, a4 offline: only a2 is left
      expect(next().agents).toEqual(['a2'])
    })

    it('rings only the best penalty tier', () => {
      agent('a1', 0)
      agent('a2', 1)
      agent('a3', 0)
      agent('a4', 2)
      expect(next().agents.sort()).toEqual(['a1', 'a3'])
      // with tier 0 busy the next caller rings tier 1 only
      expect(next().agents).toEqual(['a2'])
      expect(next().agents).toEqual(['a4'])
    })

    it('a missed ring of one agent leaves the caller ringing at the others', () => {
      agent('a1')
      agent('a2')
      const {callId} = next()
      acd.ringEnded(callId, 'a1', 'no-answer', clock.now())
      expect(acd.queueView('sales')!.waiting[0]!.ringing).toEqual(['a2'])
      // still ringing at a2: no new offer
      expect(acd.dispatch(clock.now())).toEqual([])
      const {others} = acd.answered(callId, 'a2', clock.now())
      expect(others).toEqual([])
    })
  })

  describe('round-robin with memory', () => {
    beforeEach(() => setup('round-robin'))

    it('continues after the last agent served and wraps around', () => {
      agent('a1')
      agent('a2')
      agent('a3')
      expect([take(), take(), take(), take(), take()]).toEqual(['a1', 'a2', 'a3', 'a1', 'a2'])
    })

    it('skips a busy agent and continues after the one actually served', () => {
      agent('a1')
      agent('a2')
      agent('a3')
      expect(take()).toBe('a1')
      // a2 takes a call and stays on it
      const held = next()
      expect(held.agents).toEqual(['a2'])
      acd.answered(held.callId, 'a2', clock.now())
      // next after a2 is a3, then wrap to a1 (a2 still busy), then a3 again
      expect(take()).toBe('a3')
      expect(take()).toBe('a1')
      expect(take()).toBe('a3')
    })

    it('follows membership order, not ids or login order', () => {
      agent('zed', 0, {login: false})
      agent('amy', 0, {login: false})
      agent('max', 0, {login: false})
      for (const id of ['max', 'amy', 'zed']) acd.setPresence(id, 'available', null, clock.now())
      expect([take(), take(), take(), take()]).toEqual(['zed', 'amy', 'max', 'zed'])
    })

    it('remembers per queue: another queue does not move the pointer', () => {
      acd.setQueue('support', {...DEFAULT_QUEUE_SETTINGS, strategy: 'round-robin', wrapUp: 0}, clock.now())
      agent('a1', 0, {queues: {sales: 0, support: 0}})
      agent('a2', 0, {queues: {sales: 0, support: 0}})
      expect(take()).toBe('a1')
      const s1 = next('support')
      expect(s1.agents).toEqual(['a1'])
      serve(s1.callId, 'a1')
      // sales continues after a1 regardless of support's own rotation
      expect(take()).toBe('a2')
    })
  })

  describe('linear', () => {
    beforeEach(() => setup('linear'))

    it('always offers the first free agent in membership order', () => {
      agent('zed')
      agent('amy')
      agent('max')
      expect(take()).toBe('zed')
      expect(take()).toBe('zed')
      const c = next()
      expect(c.agents).toEqual(['zed'])
      acd.answered(c.callId, 'zed', clock.now())
      expect(take()).toBe('amy')
      const d = next()
      expect(d.agents).toEqual(['amy'])
      acd.answered(d.callId, 'amy', clock.now())
      expect(take()).toBe('max')
    })

    it('an agent who leaves and rejoins the queue goes to the end of the order', () => {
      agent('a1')
      agent('a2')
      acd.setAgent({id: 'a1', name: 'a1', endpoint: 'PJSIP/a1', queues: {}, skills: {}}, clock.now())
      acd.setAgent({id: 'a1', name: 'a1', endpoint: 'PJSIP/a1', queues: {sales: 0}, skills: {}}, clock.now())
      expect(take()).toBe('a2')
    })
  })

  describe('longest-idle', () => {
    beforeEach(() => setup('longest-idle'))

    it('offers the agent free the longest, counting from login and from the end of each call', () => {
      agent('a1')
      clock.advance(1000)
      agent('a2')
      clock.advance(1000)
      agent('a3')
      expect(take(10_000)).toBe('a1') // a1 free since login t0, now free since t0+12s
      expect(take(10_000)).toBe('a2')
      expect(take(10_000)).toBe('a3')
      expect(take(10_000)).toBe('a1')
    })

    it('pausing does not reset the idle clock', () => {
      agent('a1')
      clock.advance(1000)
      agent('a2')
      acd.setPresence('a1', 'paused', 'break', clock.now())
      clock.advance(60_000)
      acd.setPresence('a1', 'available', null, clock.now())
      expect(next().agents).toEqual(['a1'])
    })

    it('ties go to membership order', () => {
      agent('b', 0, {login: false})
      agent('a', 0, {login: false})
      acd.setPresence('a', 'available', null, clock.now())
      acd.setPresence('b', 'available', null, clock.now())
      expect(next().agents).toEqual(['b'])
    })
  })

  describe('fewest-calls (today)', () => {
    beforeEach(() => setup('fewest-calls'))

    it('offers the agent with the fewest calls today', () => {
      agent('a1')
      agent('a2')
      agent('a3')
      const [a1, a2, a3] = ['a1', 'a2', 'a3'].map((id) => acd.agents.get(id)!)
      acd.countCall(a1!, 1000, clock.now())
      acd.countCall(a1!, 1000, clock.now())
      acd.countCall(a2!, 1000, clock.now())
      acd.countCall(a3!, 1000, clock.now())
      acd.countCall(a3!, 1000, clock.now())
      expect(next().agents).toEqual(['a2'])
    })

    it('spreads calls evenly as they are taken', () => {
      agent('a1')
      agent('a2')
      agent('a3')
      const served = [take(), take(), take(), take(), take(), take()]
      for (const id of ['a1', 'a2', 'a3']) expect(served.filter((s) => s === id)).toHaveLength(2)
      expect(acd.agents.get('a1')!.callsToday).toBe(2)
    })

    it('ties go to the agent idle longest', () => {
      agent('a1')
      clock.advance(1000)
      agent('a2')
      const a1 = acd.agents.get('a1')!
      const a2 = acd.agents.get('a2')!
      acd.countCall(a1, 1000, clock.now())
      acd.countCall(a2, 1000, clock.now())
      a1.idleSince = clock.now()
      a2.idleSince = clock.now() - 5000
      expect(next().agents).toEqual(['a2'])
    })

    it('countCall resets the counters of today on a new UTC day, keeping the totals', () => {
      agent('a1')
      const a1 = acd.agents.get('a1')!
      acd.countCall(a1, 30_000, clock.now())
      acd.countCall(a1, 20_000, clock.now())
      expect([a1.callsToday, a1.talkMsToday]).toEqual([2, 50_000])
      const midnight = clock.now() - (clock.now() % DAY) + DAY
      acd.countCall(a1, 10_000, midnight - 1)
      expect([a1.callsToday, a1.talkMsToday]).toEqual([3, 60_000])
      acd.countCall(a1, 5000, midnight)
      expect([a1.callsToday, a1.talkMsToday]).toEqual([1, 5000])
      expect([a1.callsTaken, a1.talkMs]).toEqual([4, 65_000])
    })

    it('after midnight the busiest agent of yesterday starts again from zero', () => {
      agent('a1')
      agent('a2')
      const [a1, a2] = [acd.agents.get('a1')!, acd.agents.get('a2')!]
      acd.countCall(a1, 1000, clock.now())
      acd.countCall(a1, 1000, clock.now())
      acd.countCall(a2, 1000, clock.now())
      expect(next().agents).toEqual(['a2'])
      acd.leave(`c${callSeq}`, clock.now())
      const midnight = clock.now() - (clock.now() % DAY) + DAY
      clock.advance(midnight - clock.now() + 60_000)
      // new day: a2 takes one call today; a1 has none today (its 2 were yesterday)
      acd.countCall(a2, 1000, clock.now())
      expect(a2.callsToday).toBe(1)
      expect(next().agents).toEqual(['a1'])
    })
  })

  describe('least-talk', () => {
    beforeEach(() => setup('least-talk'))

    it('offers the agent with the least talk time today', () => {
      agent('a1')
      agent('a2')
      agent('a3')
      // a1: one long call; a2: three short ones; a3: two medium ones
      acd.countCall(acd.agents.get('a1')!, 600_000, clock.now())
      for (let i = 0; i < 3; i++) acd.countCall(acd.agents.get('a2')!, 30_000, clock.now())
      for (let i = 0; i < 2; i++) acd.countCall(acd.agents.get('a3')!, 120_000, clock.now())
      expect(next().agents).toEqual(['a2'])
    })

    it('the talk of served calls counts: the next call goes to whoever talked less', () => {
      agent('a1')
      agent('a2')
      expect(take(300_000)).toBe('a1')
      expect(take(10_000)).toBe('a2')
      expect(take(10_000)).toBe('a2')
      expect(acd.agents.get('a2')!.talkMsToday).toBe(20_000)
      expect(acd.agents.get('a1')!.talkMsToday).toBe(300_000)
    })

    it('ties go to the agent idle longest', () => {
      agent('a1')
      agent('a2')
      acd.agents.get('a2')!.idleSince = clock.now() - 10_000
      expect(next().agents).toEqual(['a2'])
    })

    it('after midnight yesterday\'s talk no longer counts', () => {
      agent('a1')
      agent('a2')
      acd.countCall(acd.agents.get('a1')!, 900_000, clock.now())
      const midnight = clock.now() - (clock.now() % DAY) + DAY
      clock.advance(midnight - clock.now() + 60_000)
      acd.countCall(acd.agents.get('a2')!, 30_000, clock.now())
      // today: a1 has talked 0 ms, a2 30 s
      expect(next().agents).toEqual(['a1'])
    })
  })

  describe('random (injected random)', () => {
    it('picks the tier member the random number points at', () => {
      const values = [0, 0.5, 0.99]
      const picked: string[] = []
      for (const v of values) {
        setup('random', {random: () => v})
        agent('a1')
        agent('a2')
        agent('a3')
        picked.push(next().agents[0]!)
      }
      // candidates follow the order the agents became free
      expect(picked).toEqual(['a1', 'a2', 'a3'])
    })

    it('is deterministic for a given sequence and calls random once per decision', () => {
      let calls = 0
      const seq = [0.7, 0.1, 0.4]
      setup('random', {random: () => seq[calls++ % seq.length]!})
      agent('a1')
      agent('a2')
      agent('a3')
      const first = next()
      expect(calls).toBe(1)
      expect(first.agents).toHaveLength(1)
      expect(first.agents).toEqual(['a3'])
    })

    it('only picks from the best penalty tier', () => {
      setup('random', {random: () => 0.999})
      agent('a1', 0)
      agent('a2', 0)
      agent('a3', 1)
      agent('a4', 1)
      expect(next().agents).toEqual(['a2'])
    })

    it('never returns an agent outside the candidates, even for random() near 1', () => {
      setup('random', {random: () => 0.9999999999})
      agent('a1')
      expect(next().agents).toEqual(['a1'])
    })
  })

  describe('weighted-random by penalty', () => {
    it('penalty 0 is about twice as likely as penalty 1 over many draws', () => {
      setup('weighted-random', {random: seeded(12345)})
      agent('p0', 0)
      agent('p1', 1)
      const counts: Record<string, number> = {p0: 0, p1: 0}
      const N = 3000
      for (let i = 0; i < N; i++) {
        const {callId, agents} = next()
        expect(agents).toHaveLength(1)
        counts[agents[0]!]!++
        expect(acd.leave(callId, clock.now())).toEqual(agents)
      }
      expect(counts.p0! + counts.p1!).toBe(N)
      // expected 2/3 vs 1/3
      expect(counts.p0! / N).toBeGreaterThan(0.62)
      expect(counts.p0! / N).toBeLessThan(0.71)
      expect(counts.p0! / counts.p1!).toBeGreaterThan(1.7)
      expect(counts.p0! / counts.p1!).toBeLessThan(2.4)
    })

    it('weights 1 / (1 + penalty): three tiers 0, 1, 3 in about 4 : 2 : 1', () => {
      setup('weighted-random', {random: seeded(7)})
      agent('p0', 0)
      agent('p1', 1)
      agent('p3', 3)
      const counts: Record<string, number> = {p0: 0, p1: 0, p3: 0}
      const N = 7000
      for (let i = 0; i < N; i++) {
        const {callId, agents} = next()
        counts[agents[0]!]!++
        acd.leave(callId, clock.now())
      }
      // weights 1, 1/2, 1/4 → 4/7, 2/7, 1/7
      expect(counts.p0! / N).toBeCloseTo(4 / 7, 1)
      expect(counts.p1! / N).toBeCloseTo(2 / 7, 1)
      expect(counts.p3! / N).toBeCloseTo(1 / 7, 1)
    })

    it('maps the random number onto the weights deterministically', () => {
      // weights p0 = 1, p1 = 0.5 → total 1.5; r = random × 1.5
      for (const [v, want] of [
        [0, 'p0'],
        [0.66, 'p0'],
        [0.67, 'p1'],
        [0.999, 'p1'],
      ] as const) {
        setup('weighted-random', {random: () => v})
        agent('p0', 0)
        agent('p1', 1)
        expect(next().agents).toEqual([want])
      }
    })

    it('does not keep to the best tier: a higher penalty agent is offered while a lower one is free', () => {
      setup('weighted-random', {random: () => 0.99})
      agent('p0', 0)
      agent('p1', 1)
      expect(next().agents).toEqual(['p1'])
      expect(acd.agentState(acd.agents.get('p0')!)).toBe('idle')
    })
  })

  describe('penalty tiers', () => {
    const oneAgent = STRATEGIES.filter((s) => s !== 'ring-all' && s !== 'weighted-random')

    it.each(oneAgent)('%s: a free agent of a lower penalty tier always wins over higher tiers', (strategy) => {
      setup(strategy, {random: () => 0.999})
      // The tier-1 agent would win every tie-break: joined first, idle longest, no calls, no talk.
      agent('high', 1)
      clock.advance(60_000)
      agent('low', 0)
      for (let i = 0; i < 3; i++) acd.countCall(acd.agents.get('low')!, 120_000, clock.now())
      expect(next().agents).toEqual(['low'])
    })

    it.each(oneAgent)('%s: the higher tier is used when the lower tier is busy', (strategy) => {
      setup(strategy)
      agent('high', 1)
      agent('low', 0)
      const first = next()
      expect(first.agents).toEqual(['low'])
      acd.answered(first.callId, 'low', clock.now())
      expect(next().agents).toEqual(['high'])
    })

    it('ring-all: a lower tier always wins', () => {
      setup('ring-all')
      agent('h1', 1)
      agent('h2', 1)
      agent('low', 0)
      expect(next().agents).toEqual(['low'])
    })

    it('the same agent can be in different tiers of different queues', () => {
      setup('linear')
      acd.setQueue('support', {...DEFAULT_QUEUE_SETTINGS, strategy: 'linear', wrapUp: 0}, clock.now())
      agent('x', 0, {queues: {sales: 0, support: 1}})
      agent('y', 0, {queues: {sales: 1, support: 0}})
      expect(next('sales').agents).toEqual(['x'])
      expect(next('support').agents).toEqual(['y'])
    })
  })
})
