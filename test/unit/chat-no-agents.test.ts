import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent, pauseAgent, unpauseAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {NO_AGENTS_WAIT_TEXT} from '../../src/engine/chat/wait-limits.js'
import {chatSettings, type RawChat} from '../../src/engine/config/chat-config.js'
import type {EventType, StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// onNoAgents for conversations already waiting (fake ARI, fake clock, in-memory store): the
// queue loses its last agent able to take chats by an admin change read from the store (out
// of the queue, a pause), and the conversations waiting there get the rule at once, each
// once, not when the next customer joins. Paused agents and agents without chat room are not
// agents able to take chats; an offer in flight ends first; an agent's conversations the
// engine puts back in line at its logout are treated as waiting customers.

describe('chat onNoAgents when the queue loses its last agent (fake ARI, fake clock)', () => {
  let ari: FakeAri
  let clock: FakeClock
  let store: SqliteStore
  let engine: Engine | undefined

  beforeEach(() => {
    ari = new FakeAri()
    clock = new FakeClock()
    store = new SqliteStore(':memory:')
    engine = undefined
  })

  afterEach(async () => {
    await engine?.stop()
    await store.close()
  })

  /** sales and support; a1 in sales, logged in, one chat at a time. */
  async function boot(chat: RawChat): Promise<Engine> {
    await addQueue(store, 'sales', {wrapUp: 0})
    await addQueue(store, 'support', {wrapUp: 0})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
    await loginAgent(store, 'a1')
    engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000, chat: {settings: chatSettings({queue: 'sales', autoAccept: true, agents: {a1: {web: 1, total: 1}}, ...chat}, null)}})
    await engine.start()
    engine.chat.register({kind: 'web', deliver: async () => undefined})
    await settle()
    return engine
  }
  const eng = () => engine!
  const conv = (id: string) => eng().chat.get(id)!
  const said = (id: string) => conv(id).lines.filter((l) => l.from === 'system').map((l) => l.text ?? '')

  /** The engine reads the admin changes written to the store now (its timer runs every syncIntervalMs). */
  async function sync(): Promise<void> {
    await eng()['syncAdminChanges']()
    await settle()
  }
  async function write(customer: string, text: string): Promise<string> {
    const r = await eng().chat.receive({channel: 'web', customer, text})
    await settle()
    return r.conversation
  }
  async function events(type: EventType): Promise<StoredEvent[]> {
    await eng().events.flush()
    const out: StoredEvent[] = []
    for await (const e of store.events({types: [type]})) out.push(e)
    return out
  }

  /** a1 takes v0 (its one chat); v1 and v2 wait in sales. */
  async function twoWaiting(): Promise<[string, string, string]> {
    const busy = await write('v0', 'first')
    expect(conv(busy)).toMatchObject({state: 'active', agent: 'a1'})
    const v1 = await write('v1', 'second')
    const v2 = await write('v2', 'third')
    expect([conv(v1).state, conv(v2).state]).toEqual(['queued', 'queued'])
    return [busy, v1, v2]
  }

  it('an admin takes the last agent out of the queue: the conversations waiting there are asked for a message at once, each once', async () => {
    await boot({onNoAgents: 'leaveMessage', leaveMessage: {ask: 'Leave us a message.', thanks: 'Thanks.'}})
    const [busy, v1, v2] = await twoWaiting()
    await addAgent(store, {id: 'a1', queues: ['support']}, {update: true})
    await sync()
    for (const id of [v1, v2]) {
      expect(conv(id)).toMatchObject({state: 'flow', awaitsMessage: 'no-agents'})
      expect(said(id).filter((t) => t === 'Leave us a message.')).toHaveLength(1)
    }
    expect(eng().chat.router.waiting.size).toBe(0)
    // The conversation a1 already has stays with it.
    expect(conv(busy)).toMatchObject({state: 'active', agent: 'a1'})
    // More changes, more dispatches: nothing is asked twice.
    eng().chat.close(busy, 'agent', 'a1', 'a1')
    await pauseAgent(store, 'a1', 'lunch')
    await sync()
    expect((await events('chat.message_asked')).map((e) => [e.callId, e.queue, e.data.reason])).toEqual([
      [v1, 'sales', 'no-agents'],
      [v2, 'sales', 'no-agents'],
    ])
  })

  it('the only agent pauses: the waiting conversation closes with the configured word; a customer joining while it is paused too', async () => {
    await boot({onNoAgents: {close: 'Nobody is here now, sorry.'}})
    const [, v1] = await twoWaiting()
    await pauseAgent(store, 'a1', 'lunch')
    await sync()
    expect(conv(v1)).toMatchObject({state: 'closed', closeReason: 'no-agents'})
    expect(conv(v1).lines.at(-1)).toMatchObject({kind: 'closed', text: 'Nobody is here now, sorry.'})
    const v3 = await write('v3', 'hello?')
    expect(conv(v3)).toMatchObject({state: 'closed', closeReason: 'no-agents'})
    await unpauseAgent(store, 'a1')
    await sync()
    const v4 = await write('v4', 'hello again')
    expect(conv(v4).state).toBe('queued')
  })

  it('the last agent removed from the queue sends the waiting conversations to the overflow queue, where an agent answers', async () => {
    await boot({onNoAgents: {overflow: 'support'}, agents: {a1: {web: 1, total: 1}, a2: {web: 2, total: 2}}})
    const [, v1, v2] = await twoWaiting()
    await addAgent(store, {id: 'a2', endpoint: 'PJSIP/a2', queues: ['support']})
    await loginAgent(store, 'a2')
    await addAgent(store, {id: 'a1', queues: ['support']}, {update: true})
    await sync()
    expect(conv(v1)).toMatchObject({state: 'active', agent: 'a2', queue: 'support'})
    expect(conv(v2)).toMatchObject({state: 'active', agent: 'a2', queue: 'support'})
    expect((await events('chat.overflowed')).map((e) => [e.callId, e.data.from, e.data.to, e.data.reason])).toEqual([
      [v1, 'sales', 'support', 'no-agents'],
      [v2, 'sales', 'support', 'no-agents'],
    ])
  })

  it('the last agent logs out with a conversation: back in line by the engine, it gets the queue\'s onNoAgents too (a person\'s transfer would not)', async () => {
    await boot({onNoAgents: 'leaveMessage', leaveMessage: {ask: 'Leave us a message.', thanks: 'Thanks.'}})
    const [busy, v1] = await twoWaiting()
    await eng().logoutNow('a1')
    await settle()
    for (const id of [busy, v1]) expect(conv(id)).toMatchObject({state: 'flow', awaitsMessage: 'no-agents'})
    const queued = (await events('chat.queued')).filter((e) => e.callId === busy)
    expect(queued.map((e) => e.data.reason)).toEqual(['flow', 'requeue'])
  })

  it('without an onNoAgents rule the waiting customer is told once that nobody can answer now, however often agents come and go', async () => {
    await boot({})
    const [, v1] = await twoWaiting()
    expect(said(v1)).not.toContain(NO_AGENTS_WAIT_TEXT)
    await pauseAgent(store, 'a1', 'lunch')
    await sync()
    expect(said(v1).filter((t) => t === NO_AGENTS_WAIT_TEXT)).toHaveLength(1)
    await unpauseAgent(store, 'a1')
    await sync()
    await pauseAgent(store, 'a1', 'meeting')
    await sync()
    expect(said(v1).filter((t) => t === NO_AGENTS_WAIT_TEXT)).toHaveLength(1)
    expect(conv(v1).state).toBe('queued')
    // A restarted engine remembers it was said (from the log): a1 still paused, nothing new.
    await eng().stop()
    engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000, chat: {settings: chatSettings({queue: 'sales', autoAccept: true, agents: {a1: {web: 1, total: 1}}}, null)}})
    await engine.start()
    await settle()
    expect(said(v1).filter((t) => t === NO_AGENTS_WAIT_TEXT)).toHaveLength(1)
    expect(conv(v1).state).toBe('queued')
  })

  it('an agent without chat room (limit 0) is no agent able to take chats; one offered the chat when it pauses keeps the offer until it runs out', async () => {
    await boot({onNoAgents: 'leaveMessage', autoAccept: false, acceptTimeout: '20s', agents: {a1: {web: 0, total: 0}}})
    const v1 = await write('v1', 'hello')
    expect(conv(v1)).toMatchObject({state: 'flow', awaitsMessage: 'no-agents'})
    await eng().stop()
    await store.close()
    store = new SqliteStore(':memory:')
    await boot({onNoAgents: 'leaveMessage', autoAccept: false, acceptTimeout: '20s'})
    const v2 = await write('v2', 'hello')
    expect(conv(v2)).toMatchObject({state: 'offered', offeredTo: 'a1'})
    await pauseAgent(store, 'a1', 'lunch')
    await sync()
    expect(conv(v2).state).toBe('offered')
    clock.advance(20_000)
    await settle()
    expect(conv(v2)).toMatchObject({state: 'flow', awaitsMessage: 'no-agents'})
  })
})
