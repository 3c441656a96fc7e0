import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent, removeQueue} from '../../src/engine/admin/admin.js'
import type {OriginateParams} from '../../src/engine/ari/port.js'
import {Engine} from '../../src/engine/calls/engine.js'
import type {OutboundMessage} from '../../src/engine/chat/channel.js'
import {chatSettings, type RawChat} from '../../src/engine/config/chat-config.js'
import {transcriptFromLog} from '../../src/engine/chat/transcript-log.js'
import type {EventType, StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// Chats routed by the engine itself (fake ARI, fake clock, in-memory store): a chat and a
// call to the same agent under both capacity rules, per-channel limits, re-route when an
// offer is not accepted, auto-accept, transfer, auto-close after silence with the rating,
// and a restart that keeps the conversations.

describe('chat routing and the one capacity model (fake ARI, fake clock)', () => {
  let ari: FakeAri
  let clock: FakeClock
  let store: SqliteStore
  let engine: Engine | undefined
  let delivered: {customer: string; m: OutboundMessage}[]

  beforeEach(() => {
    ari = new FakeAri()
    clock = new FakeClock()
    store = new SqliteStore(':memory:')
    engine = undefined
    delivered = []
  })

  afterEach(async () => {
    await engine?.stop()
    await store.close()
  })

  async function boot(chat: RawChat, agents: string[] = ['a1'], o: {seed?: boolean} = {}): Promise<Engine> {
    if (o.seed !== false) {
      await addQueue(store, 'sales', {wrapUp: 0})
      for (const a of agents) {
        await addAgent(store, {id: a, endpoint: `PJSIP/${a}`, queues: ['sales']})
        await loginAgent(store, a)
      }
    }
    engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000, chat: {settings: chatSettings({queue: 'sales', ...chat}, null)}})
    await engine.start()
    engine.chat.register({kind: 'web', deliver: async (customer, m) => void delivered.push({customer, m})})
    engine.chat.register({kind: 'wechat', deliver: async (customer, m) => void delivered.push({customer, m})})
    await settle()
    return engine
  }
  const eng = () => engine!

  async function write(customer: string, text: string, channel: 'web' | 'wechat' = 'web'): Promise<string> {
    const r = await eng().chat.receive({channel, customer, text})
    await settle()
    return r.conversation
  }
  const conv = (id: string) => eng().chat.get(id)!
  const rings = (): OriginateParams[] => ari.originated().filter((o) => o.appArgs?.startsWith('agent,'))
  const agentState = (id: string) => eng().acd.agentView(eng().acd.agents.get(id)!).state
  async function advance(ms: number): Promise<void> {
    clock.advance(ms)
    await settle()
  }
  async function events(type?: EventType): Promise<StoredEvent[]> {
    await eng().events.flush()
    const out: StoredEvent[] = []
    for await (const e of store.events({})) if (!type || e.type === type) out.push(e)
    return out
  }
  async function callArrives(ch: string): Promise<void> {
    ari.callerArrives(ch, '5551000', 'sales')
    await settle()
  }
  async function answerLastRing(): Promise<{agentChannel: string}> {
    const ring = rings().at(-1)!
    ari.agentAnswers(ring.channelId!, ring.appArgs!.split(',')[1]!)
    await settle()
    return {agentChannel: ring.channelId!}
  }

  describe('call-blocks-chats', () => {
    it('an agent ringing or on a call is offered no chat until the call ends; its chats never keep a call from it', async () => {
      await boot({capacity: {mode: 'call-blocks-chats'}, autoAccept: true, limits: {web: 2, total: 2}})
      await callArrives('c1')
      expect(rings()).toHaveLength(1)
      expect(agentState('a1')).toBe('ringing')
      const id = await write('v1', 'hello')
      expect(conv(id).state).toBe('queued')
      await answerLastRing()
      expect(agentState('a1')).toBe('on-call')
      await advance(1000)
      expect(conv(id).state).toBe('queued')
      ari.hangsUp('c1')
      await settle()
      await advance(0)
      expect(conv(id).state).toBe('active')
      expect(conv(id).agent).toBe('a1')

      // At its chat limit, the agent is still rung for a call under this rule.
      expect(agentState('a1')).toBe('idle')
      await write('v2', 'me too')
      expect(eng().chat.router.load('a1').web).toBe(2)
      await callArrives('c2')
      expect(rings()).toHaveLength(2)
      expect(agentState('a1')).toBe('ringing')
    })
  })

  describe('call-counts-as', () => {
    it('a call takes N slots: an agent at its limit with chats is not rung, and one on a call takes only the chats left beside it', async () => {
      await boot({capacity: {mode: 'call-counts-as', slots: 2}, autoAccept: true, limits: {web: 3, total: 3}})
      const first = await write('v1', 'one')
      const second = await write('v2', 'two')
      expect([conv(first).state, conv(second).state]).toEqual(['active', 'active'])
      // 2 chats + a call of 2 slots > 3: the agent is not rung.
      await callArrives('c1')
      expect(rings()).toHaveLength(0)
      expect(eng().acd.agentView(eng().acd.agents.get('a1')!).why).toMatch(/chat limit/)
      // A chat ends: 1 + 2 <= 3, the waiting caller rings the agent.
      eng().chat.close(first, 'agent', 'a1', 'a1')
      await settle()
      expect(rings()).toHaveLength(1)
      await answerLastRing()
      // On the call with one chat: 2 + 1 = 3 slots used; a new chat waits.
      const third = await write('v3', 'three')
      expect(conv(third).state).toBe('queued')
      eng().chat.close(second, 'agent', 'a1', 'a1')
      await settle()
      // Call (2) + 0 chats: one chat fits beside the call.
      expect(conv(third).state).toBe('active')
    })

    it('with no chats an agent is always rung, however many slots a call weighs', async () => {
      await boot({capacity: {mode: 'call-counts-as', slots: 5}, limits: {web: 3, total: 3}})
      await callArrives('c1')
      expect(rings()).toHaveLength(1)
    })
  })

  it('per-channel limits: a second web chat goes to another agent, a wechat chat fits beside', async () => {
    await boot({autoAccept: true, limits: {web: 1, wechat: 1, total: 4}}, ['a1', 'a2'])
    const w1 = await write('v1', 'hi')
    const w2 = await write('v2', 'hi')
    expect(new Set([conv(w1).agent, conv(w2).agent])).toEqual(new Set(['a1', 'a2']))
    const w3 = await write('v3', 'hi')
    expect(conv(w3).state).toBe('queued')
    const x1 = await write('o1', 'hi', 'wechat')
    expect(conv(x1).state).toBe('active')
  })

  it('an offer not accepted in time goes to another agent, keeping its place; the first agent is skipped for it', async () => {
    await boot({acceptTimeout: '20s'}, ['a1', 'a2'])
    const id = await write('v1', 'anyone?')
    const first = conv(id).offeredTo!
    expect(conv(id).state).toBe('offered')
    const joinedAt = conv(id).joinedAt
    await advance(20_000)
    const second = conv(id).offeredTo
    expect(second).not.toBeNull()
    expect(second).not.toBe(first)
    expect(conv(id).joinedAt).toBe(joinedAt)
    expect((await events('chat.offer_expired')).map((e) => e.agent)).toEqual([first])
    expect(eng().chat.accept(id, second!).state).toBe('active')
    expect(() => eng().chat.accept(id, first)).toThrow(/not offered/)
    // Suggestions name commands, not API methods (misuse report 21: "List conversations with chat.list.").
    const suggestion = (fn: () => unknown) => {
      try {
        fn()
      } catch (err) {
        return (err as {suggestion?: string}).suggestion
      }
    }
    expect(suggestion(() => eng().chat.accept(id, first))).toBe('See the conversations: callctl chat list.')
    expect(suggestion(() => eng().chat.send(id, first, {text: 'x'}))).toBe('Accept it first (a at the desk), or see the conversations: callctl chat list.')
    expect(suggestion(() => eng().chat.send('chat-nope', first, {text: 'x'}))).toBe('See the conversations: callctl chat list.')
  })

  it('tells waiting customers their place in line, and again when it moves', async () => {
    await boot({positionEvery: '10s'}, [])
    const a = await write('v1', 'first')
    const b = await write('v2', 'second')
    const said = (c: string) => conv(c).lines.filter((l) => l.from === 'system').map((l) => l.text)
    const nobody = 'No agent is available at the moment; you keep your place and will be answered as soon as one is.'
    expect(said(b)).toEqual(['You are number 2 in line.', nobody])
    eng().chat.close(a, 'customer', 'v1', null)
    await advance(10_000)
    expect(said(b)).toEqual(['You are number 2 in line.', nobody, 'You are next in line: an agent will be with you shortly.'])
  })

  it('closes after the customer is silent, says why, asks for a rating and records it', async () => {
    await boot({autoAccept: true, silence: {closeAfter: '5m', message: 'Closed for silence.'}})
    const id = await write('v1', 'hello')
    eng().chat.send(id, 'a1', {text: 'How can I help?'})
    await advance(4 * 60_000)
    expect(conv(id).state).toBe('active')
    // The customer writing restarts the wait, and while it is the agent's turn nothing closes.
    await write('v1', 'my order')
    await advance(10 * 60_000)
    expect(conv(id).state).toBe('active')
    eng().chat.send(id, 'a1', {text: 'Let me look'})
    await advance(5 * 60_000)
    expect(conv(id).state).toBe('closed')
    expect(conv(id).closeReason).toBe('silence')
    const last = delivered.slice(-2).map((d) => d.m)
    expect(last.map((m) => m.kind)).toEqual(['closed', 'rating-request'])
    expect(last[0]!.text).toBe('Closed for silence.')
    expect(last[1]!.buttons?.map((b) => b.key)).toEqual(['1', '2', '3', '4', '5'])
    // The slot is free again.
    expect(eng().chat.router.load('a1').web).toBe(0)
    await eng().chat.receive({channel: 'web', customer: 'v1', event: 'button', payload: '4'})
    expect(conv(id).rating).toBe(4)
    expect((await events('chat.rated'))[0]).toMatchObject({callId: id, agent: 'a1', data: {score: 4}})
    // Anything after that starts a new conversation.
    expect(await write('v1', 'one more thing')).not.toBe(id)
  })

  it('transfers to a queue and to an agent with the transcript; the new agent reads every line', async () => {
    await boot({autoAccept: false}, ['a1', 'a2'])
    await addQueue(store, 'vip', {})
    await eng().applyAdminEvent({type: 'queue.added', queue: 'vip', agent: null, data: {}, ts: clock.now()})
    const id = await write('v1', 'I need help')
    const first = conv(id).offeredTo!
    const other = first === 'a1' ? 'a2' : 'a1'
    eng().chat.accept(id, first)
    eng().chat.send(id, first, {text: 'Hi, let me pass you on'})
    expect(() => eng().chat.transfer(id, {agent: other}, first, other)).toThrow(/not an active conversation/)
    eng().chat.transfer(id, {agent: other}, first, first)
    await settle()
    expect(conv(id)).toMatchObject({state: 'offered', offeredTo: other, agent: null})
    expect(eng().chat.router.load(first).web).toBe(0)
    eng().chat.accept(id, other)
    const t = eng().chat.transcript(id)
    expect(t.lines.map((l) => `${l.from}:${l.text}`)).toContain(`agent:Hi, let me pass you on`)
    expect(t.lines.map((l) => `${l.from}:${l.text}`)).toContain('customer:I need help')
    // To a queue nobody serves: back in line there.
    eng().chat.transfer(id, {queue: 'vip'}, other, other)
    expect(conv(id)).toMatchObject({state: 'queued', queue: 'vip'})
    const moves = (await events('chat.transferred')).map((e) => e.data.to)
    expect(moves).toEqual([{agent: other}, {queue: 'vip'}])
  })

  it('a supervisor note reaches the agent but not the customer', async () => {
    await boot({autoAccept: true})
    const id = await write('v1', 'hello')
    const before = delivered.length
    expect(eng().chat.note(id, 'offer the discount', 'sue')).toEqual({conversation: id, agent: 'a1'})
    expect(delivered.length).toBe(before)
    expect(eng().chat.transcript(id).notes).toMatchObject([{text: 'offer the discount', by: 'sue', agent: 'a1'}])
  })

  it('a restarted engine keeps its conversations: waiting, offered and active, with their slots and history', async () => {
    await boot({acceptTimeout: '30s', limits: {web: 1, total: 1}}, ['a1'])
    const active = await write('v1', 'one')
    eng().chat.accept(active, 'a1')
    eng().chat.send(active, 'a1', {text: 'hello v1'})
    const waiting = await write('v2', 'two')
    expect(conv(waiting).state).toBe('queued')
    const history = await eng().chat.history('web', 'v1')
    await eng().stop()
    engine = undefined
    await boot({acceptTimeout: '30s', limits: {web: 1, total: 1}}, ['a1'], {seed: false})
    expect(conv(active)).toMatchObject({state: 'active', agent: 'a1'})
    expect(conv(waiting)).toMatchObject({state: 'queued'})
    expect(await eng().chat.history('web', 'v1')).toEqual(history)
    expect(eng().chat.router.load('a1').web).toBe(1)
    // The next message continues the same conversation, numbered after the last.
    const r = await eng().chat.receive({channel: 'web', customer: 'v1', text: 'still there?'})
    expect(r).toEqual({conversation: active, seq: history.at(-1)!.seq + 1})
    eng().chat.close(active, 'agent', 'a1', 'a1')
    await settle()
    expect(conv(waiting).state).toBe('offered')
  })

  it('a retried delivery is stored once', async () => {
    await boot({autoAccept: true})
    const a = await eng().chat.receive({channel: 'web', customer: 'v1', text: 'hi', channelMessageId: 'm1'})
    const b = await eng().chat.receive({channel: 'web', customer: 'v1', text: 'hi', channelMessageId: 'm1'})
    expect(b).toEqual(a)
    expect(conv(a.conversation).lines.filter((l) => l.from === 'customer')).toHaveLength(1)
  })

  it('an agent logging out: its offers and its active conversations go back to the line, to the next agent', async () => {
    await boot({autoAccept: false, limits: {web: 2, total: 2}}, ['a1'])
    const active = await write('v1', 'one')
    eng().chat.accept(active, 'a1')
    const offered = await write('v2', 'two')
    expect(conv(offered)).toMatchObject({state: 'offered', offeredTo: 'a1'})
    await eng().logoutNow('a1')
    await settle()
    expect(conv(active)).toMatchObject({state: 'queued', agent: null, queue: 'sales'})
    expect(conv(offered)).toMatchObject({state: 'queued', offeredTo: null})
    expect(eng().chat.router.load('a1').web).toBe(0)
    expect(conv(active).lines.map((l) => l.text)).toContain('You are being transferred; the next person sees this conversation so far.')
  })

  it('typing both ways: the agent\'s reaches the customer, the customer\'s the agent, and none is stored', async () => {
    await boot({autoAccept: true})
    const id = await write('v1', 'hello')
    const lines = conv(id).lines.length
    eng().chat.typing(id, 'a1')
    await settle()
    expect(delivered.at(-1)!.m).toMatchObject({kind: 'typing', from: 'agent', conversation: id, seq: conv(id).seq})
    expect(conv(id).lines).toHaveLength(lines)
    expect(() => eng().chat.typing(id, 'a2')).toThrow(/not an active conversation/)
    // The customer typing reaches the agent's subscription live, and nothing is stored.
    const seen: string[] = []
    const off = eng().events.subscribe((e) => void (e.type === 'chat.typing' && seen.push(`${e.callId} ${e.agent}`)))
    await eng().chat.receive({channel: 'web', customer: 'v1', event: 'typing'})
    off()
    expect(seen).toEqual([`${id} a1`])
    expect(await events('chat.typing')).toEqual([])
  })

  it('exports a transcript from the log alone, the same as the engine holds it', async () => {
    await boot({autoAccept: true})
    const id = await write('v1', 'hello')
    eng().chat.send(id, 'a1', {text: 'Hi, how can I help?'})
    eng().chat.note(id, 'be nice', 'sue')
    eng().chat.close(id, 'agent', 'a1', 'a1')
    await eng().events.flush()
    const live = eng().chat.transcript(id)
    const t = await transcriptFromLog(store, id)
    expect(t.lines).toEqual(live.lines)
    expect(t.notes).toEqual(live.notes)
    expect(t.conversation).toMatchObject({id, channel: 'web', customer: 'v1', state: 'closed', closeReason: 'agent', agents: ['a1']})
    await expect(transcriptFromLog(store, 'chat-none')).rejects.toThrow(/No conversation/)
  })

  it('a queue removed: its waiting chats go to the chat queue', async () => {
    await boot({autoAccept: false, limits: {web: 1, total: 1}}, ['a1'])
    await addQueue(store, 'vip', {})
    await eng().applyAdminEvent({type: 'queue.added', queue: 'vip', agent: null, data: {}, ts: clock.now()})
    const busy = await write('v1', 'first')
    eng().chat.accept(busy, 'a1')
    const id = await write('v2', 'second')
    eng().chat.transfer(id, {queue: 'vip'}, 'sue', null)
    expect(conv(id)).toMatchObject({state: 'queued', queue: 'vip'})
    await removeQueue(store, 'vip')
    await eng().applyAdminEvent({type: 'queue.removed', queue: 'vip', agent: null, data: {}, ts: clock.now()})
    await settle()
    expect(conv(id)).toMatchObject({state: 'queued', queue: 'sales'})
    eng().chat.close(busy, 'agent', 'a1', 'a1')
    await settle()
    expect(conv(id)).toMatchObject({state: 'offered', offeredTo: 'a1'})
  })
})
