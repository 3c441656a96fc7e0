import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import type {ChatFlow} from '../../src/engine/chat/flows/chat-flow.js'
import {chatSettings, type RawChat} from '../../src/engine/config/chat-config.js'
import type {EventType, StoredEvent} from '../../src/engine/store/events.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {DEFAULT_SLA} from '../../src/engine/tickets/ticket.js'
import {silentLogger, type Logger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// A waiting chat's limits on the engine itself (fake ARI, fake clock, in-memory store with
// its real ticket table): maxWait then overflow (keeping the place by first arrival), leave a
// message (a ticket for the queue, the conversation linked), or close with a word; nobody of
// the queue logged in; the flow's off-hours close; the timer gone once the conversation is
// accepted, transferred, closed or the engine stops, and taken back after a restart.

// Nobody closed, ever: the flow's office never opens.
const CLOSED_FLOW: ChatFlow = {
  name: 'hours',
  timezone: 'UTC',
  start: 'h',
  calendars: {office: {timezone: 'UTC', open: {}, holidays: new Set(), special: new Map()}},
  nodes: {
    h: {type: 'hours', calendar: 'office', open: 'q', closed: 'bye'},
    q: {type: 'queue', queue: 'sales', skills: null, priority: 0, text: null},
    bye: {type: 'close', text: 'We are closed: open 9:00-18:00.'},
  },
}

describe('chat wait limits (fake ARI, fake clock)', () => {
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

  /** sales: a1 (no room for chats unless `a1Room`); support: a2 (1 chat at a time). */
  async function seed(o: {a1Room?: boolean; a2?: boolean} = {}): Promise<void> {
    await addQueue(store, 'sales', {wrapUp: 0})
    await addQueue(store, 'support', {wrapUp: 0})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
    await loginAgent(store, 'a1')
    if (o.a2 !== false) {
      await addAgent(store, {id: 'a2', endpoint: 'PJSIP/a2', queues: ['support']})
      await loginAgent(store, 'a2')
    }
  }

  async function boot(chat: RawChat, o: {a1Room?: boolean; flow?: ChatFlow; log?: Logger} = {}): Promise<Engine> {
    const agents = {a1: o.a1Room ? {web: 3, total: 3} : {web: 0, total: 0}, a2: {web: 1, total: 1}}
    engine = new Engine({ari, store, log: o.log ?? silentLogger, clock, syncIntervalMs: 3_600_000, chat: {settings: chatSettings({queue: 'sales', autoAccept: true, agents, ...chat}, null), ...(o.flow ? {flows: {web: o.flow}} : {})}})
    engine.chat.openTicketsWith(() => ({tickets: repositoriesOf(store).tickets, store, sla: DEFAULT_SLA, defaultCountry: 'CN', origin: 'test', now: () => clock.now()}))
    await engine.start()
    engine.chat.register({kind: 'web', deliver: async () => undefined})
    await settle()
    return engine
  }
  const eng = () => engine!
  const conv = (id: string) => eng().chat.get(id)!
  const said = (id: string) => conv(id).lines.filter((l) => l.from === 'system').map((l) => l.text ?? '')

  async function write(customer: string, text: string, number?: string): Promise<string> {
    const r = await eng().chat.receive({channel: 'web', customer, text, ...(number ? {number, name: '王芳'} : {})})
    await settle()
    return r.conversation
  }
  async function advance(ms: number): Promise<void> {
    clock.advance(ms)
    await settle()
  }
  async function events(...types: EventType[]): Promise<StoredEvent[]> {
    await eng().events.flush()
    const out: StoredEvent[] = []
    for await (const e of store.events({})) if (types.includes(e.type)) out.push(e)
    return out
  }

  it('maxWait then overflow: the conversation moves to the other queue at its first arrival, is told, and is answered there', async () => {
    await seed()
    await boot({maxWait: '60s', onMaxWait: {overflow: 'support'}})
    const id = await write('v1', 'hello')
    expect(conv(id).state).toBe('queued')
    const joinedAt = conv(id).joinedAt
    await advance(59_000)
    expect(conv(id).queue).toBe('sales')
    await advance(1000)
    expect(conv(id)).toMatchObject({state: 'active', agent: 'a2', queue: 'support', joinedAt})
    expect(said(id)).toContain('Everyone on this team is busy, so we are passing you to another team. You keep your place in line.')
    const [over] = await events('chat.overflowed')
    expect(over).toMatchObject({queue: 'sales', callId: id, data: {from: 'sales', to: 'support', reason: 'max-wait', waitedMs: 60_000}})
    const queued = await events('chat.queued')
    expect(queued.map((e) => [e.queue, e.data.reason, e.data.joinedAt])).toEqual([
      ['sales', 'flow', joinedAt],
      ['support', 'overflow', joinedAt],
    ])
  })

  it('an overflowed conversation goes before one that came to the queue after it first arrived; a transfer clears the timer', async () => {
    await seed()
    await boot({maxWait: '60s', onMaxWait: {overflow: 'support'}})
    const busy = await write('v0', 'first to support')
    eng().chat.transfer(busy, {queue: 'support'}, 'admin', null)
    await settle()
    expect(conv(busy).agent).toBe('a2')
    const v1 = await write('v1', 'waiting since t=0')
    await advance(10_000)
    const v2 = await write('v2', 'comes at t=10s')
    await advance(20_000)
    // At t=30 s v2 goes to support by hand, joining at 30 s; its own maxWait timer is gone
    // (and support, the defaults' overflow target, has no limit of its own).
    eng().chat.transfer(v2, {queue: 'support'}, 'admin', null)
    await advance(30_000)
    // t=60 s: v1 overflows, with its arrival at 0 s.
    expect(conv(v1).queue).toBe('support')
    expect(eng().chat.list({queue: 'support', state: 'queued'}).map((v) => v.id)).toEqual([v1, v2])
    await advance(600_000)
    expect((await events('chat.overflowed')).map((e) => e.callId)).toEqual([v1])
    eng().chat.close(busy, 'agent', 'a2', 'a2')
    await settle()
    expect(conv(v1)).toMatchObject({state: 'active', agent: 'a2'})
    expect(conv(v2).state).toBe('queued')
  })

  it('maxWait then leaveMessage: what the customer writes next is a ticket for the queue, the conversation linked; then it closes', async () => {
    await seed()
    await boot({maxWait: '2m', onMaxWait: 'leaveMessage', leaveMessage: {ask: 'Leave us a message.', thanks: 'Got it, thanks.'}})
    const id = await write('v1', 'anyone?', '13800138000')
    await advance(120_000)
    expect(conv(id).state).toBe('flow')
    expect(said(id).at(-1)).toBe('Leave us a message.')
    expect(eng().chat.router.waiting.size).toBe(0)
    await write('v1', 'Please call me back about order 42')
    expect(conv(id)).toMatchObject({state: 'closed', closeReason: 'message-left'})
    expect(said(id).at(-1)).toBe('Got it, thanks.')
    const [left] = await events('chat.message_left')
    const tickets = await repositoriesOf(store).tickets.list({})
    expect(tickets).toHaveLength(1)
    const t = tickets[0]!
    expect(left).toMatchObject({queue: 'sales', data: {ticket: t.id, reason: 'max-wait'}})
    expect(t).toMatchObject({category: 'chat', assignee: {queue: 'sales'}, contact: '+8613800138000', number: '13800138000', calls: [id], status: 'open'})
    expect(t.subject).toBe('Chat message from 王芳')
    expect(t.description).toMatch(/^Please call me back about order 42\n\n\(web chat chat-.+: left while no agent could answer\)$/)
    expect((await events('chat.closed'))[0]!.data.reason).toBe('message-left')
  })

  it("a queue's own leave-a-message texts: asked and thanked in the queue's words, the thanks falling back to the global one; other queues keep the global ones", async () => {
    await seed({a2: false})
    await boot({maxWait: '10s', onMaxWait: {overflow: 'support'}, leaveMessage: {ask: 'Leave us a message.', thanks: 'Got it, thanks.'}, queues: {support: {maxWait: '10s', onMaxWait: 'leaveMessage', leaveMessage: {ask: 'Support is busy: leave a message.'}}, sales: {leaveMessage: {ask: 'Sales asks.', thanks: 'Sales thanks.'}}}})
    const id = await write('v1', 'hello')
    await advance(10_000)
    expect(conv(id).queue).toBe('support')
    await advance(10_000)
    expect(conv(id)).toMatchObject({state: 'flow', awaitsMessage: 'max-wait'})
    expect(said(id).at(-1)).toBe('Support is busy: leave a message.')
    await write('v1', 'call me')
    expect(conv(id)).toMatchObject({state: 'closed', closeReason: 'message-left'})
    expect(said(id).at(-1)).toBe('Got it, thanks.')
    expect(said(id)).not.toContain('Sales asks.')
  })

  it('a ticket that cannot be written: the customer is told so, not thanked, and the event says no ticket', async () => {
    await seed()
    await boot({maxWait: '10s', onMaxWait: 'leaveMessage'})
    eng().chat.openTicketsWith(() => ({tickets: {write: async () => Promise.reject(new Error('disk full'))} as never, store, sla: DEFAULT_SLA, defaultCountry: 'CN', origin: 'test'}))
    const id = await write('v1', 'hello')
    await advance(10_000)
    await write('v1', 'my message')
    expect(conv(id)).toMatchObject({state: 'closed', closeReason: 'system'})
    expect(said(id).at(-1)).toBe('Sorry, your message could not be recorded just now. Please write again later.')
    expect((await events('chat.message_left'))[0]!.data).toEqual({ticket: null, reason: 'max-wait'})
  })

  it('maxWait then close with the configured word; accepting in time clears the timer', async () => {
    await seed({a2: false})
    await boot({maxWait: '30s', onMaxWait: {close: 'Sorry, try again tomorrow.'}})
    const id = await write('v1', 'hello')
    await advance(30_000)
    expect(conv(id)).toMatchObject({state: 'closed', closeReason: 'max-wait'})
    expect(conv(id).lines.at(-1)).toMatchObject({kind: 'closed', text: 'Sorry, try again tomorrow.'})
  })

  it('a conversation accepted before maxWait is never touched by it; one offered at maxWait waits for the offer', async () => {
    await seed({a2: false})
    await boot({maxWait: '20s', onMaxWait: 'close', autoAccept: false, acceptTimeout: '25s'}, {a1Room: true})
    const id = await write('v1', 'hello')
    expect(conv(id).state).toBe('offered')
    // maxWait comes while a1 is being offered it: the offer is decided first.
    await advance(21_000)
    expect(conv(id).state).toBe('offered')
    eng().chat.accept(id, 'a1')
    // Past maxWait and the accept time again, short of the silence close (10 min).
    await advance(5 * 60_000)
    expect(conv(id)).toMatchObject({state: 'active', agent: 'a1'})
    expect(await events('chat.overflowed', 'chat.message_asked')).toEqual([])
  })

  it('nobody of the queue logged in: onNoAgents overflows at once; an agent logging out later sends the waiting ones too', async () => {
    await seed()
    await boot({onNoAgents: {overflow: 'support'}, queues: {support: {onNoAgents: 'leaveMessage'}}}, {a1Room: true})
    // a1 serves sales: a first chat stays there.
    const first = await write('v1', 'hi')
    expect(conv(first)).toMatchObject({queue: 'sales', agent: 'a1'})
    eng().chat.close(first, 'agent', 'a1', 'a1')
    // a2 takes one chat in support; a second waits there.
    const held = await write('v2', 'x')
    eng().chat.transfer(held, {agent: 'a2'}, 'admin', 'a1')
    await settle()
    eng().chat.accept(held, 'a2')
    await eng().logoutNow('a1')
    await settle()
    const second = await write('v3', 'is anyone there?')
    const queued = await events('chat.queued')
    expect(queued.filter((e) => e.callId === second).map((e) => [e.queue, e.data.reason])).toEqual([
      ['sales', 'flow'],
      ['support', 'overflow'],
    ])
    expect(conv(second)).toMatchObject({state: 'queued', queue: 'support'})
    expect(said(second)).not.toContain('No agent is available at the moment; you keep your place and will be answered as soon as one is.')
    // The last agent of support logs out: the waiting one is asked for a message, and so is
    // the one a2 had, which the engine put back in support's line.
    await eng().logoutNow('a2')
    await settle()
    expect(conv(second)).toMatchObject({state: 'flow', awaitsMessage: 'no-agents'})
    expect((await events('chat.message_asked')).map((e) => [e.callId, e.queue, e.data.reason])).toEqual([
      [held, 'support', 'no-agents'],
      [second, 'support', 'no-agents'],
    ])
  })

  it('a queue the rules name that does not exist: said at start; an overflow there asks for a message instead', async () => {
    await seed()
    const warned: string[] = []
    const log: Logger = {...silentLogger, warn: (m) => void warned.push(m)}
    await boot({maxWait: '10s', onMaxWait: {overflow: 'nosuch'}, queues: {ghost: {maxWait: '1m'}}}, {log})
    expect(warned).toContain('chat: the wait rules name queues ghost, nosuch, which do not exist; an overflow there asks for a message instead')
    const id = await write('v1', 'hello')
    await advance(10_000)
    expect(conv(id)).toMatchObject({state: 'flow', awaitsMessage: 'max-wait'})
  })

  it('a loop of overflows ends with a message asked, not a customer bounced forever', async () => {
    await seed()
    await boot({maxWait: '10s', onMaxWait: {overflow: 'support'}, queues: {support: {onMaxWait: {overflow: 'sales'}}}, agents: {a1: {web: 0, total: 0}, a2: {web: 0, total: 0}}})
    const id = await write('v1', 'hello')
    await advance(10_000)
    expect(conv(id).queue).toBe('support')
    await advance(10_000)
    expect(conv(id)).toMatchObject({state: 'flow', awaitsMessage: 'max-wait'})
    expect((await events('chat.overflowed')).length).toBe(1)
  })

  it("the flow's business hours say closed: the flow's own close, or with offHours: leaveMessage a message (a ticket for chat.queue)", async () => {
    await seed()
    await boot({}, {flow: CLOSED_FLOW})
    const a = await write('v1', 'hello')
    expect(conv(a)).toMatchObject({state: 'closed', closeReason: 'off-hours'})
    await eng().stop()
    engine = undefined
    await boot({offHours: 'leaveMessage'}, {flow: CLOSED_FLOW})
    const b = await write('v2', 'hello', '+8613900139000')
    expect(conv(b)).toMatchObject({state: 'flow', awaitsMessage: 'off-hours'})
    expect(conv(b).lines.filter((l) => l.from === 'bot').map((l) => l.text)).toEqual(['We are closed: open 9:00-18:00.'])
    await write('v2', 'I need an invoice')
    expect(conv(b)).toMatchObject({state: 'closed', closeReason: 'message-left'})
    const [t] = await repositoriesOf(store).tickets.list({})
    expect(t).toMatchObject({category: 'chat', assignee: {queue: 'sales'}, contact: '+8613900139000', calls: [b]})
    expect(t!.description).toMatch(/left outside business hours/)
  })

  it('the engine stopping clears the timer; a restarted engine takes it back with what was left of the wait', async () => {
    await seed()
    await boot({maxWait: '60s', onMaxWait: {overflow: 'support'}})
    const id = await write('v1', 'hello')
    await advance(40_000)
    await eng().stop()
    engine = undefined
    await advance(600_000)
    expect(await (async () => {
      const out: StoredEvent[] = []
      for await (const e of store.events({})) if (e.type === 'chat.overflowed') out.push(e)
      return out
    })()).toEqual([])
    // 640 s after arrival, the restarted engine's timer is due at once.
    await boot({maxWait: '60s', onMaxWait: {overflow: 'support'}})
    await advance(0)
    expect(conv(id)).toMatchObject({queue: 'support', agent: 'a2'})
  })
})
