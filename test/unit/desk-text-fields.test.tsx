import chalk from 'chalk'
import {render} from 'ink-testing-library'
import {afterEach, describe, expect, it, vi} from 'vitest'
import type {CallView} from '../../src/engine/api/contract.js'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import type {DeskState} from '../../src/ui/desk/desk-feed.js'
import type {DeskAction} from '../../src/ui/desk/desk-keys.js'
import {Desk} from '../../src/ui/desk/desk.js'
import {guardKeyInput, PASTE_END, PASTE_START} from '../../src/ui/key-input.js'
import {AT} from '../support/dashboard.js'

// The desk's text fields read through the real input path (key-input.ts, Ink, use-keys.ts),
// misuse report 21. Finding 1: Alt+x typed in a note left it and hung up; a pasted hyperlink
// logged the agent out and held the call. Finding 12: keys pressed while the engine was away
// were dropped without a word. Finding 14: a note over 4000 characters was cut silently, and a
// long note showed its beginning while the agent typed its end.

const level = chalk.level
afterEach(() => {
  chalk.level = level
  vi.useRealTimers()
})

const OSC8 = ' see \u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\ done'

function onCall(status: DeskState['feed']['status'] = 'live'): DeskState {
  const call = {
    id: 'c1',
    state: 'connected',
    caller: {number: '+8613700000003', name: 'Fay'},
    did: '200',
    queue: 'support',
    priority: 0,
    agent: '1001',
    startedAt: AT - 40_000,
    joinedAt: AT - 30_000,
    enteredQueueAt: AT - 30_000,
    connectedAt: AT - 20_000,
    ringing: [],
    callbackNumber: null,
    keyTrail: [],
    contact: null,
    heldSince: null,
    holdMs: 0,
    consulting: false,
  } as unknown as CallView
  return {
    feed: {
      status,
      snapshot: {at: AT, queues: [{name: 'support', settings: DEFAULT_QUEUE_SETTINGS, waiting: [], agents: {idle: 0, busy: 1, paused: 0, loggedIn: 1}}], agents: [], calls: [call], stats: {} as never},
      error: status === 'live' ? null : 'Cannot reach the engine at ws://127.0.0.1:31001/',
      retryAt: null,
      receivedAt: AT,
    },
    agent: '1001',
    me: {id: '1001', name: 'Li Na', endpoint: 'PJSIP/1001', state: 'on-call', since: AT - 20_000, pauseReason: null, callId: 'c1', queues: {support: 0}, skills: {}, callsTaken: 3, callsToday: 3, talkMs: 0, missedRings: 0, backoffUntil: null, why: null},
    call,
    pop: {callId: 'c1', ringAt: AT - 21_000, call, error: null, ended: false, missed: false, history: null},
    wrapUpEndsAt: null,
    lastCall: null,
    owed: [],
    settings: {pauseReasons: ['break'], crmLink: null, quickReplies: [], historyDays: 180},
    skewMs: 0,
    held: new Set(),
    consulting: new Set(),
    notesSaved: new Map(),
    chats: [],
  }
}

/** The desk at 80x24 on `s`, its input read as the terminal's is (key-input.ts); the actions it asked for. */
function desk(s: DeskState) {
  chalk.level = 0
  vi.useFakeTimers({now: AT, toFake: ['Date']})
  const feed = {subscribe: () => () => undefined, getState: () => s}
  const actions: DeskAction[] = []
  const app = render(<Desk feed={feed} run={async (a) => void actions.push(a)} onQuit={() => undefined} size={{columns: 80, rows: 24}} timeZone="UTC" hyperlinks={false} />)
  guardKeyInput(app.stdin as unknown as NodeJS.ReadStream)
  const frame = () => app.lastFrame() ?? ''
  /** Writes one read, then waits until the screen shows `shown`. */
  const step = async (read: string, shown: string | RegExp) => {
    app.stdin.write(read)
    await vi.waitFor(() => expect(frame()).toMatch(shown))
  }
  const noteLine = () => frame().split('\n').find((_, i, all) => all[i - 1]?.startsWith('NOTE (typing')) ?? ''
  const kinds = () => [...new Set(actions.map((a) => a.type))]
  const notes = () => actions.filter((a): a is Extract<DeskAction, {type: 'note'}> => a.type === 'note')
  return {app, frame, step, noteLine, actions, kinds, notes}
}

describe('the desk note and reply read keys as text', () => {
  it('Alt+x in a note never hangs up; a pasted hyperlink or title types its text only, pasted or not', async () => {
    const d = desk(onCall())
    await d.step('n', 'NOTE (typing')
    await d.step('退款', /^退款\s*$/m)
    // Alt+x, then Alt+h: nothing (each waited on by a letter typed after it).
    d.app.stdin.write('\u001bx')
    await d.step('a', /^退款a\s*$/m)
    d.app.stdin.write('\u001bh')
    await d.step('b', /^退款ab\s*$/m)
    // Pasted without the terminal's paste marks, in one read: the link's text only.
    await d.step(OSC8, /^退款ab see link done\s*$/m)
    await d.step('\u001b]0;title\u0007!', /^退款ab see link done!\s*$/m)
    // With the marks: text, its line break a space, even a lone "x".
    await d.step(`${PASTE_START} x\r\nl${PASTE_END}`, /^退款ab see link done! x l\s*$/m)
    await d.step(`${PASTE_START}x${PASTE_END}`, /^退款ab see link done! x lx\s*$/m)
    expect(d.frame()).toContain(' CONNECTED ')
    expect(d.kinds()).toEqual(['note'])
    // An Esc alone ends the note and saves it.
    await d.step('\u001b', 'Note (n)')
    expect(d.notes().at(-1)!.text).toBe('退款ab see link done! x lx')
    expect(d.kinds()).toEqual(['note'])
    d.app.unmount()
  })

  it('a read that leaves the note (Enter) ends there: what came with the text is no key', async () => {
    const d = desk(onCall())
    await d.step('n', 'NOTE (typing')
    await d.step('refund\rxlh', 'Note (n)')
    // A key read on its own afterwards is a key again: ? opens the help.
    await d.step('?', /help/i)
    expect(d.kinds()).toEqual(['note'])
    expect(d.notes().at(-1)!.text).toBe('refund')
    d.app.unmount()
  })

  it('outside a text field a paste is dropped, never keys', async () => {
    const d = desk(onCall())
    d.app.stdin.write(`${PASTE_START}xlh${PASTE_END}`)
    d.app.stdin.write(`${PASTE_START}x`)
    d.app.stdin.write(`l${PASTE_END}`)
    await d.step('n', 'NOTE (typing')
    expect(d.actions).toEqual([])
    d.app.unmount()
  })

  it('Alt+x in the chat reply and in a prompt does nothing', async () => {
    const d = desk(onCall())
    await d.step('t', 'Blind transfer to')
    d.app.stdin.write('\u001bx')
    await d.step('1', /Blind transfer to.*: 1 /)
    d.app.stdin.write('\u001b')
    await vi.waitFor(() => expect(d.frame()).not.toContain('Blind transfer to'))
    expect(d.actions).toEqual([])
    d.app.unmount()
  })
})

describe('a long note (finding 14)', () => {
  it('at 4000 characters the rest is not added, and the desk says so', async () => {
    const d = desk(onCall())
    await d.step('n', 'NOTE (typing')
    await d.step(`${PASTE_START}${'a'.repeat(3990)}${'b'.repeat(510)}${PASTE_END}`, 'A note holds at most 4000 characters: the rest was not added')
    expect(d.notes().at(-1)).toMatchObject({text: 'a'.repeat(3990) + 'b'.repeat(10)})
    // One more key: not added either, and said again.
    d.app.stdin.write('z')
    await d.step('\u001b', 'Note (n)')
    expect(d.notes().at(-1)).toMatchObject({text: 'a'.repeat(3990) + 'b'.repeat(10)})
    expect(d.frame()).toContain('A note holds at most 4000 characters')
    d.app.unmount()
  })

  it('while typing, the line shows the end of the note, where the caret is', async () => {
    const d = desk(onCall())
    await d.step('n', 'NOTE (typing')
    await d.step(`客户要求退款${'x'.repeat(120)} THE END`, / THE END\s*$/m)
    const line = d.noteLine()
    expect(line).not.toContain('…')
    expect(line.length).toBeLessThanOrEqual(80)
    d.app.unmount()
  })
})

describe('keys while the engine is away (finding 12)', () => {
  it('say they are not done', async () => {
    const d = desk(onCall('unreachable'))
    await d.step('h', 'Not connected to the engine: h not done')
    await d.step('x', 'Not connected to the engine: x not done')
    // A prompt's Enter: not done, and the prompt stays with its text to send again.
    await d.step('t', 'Blind transfer to')
    await d.step('1002\r', 'Not connected to the engine: Enter not done')
    expect(d.frame()).toMatch(/Blind transfer to .*: 1002/)
    expect(d.actions).toEqual([])
    d.app.unmount()
  })
})
