import type {ResultOf} from '../../engine/api/contract.js'
import type {FeedConnection} from '../dashboard/feed.js'

// The agent's conversations as the desk shows them: the engine's chat.list (with the agent
// or offered to it), each with its transcript (chat.transcript once, then its chat.message
// events live), the supervisors' private notes to the agent (chat.note: never the
// customer's to see), what the agent has not read yet, and whether the customer is typing.
// A conversation that ends stays on the desk, marked closed, until the agent puts it away.

export type ConversationView = ResultOf<'chat.list'>['conversations'][number]
type TranscriptLine = ResultOf<'chat.transcript'>['lines'][number]
type HistoryView = ResultOf<'contact.history'>

export interface ChatLine {
  seq: number
  ts: number
  from: TranscriptLine['from']
  kind: string
  text: string
}

/** A supervisor's private note to this agent on the conversation. */
export interface ChatNote {
  ts: number
  by: string
  text: string
  /** Seen by the agent (a new one marks the conversation unread, as a customer's line does). */
  read: boolean
}

export interface DeskChat {
  id: string
  view: ConversationView
  /** By seq; the customer's lines too. */
  lines: ChatLine[]
  /** The supervisors' notes to this agent, by time. */
  notes: ChatNote[]
  /** The last seq the agent has seen (lines of the customer after it are unread). */
  readSeq: number
  /** When the customer was last seen typing (our clock). */
  typingAt: number | null
  /** The customer's history (i), once asked: contact.history, or why there is none. */
  history: HistoryView | {error: string} | null
}

/** The chat events the desk follows (chat.typing is pushed, never stored). */
export const CHAT_EVENTS = ['chat.offered', 'chat.offer_expired', 'chat.accepted', 'chat.queued', 'chat.transferred', 'chat.closed', 'chat.message', 'chat.typing', 'chat.note']

/** Events that change whose a conversation is, or its state: the list is asked again. */
const RELIST = new Set(['chat.offered', 'chat.offer_expired', 'chat.accepted', 'chat.queued', 'chat.transferred'])
const MAX_LINES = 500

interface ChatEvent {
  type: string
  ts: number
  callId?: string | null
  data?: Record<string, unknown>
}

export function unread(c: DeskChat): number {
  return c.lines.filter((l) => l.from === 'customer' && l.seq > c.readSeq).length + c.notes.filter((n) => !n.read).length
}

export class DeskChats {
  private conn: FeedConnection | null = null
  private listing: Promise<void> | null = null
  private again = false
  private readonly asked = new Set<string>()

  constructor(
    private readonly agent: string,
    private readonly get: () => readonly DeskChat[],
    private readonly set: (chats: DeskChat[]) => void,
  ) {}

  /** A new connection: the list and transcripts are asked afresh (events may have been missed). */
  connected(conn: FeedConnection): void {
    this.conn = conn
    this.asked.clear()
    this.relist()
  }

  onEvent(e: ChatEvent & {agent?: string | null}): void {
    const id = e.callId
    if (!id || !e.type.startsWith('chat.')) return
    const d = e.data ?? {}
    const known = this.get().find((c) => c.id === id)
    if (e.type === 'chat.typing') return known ? this.patch(id, {typingAt: Date.now()}) : undefined
    // A note to another agent (an admin's desk hears every agent's) is not this agent's to read.
    if (e.type === 'chat.note') return known && e.agent === this.agent ? this.patch(id, {notes: mergeNotes(known.notes, [{ts: e.ts, by: String(d.by ?? ''), text: String(d.text ?? ''), read: false}])}) : undefined
    if (e.type === 'chat.message') {
      // A conversation reaches the desk by its offer (chat.offered): lines of others' are none of ours.
      if (!known) return
      const line = lineOf({...d, ts: e.ts} as Partial<TranscriptLine> & {seq?: number})
      if (!line) return
      const last = line.text || line.kind !== 'text' ? {from: line.from, text: line.text, ts: line.ts} : known.view.last
      // The agent's own line counts as read: it was just written here.
      return this.patch(id, {lines: merge(known.lines, [line]), view: {...known.view, last, messages: Math.max(known.view.messages, line.seq)}, ...(line.from === 'customer' ? {typingAt: null} : {}), ...(line.from === 'agent' ? {readSeq: Math.max(known.readSeq, line.seq)} : {})})
    }
    if (e.type === 'chat.closed') return known ? this.patch(id, {view: {...known.view, state: 'closed', closeReason: String(d.reason ?? '')}}) : undefined
    // An admin's desk (--agent) hears every agent's chats: only its own and those it shows count.
    if (RELIST.has(e.type) && (known || e.agent === this.agent)) this.relist()
  }

  /** The agent looked at the conversation: everything in it is read. */
  markRead(id: string): void {
    const c = this.get().find((x) => x.id === id)
    const top = c?.lines.at(-1)?.seq ?? 0
    if (c && (top > c.readSeq || c.notes.some((n) => !n.read))) this.patch(id, {readSeq: Math.max(top, c.readSeq), notes: c.notes.map((n) => (n.read ? n : {...n, read: true}))})
  }

  history(id: string, history: HistoryView | {error: string}): void {
    this.patch(id, {history})
  }

  /** The agent put a closed conversation away. */
  dismiss(id: string): void {
    this.set(this.get().filter((c) => c.id !== id))
  }

  /** What the engine answered for the agent's own action (accept, transfer, close). */
  changed(view: ConversationView): void {
    const c = this.get().find((x) => x.id === view.id)
    if (!c) return this.relist()
    if (view.state !== 'closed' && view.agent !== this.agent && view.offeredTo !== this.agent) return this.dismiss(view.id)
    this.patch(view.id, {view})
  }

  /** chat.list again; one at a time, and once more when asked meanwhile. */
  relist(): void {
    if (this.listing) {
      this.again = true
      return
    }
    const conn = this.conn
    if (!conn) return
    this.listing = conn
      .request('chat.list', {agent: this.agent})
      .then((r) => this.listed(conn, r.conversations))
      .catch(() => undefined)
      .finally(() => {
        this.listing = null
        if (this.again) {
          this.again = false
          this.relist()
        }
      })
  }

  private listed(conn: FeedConnection, views: ConversationView[]): void {
    const before = new Map(this.get().map((c) => [c.id, c]))
    const open = new Set(views.map((v) => v.id))
    // Closed ones stay until put away; one gone otherwise (transferred, offer expired) goes.
    const kept = [...before.values()].filter((c) => !open.has(c.id) && c.view.state === 'closed')
    const now = views.map((v) => {
      const c = before.get(v.id)
      return c ? {...c, view: c.view.state === 'closed' ? c.view : v} : {id: v.id, view: v, lines: [], notes: [], readSeq: 0, typingAt: null, history: null}
    })
    this.set([...kept, ...now].sort((a, b) => a.view.startedAt - b.view.startedAt))
    for (const v of views) if (!this.asked.has(v.id)) this.transcript(conn, v.id)
  }

  private transcript(conn: FeedConnection, id: string): void {
    this.asked.add(id)
    conn.request('chat.transcript', {conversation: id}).then(
      (t) => {
        const c = this.get().find((x) => x.id === id)
        if (!c) return
        const lines = t.lines.map((l) => lineOf(l)).filter((l): l is ChatLine => l !== null)
        // Notes written before the desk opened count as unread too, until the conversation is in front.
        const notes = t.notes.filter((n) => n.agent === this.agent).map((n) => ({ts: n.ts, by: n.by, text: n.text, read: false}))
        this.patch(id, {lines: merge(c.lines, lines), notes: mergeNotes(c.notes, notes)})
      },
      () => this.asked.delete(id),
    )
  }

  private patch(id: string, p: Partial<DeskChat>): void {
    this.set(this.get().map((c) => (c.id === id ? {...c, ...p} : c)))
  }
}

function lineOf(l: Partial<TranscriptLine> & {seq?: number; ts?: number}): ChatLine | null {
  if (typeof l.seq !== 'number') return null
  // An image: its URL, where the chat server serves it (the agent can open it).
  const text = l.text ?? (l.image ? `[image] ${l.image.url}` : '')
  const buttons = l.buttons?.length ? ` [${l.buttons.map((b) => b.label).join('] [')}]` : ''
  return {seq: l.seq, ts: Number(l.ts ?? 0), from: l.from ?? 'system', kind: String(l.kind ?? 'text'), text: text + buttons}
}

/** Lines by seq, each once (an event and the transcript may both bring one). */
function merge(a: readonly ChatLine[], b: readonly ChatLine[]): ChatLine[] {
  const bySeq = new Map<number, ChatLine>()
  for (const l of [...a, ...b]) bySeq.set(l.seq, l)
  return [...bySeq.values()].sort((x, y) => x.seq - y.seq).slice(-MAX_LINES)
}

/** Notes by time, each once (the event and the transcript may both bring one); one already read stays read. */
function mergeNotes(a: readonly ChatNote[], b: readonly ChatNote[]): ChatNote[] {
  const byKey = new Map<string, ChatNote>()
  for (const n of [...a, ...b]) {
    const k = `${n.ts}\u0000${n.by}\u0000${n.text}`
    const had = byKey.get(k)
    byKey.set(k, had ? {...n, read: had.read || n.read} : n)
  }
  return [...byKey.values()].sort((x, y) => x.ts - y.ts).slice(-MAX_LINES)
}
