import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {narrowed} from '../../src/engine/api/access-policy.js'
import type {EngineSnapshot} from '../../src/engine/api/contract.js'
import {engineHandlers} from '../../src/engine/api/handlers.js'
import type {Connection} from '../../src/engine/api/server.js'
import {addAgent, addQueue, loginAgent, pauseAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import type {Principal} from '../../src/engine/users/roles.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {DeskFeed, type DeskState} from '../../src/ui/desk/desk-feed.js'
import {connectFirstCaller, FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'
import {fakeFeedEngine} from '../support/fake-feed.js'
import {until} from '../support/wait.js'

// An agent's desk polls the snapshot every second. The engine builds an agent's snapshot
// from that agent's part alone (engine.agentSnapshot) instead of the whole center's cut
// down by the access policy; these tests hold it to the same result, state by state of a
// small center, and hold the desk to showing the same things from it.

const AGENTS = ['a1', 'a2', 'a3', 'nobody'] as const
const agentUser = (agent: string): Principal => ({user: `desk-${agent}`, role: 'agent', agent})

describe("an agent's own snapshot (engine.agentSnapshot)", () => {
  let ari: FakeAri
  let clock: FakeClock
  let store: SqliteStore
  let engine: Engine

  beforeEach(async () => {
    ari = new FakeAri()
    store = new SqliteStore(':memory:')
    await addQueue(store, 'sales', {ringTimeout: 15, wrapUp: 30, dispositions: ['sold:Sold:1']})
    await addQueue(store, 'support', {ringTimeout: 15, wrapUp: 0})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
    await addAgent(store, {id: 'a2', endpoint: 'PJSIP/a2', queues: ['sales', 'support']})
    await addAgent(store, {id: 'a3', endpoint: 'PJSIP/a3', queues: ['support']})
    for (const a of ['a1', 'a2', 'a3']) await loginAgent(store, a)
    clock = new FakeClock(Date.now())
    engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000})
    await engine.start()
  })

  afterEach(async () => {
    await engine.stop()
    await store.close()
  })

  /** For every agent (and one the engine does not know): what the policy lets it see of each is the same. */
  function expectSameForEveryAgent(): void {
    const whole = engine.snapshot()
    for (const a of AGENTS) expect(narrowed('snapshot', engine.agentSnapshot(a), agentUser(a)), `agent ${a}`).toEqual(narrowed('snapshot', whole, agentUser(a)))
  }

  it('is what the access policy leaves an agent of the whole snapshot, through rings, calls, a queue, a pause and wrap-up', async () => {
    expectSameForEveryAgent()
    const first = await connectFirstCaller(ari, 'ch1', '+15550000001', 'sales')
    clock.advance(90_000) // on the call a while: today's talk counts it to now
    expectSameForEveryAgent()
    // The second sales caller rings the other sales agent; the third waits, its number not for everyone.
    ari.callerArrives('ch2', '+15550000002', 'sales', 'Zoë')
    await settle()
    ari.callerArrives('ch3', '+15550000003', 'sales')
    await settle()
    const snap = engine.snapshot()
    expect(snap.calls.some((c) => c.ringing.length > 0)).toBe(true)
    expect(snap.queues.find((q) => q.name === 'sales')!.waiting.length).toBeGreaterThan(0)
    expectSameForEveryAgent()
    // A pause made elsewhere (the CLI) reaches the engine by its admin sync.
    await pauseAgent(store, 'a3', 'lunch')
    await engine.applyAdminEvent({type: 'agent.paused', agent: 'a3', queue: null, data: {reason: 'lunch'}, ts: clock.now()})
    clock.advance(250) // the chat loads agents' snapshots share (see the last test)
    expectSameForEveryAgent()
    // The first caller hangs up: its agent is in wrap-up, its call gone from the list.
    ari.hangsUp('ch1')
    await settle()
    expect(engine.snapshot().agents.some((a) => a.state === 'wrap-up')).toBe(true)
    expect(engine.snapshot().calls.some((c) => c.id === first)).toBe(false)
    clock.advance(5_000)
    expectSameForEveryAgent()
  })

  it('is what the API answers an agent; a supervisor still gets the whole center', async () => {
    await connectFirstCaller(ari, 'ch1', '+15550000001', 'sales')
    const handlers = engineHandlers(engine, {app: 'callctl', version: 'test'})
    const ask = async (who: Principal) => narrowed('snapshot', (await handlers.snapshot!({}, {} as Connection, who)) as EngineSnapshot, who)
    const onCall = engine.snapshot().calls[0]!.agent!
    const mine = await ask(agentUser(onCall))
    expect(mine).toEqual(narrowed('snapshot', engine.snapshot(), agentUser(onCall)))
    expect(mine.agents.map((a) => a.id)).toEqual([onCall])
    expect(mine.calls.map((c) => c.agent)).toEqual([onCall])
    expect(Object.keys(mine.stats.agents)).toEqual([onCall])
    expect(mine.supervisions).toBeUndefined()
    // Other agents' chat loads are theirs, as their states are.
    expect(Object.keys(mine.chats!.agents)).toEqual([onCall])
    const other = await ask(agentUser('a3'))
    expect(other.calls).toEqual([])
    const whole = await ask({user: 'sup', role: 'supervisor', agent: null})
    expect(whole.agents.map((a) => a.id)).toEqual(['a1', 'a2', 'a3'])
    expect(Object.keys(whole.chats!.agents).sort()).toEqual(['a1', 'a2', 'a3'])
    expect(whole.supervisions).toEqual([])
  })

  it("leaves the desk showing the same things: its agent, its call and pop, its queues' dispositions", async () => {
    // The desk as it was (the whole snapshot narrowed) beside the desk as it is (the API's snapshot), on the same engine and clock.
    const handlers = engineHandlers(engine, {app: 'callctl', version: 'test'})
    const desk = (agent: string, snapshot: () => Promise<EngineSnapshot>) => {
      const fake = fakeFeedEngine((method, params: {call?: string}) => {
        if (method === 'snapshot') return snapshot()
        if (method === 'call.get') return engine.snapshot().calls.find((c) => c.id === params.call)
        if (method === 'contact.history') return {contact: null, interactions: []}
        return undefined
      })
      const feed = new DeskFeed(fake.connect, agent, {now: () => clock.now(), pollMs: 60_000})
      feed.start()
      return {feed, emit: fake.emit}
    }
    const shown = (s: DeskState) => ({status: s.feed.status, me: s.me, call: s.call, pop: s.pop, skewMs: s.skewMs, dispositions: s.feed.snapshot?.queues.map((q) => q.settings.dispositions), snapshot: s.feed.snapshot})
    ari.callerArrives('ch1', '+15550000001', 'sales', 'Zoë')
    await settle()
    const rung = engine.snapshot().calls[0]!.ringing[0]!
    const before = desk(rung, async () => narrowed('snapshot', engine.snapshot(), agentUser(rung)))
    const after = desk(rung, async () => narrowed('snapshot', (await handlers.snapshot!({}, {} as Connection, agentUser(rung))) as EngineSnapshot, agentUser(rung)))
    try {
      await settle()
      const callId = engine.snapshot().calls[0]!.id
      for (const d of [before, after]) d.emit({type: 'agent.ringing', ts: clock.now(), callId, agent: rung, queue: 'sales'})
      await settle()
      expect(after.feed.getState().me?.state).toBe('ringing')
      expect(after.feed.getState().call?.id).toBe(callId)
      expect(after.feed.getState().pop?.call?.caller.name).toBe('Zoë')
      expect(shown(after.feed.getState())).toEqual(shown(before.feed.getState()))
      expect(after.feed.getState().feed.snapshot?.queues.find((q) => q.name === 'sales')?.settings.dispositions).toEqual([{code: 'sold', label: 'Sold', key: '1'}])
      // Answered: both desks poll again and show the call connected.
      const ring = ari.originated()[0]!
      ari.agentAnswers(ring.channelId!, callId)
      await settle()
      for (const d of [before, after]) d.feed.engine.refresh()
      for (const d of [before, after]) await until('the desk to show the call answered', () => d.feed.getState().me?.state === 'on-call', 5000)
      expect(shown(after.feed.getState())).toEqual(shown(before.feed.getState()))
    } finally {
      before.feed.stop()
      after.feed.stop()
    }
  })

  it("shares the center's chat view between agents' snapshots until an event or 250 ms", async () => {
    const chatsOf = (a: string) => Object.keys(engine.agentSnapshot(a).chats!.agents)
    expect(chatsOf('a3')).toEqual(['a3'])
    // Logged out at once (the API's logout): no event of the engine's yet, so the shared view stands...
    await engine.logoutNow('a3')
    expect(Object.keys(engine.snapshot().chats!.agents)).not.toContain('a3')
    expect(chatsOf('a3')).toEqual(['a3'])
    // ...for 250 ms at most,
    clock.advance(250)
    expect(chatsOf('a3')).toEqual([])
    // and no longer than the next event.
    await engine.logoutNow('a2')
    engine.events.append({type: 'agent.logout', agent: 'a2', data: {}})
    expect(chatsOf('a2')).toEqual([])
  })
})
