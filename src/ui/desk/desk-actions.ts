import {basename} from 'node:path'
import {safeText} from '../../engine/util/text.js'
import {dueText, ticketView} from '../ticket-render.js'
import type {ConversationView} from './desk-chats.js'
import type {DeskFeed, DeskState} from './desk-feed.js'
import {customerOf} from './desk.js'
import type {DeskAction, DeskUi} from './desk-keys.js'
import {readImageFile, sendImage} from './image-file.js'
import {copySequence, crmUrl, openUrl} from './terminal-codes.js'

// The desk's keys carried out on the engine. Notes, dispositions and tickets are the
// tickets part's methods (call.note, call.disposition, ticket.add).

export interface DeskActionsOptions {
  feed: DeskFeed
  /** Where OSC 52 goes (the terminal). */
  write(s: string): void
  open?(url: string): boolean
  /** Saving a note waits this long after the last key (a burst of typing is one save). */
  noteDelayMs?: number
}

type Result = {text: string; kbHits?: {id: number; question: string}[]} | void

export function deskActions(o: DeskActionsOptions) {
  const feed = o.feed
  const agent = feed.agent
  const noteIds = new Map<string, string>()
  const pendingNotes = new Map<string, {text: string; timer: ReturnType<typeof setTimeout>}>()
  /** When chat.typing last went to each conversation. */
  const typingSent = new Map<string, number>()

  const callOf = (s: DeskState) => {
    const c = s.call && s.call.agent === agent ? s.call : null
    if (!c) throw new Error('No call: that key works on a connected call')
    return c.id
  }
  const noteCall = (s: DeskState) => (s.call && s.call.agent === agent ? s.call.id : (s.lastCall?.id ?? null))

  const saveNote = async (call: string, text: string): Promise<void> => {
    const note = noteIds.get(call)
    // A note is made by its first text; from then on each save replaces its text.
    if (!note && text.trim() === '') return
    const r = await feed.request('call.note', {call, text, ...(note ? {note} : {})})
    noteIds.set(call, r.note)
    feed.noteSaved(call, text)
  }

  /** Saves what was typed once the typing pauses; a later key restarts the wait. */
  const noteTyped = (call: string, text: string, now: boolean) => {
    const pending = pendingNotes.get(call)
    if (pending) clearTimeout(pending.timer)
    const go = () => {
      pendingNotes.delete(call)
      void saveNote(call, text).catch(() => undefined)
    }
    if (now) return go()
    pendingNotes.set(call, {text, timer: setTimeout(go, o.noteDelayMs ?? 250)})
  }

  return {
    /** Notes still waiting for their save, written now (quit). */
    async flush(): Promise<void> {
      const all = [...pendingNotes.entries()]
      for (const [call, p] of all) {
        clearTimeout(p.timer)
        pendingNotes.delete(call)
        await saveNote(call, p.text).catch(() => undefined)
      }
    },

    async run(action: DeskAction, ctx: {state: DeskState; ui: DeskUi}): Promise<Result> {
      const s = ctx.state
      switch (action.type) {
        case 'login':
          await feed.request('agent.login', {agent})
          return {text: 'Logged in'}
        case 'logout':
          await feed.request('agent.logout', {agent})
          return {text: 'Logged out'}
        case 'ready': {
          const me = s.me
          if (me?.state === 'wrap-up') await feed.request('agent.ready', {agent})
          else if (me?.pauseReason || me?.state === 'paused') await feed.request('agent.unpause', {agent})
          else if (me?.state === 'offline') await feed.request('agent.login', {agent})
          else return {text: `Already ${me?.state ?? 'ready'}`}
          feed.engine.refresh(300)
          return {text: 'Ready for calls'}
        }
        case 'pause':
          await feed.request('agent.pause', {agent, reason: action.reason})
          feed.engine.refresh(300)
          return {text: `Paused: ${action.reason}`}
        case 'hold':
          await feed.request('call.hold', {call: callOf(s)})
          return {text: 'On hold: the caller hears music (h takes the call back)'}
        case 'unhold':
          await feed.request('call.unhold', {call: callOf(s)})
          return {text: 'Back with the caller'}
        case 'hangup':
          await feed.request('call.hangup', {call: callOf(s), asAgent: true})
          return {text: 'Hung up'}
        case 'transfer': {
          const r = await feed.request('call.transfer', {call: callOf(s), to: action.to, ...(action.consult ? {consult: true} : {})})
          return {text: action.consult ? `Consulting ${target(r.to)}: the caller is on hold (y completes, u cancels)` : `Transferred to ${target(r.to)}`}
        }
        case 'consult-complete':
          await feed.request('call.transfer.complete', {call: callOf(s)})
          return {text: 'Transferred'}
        case 'consult-cancel':
          await feed.request('call.transfer.cancel', {call: callOf(s)})
          return {text: 'Consultation cancelled: back with the caller'}
        case 'dtmf': {
          const r = await feed.request('call.dtmf', {call: callOf(s), digits: action.digits})
          return {text: `Sent ${r.digits} to the ${r.to === 'consulted' ? 'party consulted' : 'caller'}`}
        }
        case 'dial': {
          const r = await feed.request('call.dial', {number: action.number, agent})
          return {text: `Dialling ${safeText(action.number, 32)}: your phone rings first (${r.callId})`}
        }
        case 'callback': {
          const owed = feed.takeOwed()
          if (!owed) return {text: 'No owed callback'}
          await feed.request('call.dial', {number: owed.number, agent})
          return {text: `Calling back ${safeText(owed.number, 32)}: your phone rings first`}
        }
        case 'note': {
          const call = noteCall(s)
          if (!call) return
          // Leaving the note (Enter, Esc) saves at once; typing saves when the typing pauses.
          noteTyped(call, action.text, ctx.ui.mode.kind !== 'note')
          return
        }
        case 'disposition': {
          const call = s.lastCall?.id ?? noteCall(s)
          if (!call) return {text: 'No call to give a disposition to'}
          const r = await feed.request('call.disposition', {call, code: action.code})
          feed.disposed(call, {code: r.code, label: r.label})
          feed.engine.refresh(200)
          return {text: `Disposition: ${r.label}${r.released ? ' · ready for the next call' : s.me?.state === 'wrap-up' ? ' · r: ready now' : ''}`}
        }
        case 'ticket': {
          const call = noteCall(s)
          if (!call) return {text: 'No call to open a ticket from'}
          const number = customerOf(s)
          const note = ctx.ui.notes[call]?.trim().slice(0, 4000)
          const subject = action.subject || `Call from ${number ?? 'an unknown number'}`
          const t = await feed.request('ticket.add', {subject: subject.slice(0, 200), ...(note ? {description: note} : {}), call, assignee: {agent}})
          feed.ticketOpened(call, t.id)
          // Due as ticket list says it ("in 2d 23h"), not a locale's day/month in the machine's zone.
          const now = Date.now()
          return {text: `Ticket ${t.id} opened (${t.priority}, due ${dueText(ticketView(t, now), now)}): ${safeText(t.subject, 60)}`}
        }
        case 'kb-search': {
          const r = await feed.request('kb.search', {query: action.query, limit: 9})
          if (r.hits.length === 0) return {text: `Nothing in the knowledge base for "${safeText(action.query, 40)}"`, kbHits: []}
          return {text: `${r.hits.length} answers: a number copies one`, kbHits: r.hits}
        }
        case 'kb-copy': {
          const e = await feed.request('kb.get', {id: action.id})
          o.write(copySequence(e.answer))
          return {text: `Copied the answer to "${safeText(e.question, 50)}"`}
        }
        case 'copy':
          o.write(copySequence(action.text))
          return {text: `Copied the ${action.what}`}
        case 'chat-accept': {
          const v = await feed.request('chat.accept', {conversation: action.conversation, agent})
          feed.chats.changed(v)
          return {text: `Chat with ${chatName(v)} accepted: Enter writes, c quick replies, x closes`}
        }
        case 'chat-send': {
          await feed.request('chat.send', {conversation: action.conversation, agent, text: action.text})
          typingSent.delete(action.conversation)
          return {text: `Sent to ${chatName(chatOf(s, action.conversation))}`}
        }
        case 'chat-typing': {
          // The customer sees "typing…" for a while: telling it again every few seconds is enough.
          const last = typingSent.get(action.conversation) ?? 0
          if (Date.now() - last < TYPING_EVERY_MS) return
          typingSent.set(action.conversation, Date.now())
          await feed.request('chat.typing', {conversation: action.conversation, agent}).catch(() => undefined)
          return
        }
        case 'chat-image': {
          // Read and checked here first: a wrong path or a page renamed .png says so before anything is sent.
          const bytes = readImageFile(action.path)
          await sendImage((m, p) => feed.request(m, p), action.conversation, agent, bytes)
          return {text: `Sent the image ${safeText(basename(action.path), 60)} (${Math.ceil(bytes.length / 1024)} KiB) to ${chatName(chatOf(s, action.conversation))}`}
        }
        case 'chat-kb-send': {
          const e = await feed.request('kb.get', {id: action.id})
          await feed.request('chat.send', {conversation: action.conversation, agent, text: e.answer.slice(0, 4000)})
          return {text: `Sent the answer to "${safeText(e.question, 50)}"`}
        }
        case 'chat-transfer': {
          const v = await feed.request('chat.transfer', {conversation: action.conversation, agent, to: action.to})
          feed.chats.dismiss(v.id)
          return {text: `Chat transferred to ${target(action.to)}`}
        }
        case 'chat-close': {
          const v = await feed.request('chat.close', {conversation: action.conversation, agent})
          feed.chats.changed(v)
          return {text: `Chat with ${chatName(v)} closed (x puts it away)`}
        }
        case 'chat-dismiss':
          feed.chats.dismiss(action.conversation)
          return
        case 'chat-history': {
          const c = chatOf(s, action.conversation)
          if (!c?.number) {
            feed.chats.history(action.conversation, {error: 'No number from this customer: no history to look up'})
            return
          }
          try {
            feed.chats.history(action.conversation, await feed.request('contact.history', {call: action.conversation, limit: 5}))
          } catch (err) {
            feed.chats.history(action.conversation, {error: err instanceof Error ? err.message : String(err)})
          }
          return
        }
        case 'open-crm': {
          const link = s.settings?.crmLink
          const number = customerOf(s)
          if (!link || !number) return {text: 'No CRM link for this caller'}
          const url = crmUrl(link, {number, contact: s.pop?.history?.contact?.number ?? null, call: s.pop?.callId ?? null})
          return (o.open ?? openUrl)(url) ? {text: 'Opening the CRM page'} : {text: `No xdg-open here: ${url}`}
        }
        default:
          return
      }
    },
  }
}

const TYPING_EVERY_MS = 3000

function chatOf(s: DeskState, id: string): ConversationView | null {
  return s.chats.find((c) => c.id === id)?.view ?? null
}

/** The customer as the agent knows it: name, else number, else the channel's id. */
export function chatName(v: ConversationView | null): string {
  return v ? safeText(v.name || v.number || v.customer, 40) : 'the customer'
}

function target(to: {agent: string} | {queue: string} | {number: string}): string {
  return 'agent' in to ? `agent ${to.agent}` : 'queue' in to ? `queue ${to.queue}` : to.number
}
