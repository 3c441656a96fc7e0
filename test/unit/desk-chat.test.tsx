import chalk from 'chalk'
import {render} from 'ink-testing-library'
import {afterEach, describe, expect, it, vi} from 'vitest'
import {deskActions} from '../../src/ui/desk/desk-actions.js'
import {unread, type ConversationView, type DeskChat} from '../../src/ui/desk/desk-chats.js'
import {DeskFeed, type DeskState} from '../../src/ui/desk/desk-feed.js'
import {INITIAL_DESK_UI, onDeskKey, type DeskContext, type DeskUi} from '../../src/ui/desk/desk-keys.js'
import {deskContext, Desk} from '../../src/ui/desk/desk.js'
import {guardKeyInput, isAltChord} from '../../src/ui/key-input.js'
import {AT, EVIL_NAME, fixtureSnapshot} from '../support/dashboard.js'
import {fakeFeedEngine} from '../support/fake-feed.js'

// Chats on the agent's desk: the conversations the feed keeps (listed, their transcripts,
// lines live, unread, typing, closed kept until put away), the keys (Tab, accept, reply,
// quick replies and KB answers sent to the customer, transfer, close, history), and the
// screen at 80x24 with hostile customer text shown inert.

const level = chalk.level
afterEach(() => {
  chalk.level = level
  vi.useRealTimers()
})

function conversation(id: string, over: Partial<ConversationView> = {}): ConversationView {
  return {id, channel: 'web', customer: `v-${id}`, name: '', number: '', state: 'offered', stage: 'offered', queue: 'support', agent: null, offeredTo: '1001', startedAt: AT - 60_000, joinedAt: AT - 50_000, acceptedAt: null, closedAt: null, closeReason: null, position: null, messages: 1, last: null, rating: null, ...over}
}

function fakeEngine(list: () => ConversationView[]) {
  return fakeFeedEngine<{conversation?: string}>((method, params) => {
    if (method === 'snapshot') return fixtureSnapshot()
    if (method === 'desk.settings') return {pauseReasons: ['break'], crmLink: null, quickReplies: ['Hello!'], historyDays: 180}
    if (method === 'chat.list') return {at: AT, conversations: list()}
    const listed = list().find((c) => c.id === params?.conversation)!
    if (method === 'chat.accept') return {...listed, state: 'active', agent: '1001', offeredTo: null}
    if (method === 'chat.close') return {...listed, state: 'closed', closeReason: 'agent'}
    if (method === 'chat.transfer') return {...listed, state: 'queued', agent: null, offeredTo: null}
    if (method === 'chat.send') return {conversation: params?.conversation, seq: 9}
    if (method === 'chat.typing') return {conversation: params?.conversation}
    if (method === 'kb.get') return {id: 7, question: 'Where is my parcel?', answer: 'Tracked on the Orders page.', tags: []}
    if (method === 'contact.history') return {number: '+8613800000009', contact: null, callTags: [], interactions: [], searchedFrom: 0}
    if (method === 'chat.transcript') return {conversation: list().find((c) => c.id === params?.conversation), notes: [], lines: [{seq: 1, ts: AT - 60_000, from: 'customer', kind: 'text', text: 'Where is my parcel?'}]}
    return undefined
  })
}

describe('the desk feed: chats', () => {
  it('lists the agent’s conversations with their transcripts, follows lines live, counts unread, keeps a closed one until put away', async () => {
    vi.useFakeTimers({now: AT})
    let open = [conversation('ch1', {name: 'Li Lei'})]
    const engine = fakeEngine(() => open)
    const feed = new DeskFeed(engine.connect, '1001')
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(engine.asked.find((a) => a.method === 'chat.list')?.params).toEqual({agent: '1001'})
    let [c] = feed.getState().chats
    expect(c).toMatchObject({id: 'ch1', view: {state: 'offered', name: 'Li Lei'}, lines: [{seq: 1, from: 'customer', text: 'Where is my parcel?'}]})
    expect(unread(c!)).toBe(1)

    // Another agent's chats (an admin's desk hears them all) ask nothing.
    const lists = () => engine.asked.filter((a) => a.method === 'chat.list').length
    const before = lists()
    engine.emit({type: 'chat.offered', ts: AT, callId: 'other', agent: '1002', data: {}})
    engine.emit({type: 'chat.message', ts: AT, callId: 'other', data: {from: 'customer', kind: 'text', seq: 1, text: 'hi'}})
    await vi.advanceTimersByTimeAsync(0)
    expect(lists()).toBe(before)

    // A second offer: the list is asked again, with the new conversation's transcript.
    open = [...open, conversation('ch2', {startedAt: AT - 10_000})]
    engine.emit({type: 'chat.offered', ts: AT, callId: 'ch2', agent: '1001', data: {}})
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.getState().chats.map((x) => x.id)).toEqual(['ch1', 'ch2'])
    expect(engine.asked.filter((a) => a.method === 'chat.transcript').map((a) => a.params)).toEqual([{conversation: 'ch1'}, {conversation: 'ch2'}])

    // Lines arrive live (once each, whatever brings them); the customer typing shows until it writes.
    engine.emit({type: 'chat.typing', ts: AT, callId: 'ch1', agent: '1001', data: {from: 'customer'}})
    expect(feed.getState().chats[0]!.typingAt).not.toBeNull()
    engine.emit({type: 'chat.message', ts: AT + 1000, callId: 'ch1', data: {from: 'customer', kind: 'text', seq: 2, text: 'Hello?'}})
    engine.emit({type: 'chat.message', ts: AT + 1000, callId: 'ch1', data: {from: 'customer', kind: 'text', seq: 2, text: 'Hello?'}})
    c = feed.getState().chats[0]!
    expect(c.lines.map((l) => l.seq)).toEqual([1, 2])
    expect(c.typingAt).toBeNull()
    expect(c.view.last).toMatchObject({from: 'customer', text: 'Hello?'})
    expect(unread(c)).toBe(2)
    feed.markRead('ch1')
    expect(unread(feed.getState().chats[0]!)).toBe(0)
    // The agent's own line is read as it is written.
    engine.emit({type: 'chat.message', ts: AT + 2000, callId: 'ch1', agent: '1001', data: {from: 'agent', kind: 'text', seq: 3, text: 'On its way'}})
    expect(unread(feed.getState().chats[0]!)).toBe(0)

    // The customer leaves: the conversation stays, closed, through later lists, until put away.
    engine.emit({type: 'chat.closed', ts: AT + 3000, callId: 'ch1', data: {reason: 'customer'}})
    open = open.filter((x) => x.id !== 'ch1')
    engine.emit({type: 'chat.accepted', ts: AT + 3000, callId: 'ch2', agent: '1001', data: {}})
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.getState().chats.map((x) => [x.id, x.view.state, x.view.closeReason])).toEqual([
      ['ch1', 'closed', 'customer'],
      ['ch2', 'offered', null],
    ])
    feed.chats.dismiss('ch1')
    // One transferred away (no longer listed, not closed) goes at the next list.
    open = []
    engine.emit({type: 'chat.transferred', ts: AT + 4000, callId: 'ch2', agent: '1001', data: {}})
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.getState().chats).toEqual([])
    feed.stop()
  })
})

describe('the desk actions: chats', () => {
  it('accept, send, a KB answer, typing at most every 3 s, history by number only, transfer and close on the engine and the desk', async () => {
    vi.useFakeTimers({now: AT})
    const open = [conversation('ch1', {name: 'Li Lei', number: '+8613800000009'}), conversation('ch2', {state: 'active', agent: '1001', offeredTo: null})]
    const engine = fakeEngine(() => open)
    const feed = new DeskFeed(engine.connect, '1001')
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    const actions = deskActions({feed, write: () => undefined})
    const run = (a: Parameters<typeof actions.run>[0]) => actions.run(a, {state: feed.getState(), ui: INITIAL_DESK_UI})
    const asked = (m: string) => engine.asked.filter((a) => a.method === m).map((a) => a.params)

    expect(await run({type: 'chat-accept', conversation: 'ch1'})).toEqual({text: 'Chat with Li Lei accepted: Enter writes, c quick replies, x closes'})
    expect(feed.getState().chats[0]!.view.state).toBe('active')
    await run({type: 'chat-typing', conversation: 'ch1'})
    await run({type: 'chat-typing', conversation: 'ch1'})
    expect(asked('chat.typing')).toEqual([{conversation: 'ch1', agent: '1001'}])
    expect(await run({type: 'chat-send', conversation: 'ch1', text: 'Hello'})).toEqual({text: 'Sent to Li Lei'})
    await run({type: 'chat-kb-send', conversation: 'ch1', id: 7})
    expect(asked('chat.send')).toEqual([
      {conversation: 'ch1', agent: '1001', text: 'Hello'},
      {conversation: 'ch1', agent: '1001', text: 'Tracked on the Orders page.'},
    ])
    // Sending lets the next keystroke tell the customer again.
    await run({type: 'chat-typing', conversation: 'ch1'})
    expect(asked('chat.typing')).toHaveLength(2)

    await run({type: 'chat-history', conversation: 'ch1'})
    expect(asked('contact.history')).toEqual([{call: 'ch1', limit: 5}])
    expect(feed.getState().chats[0]!.history).toMatchObject({number: '+8613800000009'})
    // A customer without a number: nothing to ask.
    await run({type: 'chat-history', conversation: 'ch2'})
    expect(asked('contact.history')).toHaveLength(1)
    expect(feed.getState().chats[1]!.history).toEqual({error: 'No number from this customer: no history to look up'})

    expect(await run({type: 'chat-transfer', conversation: 'ch2', to: {queue: 'support'}})).toEqual({text: 'Chat transferred to queue support'})
    expect(feed.getState().chats.map((c) => c.id)).toEqual(['ch1'])
    await run({type: 'chat-close', conversation: 'ch1'})
    expect(feed.getState().chats[0]!.view).toMatchObject({state: 'closed', closeReason: 'agent'})
    feed.stop()
  })
})

const chats = (...c: [string, DeskContext['chats'][number]['state']][]) => c.map(([id, state]) => ({id, state}))

/** Keys in turn, the context following the chat in front (as the desk computes it). */
function press(base: Partial<DeskContext>, ...keys: (string | Record<string, boolean>)[]) {
  let ui: DeskUi = INITIAL_DESK_UI
  const actions = []
  for (const k of keys) {
    const list = base.chats ?? []
    const c = ctx({...base, chat: list.find((x) => x.id === ui.chat) ?? null})
    const r = typeof k === 'string' ? onDeskKey(ui, k, {}, c) : onDeskKey(ui, '', k, c)
    ui = r.ui
    if (r.action) actions.push(r.action)
  }
  return {ui, actions}
}

function ctx(c: Partial<DeskContext>): DeskContext {
  return {agentState: 'idle', paused: false, connected: null, noteCall: null, dispositionOwed: false, pauseReasons: ['break'], dispositions: [], quickReplies: ['Hello, how can I help?', 'One moment please'], kbHits: [], queues: ['support'], crmLink: null, customer: null, chats: [], chat: null, ...c}
}

const tab = {tab: true}
const enter = {return: true}
const escape = {escape: true}

describe('desk keys: chats', () => {
  it('Tab brings each conversation in front, then the call; a accepts the one offered and brings it in front', () => {
    const two = {chats: chats(['ch1', 'active'], ['ch2', 'offered'])}
    expect(press(two, tab).ui.chat).toBe('ch1')
    expect(press(two, tab, tab).ui.chat).toBe('ch2')
    expect(press(two, tab, tab, tab).ui.chat).toBeNull()
    expect(press(two, tab, escape).ui.chat).toBeNull()
    expect(press(two, 'a')).toMatchObject({ui: {chat: 'ch2'}, actions: [{type: 'chat-accept', conversation: 'ch2'}]})
    expect(press({}, 'a').actions).toEqual([{type: 'say', text: 'No chat offered to you'}])
    expect(press({}, tab).actions).toEqual([{type: 'say', text: 'No chats'}])
  })

  it('in front: Enter writes a reply (typing told, Enter sends, the draft cleared), Esc leaves it', () => {
    const r = press({chats: chats(['ch1', 'active'])}, tab, enter, 'H', 'i', enter, 'x', escape)
    expect(r.actions).toEqual([
      {type: 'chat-typing', conversation: 'ch1'},
      {type: 'chat-typing', conversation: 'ch1'},
      {type: 'chat-send', conversation: 'ch1', text: 'Hi'},
      {type: 'chat-typing', conversation: 'ch1'},
    ])
    // Typed x is text, not a close; Esc keeps the draft and leaves the reply.
    expect(r.ui).toMatchObject({mode: {kind: 'normal'}, chat: 'ch1', replies: {ch1: 'x'}})
    // A pasted escape sequence is dropped from the reply.
    expect(press({chats: chats(['ch1', 'active'])}, tab, enter, '\u001b[2Jok', enter).actions.at(-1)).toEqual({type: 'chat-send', conversation: 'ch1', text: '[2Jok'})
  })

  it('quick replies and knowledge-base answers go to the customer in front; without a chat they are copied', () => {
    const active = {chats: chats(['ch1', 'active'])}
    expect(press(active, tab, 'c', '2')).toMatchObject({ui: {mode: {kind: 'normal'}}, actions: [{type: 'chat-send', conversation: 'ch1', text: 'One moment please'}]})
    expect(press(active, 'c', '2').actions).toEqual([{type: 'copy', text: 'One moment please', what: 'quick reply'}])
    expect(press(active, tab, '/', 'p', 'w', enter).actions).toEqual([{type: 'kb-search', query: 'pw'}])
    const kb: DeskUi = {...INITIAL_DESK_UI, chat: 'ch1', mode: {kind: 'pick', pick: 'kb', items: [{key: '1', label: 'How do I reset?', value: '7'}]}}
    expect(onDeskKey(kb, '1', {}, ctx({...active, chat: {id: 'ch1', state: 'active'}})).action).toEqual({type: 'chat-kb-send', conversation: 'ch1', id: 7})
    expect(press({chats: chats(['ch1', 'offered'])}, tab, 'c').actions).toEqual([{type: 'say', text: 'Accept the chat first (a)'}])
  })

  it('transfer to an agent or a queue (not a number), close, put a closed one away, the history', () => {
    const active = {chats: chats(['ch1', 'active'])}
    expect(press(active, tab, 't', 's', 'u', 'p', 'p', 'o', 'r', 't', enter).actions).toEqual([{type: 'chat-transfer', conversation: 'ch1', to: {queue: 'support'}}])
    expect(press(active, tab, 't', '1', '0', '0', '2', enter).actions).toEqual([{type: 'chat-transfer', conversation: 'ch1', to: {agent: '1002'}}])
    expect(press(active, tab, 't', '+', '8', '6', '1', '3', '8', '0', enter).actions).toEqual([{type: 'say', text: 'A chat goes to an agent or a queue, not a number'}])
    expect(press(active, tab, 'x').actions).toEqual([{type: 'chat-close', conversation: 'ch1'}])
    expect(press({chats: chats(['ch1', 'closed'])}, tab, 'x')).toMatchObject({ui: {chat: null}, actions: [{type: 'chat-dismiss', conversation: 'ch1'}]})
    const h = press(active, tab, 'i')
    expect(h).toMatchObject({ui: {chatHistory: true}, actions: [{type: 'chat-history', conversation: 'ch1'}]})
    expect(press(active, tab, 'i', 'i').ui.chatHistory).toBe(false)
    // Without a chat in front, t and x are the call's keys.
    expect(press(active, 'x').actions).toEqual([{type: 'say', text: 'No call: that key works on a connected call'}])
  })
})

function chat(id: string, over: Partial<DeskChat> = {}, view: Partial<ConversationView> = {}): DeskChat {
  return {id, view: conversation(id, view), lines: [], notes: [], readSeq: 0, typingAt: null, history: null, ...over}
}

function idle(over: Partial<DeskState>): DeskState {
  const snap = fixtureSnapshot()
  return {
    feed: {status: 'live', snapshot: {...snap, at: AT}, error: null, retryAt: null, receivedAt: AT},
    agent: '1001',
    me: {id: '1001', name: 'Li Na', endpoint: 'PJSIP/1001', state: 'idle', since: AT - 2000, pauseReason: null, callId: null, queues: {support: 0}, skills: {}, callsTaken: 3, callsToday: 3, talkMs: 0, missedRings: 0, backoffUntil: null, why: null},
    call: null,
    pop: null,
    wrapUpEndsAt: null,
    lastCall: null,
    owed: [],
    settings: {pauseReasons: ['break'], crmLink: null, quickReplies: ['Hello!'], historyDays: 180},
    skewMs: 0,
    held: new Set(),
    consulting: new Set(),
    notesSaved: new Map(),
    chats: [],
    ...over,
  }
}

const HOSTILE = `<script>alert(1)</script>\u001b]0;pwned\u0007\u001b[2JPlease help`

describe('the desk screen with chats (80 x 24)', () => {
  const s = idle({
    chats: [
      chat('ch1', {lines: [{seq: 1, ts: AT - 60_000, from: 'customer', kind: 'text', text: HOSTILE}, {seq: 2, ts: AT - 50_000, from: 'system', kind: 'system', text: 'You are now chatting with Li Na.'}, {seq: 3, ts: AT - 40_000, from: 'agent', kind: 'text', text: 'Hello, how can I help?'}], readSeq: 1}, {name: EVIL_NAME, number: '+8613800000009', state: 'active', agent: '1001', offeredTo: null, last: {from: 'agent', text: 'Hello, how can I help?', ts: AT - 40_000}}),
      chat('ch2', {lines: [{seq: 1, ts: AT - 5000, from: 'customer', kind: 'text', text: '你好，我的订单'}]}, {name: '王芳', channel: 'wechat', last: {from: 'customer', text: '你好，我的订单', ts: AT - 5000}}),
    ],
  })

  const frameOf = (ui: DeskUi, colours: 0 | 1 = 0) => {
    chalk.level = colours
    vi.useFakeTimers({now: AT, toFake: ['Date']})
    const feed = {subscribe: () => () => undefined, getState: () => s}
    const app = render(<Desk feed={feed} run={async () => undefined} onQuit={() => undefined} size={{columns: 80, rows: 24}} timeZone="UTC" hyperlinks={false} />)
    // The screen's keys: Tab brings ch1 in front.
    if (ui.chat) app.stdin.write('\t')
    return app
  }

  it('lists the chats with state, customer, channel and unread; the keys to take one', () => {
    const frame = frameOf(INITIAL_DESK_UI).lastFrame()!
    expect(frame).toContain('Chats 2 · 1 offered (a accepts) · Tab switches')
    // The C1 CSI (U+009B) takes the N with it, as the dashboard shows it.
    expect(frame).toMatch(/^ {2}ACTIVE {3}Evilame +web +you: Hello, how can I help\?$/m)
    expect(frame).toMatch(/^ {2}OFFERED  王芳 +wechat  1 new  你好，我的订单$/m)
    expect(frame).toContain('a accept · Tab chats · / kb · c replies · ? help · q quit')
    expect(frame.split('\n').every((l) => l.length <= 80)).toBe(true)
  })

  it('the chat in front: its transcript inert, the reply line and its keys, colours on or off', async () => {
    for (const colours of [0, 1] as const) {
      const app = frameOf({...INITIAL_DESK_UI, chat: 'ch1'}, colours)
      await vi.waitFor(() => expect(app.lastFrame()).toContain('Chat with'))
      const frame = app.lastFrame()!
      const plain = frame.replace(/\u001b\[[\d;]*m/g, '')
      expect(plain).not.toContain('pwned')
      expect(plain).not.toMatch(/[\u0007\u009b\u001b]/)
      expect(plain).toMatch(/^> ACTIVE/m)
      expect(plain).toContain('09:29 Evilame: <script>alert(1)</script>Please help')
      expect(plain).toContain('09:29 you: Hello, how can I help?')
      expect(plain).toContain('Reply (Enter to write)')
      expect(plain).toContain('Enter write · c quick reply · / kb answer · t transfer · x close · i history')
      expect(plain.split('\n').every((l) => [...l].length <= 80)).toBe(true)
      expect(plain.split('\n').length).toBeLessThanOrEqual(23)
      app.unmount()
    }
  })

  it('a ring brings the call in front (its pop) from a chat', async () => {
    chalk.level = 0
    vi.useFakeTimers({now: AT, toFake: ['Date']})
    let current = s
    const listeners = new Set<() => void>()
    const feed = {subscribe: (fn: () => void) => (listeners.add(fn), () => void listeners.delete(fn)), getState: () => current}
    const app = render(<Desk feed={feed} run={async () => undefined} onQuit={() => undefined} size={{columns: 80, rows: 24}} timeZone="UTC" hyperlinks={false} />)
    app.stdin.write('\t')
    await vi.waitFor(() => expect(app.lastFrame()).toContain('Chat with'))
    current = {...s, pop: {callId: 'c9', ringAt: AT, call: null, history: null, error: null, ended: false, missed: false}}
    listeners.forEach((l) => l())
    await vi.waitFor(() => expect(app.lastFrame()).toContain(' RINGING '))
    expect(app.lastFrame()).not.toContain('Chat with')
    expect(app.lastFrame()).toMatch(/^ {2}ACTIVE/m)
    app.unmount()
  })

  it('Esc read together with the next key (Alt+/) does nothing in the reply; outside it, it is Esc, then that key', async () => {
    // A "/" typed into the customer's reply was a bug; leaving the reply on it was the next one
    // (misuse report 21: Alt+x left a note and hung up). In a text field only an Esc read alone counts.
    chalk.level = 0
    vi.useFakeTimers({now: AT, toFake: ['Date']})
    const feed = {subscribe: () => () => undefined, getState: () => s}
    const app = render(<Desk feed={feed} run={async () => undefined} onQuit={() => undefined} size={{columns: 80, rows: 24}} timeZone="UTC" hyperlinks={false} />)
    guardKeyInput(app.stdin as unknown as NodeJS.ReadStream)
    const step = async (keys: string, shown: string | RegExp) => {
      app.stdin.write(keys)
      await vi.waitFor(() => expect(app.lastFrame()).toMatch(shown))
    }
    await step('\t', 'Chat with')
    await step('\r', 'REPLY (typing')
    await step('ok', /^ok_?$/m)
    await step('\u001b/', 'REPLY (typing')
    await step('!', /^ok!_?$/m)
    // An Esc alone leaves the reply; the draft is as it was: no "/" in it.
    await step('\u001b', 'Reply (Enter to write)')
    // Outside the reply: Esc (the chat goes back behind the call), then "/".
    await step('\u001b/', 'Search the knowledge base')
    await step('\u001b', /^(?![\s\S]*Search the knowledge base)/)
    await step('\t', 'Reply (Enter to write)')
    await step('\r', 'REPLY (typing')
    expect(app.lastFrame()).toMatch(/^ok!_?$/m)
    expect(isAltChord('\u001b/')).toBe(true)
    expect(isAltChord('\u001b[A')).toBe(false)
    expect(isAltChord('\u001bOA')).toBe(false)
    app.unmount()
  })

  it('deskContext puts the chat in front only while the agent has it', () => {
    expect(deskContext(s, {...INITIAL_DESK_UI, chat: 'ch2'}, []).chat).toEqual({id: 'ch2', state: 'offered'})
    expect(deskContext(s, {...INITIAL_DESK_UI, chat: 'gone'}, []).chat).toBeNull()
  })
})
