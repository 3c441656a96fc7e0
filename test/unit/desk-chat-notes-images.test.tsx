import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import chalk from 'chalk'
import {render} from 'ink-testing-library'
import {afterAll, afterEach, describe, expect, it, vi} from 'vitest'
import {mayReceive} from '../../src/engine/api/access-policy.js'
import {ImageParts} from '../../src/engine/api/chat-image-parts.js'
import {IMAGE_PART_BYTES} from '../../src/engine/api/chat-contract.js'
import type {Principal} from '../../src/engine/users/roles.js'
import {deskActions} from '../../src/ui/desk/desk-actions.js'
import {unread, type ConversationView, type DeskChat} from '../../src/ui/desk/desk-chats.js'
import {DeskFeed, type DeskState} from '../../src/ui/desk/desk-feed.js'
import {INITIAL_DESK_UI, onDeskKey, type DeskContext, type DeskUi} from '../../src/ui/desk/desk-keys.js'
import {Desk} from '../../src/ui/desk/desk.js'
import {readImageFile} from '../../src/ui/desk/image-file.js'
import {dropUnknownSequences} from '../../src/ui/key-input.js'
import {AT, fixtureSnapshot} from '../support/dashboard.js'
import {fakeFeedEngine} from '../support/fake-feed.js'

// The supervisor's private notes on the agent's desk (inline at their time, "[note from
// NAME]" in their own colour, unread like a customer's line, only the agent's own) and the
// images an agent sends (the m key, a file checked by its bytes, sent in parts through
// chat.image), with the engine's side of both: the parts gathered under limits, and a
// note's event reaching only the agent it is written to.

const level = chalk.level
const dir = mkdtempSync(join(tmpdir(), 'callctl-desk-img-'))
afterEach(() => {
  chalk.level = level
  vi.useRealTimers()
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const png = (size: number) => Buffer.concat([PNG_HEAD, Buffer.alloc(size - PNG_HEAD.length, 7)])
const HOSTILE_NOTE = 'Offer \u001b]0;pwned\u0007the refund\u001b[2J <b>now</b>'

function conversation(id: string, over: Partial<ConversationView> = {}): ConversationView {
  return {id, channel: 'web', customer: `v-${id}`, name: 'Li Lei', number: '', state: 'active', stage: 'active', queue: 'support', agent: '1001', offeredTo: null, startedAt: AT - 60_000, joinedAt: AT - 50_000, acceptedAt: AT - 40_000, closedAt: null, closeReason: null, position: null, messages: 1, last: null, rating: null, ...over}
}

function fakeEngine(list: () => ConversationView[]) {
  return fakeFeedEngine<Record<string, unknown>>((method, params, asked) => {
    if (method === 'snapshot') return fixtureSnapshot()
    if (method === 'desk.settings') return {pauseReasons: ['break'], crmLink: null, quickReplies: [], historyDays: 180}
    if (method === 'chat.list') return {at: AT, conversations: list()}
    if (method === 'chat.transcript')
      return {
        conversation: list().find((c) => c.id === params.conversation),
        lines: [{seq: 1, ts: AT - 60_000, from: 'customer', kind: 'text', text: 'Where is my parcel?'}],
        // The engine narrows an agent's notes to its own; an admin's desk (--agent) gets them all.
        notes: [
          {ts: AT - 30_000, text: 'Earlier: check the order first', by: 'lina', agent: '1001'},
          {ts: AT - 20_000, text: 'to the agent before', by: 'lina', agent: '1002'},
        ],
      }
    if (method === 'chat.image') {
      const size = Number(params.size)
      const got = asked.filter((a) => a.method === 'chat.image').reduce((n, a) => n + Buffer.from(String(a.params.data), 'base64').length, 0)
      return {conversation: params.conversation, upload: 'up1', received: got, sent: got >= size ? {seq: 5, image: {url: 'http://chat/chat/uploads/x.png', mime: 'image/png'}} : null}
    }
    return undefined
  })
}

describe('supervisor notes on the desk', () => {
  it('come with the transcript and live, only those to this agent, and count as unread until the conversation is seen', async () => {
    vi.useFakeTimers({now: AT})
    const engine = fakeEngine(() => [conversation('ch1'), conversation('ch2', {startedAt: AT - 1000})])
    const feed = new DeskFeed(engine.connect, '1001')
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    const of = (id: string) => feed.getState().chats.find((c) => c.id === id)!
    expect(of('ch1').notes).toEqual([{ts: AT - 30_000, by: 'lina', text: 'Earlier: check the order first', read: false}])
    feed.markRead('ch1')
    feed.markRead('ch2')
    expect(unread(of('ch1'))).toBe(0)

    // A new note on a chat: unread, as a customer's line would be; the same note twice is one.
    const note = {type: 'chat.note', ts: AT + 1000, callId: 'ch2', agent: '1001', data: {text: HOSTILE_NOTE, by: 'lina'}}
    engine.emit(note)
    engine.emit(note)
    expect(of('ch2').notes).toHaveLength(2)
    expect(unread(of('ch2'))).toBe(1)
    // A note to another agent (an admin's desk hears all) and one on a conversation not on the desk: nothing.
    engine.emit({...note, ts: AT + 2000, agent: '1002'})
    engine.emit({...note, callId: 'elsewhere'})
    expect(of('ch2').notes).toHaveLength(2)
    expect(feed.getState().chats.map((c) => c.id)).toEqual(['ch1', 'ch2'])
    feed.markRead('ch2')
    expect(unread(of('ch2'))).toBe(0)
    expect(of('ch2').notes.every((n) => n.read)).toBe(true)
    feed.stop()
  })

  it('the engine pushes a conversation to the agent that has it (or is offered it) only, not to one who had it before; a note too', () => {
    const agent = (a: string): Principal => ({user: `u${a}`, role: 'agent', agent: a})
    // 1001 had the conversation (its subscription remembers it) and transferred it to 1002.
    const engine = {call: (id: string) => (id === 'ch1' ? {agent: '1002', ringing: []} : undefined)}
    const mine = new Set(['ch1'])
    expect(mayReceive({type: 'chat.message', callId: 'ch1'}, agent('1001'), engine, mine)).toBe(false)
    expect(mayReceive({type: 'chat.message', callId: 'ch1'}, agent('1002'), engine, new Set())).toBe(true)
    // Its own hand-over it hears (the event names it), and a chat offered to it.
    expect(mayReceive({type: 'chat.transferred', agent: '1001', callId: 'ch1'}, agent('1001'), engine, mine)).toBe(true)
    const offered = {call: () => ({agent: null, ringing: ['1003']})}
    expect(mayReceive({type: 'chat.message', callId: 'ch2'}, agent('1003'), offered, new Set())).toBe(true)
    expect(mayReceive({type: 'chat.message', callId: 'ch2'}, agent('1001'), offered, new Set())).toBe(false)
    expect(mayReceive({type: 'chat.note', agent: '1002', callId: 'ch1'}, agent('1001'), engine, mine)).toBe(false)
    expect(mayReceive({type: 'chat.note', agent: '1002', callId: 'ch1'}, agent('1002'), engine, new Set())).toBe(true)
    expect(mayReceive({type: 'chat.note', agent: '1002', callId: 'ch1'}, {user: 'lina', role: 'supervisor', agent: null}, engine, new Set())).toBe(true)
  })
})

function chat(id: string, over: Partial<DeskChat> = {}, view: Partial<ConversationView> = {}): DeskChat {
  return {id, view: conversation(id, view), lines: [], notes: [], readSeq: 0, typingAt: null, history: null, ...over}
}

function state(chats: DeskChat[]): DeskState {
  return {
    feed: {status: 'live', snapshot: {...fixtureSnapshot(), at: AT}, error: null, retryAt: null, receivedAt: AT},
    agent: '1001',
    me: {id: '1001', name: 'Li Na', endpoint: 'PJSIP/1001', state: 'idle', since: AT - 2000, pauseReason: null, callId: null, queues: {support: 0}, skills: {}, callsTaken: 3, callsToday: 3, talkMs: 0, missedRings: 0, backoffUntil: null, why: null},
    call: null,
    pop: null,
    wrapUpEndsAt: null,
    lastCall: null,
    owed: [],
    settings: {pauseReasons: ['break'], crmLink: null, quickReplies: [], historyDays: 180},
    skewMs: 0,
    held: new Set(),
    consulting: new Set(),
    notesSaved: new Map(),
    chats,
  }
}

describe('the chat pane at 80x24: a note and an image line', () => {
  const s = state([
    chat('ch1', {
      lines: [
        {seq: 1, ts: AT - 60_000, from: 'customer', kind: 'text', text: 'Where is my parcel?'},
        {seq: 2, ts: AT - 50_000, from: 'agent', kind: 'image', text: '[image] http://127.0.0.1:8090/chat/uploads/abc.png'},
        {seq: 3, ts: AT - 10_000, from: 'customer', kind: 'text', text: 'Thanks'},
      ],
      notes: [{ts: AT - 40_000, by: 'lina', text: HOSTILE_NOTE, read: true}],
      readSeq: 3,
    }),
    chat('ch2', {notes: [{ts: AT - 1000, by: 'lina', text: 'Is this one waiting?', read: false}], readSeq: 0}, {name: 'Wang Fang', startedAt: AT - 1000}),
  ])

  const frame = async (colours: 0 | 1) => {
    chalk.level = colours
    vi.useFakeTimers({now: AT, toFake: ['Date']})
    const feed = {subscribe: () => () => undefined, getState: () => s}
    const app = render(<Desk feed={feed} run={async () => undefined} onQuit={() => undefined} size={{columns: 80, rows: 24}} timeZone="UTC" hyperlinks={false} />)
    app.stdin.write('\t')
    await vi.waitFor(() => expect(app.lastFrame()).toContain('Chat with Li Lei'))
    const f = app.lastFrame()!
    app.unmount()
    return f
  }

  it('shows the note at its time as "[note from lina]", inert, in magenta with colours and by its words without', async () => {
    const plain = await frame(0)
    const lines = plain.split('\n')
    const at = (text: string) => lines.findIndex((l) => l.includes(text))
    expect(plain).toContain('09:29 [note from lina] Offer the refund <b>now</b>')
    expect(plain).not.toContain('pwned')
    expect(plain).not.toMatch(/[\u0007\u001b\u009b]/)
    // In its place by time: after the agent's image, before the customer's thanks.
    expect(at('you: [image] http://127.0.0.1:8090/chat/uploads/abc.png')).toBeLessThan(at('[note from lina]'))
    expect(at('[note from lina]')).toBeLessThan(at('Li Lei: Thanks'))
    // The other conversation's note is unread: "1 new" on its row.
    expect(plain).toMatch(/^ {2}ACTIVE +Wang Fang +web +1 new/m)
    expect(plain).toContain('m send an image')
    expect(lines.every((l) => [...l].length <= 80)).toBe(true)

    const coloured = await frame(1)
    const noteLine = coloured.split('\n').find((l) => l.includes('[note from lina]'))!
    expect(noteLine).toContain('\u001b[35m')
    expect(coloured.split('\n').find((l) => l.includes('Li Lei: Thanks'))).not.toContain('\u001b[35m')
  })
})

const ctx = (c: Partial<DeskContext>): DeskContext => ({agentState: 'idle', paused: false, connected: null, noteCall: null, dispositionOwed: false, pauseReasons: ['break'], dispositions: [], quickReplies: [], kbHits: [], queues: ['support'], crmLink: null, customer: null, chats: [], chat: null, ...c})

describe('an agent sends an image', () => {
  it('m opens the file prompt on an active chat; Enter sends the path; not before the chat is accepted', () => {
    const active = ctx({chats: [{id: 'ch1', state: 'active'}], chat: {id: 'ch1', state: 'active'}})
    let ui: DeskUi = {...INITIAL_DESK_UI, chat: 'ch1'}
    ui = onDeskKey(ui, 'm', {}, active).ui
    expect(ui.mode).toEqual({kind: 'prompt', prompt: 'chat-image', text: ''})
    ui = onDeskKey(ui, '~/label \u001b[2J.png', {}, active).ui
    expect(onDeskKey(ui, '', {return: true}, active)).toMatchObject({ui: {mode: {kind: 'normal'}}, action: {type: 'chat-image', conversation: 'ch1', path: '~/label [2J.png'}})
    const offered = ctx({chats: [{id: 'ch1', state: 'offered'}], chat: {id: 'ch1', state: 'offered'}})
    expect(onDeskKey({...INITIAL_DESK_UI, chat: 'ch1'}, 'm', {}, offered).action).toEqual({type: 'say', text: 'Accept the chat first (a)'})
  })

  it('reads the file, checks it by its bytes, sends it in parts; a page named .png or a missing file sends nothing', async () => {
    const engine = fakeEngine(() => [conversation('ch1')])
    const feed = new DeskFeed(engine.connect, '1001')
    feed.start()
    await vi.waitFor(() => expect(feed.getState().chats).toHaveLength(1))
    const actions = deskActions({feed, write: () => undefined})
    const run = (path: string) => actions.run({type: 'chat-image', conversation: 'ch1', path}, {state: feed.getState(), ui: INITIAL_DESK_UI})
    const images = () => engine.asked.filter((a) => a.method === 'chat.image').map((a) => a.params)

    // A hostile name: shown inert in what the desk says.
    const file = join(dir, 'label\u001b]0;pwned\u0007.png')
    writeFileSync(file, png(2 * IMAGE_PART_BYTES + 10))
    const r = await run(file)
    expect(r).toEqual({text: 'Sent the image label.png (88 KiB) to Li Lei'})
    expect(images().map((p) => [p.agent, p.size, Buffer.from(String(p.data), 'base64').length, p.upload ?? null])).toEqual([
      ['1001', 2 * IMAGE_PART_BYTES + 10, IMAGE_PART_BYTES, null],
      ['1001', 2 * IMAGE_PART_BYTES + 10, IMAGE_PART_BYTES, 'up1'],
      ['1001', 2 * IMAGE_PART_BYTES + 10, 10, 'up1'],
    ])

    const page = join(dir, 'photo.png')
    writeFileSync(page, '<html><script>alert(1)</script></html>')
    await expect(run(page)).rejects.toThrow(`Not a PNG, JPEG, GIF or WebP image (by its contents, whatever its name): ${page}`)
    await expect(run(join(dir, 'none.png'))).rejects.toThrow(`No file ${join(dir, 'none.png')}`)
    await expect(run(dir)).rejects.toThrow(`Not a file: ${dir}`)
    expect(images()).toHaveLength(3)
    expect(readImageFile(file).subarray(0, 8)).toEqual(PNG_HEAD)
    feed.stop()
  })
})

describe('chat.image parts (the engine side)', () => {
  const part = (b: Buffer) => b.toString('base64')

  it('gathers the parts of one upload, for the user, conversation and size that began it', () => {
    const parts = new ImageParts()
    const img = png(100)
    const first = parts.add({conversation: 'ch1', agent: '1001', size: 100, data: part(img.subarray(0, 60))}, 'lina', 1000)
    expect(first).toMatchObject({received: 60, image: null})
    // Another user, conversation or size cannot continue it.
    expect(() => parts.add({conversation: 'ch1', agent: '1001', size: 100, data: part(img.subarray(60)), upload: first.upload}, 'wang', 1000)).toThrow(/No image upload/)
    expect(() => parts.add({conversation: 'ch2', agent: '1001', size: 100, data: part(img.subarray(60)), upload: first.upload}, 'lina', 1000)).toThrow(/No image upload/)
    const last = parts.add({conversation: 'ch1', agent: '1001', size: 100, data: part(img.subarray(60)), upload: first.upload}, 'lina', 1000)
    expect(last.image).toEqual(img)
    // Finished: the id is gone.
    expect(() => parts.add({conversation: 'ch1', agent: '1001', size: 100, data: part(img), upload: first.upload}, 'lina', 1000)).toThrow(/No image upload/)
  })

  it('refuses an image larger than the limit, one that does not start as an image, and parts beyond the size declared', () => {
    const parts = new ImageParts()
    expect(() => parts.add({conversation: 'ch1', agent: '1001', size: 5000, data: part(png(100))}, 'lina', 4096)).toThrow('Images may be at most 4 KiB (this one is 5 KiB)')
    expect(() => parts.add({conversation: 'ch1', agent: '1001', size: 100, data: part(Buffer.from('<svg onload=alert(1)>'))}, 'lina', 4096)).toThrow(/not start as one/)
    const up = parts.add({conversation: 'ch1', agent: '1001', size: 50, data: part(png(40))}, 'lina', 4096).upload
    expect(() => parts.add({conversation: 'ch1', agent: '1001', size: 50, data: part(png(20)), upload: up}, 'lina', 4096)).toThrow('The parts hold more than the 50 bytes declared')
  })
})

describe('what the terminal sends the desk', () => {
  it('drops the control sequences Ink 6.8 throws on (a pasted colour), keeps the keys', async () => {
    const {default: parseKeypress} = (await import('../../node_modules/ink/build/parse-keypress.js')) as {default: (s: string) => {ctrl: boolean; name?: string; isKittyProtocol?: boolean}}
    // Without the guard, Ink names no key for it and throws reading the name (the desk exited).
    expect(parseKeypress('\u001b[31m')).toMatchObject({ctrl: true, name: undefined})
    expect(dropUnknownSequences('~/label \u001b[31m.png\u001b[0m')).toBe('~/label .png')
    for (const key of ['\u001b[A', '\u001b[1;5C', '\u001b[H', '\u001b[3~', '\u001b[5;5~', '\u001b[Z', '\u001b[200~', '\u001b[97;5u']) expect(dropUnknownSequences(key)).toBe(key)
    // Every sequence a terminal could send, with the parameters that read as modifiers: what is left parses.
    for (let final = 0x40; final <= 0x7e; final++) {
      for (const param of ['', '1', '5', '31', '1;5', '1;8', '2;5', '3;5', '24;8', '200', '97;5']) {
        const left = dropUnknownSequences(`\u001b[${param}${String.fromCharCode(final)}`)
        if (left === '') continue
        const k = parseKeypress(left)
        expect(k.isKittyProtocol || !k.ctrl || k.name !== undefined, JSON.stringify(left)).toBe(true)
      }
    }
  })
})
