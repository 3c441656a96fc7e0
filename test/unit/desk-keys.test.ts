import {describe, expect, it} from 'vitest'
import {INITIAL_DESK_UI, kbPick, onDeskKey, parseTarget, type DeskContext, type DeskUi} from '../../src/ui/desk/desk-keys.js'
import {copySequence, crmUrl, hyperlink} from '../../src/ui/desk/terminal-codes.js'

// The desk's keys as a pure function: what each key does in each state of the agent.

const CODES = [
  {code: 'resolved', label: 'Resolved', key: '1'},
  {code: 'follow-up', label: 'Needs follow-up', key: '2'},
  {code: 'sale', label: 'Sale', key: 's'},
]

function ctx(c: Partial<DeskContext> = {}): DeskContext {
  return {
    agentState: 'idle',
    paused: false,
    connected: null,
    noteCall: null,
    dispositionOwed: false,
    pauseReasons: ['break', 'lunch'],
    dispositions: CODES,
    quickReplies: ['Thank you for calling'],
    kbHits: [],
    queues: ['support', 'billing'],
    crmLink: null,
    customer: null,
    chats: [],
    chat: null,
    ...c,
  }
}

const onCall = ctx({agentState: 'on-call', connected: {id: 'c1', held: false, consulting: false}, noteCall: 'c1', customer: '+8613800000001'})
const wrapUp = ctx({agentState: 'wrap-up', noteCall: 'c1', dispositionOwed: true, customer: '+8613800000001'})

/** Keys in turn from the start; the actions they asked for. */
function press(c: DeskContext, ...keys: (string | {key: Record<string, boolean>})[]) {
  let ui: DeskUi = INITIAL_DESK_UI
  const actions = []
  for (const k of keys) {
    const r = typeof k === 'string' ? onDeskKey(ui, k, {}, c) : onDeskKey(ui, '', k.key, c)
    ui = r.ui
    if (r.action) actions.push(r.action)
  }
  return {ui, actions}
}
const enter = {key: {return: true}}
const escape = {key: {escape: true}}

describe('desk keys', () => {
  it('call keys act on the connected call, and say why not without one', () => {
    expect(press(onCall, 'h').actions).toEqual([{type: 'hold'}])
    expect(press(ctx({...onCall, connected: {id: 'c1', held: true, consulting: false}}), 'h').actions).toEqual([{type: 'unhold'}])
    expect(press(onCall, 'x').actions).toEqual([{type: 'hangup'}])
    expect(press(ctx(), 'x').actions).toEqual([{type: 'say', text: 'No call: that key works on a connected call'}])
  })

  it('transfer and consult take a target: agent id, queue name or number', () => {
    expect(press(onCall, 't', 'b', 'i', 'l', 'l', 'i', 'n', 'g', enter).actions).toEqual([{type: 'transfer', to: {queue: 'billing'}, consult: false}])
    expect(press(onCall, 'y', '1', '0', '0', '2', enter).actions).toEqual([{type: 'transfer', to: {agent: '1002'}, consult: true}])
    expect(press(onCall, 'y', 'q', ':', 's', enter).actions).toEqual([{type: 'say', text: 'A consultation goes to an agent or a number, not a queue'}])
    // In a consultation y completes it and u cancels it.
    const consulting = ctx({...onCall, connected: {id: 'c1', held: true, consulting: true}})
    expect(press(consulting, 'y').actions).toEqual([{type: 'consult-complete'}])
    expect(press(consulting, 'u').actions).toEqual([{type: 'consult-cancel'}])
    expect(parseTarget('+86 138 0013 8000', [])).toEqual({number: '+8613800138000'})
    expect(parseTarget('a: support', ['support'])).toEqual({agent: 'support'})
    expect(parseTarget('n:12345', [])).toEqual({number: '12345'})
  })

  it('DTMF takes 0-9 * # A-D only; Esc leaves a prompt without acting', () => {
    expect(press(onCall, 'f', '1', '2', '#', enter).actions).toEqual([{type: 'dtmf', digits: '12#'}])
    expect(press(onCall, 'f', 'x', enter).actions).toEqual([{type: 'say', text: 'DTMF: digits 0-9, *, # and A-D only'}])
    const r = press(onCall, 'f', '9', escape)
    expect(r.actions).toEqual([])
    expect(r.ui.mode).toEqual({kind: 'normal'})
  })

  it('a note is sent as it is typed, per call; Enter or Esc leaves it; pasted escapes are dropped', () => {
    const r = press(onCall, 'n', 'H', 'i', '\u001b[2J!', {key: {backspace: true}}, enter)
    expect(r.actions).toEqual([
      {type: 'note', text: 'H'},
      {type: 'note', text: 'Hi'},
      {type: 'note', text: 'Hi[2J!'},
      {type: 'note', text: 'Hi[2J'},
      {type: 'note', text: 'Hi[2J'},
    ])
    expect(r.ui.notes).toEqual({c1: 'Hi[2J'})
    expect(press(ctx(), 'n').actions).toEqual([{type: 'say', text: 'No call to write a note on'}])
  })

  it('in wrap-up with a disposition owed: ready is refused, a digit key picks its code, letters through d', () => {
    expect(press(wrapUp, 'r').actions).toEqual([{type: 'say', text: 'Choose a disposition first (d, or its number)'}])
    expect(press(wrapUp, '2').actions).toEqual([{type: 'disposition', code: 'follow-up', label: 'Needs follow-up'}])
    expect(press(wrapUp, 'd', 's').actions).toEqual([{type: 'disposition', code: 'sale', label: 'Sale'}])
    // Once chosen, ready.
    expect(press(ctx({...wrapUp, dispositionOwed: false}), 'r').actions).toEqual([{type: 'ready'}])
    expect(press(ctx({...wrapUp, dispositions: []}), 'd').actions).toEqual([{type: 'say', text: "This call's queue has no disposition codes"}])
  })

  it('pause picks a configured reason; log in and out by state', () => {
    expect(press(ctx(), 'p', '2').actions).toEqual([{type: 'pause', reason: 'lunch'}])
    expect(press(ctx({agentState: 'offline'}), 'p').actions).toEqual([{type: 'say', text: 'Log in first (l)'}])
    expect(press(ctx({agentState: 'offline'}), 'l').actions).toEqual([{type: 'login'}])
    expect(press(ctx(), 'l').actions).toEqual([{type: 'logout'}])
  })

  it('dial offers the customer; ticket, KB search, copy, quick replies and the CRM link', () => {
    expect(press(wrapUp, 'g', enter).actions).toEqual([{type: 'dial', number: '+8613800000001'}])
    expect(press(onCall, 'g').actions).toEqual([{type: 'say', text: 'Hang up first to dial'}])
    expect(press(onCall, 'k', 'R', 'e', 'f', enter).actions).toEqual([{type: 'ticket', subject: 'Ref'}])
    expect(press(onCall, 'k', enter).actions).toEqual([{type: 'ticket', subject: ''}])
    expect(press(ctx(), '/', 'p', 'w', enter).actions).toEqual([{type: 'kb-search', query: 'pw'}])
    const ui = kbPick(INITIAL_DESK_UI, [{id: 7, question: 'Reset?'}])
    expect(onDeskKey(ui, '1', {}, ctx()).action).toEqual({type: 'kb-copy', id: 7})
    expect(press(ctx(), 'c', '1').actions).toEqual([{type: 'copy', text: 'Thank you for calling', what: 'quick reply'}])
    expect(press(ctx(), 'o').actions[0]).toMatchObject({type: 'say'})
    expect(press(ctx({crmLink: 'https://crm/{number}', customer: '+1'}), 'o').actions).toEqual([{type: 'open-crm'}])
    expect(press(ctx(), 'q').actions).toEqual([{type: 'quit'}])
  })
})

describe('terminal codes', () => {
  it('the CRM link URL-encodes what it is given, and the sequences carry no control byte of theirs', () => {
    expect(crmUrl('https://crm.example.com/c/{number}?call={call}&k={contact}', {number: '+86 138', contact: null, call: 'a&b'})).toBe('https://crm.example.com/c/%2B86%20138?call=a%26b&k=')
    expect(hyperlink('https://x/\u001b]0;t\u0007', 'x')).toBe('\u001b]8;;https://x/]0;t\u001b\\x\u001b]8;;\u001b\\')
    expect(copySequence('密码')).toBe(`\u001b]52;c;${Buffer.from('密码').toString('base64')}\u0007`)
  })
})
