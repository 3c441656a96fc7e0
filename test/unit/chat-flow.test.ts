import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {FlowSession, offlineDeps} from '../../src/engine/chat/flows/flow-session.js'
import {pick} from '../../src/engine/chat/flows/flow-runner.js'
import {checkChatFlow, parseChatFlow} from '../../src/engine/chat/flows/parse-chat-flow.js'
import {SqliteKnowledgeBase} from '../../src/engine/kb/sqlite-kb.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'

// Conversation flows: checked whole at load time with file:line:column, and run by the
// same runner the engine uses (FlowSession is what `callctl chat test` drives), against a
// real knowledge base in SQLite.

const FLOW = `flow: support
timezone: Asia/Shanghai
start: greet
calendars:
  office: {open: {mon-fri: "09:00-18:00"}}
nodes:
  greet: {type: message, text: "Hello! I'm the assistant.", next: hours}
  hours: {type: hours, calendar: office, open: menu, closed: closed}
  closed: {type: close, text: "We are open 9:00-18:00, Monday to Friday."}
  menu:
    type: menu
    text: What can we help with?
    choices:
      - {key: billing, label: Billing, keywords: [bill, invoice, 账单], next: faq}
      - {key: agent, label: Talk to a person, keywords: [agent, human, 人工], next: handoff}
    otherwise: faq
  faq: {type: kb, text: "What is your question?", minScore: 0.5, helpful: bye, notHelpful: handoff, noMatch: handoff}
  handoff: {type: queue, queue: support, skills: "english", text: "Connecting you to an agent."}
  bye: {type: close, text: "Glad we could help!"}
`
// Monday 7 December 2026, 10:00 and 20:00 in Shanghai.
const OPEN = Date.UTC(2026, 11, 7, 2, 0)
const CLOSED = Date.UTC(2026, 11, 7, 12, 0)

describe('chat flow validation', () => {
  it('the example flow (examples/flows/chat.yaml) is valid', () => {
    const file = new URL('../../examples/flows/chat.yaml', import.meta.url)
    expect(checkChatFlow(readFileSync(file, 'utf8'), 'chat.yaml').errors).toEqual([])
  })

  it('a voice (IVR) flow is one error naming ivr test, not one per node (misuse report 21)', () => {
    const file = new URL('../../examples/flows/main.yaml', import.meta.url)
    const {flow, errors} = checkChatFlow(readFileSync(file, 'utf8'), 'main.yaml')
    expect(flow).toBeNull()
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/^main\.yaml:\d+:\d+: this is an IVR \(voice\) flow, not a chat flow: node "vip-check" is a branch node$/)
    expect(errors[0]!.suggestion).toContain('callctl ivr test main.yaml')
    // A chat flow with one mistyped node is still told about that node.
    const typo = checkChatFlow(FLOW.replace('type: close, text: "Glad', 'type: play, text: "Glad'), 'chat.yaml')
    expect(typo.errors.map((e) => e.message)).toEqual([expect.stringContaining('unknown node type "play" in node "bye"')])
  })

  it('accepts a whole flow', () => {
    const f = parseChatFlow(FLOW, 'chat.yaml')
    expect(Object.keys(f.nodes)).toHaveLength(7)
    expect(f.nodes.menu).toMatchObject({type: 'menu', otherwise: 'faq'})
  })

  it('reports every problem at its file:line:column', () => {
    const bad = `flow: x
start: a
nodes:
  a: {type: message, text: hi, next: nowhere}
  b: {type: menu, text: pick, choices: [{key: one, label: One, next: a}, {key: one, label: Again, next: a}]}
  c: {type: hours, calendar: office, open: a, closed: a}
  d: {type: sing}
  e: {type: queue, queue: q, skills: "a &&"}
  f: {type: close, colour: red}
`
    const {errors} = checkChatFlow(bad, 'bad.yaml')
    const lines = errors.map((e) => e.message)
    expect(lines).toContain('bad.yaml:5:80: key "one" is used twice in this menu')
    expect(lines).toContain('bad.yaml:6:30: calendar "office" is not defined')
    expect(lines).toContain('bad.yaml:7:13: unknown node type "sing" in node "d"')
    expect(lines.some((l) => /^bad\.yaml:8:38: skills: /.test(l))).toBe(true)
    expect(lines).toContain('bad.yaml:9:20: unknown field "colour" for a close node')
  })

  it('finds missing targets, unreachable nodes and loops that never wait for the customer', () => {
    const missing = checkChatFlow('flow: x\nstart: a\nnodes:\n  a: {type: message, text: hi, next: b}\n', 'm.yaml').errors.map((e) => e.message)
    expect(missing).toEqual(['m.yaml:4:38: node "a" goes to "b", which does not exist'])
    const loop = checkChatFlow('flow: x\nstart: a\nnodes:\n  a: {type: message, text: hi, next: b}\n  b: {type: message, text: again, next: a}\n  z: {type: close}\n', 'l.yaml').errors.map((e) => e.message)
    expect(loop).toContain('l.yaml:6:3: node "z" is unreachable from start "a"')
    expect(loop.some((l) => /never waits for the customer/.test(l))).toBe(true)
    expect(checkChatFlow('flow: x\nstart: a\nnodes:\n  a: {type: menu, text: hi, choices: [{key: k, label: K, next: a}]}\n', 'ok.yaml').errors).toEqual([])
  })

  it('refuses what is not YAML with its position', () => {
    expect(checkChatFlow('flow: [x\n', 'y.yaml').errors[0]!.message).toMatch(/^y\.yaml:\d+:\d+: /)
  })
})

describe('chat flow runner', () => {
  async function kb() {
    const store = new SqliteStore(':memory:')
    const base = new SqliteKnowledgeBase(store.db)
    await base.add({question: 'How do I get an invoice?', answer: 'Invoices are in Account → Billing → Invoices.', tags: ['billing']})
    return base
  }

  it('greets, offers the menu in hours, and hands over to the queue by button or keyword', async () => {
    const flow = parseChatFlow(FLOW, 'chat.yaml')
    const s = new FlowSession(flow, offlineDeps({at: OPEN, kb: null}))
    const first = await s.start()
    expect(first.said.map((x) => x.text)).toEqual(["Hello! I'm the assistant.", 'What can we help with?'])
    expect(first.said[1]!.buttons).toEqual([
      {key: 'billing', label: 'Billing'},
      {key: 'agent', label: 'Talk to a person'},
    ])
    const t = await s.say('我要人工服务')
    expect(t.end).toEqual({kind: 'queue', queue: 'support', skills: 'english', priority: 0})
    expect(t.said.map((x) => x.text)).toEqual(['Connecting you to an agent.'])
    const b = new FlowSession(flow, offlineDeps({at: OPEN, kb: null}))
    await b.start()
    expect((await b.say('[agent]')).end?.kind).toBe('queue')
  })

  it('off hours: says so and closes', async () => {
    const s = new FlowSession(parseChatFlow(FLOW, 'chat.yaml'), offlineDeps({at: CLOSED, kb: null}))
    const t = await s.start()
    expect(t.said.map((x) => x.text)).toEqual(["Hello! I'm the assistant.", 'We are open 9:00-18:00, Monday to Friday.'])
    expect(t.end).toEqual({kind: 'close', reason: 'off-hours'})
  })

  it('answers from the knowledge base above the score, asks whether it helped, and follows the answer', async () => {
    const flow = parseChatFlow(FLOW, 'chat.yaml')
    const s = new FlowSession(flow, offlineDeps({at: OPEN, kb: await kb()}))
    await s.start()
    const q = await s.say('[billing]')
    expect(q.said.map((x) => x.text)).toEqual(['What is your question?'])
    const a = await s.say('invoice')
    expect(a.kb).toHaveLength(1)
    expect(a.said.map((x) => x.text)).toEqual(['Invoices are in Account → Billing → Invoices.', 'Was this helpful?'])
    const yes = await s.say('[yes]')
    expect(yes.feedback).toEqual([{entry: a.kb[0]!.entry, helpful: true}])
    expect(yes.end).toEqual({kind: 'close', reason: 'bot'})

    // Free text at the menu goes to the kb node with the text as the question; no match hands over.
    const n = new FlowSession(flow, offlineDeps({at: OPEN, kb: await kb()}))
    await n.start()
    const miss = await n.say('my parcel is lost')
    expect(miss.kb).toEqual([])
    expect(miss.end?.kind).toBe('queue')

    // A keyword picks the menu's choice (the kb node then asks); "no" goes to notHelpful.
    const m = new FlowSession(flow, offlineDeps({at: OPEN, kb: await kb()}))
    await m.start()
    expect((await m.say('invoice please')).said.map((x) => x.text)).toEqual(['What is your question?'])
    expect((await m.say('invoice please')).kb).toHaveLength(1)
    expect((await m.say('没用')).end?.kind).toBe('queue')
  })

  it('a menu without otherwise repeats itself on an answer it does not know', async () => {
    const flow = parseChatFlow('flow: x\nstart: m\nnodes:\n  m: {type: menu, text: Pick, choices: [{key: a, label: Apples, next: q}]}\n  q: {type: queue, queue: fruit}\n', 'x.yaml')
    const s = new FlowSession(flow, offlineDeps({kb: null}))
    await s.start()
    const again = await s.say('bananas')
    expect(again.end).toBeNull()
    expect(again.said.map((x) => x.text)).toEqual(['Please choose one of these:', 'Pick'])
    expect((await s.say('1')).end?.kind).toBe('queue')
  })

  it('picks a choice by key, number, label or keyword, in NFKC and any case', () => {
    const choices = [
      {key: 'billing', label: 'Billing', keywords: ['invoice', '账单'], next: 'x'},
      {key: 'agent', label: 'Talk to a person', keywords: ['ＨＵＭＡＮ'], next: 'y'},
    ]
    expect(pick(choices, {payload: 'agent'})?.key).toBe('agent')
    expect(pick(choices, {text: '2'})?.key).toBe('agent')
    expect(pick(choices, {text: 'talk to a person!'})?.key).toBe('agent')
    expect(pick(choices, {text: 'I want a Human'})?.key).toBe('agent')
    expect(pick(choices, {text: '我的账单'})?.key).toBe('billing')
    expect(pick(choices, {text: 'weather'})).toBeNull()
  })
})
