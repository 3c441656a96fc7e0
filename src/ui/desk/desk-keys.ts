import type {KeyPress} from '../dashboard/keys.js'

// What a key does on the agent's desk, as a pure function of what the desk shows: the Ink
// app feeds it keys and carries out the action it returns (desk-actions.ts).

export type TransferTarget = {agent: string} | {queue: string} | {number: string}

export type DeskAction =
  | {type: 'quit'}
  | {type: 'say'; text: string}
  | {type: 'login'}
  | {type: 'logout'}
  | {type: 'ready'}
  | {type: 'pause'; reason: string}
  | {type: 'hold'}
  | {type: 'unhold'}
  | {type: 'hangup'}
  | {type: 'transfer'; to: TransferTarget; consult: boolean}
  | {type: 'consult-complete'}
  | {type: 'consult-cancel'}
  | {type: 'dtmf'; digits: string}
  | {type: 'dial'; number: string}
  | {type: 'callback'}
  /** The note as typed; `notice`: what to tell the agent (the text reached the limit). */
  | {type: 'note'; text: string; notice?: string}
  | {type: 'disposition'; code: string; label: string}
  | {type: 'ticket'; subject: string}
  | {type: 'kb-search'; query: string}
  | {type: 'copy'; text: string; what: string}
  | {type: 'kb-copy'; id: number}
  | {type: 'open-crm'}
  | {type: 'chat-accept'; conversation: string}
  | {type: 'chat-send'; conversation: string; text: string}
  | {type: 'chat-image'; conversation: string; path: string}
  | {type: 'chat-typing'; conversation: string}
  | {type: 'chat-kb-send'; conversation: string; id: number}
  | {type: 'chat-transfer'; conversation: string; to: {agent: string} | {queue: string}}
  | {type: 'chat-close'; conversation: string}
  | {type: 'chat-dismiss'; conversation: string}
  | {type: 'chat-history'; conversation: string}

export type PromptKind = 'transfer' | 'consult' | 'dtmf' | 'dial' | 'ticket' | 'kb' | 'chat-transfer' | 'chat-image'
export type PickKind = 'pause' | 'disposition' | 'kb' | 'replies'

export interface PickItem {
  key: string
  label: string
  value: string
}

export type DeskMode =
  | {kind: 'normal'}
  | {kind: 'help'}
  | {kind: 'note'}
  /** Typing a reply to the chat in front (Enter sends, Esc leaves; the draft stays). */
  | {kind: 'reply'}
  | {kind: 'prompt'; prompt: PromptKind; text: string}
  | {kind: 'pick'; pick: PickKind; items: PickItem[]}

export interface DeskUi {
  mode: DeskMode
  /** The note being typed, per call id. */
  notes: Record<string, string>
  /** The conversation in front (Tab goes through them; null: the call). */
  chat: string | null
  /** The reply being typed, per conversation. */
  replies: Record<string, string>
  /** The conversation in front shows its customer's history instead of the transcript (i). */
  chatHistory: boolean
}

export const INITIAL_DESK_UI: DeskUi = {mode: {kind: 'normal'}, notes: {}, chat: null, replies: {}, chatHistory: false}

export type ChatState = 'flow' | 'queued' | 'offered' | 'active' | 'closed'

/** What the keys need to know of the desk's state. */
export interface DeskContext {
  agentState: string | null
  paused: boolean
  /** The call the agent is on (connected), or null. */
  connected: {id: string; held: boolean; consulting: boolean} | null
  /** The call a note or disposition goes to: the live call, else the one in wrap-up. */
  noteCall: string | null
  /** That call's disposition is owed (chosen codes clear it). */
  dispositionOwed: boolean
  pauseReasons: readonly string[]
  dispositions: readonly {code: string; label: string; key: string}[]
  quickReplies: readonly string[]
  kbHits: readonly {id: number; question: string}[]
  queues: readonly string[]
  crmLink: string | null
  /** The customer's number of the pop (the default of dial and ticket). */
  customer: string | null
  /** The agent's conversations, in the order shown, and the one in front. */
  chats: readonly {id: string; state: ChatState}[]
  chat: {id: string; state: ChatState} | null
}

export const PROMPT_LABEL: Record<PromptKind, string> = {
  transfer: 'Blind transfer to (agent id, queue name or number)',
  consult: 'Consult (agent id or number)',
  dtmf: 'DTMF digits to send',
  dial: 'Dial number',
  ticket: 'Ticket subject',
  kb: 'Search the knowledge base',
  'chat-transfer': 'Transfer the chat to (agent id or queue name)',
  'chat-image': 'Send an image (file path)',
}

/** Whether the desk is in a text field (a note, a reply, a prompt): keys there are text, no Alt key acts, a paste is typed. */
export const inTextField = (ui: DeskUi): boolean => ui.mode.kind === 'note' || ui.mode.kind === 'reply' || ui.mode.kind === 'prompt'

/** A note or a reply is kept whole up to this many characters (the engine refuses a longer one: desk-work.ts NOTE_MAX). */
export const TEXT_MAX = 4000

const keyOf = (i: number) => (i < 9 ? String(i + 1) : String.fromCharCode(97 + i - 9))

export function onDeskKey(ui: DeskUi, input: string, key: KeyPress, c: DeskContext): {ui: DeskUi; action?: DeskAction} {
  if (key.ctrl && input === 'c') return {ui, action: {type: 'quit'}}
  const m = ui.mode
  if (m.kind === 'help') return {ui: normal(ui)}
  if (m.kind === 'note') return noteKey(ui, input, key, c)
  if (m.kind === 'reply') return replyKey(ui, input, key, c)
  if (m.kind === 'prompt') return promptKey(ui, m, input, key, c)
  if (m.kind === 'pick') return pickKey(ui, m, input, key, c)
  return chatKey(ui, input, key, c) ?? normalKey(ui, input, key, c)
}

/** Keys of the chats: Tab and a anywhere; the rest while a conversation is in front (else undefined: the call's keys). */
function chatKey(ui: DeskUi, input: string, key: KeyPress, c: DeskContext): {ui: DeskUi; action?: DeskAction} | undefined {
  const front = (id: string | null): DeskUi => ({...ui, chat: id, chatHistory: false})
  if (key.tab) {
    if (c.chats.length === 0) return say(ui, 'No chats')
    const at = c.chat ? c.chats.findIndex((x) => x.id === c.chat!.id) : -1
    // After the last conversation, back to the call.
    return {ui: front(c.chats[at + 1]?.id ?? null)}
  }
  if (input === 'a') {
    const offered = c.chat?.state === 'offered' ? c.chat : c.chats.find((x) => x.state === 'offered')
    if (!offered) return say(ui, 'No chat offered to you')
    return {ui: front(offered.id), action: {type: 'chat-accept', conversation: offered.id}}
  }
  const chat = c.chat
  if (!chat) return undefined
  const id = chat.id
  const needsActive = () => (chat.state === 'offered' ? say(ui, 'Accept the chat first (a)') : chat.state === 'closed' ? say(ui, 'This chat has ended (x puts it away)') : say(ui, 'This chat is not with you'))
  if (key.escape) return {ui: front(null)}
  if (key.return || input === 'w') return chat.state === 'active' ? {ui: {...ui, mode: {kind: 'reply'}}} : needsActive()
  switch (input) {
    case 'c':
      if (chat.state !== 'active') return needsActive()
      return undefined
    case '/':
      return undefined
    case 't':
      return chat.state === 'active' ? {ui: {...ui, mode: {kind: 'prompt', prompt: 'chat-transfer', text: ''}}} : needsActive()
    case 'm':
      return chat.state === 'active' ? {ui: {...ui, mode: {kind: 'prompt', prompt: 'chat-image', text: ''}}} : needsActive()
    case 'x':
      return chat.state === 'closed' ? {ui: front(null), action: {type: 'chat-dismiss', conversation: id}} : chat.state === 'active' ? {ui, action: {type: 'chat-close', conversation: id}} : needsActive()
    case 'i':
      return ui.chatHistory ? {ui: {...ui, chatHistory: false}} : {ui: {...ui, chatHistory: true}, action: {type: 'chat-history', conversation: id}}
    default:
      return undefined
  }
}

function replyKey(ui: DeskUi, input: string, key: KeyPress, c: DeskContext): {ui: DeskUi; action?: DeskAction} {
  const chat = c.chat
  if (!chat || chat.state !== 'active') return {ui: normal(ui)}
  const before = ui.replies[chat.id] ?? ''
  if (key.escape) return {ui: normal(ui)}
  if (key.return) {
    const text = before.trim()
    if (text === '') return {ui}
    return {ui: {...ui, replies: {...ui.replies, [chat.id]: ''}}, action: {type: 'chat-send', conversation: chat.id, text}}
  }
  let text = before
  let cut = false
  if (key.backspace || key.delete) text = [...before].slice(0, -1).join('')
  else if (key.ctrl || key.tab || key.upArrow || key.downArrow) return {ui}
  else ({text, cut} = typedOn(before, input))
  const next = text === before ? ui : {...ui, replies: {...ui.replies, [chat.id]: text}}
  if (cut) return say(next, `A reply holds at most ${TEXT_MAX} characters: the rest was not added`)
  if (text === before) return {ui}
  return {ui: next, action: {type: 'chat-typing', conversation: chat.id}}
}

const normal = (ui: DeskUi): DeskUi => ({...ui, mode: {kind: 'normal'}})
const say = (ui: DeskUi, text: string) => ({ui, action: {type: 'say', text} as DeskAction})

function normalKey(ui: DeskUi, input: string, key: KeyPress, c: DeskContext): {ui: DeskUi; action?: DeskAction} {
  const prompt = (p: PromptKind, text = '') => ({ui: {...ui, mode: {kind: 'prompt', prompt: p, text} as DeskMode}})
  const live = c.connected
  const noCall = () => say(ui, 'No call: that key works on a connected call')
  // In wrap-up, digits pick a disposition at once (the codes' own keys, shown on screen).
  if (c.dispositionOwed && !live) {
    const d = c.dispositions.find((x) => x.key === input && /^[1-9]$/.test(input))
    if (d) return {ui, action: {type: 'disposition', code: d.code, label: d.label}}
  }
  switch (input) {
    case 'q':
      return {ui, action: {type: 'quit'}}
    case '?':
      return {ui: {...ui, mode: {kind: 'help'}}}
    case 'l':
      return {ui, action: {type: c.agentState === 'offline' ? 'login' : 'logout'}}
    case 'r':
      if (c.dispositionOwed) return say(ui, 'Choose a disposition first (d, or its number)')
      return {ui, action: {type: 'ready'}}
    case 'p':
      if (c.agentState === 'offline') return say(ui, 'Log in first (l)')
      return {ui: {...ui, mode: {kind: 'pick', pick: 'pause', items: c.pauseReasons.map((r, i) => ({key: keyOf(i), label: r, value: r}))}}}
    case 'd':
      if (!c.noteCall) return say(ui, 'No call to give a disposition to')
      if (c.dispositions.length === 0) return say(ui, "This call's queue has no disposition codes")
      return {ui: {...ui, mode: {kind: 'pick', pick: 'disposition', items: c.dispositions.map((d) => ({key: d.key, label: d.label, value: d.code}))}}}
    case 'n':
      if (!c.noteCall) return say(ui, 'No call to write a note on')
      return {ui: {...ui, mode: {kind: 'note'}}}
    case 'h':
      return live ? {ui, action: {type: live.held ? 'unhold' : 'hold'}} : noCall()
    case 'x':
      return live ? {ui, action: {type: 'hangup'}} : noCall()
    case 't':
      return live ? prompt('transfer') : noCall()
    case 'y':
      if (!live) return noCall()
      return live.consulting ? {ui, action: {type: 'consult-complete'}} : prompt('consult')
    case 'u':
      return live?.consulting ? {ui, action: {type: 'consult-cancel'}} : say(ui, 'No consultation to cancel')
    case 'f':
      return live ? prompt('dtmf') : noCall()
    case 'g':
      return live ? say(ui, 'Hang up first to dial') : prompt('dial', c.customer ?? '')
    case 'b':
      return live ? say(ui, 'Hang up first to call back') : {ui, action: {type: 'callback'}}
    case 'k':
      if (!c.noteCall) return say(ui, 'No call to open a ticket from')
      return prompt('ticket')
    case '/':
      return prompt('kb')
    case 'c':
      if (c.quickReplies.length === 0) return say(ui, 'No quick replies configured (desk.quickReplies in the engine config)')
      return {ui: {...ui, mode: {kind: 'pick', pick: 'replies', items: c.quickReplies.slice(0, 35).map((r, i) => ({key: keyOf(i), label: r, value: r}))}}}
    case 'o':
      return c.crmLink ? {ui, action: {type: 'open-crm'}} : say(ui, 'No CRM link (desk.crmLink in the engine config, and a caller)')
    default:
  }
  if (key.escape && c.kbHits.length > 0) return {ui}
  return {ui}
}

function noteKey(ui: DeskUi, input: string, key: KeyPress, c: DeskContext): {ui: DeskUi; action?: DeskAction} {
  const call = c.noteCall
  if (!call) return {ui: normal(ui)}
  const before = ui.notes[call] ?? ''
  if (key.escape || key.return) return {ui: normal(ui), action: {type: 'note', text: before}}
  let text = before
  let cut = false
  if (key.backspace || key.delete) text = [...before].slice(0, -1).join('')
  else if (key.ctrl || key.tab || key.upArrow || key.downArrow) return {ui}
  else ({text, cut} = typedOn(before, input))
  const notice = `A note holds at most ${TEXT_MAX} characters: the rest was not added`
  if (text === before) return cut ? say(ui, notice) : {ui}
  return {ui: {...ui, notes: {...ui.notes, [call]: text}}, action: {type: 'note', text, ...(cut ? {notice} : {})}}
}

function promptKey(ui: DeskUi, m: Extract<DeskMode, {kind: 'prompt'}>, input: string, key: KeyPress, c: DeskContext): {ui: DeskUi; action?: DeskAction} {
  if (key.escape) return {ui: normal(ui)}
  if (key.backspace || key.delete) return {ui: {...ui, mode: {...m, text: [...m.text].slice(0, -1).join('')}}}
  if (!key.return) {
    if (key.ctrl || key.tab || key.upArrow || key.downArrow) return {ui}
    // A file path may be long; the rest are short.
    return {ui: {...ui, mode: {...m, text: (m.text + printable(input)).slice(0, m.prompt === 'chat-image' ? 1024 : 200)}}}
  }
  const text = m.text.trim()
  const done = normal(ui)
  if (text === '') return m.prompt === 'ticket' ? {ui: done, action: {type: 'ticket', subject: ''}} : {ui: done}
  switch (m.prompt) {
    case 'transfer':
    case 'consult': {
      const to = parseTarget(text, c.queues)
      if (m.prompt === 'consult' && 'queue' in to) return say(done, 'A consultation goes to an agent or a number, not a queue')
      return {ui: done, action: {type: 'transfer', to, consult: m.prompt === 'consult'}}
    }
    case 'dtmf': {
      const digits = text.toUpperCase().replace(/\s/g, '')
      return /^[0-9*#A-D]{1,32}$/.test(digits) ? {ui: done, action: {type: 'dtmf', digits}} : say(done, 'DTMF: digits 0-9, *, # and A-D only')
    }
    case 'dial':
      return {ui: done, action: {type: 'dial', number: text}}
    case 'ticket':
      return {ui: done, action: {type: 'ticket', subject: text}}
    case 'kb':
      return {ui: done, action: {type: 'kb-search', query: text}}
    case 'chat-transfer': {
      if (!c.chat) return {ui: done}
      const to = parseTarget(text, c.queues)
      if ('number' in to) return say(done, 'A chat goes to an agent or a queue, not a number')
      return {ui: done, action: {type: 'chat-transfer', conversation: c.chat.id, to}}
    }
    case 'chat-image':
      return c.chat ? {ui: done, action: {type: 'chat-image', conversation: c.chat.id, path: text}} : {ui: done}
  }
}

function pickKey(ui: DeskUi, m: Extract<DeskMode, {kind: 'pick'}>, input: string, key: KeyPress, c: DeskContext): {ui: DeskUi; action?: DeskAction} {
  if (key.escape || input === 'q') return {ui: normal(ui)}
  const item = m.items.find((i) => i.key === input)
  if (!item) return {ui}
  // With a chat in front, a quick reply or an answer goes to the customer (once) instead of the clipboard.
  const chat = c.chat?.state === 'active' ? c.chat.id : null
  if (chat && m.pick === 'replies') return {ui: normal(ui), action: {type: 'chat-send', conversation: chat, text: item.value}}
  if (chat && m.pick === 'kb') return {ui: normal(ui), action: {type: 'chat-kb-send', conversation: chat, id: Number(item.value)}}
  // A KB hit or a quick reply stays on screen after a copy: the agent may want another.
  switch (m.pick) {
    case 'pause':
      return {ui: normal(ui), action: {type: 'pause', reason: item.value}}
    case 'disposition':
      return {ui: normal(ui), action: {type: 'disposition', code: item.value, label: item.label}}
    case 'kb':
      return {ui, action: {type: 'kb-copy', id: Number(item.value)}}
    case 'replies':
      return {ui, action: {type: 'copy', text: item.value, what: 'quick reply'}}
  }
}

/** The picker of KB hits, once a search answers. */
export function kbPick(ui: DeskUi, hits: readonly {id: number; question: string}[]): DeskUi {
  return {...ui, mode: {kind: 'pick', pick: 'kb', items: hits.slice(0, 9).map((h, i) => ({key: keyOf(i), label: h.question, value: String(h.id)}))}}
}

/** "1002" an agent, "support" a queue (one of the agent's), "+8613800138000" or 5+ digits a number; a: q: n: say which. */
export function parseTarget(text: string, queues: readonly string[]): TransferTarget {
  const m = /^(a|agent|q|queue|n|number)[:\s]\s*(.+)$/i.exec(text)
  if (m) {
    const kind = m[1]!.toLowerCase()[0]
    const v = m[2]!.trim()
    return kind === 'a' ? {agent: v} : kind === 'q' ? {queue: v} : {number: v}
  }
  if (/^\+?[0-9][0-9 ()-]{4,}$/.test(text)) return {number: text.replace(/[\s()-]/g, '')}
  if (queues.includes(text)) return {queue: text}
  return {agent: text}
}

/** Typed or pasted text without control characters (escape sequences never reach here: key-input.ts). */
function printable(input: string): string {
  return input.replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
}

/** A note or reply with `input` typed on: what fits of it (the engine counts UTF-16 units), and whether some did not. */
function typedOn(before: string, input: string): {text: string; cut: boolean} {
  const whole = before + printable(input)
  if (whole.length <= TEXT_MAX) return {text: whole, cut: false}
  let text = whole.slice(0, Math.max(before.length, TEXT_MAX))
  // Never half of a character outside the Basic Multilingual Plane.
  if (/[\ud800-\udbff]$/.test(text)) text = text.slice(0, -1)
  return {text, cut: true}
}
