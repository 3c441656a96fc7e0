import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {Conversation} from '../../src/engine/chat/conversation.js'
import type {ChatFlow} from '../../src/engine/chat/flows/chat-flow.js'
import {chatSettings} from '../../src/engine/config/chat-config.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// What a supervisor reads of a conversation (its stage, and the chat view's counts): the
// state 'flow' is three things, the bot working on the customer's line, the bot waiting for
// the customer's answer, the customer asked to leave a message; none of them is waiting in a
// queue. Folded from the events (a restart reads the same), and counted by the engine.

const MENU_FLOW: ChatFlow = {
  name: 'menu',
  timezone: 'UTC',
  start: 'm',
  calendars: {},
  nodes: {
    m: {type: 'menu', text: 'Sales or support?', choices: [{key: 's', label: 'Sales', keywords: ['sales'], next: 'q'}], otherwise: null},
    q: {type: 'queue', queue: 'sales', skills: null, priority: 0, text: null},
  },
}

describe('conversation stages', () => {
  it('folds the flow state into with-bot, awaiting-customer and leaving-message; the others are the state', () => {
    const c = new Conversation('chat-1', 'web', 'v1', 1000)
    const at = (ts: number, type: Parameters<Conversation['apply']>[0]['type'], data: Record<string, unknown> = {}, queue: string | null = null) => c.apply({type, ts, queue, agent: null, data})
    at(1000, 'chat.started', {channel: 'web', customer: 'v1'})
    expect(c.stage).toBe('with-bot')
    at(1001, 'chat.message', {from: 'bot', kind: 'text', seq: 1, text: 'Sales or support?'})
    at(1001, 'chat.flow_step', {node: 'm', kind: 'menu', awaiting: 'menu'})
    expect([c.state, c.stage]).toEqual(['flow', 'awaiting-customer'])
    // The customer answered: the bot's turn until the flow's next step.
    at(1002, 'chat.message', {from: 'customer', kind: 'text', seq: 2, text: 'hmm'})
    expect(c.stage).toBe('with-bot')
    at(1003, 'chat.queued', {joinedAt: 1003}, 'sales')
    expect(c.stage).toBe('queued')
    at(1004, 'chat.message_asked', {reason: 'no-agents'}, 'sales')
    expect([c.state, c.stage, c.queue]).toEqual(['flow', 'leaving-message', 'sales'])
    at(1005, 'chat.closed', {reason: 'message-left'})
    expect(c.stage).toBe('closed')
  })
})

describe('conversation stages on the engine (fake ARI, fake clock)', () => {
  let store: SqliteStore
  let engine: Engine | undefined
  const clock = new FakeClock()

  beforeEach(() => {
    store = new SqliteStore(':memory:')
    engine = undefined
  })
  afterEach(async () => {
    await engine?.stop()
    await store.close()
  })

  it('counts the bot waiting for its customer, a customer leaving a message and one in line apart, in the chat view and chat.list', async () => {
    await addQueue(store, 'sales', {wrapUp: 0})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
    await loginAgent(store, 'a1')
    engine = new Engine({ari: new FakeAri(), store, log: silentLogger, clock, syncIntervalMs: 3_600_000, chat: {settings: chatSettings({queue: 'sales', maxWait: '30s', onMaxWait: 'leaveMessage', agents: {a1: {web: 0, total: 0}}}, null), flows: {web: MENU_FLOW}}})
    await engine.start()
    engine.chat.register({kind: 'web', deliver: async () => undefined})
    const write = async (customer: string, m: {text?: string; event?: 'open'}) => {
      const r = await engine!.chat.receive({channel: 'web', customer, ...m})
      await settle()
      return r.conversation
    }
    // v1 opened the widget: greeted, the menu asked. v2 chose sales and waits in line.
    const v1 = await write('v1', {event: 'open'})
    const v2 = await write('v2', {text: 'hello'})
    expect(engine.chat.get(v2)!.stage).toBe('awaiting-customer')
    await write('v2', {text: 'sales'})
    const stages = () => Object.fromEntries(engine!.chat.list().map((c) => [c.id, c.stage]))
    expect(stages()).toEqual({[v1]: 'awaiting-customer', [v2]: 'queued'})
    expect(engine.chat.view()).toMatchObject({waiting: 1, offered: 0, active: 0, withBot: 0, awaitingCustomer: 1, leavingMessage: 0})
    // v2 waits out maxWait and is asked for a message: no longer waiting in sales.
    clock.advance(30_000)
    await settle()
    expect(stages()).toEqual({[v1]: 'awaiting-customer', [v2]: 'leaving-message'})
    expect(engine.chat.list({state: 'flow'}).map((c) => c.state)).toEqual(['flow', 'flow'])
    const view = engine.chat.view()
    expect(view).toMatchObject({waiting: 0, awaitingCustomer: 1, leavingMessage: 1, withBot: 0})
    expect(view.queues.sales ?? {waiting: 0, active: 0}).toMatchObject({waiting: 0, active: 0})
  })
})
