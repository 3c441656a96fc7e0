import type {NewEvent} from '../store/events.js'
import type {TimerHandle} from '../util/clock.js'
import type {ChannelKind, CustomerSaid, OutboundMessage} from './channel.js'
import type {FlowPosition} from './flows/flow-runner.js'

// One session object per conversation: its state, its place in line, its agent and its
// transcript. Everything it holds is folded from its chat.* events (apply), the same fold
// live and after a restart, so an engine restarted mid-conversation rebuilds it exactly
// from the log. Timers are the only thing not folded: the core re-arms them.

export type ConversationState = 'flow' | 'queued' | 'offered' | 'active' | 'closed'
/**
 * Where a conversation stands as a supervisor reads it. The state 'flow' covers three
 * different things: the bot working on what the customer wrote (with-bot), the bot having
 * asked and waiting for the customer's answer (awaiting-customer), and the customer asked to
 * leave a message because nobody could answer (leaving-message). The others are the state.
 */
export type ConversationStage = 'with-bot' | 'awaiting-customer' | 'leaving-message' | Exclude<ConversationState, 'flow'>
export type Speaker = 'customer' | 'bot' | 'agent' | 'system'
export type LineKind = Exclude<OutboundMessage['kind'], 'typing'>

export interface TranscriptLine {
  seq: number
  ts: number
  from: Speaker
  kind: LineKind
  text?: string
  image?: {url: string; mime: string}
  buttons?: {key: string; label: string}[]
  payload?: string
  agentName?: string
  /** The agent who wrote it (agent lines). */
  agent?: string
}

export interface Note {
  ts: number
  text: string
  by: string
  agent: string | null
}

export class Conversation {
  name = ''
  number = ''
  state: ConversationState = 'flow'
  flow: string | null = null
  /** Where the flow waits for the customer (state flow). */
  flowAt: FlowPosition | null = null
  queue: string | null = null
  skills: string | null = null
  priority = 0
  /** The place in line: kept when an offer expires, renewed by a transfer or a new hand-off. */
  joinedAt: number | null = null
  firstQueuedAt: number | null = null
  /** The agent the conversation is with (state active). */
  agent: string | null = null
  agentName: string | null = null
  offeredTo: string | null = null
  offeredAt: number | null = null
  acceptedAt: number | null = null
  /** Every agent who accepted it, in order. */
  readonly agents: string[] = []
  seq = 0
  readonly lines: TranscriptLine[] = []
  readonly notes: Note[] = []
  readonly messageIds = new Map<string, number>()
  lastCustomerAt: number
  firstResponseAt: number | null = null
  closedAt: number | null = null
  closeReason: string | null = null
  ratingAsked = false
  rating: number | null = null
  /** Asked to leave a message (nobody could answer): what the customer writes next becomes a ticket (chat/wait-limits.ts). */
  awaitsMessage: string | null = null

  // ---- not folded: the core's timers ----
  offerTimer: TimerHandle | null = null
  silenceTimer: TimerHandle | null = null
  /** The position last told the customer. */
  saidPosition = 0
  saidPositionAt = 0

  constructor(
    readonly id: string,
    readonly channel: ChannelKind,
    readonly customer: string,
    readonly startedAt: number,
  ) {
    this.lastCustomerAt = startedAt
  }

  get open(): boolean {
    return this.state !== 'closed'
  }

  get stage(): ConversationStage {
    if (this.state !== 'flow') return this.state
    if (this.awaitsMessage !== null) return 'leaving-message'
    // The customer wrote last (a flow step or a knowledge-base search under way): the bot's turn.
    const last = this.lines.at(-1)
    return this.flowAt !== null && last?.from !== 'customer' ? 'awaiting-customer' : 'with-bot'
  }

  /** Folds one of its events into the state. */
  apply(e: Pick<NewEvent, 'type' | 'ts' | 'queue' | 'agent' | 'data'>): void {
    const d = e.data ?? {}
    switch (e.type) {
      case 'chat.started':
        this.name = str(d.name)
        this.number = str(d.number)
        this.flow = typeof d.flow === 'string' ? d.flow : null
        this.state = 'flow'
        return
      case 'chat.message': {
        const line = lineOf(e.ts, d)
        if (line.from === 'agent' && e.agent) line.agent = e.agent
        this.lines.push(line)
        this.seq = Math.max(this.seq, line.seq)
        if (line.from === 'customer') {
          this.lastCustomerAt = e.ts
          if (typeof d.channelMessageId === 'string') this.messageIds.set(d.channelMessageId, line.seq)
        }
        if (line.from === 'agent' && this.firstResponseAt === null) this.firstResponseAt = e.ts
        return
      }
      case 'chat.flow_step':
        this.flowAt = typeof d.awaiting === 'string' ? {node: str(d.node), awaiting: d.awaiting as FlowPosition['awaiting'], ...(typeof d.entry === 'number' ? {entry: d.entry} : {})} : null
        return
      case 'chat.queued':
        this.state = 'queued'
        this.flowAt = null
        this.queue = e.queue ?? this.queue
        this.skills = typeof d.skills === 'string' ? d.skills : null
        this.priority = Number(d.priority ?? 0)
        this.joinedAt = Number(d.joinedAt ?? e.ts)
        this.firstQueuedAt ??= e.ts
        this.agent = null
        this.agentName = null
        this.offeredTo = null
        return
      case 'chat.offered':
        this.state = 'offered'
        this.offeredTo = e.agent ?? null
        this.offeredAt = e.ts
        return
      case 'chat.offer_expired':
        this.state = 'queued'
        this.offeredTo = null
        return
      case 'chat.accepted':
        this.state = 'active'
        this.agent = e.agent ?? null
        this.agentName = typeof d.agentName === 'string' ? d.agentName : this.agent
        this.offeredTo = null
        this.acceptedAt = e.ts
        if (this.agent) this.agents.push(this.agent)
        // Silence counts from when someone is there to answer.
        this.lastCustomerAt = Math.max(this.lastCustomerAt, e.ts)
        return
      case 'chat.transferred':
        this.agent = null
        this.agentName = null
        return
      case 'chat.closed':
        this.state = 'closed'
        this.closedAt = e.ts
        this.closeReason = str(d.reason) || 'system'
        this.ratingAsked = d.ratingAsked === true
        this.offeredTo = null
        return
      case 'chat.rated':
        this.rating = Number(d.score)
        this.ratingAsked = false
        return
      case 'chat.message_asked':
        // Out of the line and back with the bot, which takes the message.
        this.state = 'flow'
        this.flowAt = null
        this.offeredTo = null
        this.awaitsMessage = str(d.reason) || 'max-wait'
        return
      case 'chat.message_left':
        this.awaitsMessage = null
        return
      case 'chat.note':
        this.notes.push({ts: e.ts, text: str(d.text), by: str(d.by), agent: e.agent ?? null})
        return
      default:
        return
    }
  }

  /** The transcript as the channels show it: what the customer was sent, after `afterSeq`. */
  outbound(afterSeq = 0): OutboundMessage[] {
    const out: OutboundMessage[] = []
    for (const l of this.lines) if (l.seq > afterSeq && l.from !== 'customer') out.push(toOutbound(this.id, l))
    return out
  }

  /** What the customer wrote: its text and images (a button pressed is the bot's business). */
  customerSaid(): CustomerSaid[] {
    const out: CustomerSaid[] = []
    for (const l of this.lines) {
      if (l.from !== 'customer' || (l.kind !== 'text' && l.kind !== 'image') || l.payload !== undefined) continue
      out.push({conversation: this.id, seq: l.seq, ts: l.ts, from: 'customer', kind: l.kind, ...(l.text !== undefined ? {text: l.text} : {}), ...(l.image ? {image: l.image} : {})})
    }
    return out
  }
}

export function toOutbound(conversation: string, l: TranscriptLine): OutboundMessage {
  return {
    conversation,
    kind: l.kind,
    ...(l.text !== undefined ? {text: l.text} : {}),
    ...(l.image ? {image: l.image} : {}),
    ...(l.buttons ? {buttons: l.buttons} : {}),
    from: l.from === 'customer' ? 'system' : l.from,
    ...(l.agentName ? {agentName: l.agentName} : {}),
    seq: l.seq,
    ts: l.ts,
  }
}

function lineOf(ts: number, d: Record<string, unknown>): TranscriptLine {
  const from = (['customer', 'bot', 'agent', 'system'] as const).find((f) => f === d.from) ?? 'system'
  const line: TranscriptLine = {seq: Number(d.seq ?? 0), ts, from, kind: (typeof d.kind === 'string' ? d.kind : 'text') as LineKind}
  if (typeof d.text === 'string') line.text = d.text
  if (isImage(d.image)) line.image = {url: d.image.url, mime: d.image.mime}
  if (Array.isArray(d.buttons)) line.buttons = d.buttons.filter((b): b is {key: string; label: string} => typeof b?.key === 'string' && typeof b?.label === 'string').map((b) => ({key: b.key, label: b.label}))
  if (typeof d.payload === 'string') line.payload = d.payload
  if (typeof d.agentName === 'string') line.agentName = d.agentName
  return line
}

function isImage(v: unknown): v is {url: string; mime: string} {
  return typeof v === 'object' && v !== null && typeof (v as {url?: unknown}).url === 'string' && typeof (v as {mime?: unknown}).mime === 'string'
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}
