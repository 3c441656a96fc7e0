import chalk from 'chalk'
import {render} from 'ink-testing-library'
import {afterEach, describe, expect, it, vi} from 'vitest'
import type {CallView} from '../../src/engine/api/contract.js'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import type {DeskState} from '../../src/ui/desk/desk-feed.js'
import {Desk} from '../../src/ui/desk/desk.js'
import {AT, EVIL_NAME} from '../support/dashboard.js'

// The desk's screen at 80x24 from a fixed state: a VIP caller ringing with a key trail and
// history, a hostile caller name and note, and the keys of the moment.

const level = chalk.level
afterEach(() => {
  chalk.level = level
  vi.useRealTimers()
})

const HOSTILE_NOTE = 'Promised refund\u001b]0;pwned\u0007 by Friday\u001b[2J'

function state(over: Partial<DeskState> = {}): DeskState {
  const call: CallView = {
    id: 'c1',
    state: 'waiting',
    caller: {number: '+8613800000001', name: EVIL_NAME},
    did: '700',
    queue: 'support',
    priority: 10,
    agent: null,
    startedAt: AT - 40_000,
    joinedAt: AT - 30_000,
    enteredQueueAt: AT - 30_000,
    connectedAt: null,
    ringing: ['1001'],
    callbackNumber: null,
    keyTrail: ['menu:2', 'billing:1'],
    contact: {name: '黄磊', tier: 'VIP', vip: true},
    heldSince: null,
    holdMs: 0,
    consulting: false,
  }
  return {
    feed: {
      status: 'live',
      snapshot: {at: AT, queues: [{name: 'support', settings: {...DEFAULT_QUEUE_SETTINGS, dispositions: [{code: 'resolved', label: 'Resolved', key: '1'}]}, waiting: [], agents: {idle: 0, busy: 1, paused: 0, loggedIn: 1}}], agents: [], calls: [call], stats: {} as never},
      error: null,
      retryAt: null,
      receivedAt: AT,
    },
    agent: '1001',
    me: {id: '1001', name: 'Li Na', endpoint: 'PJSIP/1001', state: 'ringing', since: AT - 2000, pauseReason: null, callId: 'c1', queues: {support: 0}, skills: {}, callsTaken: 3, callsToday: 3, talkMs: 0, missedRings: 0, backoffUntil: null, why: null},
    call,
    pop: {
      callId: 'c1',
      ringAt: AT - 1000,
      call,
      error: null,
      ended: false,
      missed: false,
      history: {
        number: '+8613800000001',
        contact: {number: '+8613800000001', name: '黄磊', tier: 'VIP', vip: true, company: 'Acme', language: 'zh', notes: 'key account', tags: ['wholesale']},
        callTags: ['refund-line'],
        searchedFrom: AT - 180 * 86_400_000,
        interactions: [
          {kind: 'ticket', at: AT - 86_400_000, id: 'T-000007', direction: null, queue: 'billing', agent: null, outcome: 'open', disposition: null, notes: ['Refund for order 42'], priority: 'high'},
          {kind: 'call', at: AT - 2 * 86_400_000, id: 'c0', direction: 'inbound', queue: 'support', agent: '1002', outcome: 'answered', disposition: {code: 'follow-up', label: 'Follow-up'}, notes: [HOSTILE_NOTE], priority: null},
        ],
      },
    },
    wrapUpEndsAt: null,
    lastCall: null,
    owed: [],
    settings: {pauseReasons: ['break'], crmLink: 'https://crm.example.com/c/{number}', quickReplies: [], historyDays: 180},
    skewMs: 0,
    held: new Set(),
    consulting: new Set(),
    notesSaved: new Map(),
    chats: [],
    ...over,
  }
}

function renderDesk(s: DeskState) {
  vi.useFakeTimers({now: AT, toFake: ['Date']})
  const feed = {subscribe: () => () => undefined, getState: () => s}
  return render(<Desk feed={feed} run={async () => undefined} onQuit={() => undefined} size={{columns: 80, rows: 24}} timeZone="UTC" hyperlinks={false} />)
}

describe('the desk screen (80 x 24)', () => {
  it('pops the ringing caller: number, contact, queue, wait, key trail, CRM link, history; the keys of the moment', () => {
    chalk.level = 0
    const frame = renderDesk(state()).lastFrame()!
    expect(frame).toMatchInlineSnapshot(`
      "callctl desk · 1001 Li Na                                         live  09:30:00
       RINGING  0:02 · calls today 3 · queues support
       RINGING  +8613800000001  Evilame VIP  queue support · waited 0:30
      Answer on your phone: PJSIP/1001
      Contact  VIP · Acme · tags wholesale, refund-line · key account
      IVR keys menu:2 → billing:1
      CRM (o)  https://crm.example.com/c/%2B8613800000001
      History: last 2
      11-22 09:30 T-000007 billing  open            "Refund for order 42" (high)
      11-21 09:30 call     support  answered  1002  Follow-up "Promised refund by Fri…







      Note (n)


      answer on your phone · n note · o CRM
      o CRM · / knowledge base · c quick replies · ? help · q quit
      "
    `)
    const lines = frame.split('\n')
    expect(lines.every((l) => l.length <= 80)).toBe(true)
    expect(lines.length).toBeLessThanOrEqual(23)
  })

  it('shows outside text inert, colours on or off', () => {
    for (const l of [0, 1] as const) {
      chalk.level = l
      const frame = renderDesk(state()).lastFrame()!
      expect(frame).not.toContain('pwned')
      expect(frame.replace(/\u001b\[[\d;]*m/g, '')).not.toMatch(/[\u0007\u009b\u001b]/)
      // The C1 CSI (U+009B) takes the N with it, as the dashboard shows it.
      expect(frame.replace(/\u001b\[[\d;]*m/g, '')).toContain('Evilame VIP')
    }
  })

  it('the CRM link is a terminal hyperlink (OSC 8) to the URL-encoded number, and the line still fits', () => {
    chalk.level = 0
    const s = state()
    const feed = {subscribe: () => () => undefined, getState: () => s}
    vi.useFakeTimers({now: AT, toFake: ['Date']})
    const frame = render(<Desk feed={feed} run={async () => undefined} onQuit={() => undefined} size={{columns: 80, rows: 24}} timeZone="UTC" />).lastFrame()!
    const line = frame.split('\n').find((l) => l.startsWith('CRM (o)'))!
    expect(line).toBe('CRM (o)  \u001b]8;;https://crm.example.com/c/%2B8613800000001\u001b\\https://crm.example.com/c/%2B8613800000001\u001b]8;;\u001b\\')
  })

  it('in wrap-up: the countdown, the disposition owed and its keys', () => {
    chalk.level = 0
    const s = state({
      me: {...state().me!, state: 'wrap-up', since: AT - 5000},
      call: null,
      pop: {...state().pop!, ended: true},
      wrapUpEndsAt: AT + 25_000,
      lastCall: {id: 'c1', queue: 'support', number: '+8613800000001', disposition: null, ticket: 'T-000008'},
    })
    s.feed = {...s.feed, overdueTickets: 2}
    const frame = renderDesk(s).lastFrame()!
    expect(frame).toMatch(/^ WRAP-UP  0:25 left · r ready now · DISPOSITION OWED \(d\) · 2 tickets overdue/m)
    expect(frame).toContain('1-9 or d disposition')
    expect(frame).toContain('ticket T-000008')
    s.feed = {...s.feed, overdueTickets: 1}
    expect(renderDesk(s).lastFrame()!).toMatch(/ · 1 ticket overdue · /)
  })
})
