import type {ChatSettings} from '../config/chat-config.js'
import type {KnowledgeBase} from '../kb/knowledge-base.js'
import type {Acd} from '../routing/acd.js'
import {CHANNELS} from '../routing/capacity.js'
import {ChatRouter} from '../routing/chat-router.js'
import type {EventType, NewEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import type {Clock} from '../util/clock.js'
import type {TicketContext} from '../tickets/tickets.js'
import {UserError} from '../util/errors.js'
import {newId} from '../util/ids.js'
import type {Logger} from '../util/log.js'
import type {ChannelAdapter, ChannelKind, ChatCoreForChannels, CustomerSaid, InboundMessage, OutboundMessage} from './channel.js'
import {chatsView, conversationView, type ChatsView, type ConversationView} from './chat-views.js'
import {Conversation, toOutbound, type LineKind, type Note, type Speaker, type TranscriptLine} from './conversation.js'
import type {ChatFlow} from './flows/chat-flow.js'
import {bestKbAnswer} from './flows/kb-answer.js'
import {continueFlow, startFlow, type CustomerInput, type FlowDeps, type FlowStep} from './flows/flow-runner.js'
import {WaitLimits} from './wait-limits.js'

// The chat core: takes what the channels receive, runs the conversation flow, hands
// conversations to queues, offers them to agents under the one capacity model (the ACD's
// agents and queues, chat-router.ts), and carries what agents and supervisors do. Every
// change is a chat.* event folded into its Conversation (conversation.ts); a restarted
// engine folds the log back into the same conversations.

export const CHAT_EVENT_TYPES: readonly EventType[] = [
  'chat.started',
  'chat.message',
  'chat.flow_step',
  'chat.kb_answered',
  'chat.kb_feedback',
  'chat.queued',
  'chat.offered',
  'chat.offer_expired',
  'chat.accepted',
  'chat.transferred',
  'chat.closed',
  'chat.rated',
  'chat.note',
  'chat.overflowed',
  'chat.message_asked',
  'chat.message_left',
]
// chat.typing is never stored: it is no part of a conversation's log.

/** How far back a restart looks for conversations still open (the longest silence allowed is 7 days). */
const REBUILD_WINDOW_MS = 8 * 86_400_000
/** Closed conversations stay in memory this long (history after reload, a late rating). */
const KEEP_CLOSED_MS = 86_400_000
const RATING_BUTTONS = [1, 2, 3, 4, 5].map((n) => ({key: String(n), label: '★'.repeat(n)}))

export type CloseReason = 'customer' | 'agent' | 'silence' | 'off-hours' | 'bot' | 'abandoned' | 'system' | 'supervisor' | 'max-wait' | 'no-agents' | 'message-left'

export interface ChatCoreDeps {
  acd: Acd
  events: {append(e: Omit<NewEvent, 'ts' | 'origin'> & {ts?: number}): NewEvent; subscribe(l: (e: NewEvent) => void): () => void; notify?(e: Omit<NewEvent, 'ts' | 'origin'>): void}
  store: Pick<Store, 'events'>
  clock: Clock
  log: Logger
  settings: ChatSettings
  /** The conversation flow per channel (none: straight to the chat queue). */
  flows?: Partial<Record<ChannelKind, ChatFlow | null>>
  kb?: () => KnowledgeBase | null
  random?: () => number
  /** Called when an agent's chats leave room for a call again (the engine dispatches calls). */
  callRoomFreed?: () => void
  /** Where a message left (nobody could answer) becomes a ticket; see openTicketsWith. */
  tickets?: () => TicketContext | null
  /** An agent let a chat offer run out, or took one: counted with its missed rings (the queue's autoPauseAfter). */
  offerMissed?: (agent: string, queue: string | null) => void
  offerTaken?: (agent: string) => void
}

export type {ChatsView, ConversationView} from './chat-views.js'

export class ChatError extends UserError {
  constructor(message: string, code: string, suggestion?: string) {
    super(message, {code, exitCode: 1, ...(suggestion ? {suggestion} : {})})
  }
}

export class ChatCore implements ChatCoreForChannels {
  readonly router: ChatRouter
  private readonly conversations = new Map<string, Conversation>()
  /** channel + customer → the customer's latest conversation. */
  private readonly latest = new Map<string, string>()
  private readonly adapters = new Map<ChannelKind, ChannelAdapter>()
  /** One customer's messages are handled one at a time (a flow step awaits the knowledge base). */
  private readonly chains = new Map<string, Promise<unknown>>()
  private dispatchQueued = false
  /** A dispatch due when an agent's skip for a chat ends (router.nextWakeAt). */
  private wake: {at: number; timer: ReturnType<Clock['setTimeout']>} | null = null
  private positionTimer: ReturnType<Clock['setTimeout']> | null = null
  private unsubscribe: (() => void) | null = null
  private stopped = false
  /** maxWait, onNoAgents, off-hours messages (wait-limits.ts). */
  private readonly waits: WaitLimits

  constructor(private readonly deps: ChatCoreDeps) {
    this.router = new ChatRouter(deps.acd, {rule: deps.settings.capacity, limitsOf: (a) => this.limitsOf(a), callRoomFreed: () => deps.callRoomFreed?.()}, deps.random)
    this.waits = new WaitLimits({
      clock: deps.clock,
      log: deps.log,
      settings: deps.settings,
      queueExists: (q) => deps.acd.queues.has(q),
      able: (q, channel) => this.router.able(q, channel),
      record: (c, e) => this.record(c, e),
      say: (c, text) => void this.line(c, 'system', 'system', {text}),
      leaveLine: (c) => {
        this.router.leave(c.id)
        this.router.release(c.id)
        this.deps.clock.clearTimeout(c.offerTimer ?? undefined)
        c.offerTimer = null
      },
      requeue: (c, queue, joinedAt) => this.handOff(c, {queue, skills: c.skills, priority: c.priority}, 'overflow', joinedAt),
      close: (c, reason, text) => this.closeNow(c, reason, 'system', text),
      armSilence: (c) => this.armSilence(c),
      tickets: () => this.deps.tickets?.() ?? null,
      inLine: () => [...this.router.waiting.keys()].map((id) => this.conversations.get(id)).filter((c): c is Conversation => c !== undefined),
    })
  }

  /** Where messages left become tickets (the engine process wires its ticket store and SLA). */
  openTicketsWith(tickets: () => TicketContext | null): void {
    this.deps.tickets = tickets
  }

  get settings(): ChatSettings {
    return this.deps.settings
  }

  limitsOf(agent: string) {
    return this.deps.settings.agentLimits[agent] ?? this.deps.settings.limits
  }

  // ---- lifecycle -------------------------------------------------------------

  /** Folds the log's open conversations back in, then follows calls and agents. */
  async start(): Promise<void> {
    await this.rebuild()
    this.waits.checkQueues()
    // A call ringing or ending, an agent logging in or out changes who has room for a chat.
    this.unsubscribe = this.deps.events.subscribe((e) => {
      if (e.type.startsWith('chat.')) return
      if (e.type === 'agent.logout' && e.agent) this.agentLeft(e.agent)
      if (e.type.startsWith('agent.') || e.type.startsWith('call.') || e.type.startsWith('queue.')) this.scheduleDispatch()
    })
    this.scheduleDispatch()
  }

  stop(): void {
    this.stopped = true
    this.unsubscribe?.()
    this.deps.clock.clearTimeout(this.positionTimer ?? undefined)
    if (this.wake) this.deps.clock.clearTimeout(this.wake.timer)
    for (const c of this.conversations.values()) this.clearTimers(c)
    this.waits.stop()
  }

  private async rebuild(): Promise<void> {
    const now = this.deps.clock.now()
    for await (const e of this.deps.store.events({since: now - REBUILD_WINDOW_MS, types: CHAT_EVENT_TYPES})) {
      if (!e.callId) continue
      let c = this.conversations.get(e.callId)
      if (!c && e.type === 'chat.started') {
        const channel = CHANNELS.find((k) => k === e.data.channel)
        if (!channel) continue
        c = new Conversation(e.callId, channel, String(e.data.customer ?? ''), e.ts)
        this.conversations.set(c.id, c)
        this.latest.set(key(channel, c.customer), c.id)
      }
      c?.apply(e)
      if (c) this.waits.seen(e)
    }
    let open = 0
    for (const c of this.conversations.values()) {
      if (!c.open) continue
      open++
      if ((c.state === 'queued' || c.state === 'offered') && c.queue && !this.deps.acd.queues.has(c.queue)) {
        this.closeNow(c, 'system', 'system', 'This conversation could not be kept: its queue no longer exists. Please write again.')
        continue
      }
      if (c.state === 'queued' || c.state === 'offered') this.router.enqueue({id: c.id, queue: c.queue!, channel: c.channel, priority: c.priority, joinedAt: c.joinedAt ?? c.startedAt, skills: c.skills}, now)
      // An offer outlives the restart with a fresh accept time; an agent gone meanwhile lets it expire.
      if (c.state === 'offered' && c.offeredTo) {
        this.router.reserve(c.id, c.offeredTo)
        this.armOffer(c)
      }
      if (c.state === 'active' && c.agent) this.router.hold(c.id, c.agent, c.channel, 'active')
      this.waits.resume(c)
      this.armSilence(c)
    }
    this.armPositions()
    if (open > 0) this.deps.log.info(`chat: ${open} open conversation${open === 1 ? '' : 's'} taken back from the log`)
  }

  register(adapter: ChannelAdapter): void {
    this.adapters.set(adapter.kind, adapter)
  }

  /**
   * Where an agent's image is kept and served (the web channel's uploads, reachable from
   * every channel: the API's chat.image sends the URL); null when no channel keeps images.
   */
  get images(): {maxImageBytes: number; keepImage(bytes: Buffer, agent: string): {url: string; mime: string}} | null {
    for (const a of this.adapters.values()) if ('keepImage' in a && 'maxImageBytes' in a) return a as ChannelAdapter & NonNullable<ChatCore['images']>
    return null
  }

  // ---- the channels' side ----------------------------------------------------

  receive(m: InboundMessage): Promise<{conversation: string; seq: number}> {
    const given = [m.text !== undefined, m.image !== undefined, m.event !== undefined].filter(Boolean).length
    if (given !== 1) return Promise.reject(new ChatError('a message has exactly one of text, image, event', 'bad_message'))
    if (!CHANNELS.includes(m.channel) || !m.customer) return Promise.reject(new ChatError('a message needs its channel and customer', 'bad_message'))
    return this.serial(key(m.channel, m.customer), () => this.receiveNow(m))
  }

  async history(channel: ChannelKind, customer: string, afterSeq = 0): Promise<OutboundMessage[]> {
    const c = this.current(channel, customer)
    return c ? c.outbound(afterSeq) : []
  }

  async customerLines(channel: ChannelKind, customer: string): Promise<CustomerSaid[]> {
    return this.current(channel, customer)?.customerSaid() ?? []
  }

  /** Every line of the conversation, the customer's too, and (staff only) the supervisors' notes. */
  transcript(id: string): {conversation: ConversationView; lines: TranscriptLine[]; notes: Note[]} {
    const c = this.must(id)
    return {conversation: this.viewOf(c), lines: [...c.lines], notes: [...c.notes]}
  }

  private async receiveNow(m: InboundMessage): Promise<{conversation: string; seq: number}> {
    let c = this.current(m.channel, m.customer)
    if (c && m.channelMessageId !== undefined) {
      const seen = c.messageIds.get(m.channelMessageId)
      if (seen !== undefined) return {conversation: c.id, seq: seen}
    }
    if (m.event === 'open' || m.event === 'subscribe') {
      // The widget opened, the account followed: with a flow the bot greets at once (a
      // conversation that never reaches a queue is no offered chat); without one, nothing
      // starts before the customer writes.
      if ((!c || !c.open) && this.deps.flows?.[m.channel]) {
        c = this.startConversation(m)
        await this.flowInput(c, {}, true)
        this.armSilence(c)
      }
      return {conversation: c?.id ?? '', seq: c?.seq ?? 0}
    }
    if (m.event === 'typing') {
      // Shown to the agent with the conversation live (its subscription), never stored.
      const agent = c?.agent ?? c?.offeredTo ?? null
      if (c?.open && agent) this.deps.events.notify?.({type: 'chat.typing', callId: c.id, queue: c.queue, agent, data: {from: 'customer'}})
      return {conversation: c?.id ?? '', seq: c?.seq ?? 0}
    }
    if (m.event === 'close' || m.event === 'unsubscribe') {
      if (c?.open) this.closeNow(c, 'customer', 'customer')
      return {conversation: c?.id ?? '', seq: c?.seq ?? 0}
    }
    const input: CustomerInput = m.event === 'button' ? {payload: m.payload ?? ''} : m.text !== undefined ? {text: m.text} : {}
    if (c && !c.open) {
      const score = c.ratingAsked ? ratingOf(input) : null
      if (score !== null) {
        const seq = this.customerLine(c, m, input)
        this.record(c, {type: 'chat.rated', agent: c.agents.at(-1) ?? null, data: {score}})
        this.line(c, 'system', 'system', {text: 'Thank you for your rating.'})
        return {conversation: c.id, seq}
      }
      c = undefined
    }
    const fresh = !c
    if (!c) c = this.startConversation(m)
    const seq = this.customerLine(c, m, input)
    if (c.awaitsMessage !== null) await this.waits.takeMessage(c, {...(input.text !== undefined ? {text: input.text} : {}), ...(m.image ? {image: m.image} : {})})
    else if (c.state === 'flow') await this.flowInput(c, input, fresh)
    this.armSilence(c)
    return {conversation: c.id, seq}
  }

  private startConversation(m: InboundMessage): Conversation {
    const now = this.deps.clock.now()
    this.forgetOldClosed(now)
    const c = new Conversation(newId('chat'), m.channel, m.customer, now)
    this.conversations.set(c.id, c)
    this.latest.set(key(m.channel, m.customer), c.id)
    const flow = this.deps.flows?.[m.channel] ?? null
    this.record(c, {type: 'chat.started', data: {channel: m.channel, customer: m.customer, ...(m.name ? {name: m.name} : {}), ...(m.number ? {number: m.number} : {}), ...(flow ? {flow: flow.name} : {})}})
    return c
  }

  private customerLine(c: Conversation, m: InboundMessage, input: CustomerInput): number {
    const data: Partial<TranscriptLine> & {channelMessageId?: string} = {}
    if (m.image) data.image = {url: m.image.url, mime: m.image.mime}
    else if (input.payload !== undefined) {
      data.payload = input.payload
      data.text = this.buttonLabel(c, input.payload) ?? input.payload
    } else data.text = m.text ?? ''
    if (m.channelMessageId !== undefined) data.channelMessageId = m.channelMessageId
    return this.line(c, 'customer', m.image ? 'image' : 'text', data)
  }

  /** The label of a button the customer was last offered, so the transcript reads as the customer saw it. */
  private buttonLabel(c: Conversation, payload: string): string | undefined {
    for (let i = c.lines.length - 1; i >= 0; i--) {
      const b = c.lines[i]!.buttons?.find((x) => x.key === payload)
      if (b) return b.label
      if (c.lines[i]!.buttons) return undefined
    }
    return undefined
  }

  // ---- the flow ----------------------------------------------------------------

  private async flowInput(c: Conversation, input: CustomerInput, fresh: boolean): Promise<void> {
    const flow = this.flowOf(c)
    if (!flow) return this.handOff(c, null, 'flow')
    const deps = this.flowDeps()
    let step: FlowStep
    try {
      step = fresh || !c.flowAt ? await startFlow(flow, deps) : await continueFlow(flow, c.flowAt, input, deps)
    } catch (err) {
      this.deps.log.error('chat flow failed; handing the conversation to its queue', {conversation: c.id, error: err instanceof Error ? err.stack : String(err)})
      return this.handOff(c, null, 'flow')
    }
    // The customer may have left while the knowledge base was asked.
    if (c.state !== 'flow') return
    for (const f of step.kbFeedback) this.record(c, {type: 'chat.kb_feedback', data: {entry: f.entry, helpful: f.helpful}})
    step.visited.forEach((v, i) => {
      const waits = step.at !== null && i === step.visited.length - 1 && step.at.node === v.node
      this.record(c, {type: 'chat.flow_step', data: {flow: flow.name, node: v.node, kind: v.kind, ...(waits ? atData(step) : {})}})
    })
    if (step.visited.length === 0 && step.at) this.record(c, {type: 'chat.flow_step', data: {flow: flow.name, node: step.at.node, kind: flow.nodes[step.at.node]?.type ?? 'menu', ...atData(step)}})
    for (const k of step.kbAnswered) this.record(c, {type: 'chat.kb_answered', data: {entry: k.entry, score: k.score, question: k.question}})
    for (const s of step.said) this.line(c, 'bot', s.kind, {text: s.text, ...(s.buttons ? {buttons: s.buttons} : {})})
    if (step.end?.kind === 'queue') this.handOff(c, {queue: step.end.queue, skills: step.end.skills, priority: step.end.priority}, 'flow')
    else if (step.end?.kind === 'close' && !(step.end.reason === 'off-hours' && this.waits.offHours(c))) this.closeNow(c, step.end.reason, 'bot')
  }

  private flowOf(c: Conversation): ChatFlow | null {
    return this.deps.flows?.[c.channel] ?? null
  }

  private flowDeps(): FlowDeps {
    return {
      now: () => new Date(this.deps.clock.now()),
      searchKb: async (question, tag) => {
        const kb = this.deps.kb?.()
        return kb ? bestKbAnswer(kb, question, tag) : null
      },
    }
  }

  // ---- queues and agents ---------------------------------------------------------

  /** Puts the conversation in line (the flow's queue step, a transfer, no flow at all). */
  private handOff(c: Conversation, to: {queue: string | null; skills: string | null; priority: number} | null, reason: 'flow' | 'transfer' | 'overflow' | 'requeue', joinedAt?: number): void {
    const queue = to?.queue ?? this.deps.settings.queue
    if (!queue || !this.deps.acd.queues.has(queue)) {
      this.deps.log.warn('chat: no queue to hand the conversation to', {conversation: c.id, queue})
      this.closeNow(c, 'system', 'system', 'Sorry, nobody can take this conversation now. Please try again later.')
      return
    }
    const now = this.deps.clock.now()
    this.router.enqueue({id: c.id, queue, channel: c.channel, priority: to?.priority ?? 0, joinedAt: joinedAt ?? now, skills: to?.skills ?? null}, now)
    const position = this.router.position(c.id)
    this.record(c, {type: 'chat.queued', queue, data: {priority: to?.priority ?? 0, ...(to?.skills ? {skills: to.skills} : {}), joinedAt: joinedAt ?? now, position, reason}})
    // Nobody of the queue logged in and onNoAgents says where it goes instead.
    if (this.waits.queued(c, reason)) return
    this.sayPosition(c, position)
    // Nobody serves the queue now: say so rather than let the customer watch the line stand still.
    this.waits.tellNoAgents(c)
    this.armPositions()
    this.scheduleDispatch()
  }

  private sayPosition(c: Conversation, position: number): void {
    c.saidPosition = position
    c.saidPositionAt = this.deps.clock.now()
    this.line(c, 'system', 'system', {text: position <= 1 ? 'You are next in line: an agent will be with you shortly.' : `You are number ${position} in line.`})
  }

  /** Batches decisions: many changes in one tick lead to one dispatch. */
  scheduleDispatch(): void {
    if (this.dispatchQueued || this.stopped) return
    this.dispatchQueued = true
    queueMicrotask(() => {
      this.dispatchQueued = false
      if (this.stopped) return
      // Every change of who may take chats (logout, pause, queue membership, limits) schedules a dispatch.
      if (this.router.waiting.size > 0) this.waits.agentsChanged()
      for (const o of this.router.dispatch(this.deps.clock.now())) {
        const c = this.conversations.get(o.conversation)
        if (!c || c.state !== 'queued') {
          this.router.release(o.conversation)
          continue
        }
        this.offer(c, o.agent)
      }
      this.armWake()
    })
  }

  /** A chat whose only agents let its offer expire would wait for the next unrelated change: wake when their skip ends. */
  private armWake(): void {
    const at = this.router.nextWakeAt(this.deps.clock.now())
    if (at === null || (this.wake && this.wake.at <= at)) return
    if (this.wake) this.deps.clock.clearTimeout(this.wake.timer)
    this.wake = {
      at,
      timer: this.deps.clock.setTimeout(() => {
        this.wake = null
        this.scheduleDispatch()
      }, at - this.deps.clock.now()),
    }
  }

  private offer(c: Conversation, agent: string): void {
    const auto = this.deps.settings.autoAccept
    this.record(c, {type: 'chat.offered', agent, data: {channel: c.channel, autoAccept: auto, timeoutMs: this.deps.settings.acceptTimeoutMs}})
    if (auto) this.acceptNow(c, agent, 'auto')
    else this.armOffer(c)
  }

  private armOffer(c: Conversation): void {
    this.deps.clock.clearTimeout(c.offerTimer ?? undefined)
    const agent = c.offeredTo
    c.offerTimer = this.deps.clock.setTimeout(() => {
      c.offerTimer = null
      if (c.state === 'offered' && c.offeredTo === agent) this.expire(c, 'timeout')
    }, this.deps.settings.acceptTimeoutMs)
  }

  private expire(c: Conversation, why: 'timeout' | 'logged-out'): void {
    this.deps.clock.clearTimeout(c.offerTimer ?? undefined)
    c.offerTimer = null
    const agent = this.router.offerExpired(c.id, this.deps.clock.now())
    this.record(c, {type: 'chat.offer_expired', agent: agent ?? c.offeredTo, data: {afterMs: this.deps.clock.now() - (c.offeredAt ?? this.deps.clock.now()), reason: why}})
    // An agent away from its desk would be offered every chat in turn, each customer waiting out the timeout.
    if (why === 'timeout' && agent) this.deps.offerMissed?.(agent, c.queue)
    this.scheduleDispatch()
  }

  /** An agent logged out: its offers go to someone else, and its active conversations back to their queue's line, rather than wait for an answer that cannot come. */
  agentLeft(agent: string): void {
    for (const c of [...this.conversations.values()]) {
      if (c.state === 'offered' && c.offeredTo === agent) this.expire(c, 'logged-out')
      else if (c.state === 'active' && c.agent === agent) {
        const queue = c.queue && this.deps.acd.queues.has(c.queue) ? c.queue : this.deps.settings.queue
        if (queue && this.deps.acd.queues.has(queue)) this.transfer(c.id, {queue}, 'system', null, true)
        else this.closeNow(c, 'system', 'system', 'Sorry, nobody can take this conversation now. Please try again later.')
      }
    }
    this.waits.agentsChanged()
  }

  /** A queue was removed: its waiting conversations go to the chat queue (chat.queue), or end with a word to the customer. */
  queueGone(queue: string): void {
    for (const c of [...this.conversations.values()]) {
      if (c.queue !== queue || (c.state !== 'queued' && c.state !== 'offered')) continue
      this.deps.clock.clearTimeout(c.offerTimer ?? undefined)
      c.offerTimer = null
      this.router.leave(c.id)
      this.router.release(c.id)
      const fallback = this.deps.settings.queue
      if (fallback && fallback !== queue && this.deps.acd.queues.has(fallback)) {
        this.record(c, {type: 'chat.transferred', data: {from: null, to: {queue: fallback}, by: 'system', reason: 'queue-removed'}})
        this.handOff(c, {queue: fallback, skills: null, priority: c.priority}, 'requeue')
      } else this.closeNow(c, 'system', 'system', 'Sorry, nobody can take this conversation now. Please try again later.')
    }
  }

  /** The agent is typing: the customer is shown so (nothing is stored). */
  typing(id: string, agent: string): {conversation: string} {
    const c = this.must(id)
    if (c.state !== 'active' || c.agent !== agent) throw new ChatError(`Conversation ${id} is not an active conversation of agent ${agent}`, 'not_yours')
    const adapter = this.adapters.get(c.channel)
    const m: OutboundMessage = {conversation: c.id, kind: 'typing', from: 'agent', ...(c.agentName ? {agentName: c.agentName} : {}), seq: c.seq, ts: this.deps.clock.now()}
    adapter?.deliver(c.customer, m).catch((err: unknown) => this.deps.log.debug('chat: typing not delivered', {conversation: c.id, error: String(err)}))
    return {conversation: c.id}
  }

  accept(id: string, agent: string): ConversationView {
    const c = this.must(id)
    if (c.state === 'active' && c.agent === agent) return this.viewOf(c)
    if (c.state !== 'offered' || c.offeredTo !== agent) throw new ChatError(`Conversation ${id} is not offered to agent ${agent} (it is ${c.state})`, 'not_offered', 'See the conversations: callctl chat list.')
    this.acceptNow(c, agent, 'agent')
    return this.viewOf(c)
  }

  private acceptNow(c: Conversation, agent: string, how: 'agent' | 'auto'): void {
    this.deps.clock.clearTimeout(c.offerTimer ?? undefined)
    c.offerTimer = null
    this.waits.clear(c)
    this.router.accepted(c.id, agent)
    this.deps.offerTaken?.(agent)
    const name = this.deps.acd.agents.get(agent)?.name || agent
    this.record(c, {type: 'chat.accepted', agent, data: {waitMs: this.deps.clock.now() - (c.joinedAt ?? c.startedAt), how, agentName: name}})
    this.line(c, 'system', 'system', {text: `You are now chatting with ${name}.`})
    this.armSilence(c)
  }

  send(id: string, agent: string, m: {text?: string; image?: {url: string; mime: string}}): {conversation: string; seq: number} {
    const c = this.must(id)
    if (c.state !== 'active' || c.agent !== agent) throw new ChatError(`Conversation ${id} is not an active conversation of agent ${agent}`, 'not_yours', 'Accept it first (a at the desk), or see the conversations: callctl chat list.')
    if (m.text === undefined && !m.image) throw new ChatError('a message needs text or an image', 'bad_message')
    const seq = this.line(c, 'agent', m.image ? 'image' : 'text', {...(m.text !== undefined ? {text: m.text} : {}), ...(m.image ? {image: m.image} : {}), agentName: c.agentName ?? agent}, agent)
    this.armSilence(c)
    return {conversation: c.id, seq}
  }

  /** `requeue`: the engine moves it (its agent left), not a person choosing the queue, so the queue's wait limits apply there. */
  transfer(id: string, to: {agent: string} | {queue: string}, by: string, fromAgent: string | null, requeue = false): ConversationView {
    const c = this.must(id)
    if (!c.open || c.state === 'flow') throw new ChatError(`Conversation ${id} is ${c.state}: only a queued or active conversation can be transferred`, 'not_transferable')
    if (fromAgent !== null && c.agent !== fromAgent) throw new ChatError(`Conversation ${id} is not an active conversation of agent ${fromAgent}`, 'not_yours')
    const now = this.deps.clock.now()
    if ('agent' in to) {
      const a = this.deps.acd.agents.get(to.agent)
      if (!a) throw new ChatError(`Agent "${to.agent}" does not exist`, 'unknown_agent', 'See callctl agent list.')
      if (to.agent === c.agent) throw new ChatError(`Conversation ${id} is already with agent ${to.agent}`, 'same_agent')
      if (a.presence === 'offline') throw new ChatError(`Agent "${to.agent}" is logged out`, 'agent_offline')
      if (!this.router.hasRoom(a, c.channel)) throw new ChatError(`Agent "${to.agent}" has no room for another ${c.channel} chat`, 'agent_full', 'Transfer to a queue instead: it goes to whoever has room first.')
    } else if (!this.deps.acd.queues.has(to.queue)) throw new ChatError(`Queue "${to.queue}" does not exist`, 'unknown_queue', 'See callctl queue list.')
    this.deps.clock.clearTimeout(c.offerTimer ?? undefined)
    c.offerTimer = null
    this.waits.clear(c)
    const from = c.agent
    this.router.leave(c.id)
    this.router.release(c.id)
    this.record(c, {type: 'chat.transferred', agent: from, data: {from, to, by}})
    this.line(c, 'system', 'system', {text: 'You are being transferred; the next person sees this conversation so far.'})
    if ('queue' in to) {
      this.handOff(c, {queue: to.queue, skills: null, priority: c.priority}, requeue ? 'requeue' : 'transfer')
    } else {
      // Straight to the agent, in the line of the conversation's queue should the agent not accept in time.
      const queue = c.queue ?? [...this.deps.acd.agents.get(to.agent)!.queues.keys()][0] ?? this.deps.settings.queue
      if (!queue || !this.deps.acd.queues.has(queue)) throw new ChatError(`Agent "${to.agent}" is in no queue`, 'unknown_queue')
      this.router.enqueue({id: c.id, queue, channel: c.channel, priority: c.priority, joinedAt: now, skills: null}, now)
      this.record(c, {type: 'chat.queued', queue, data: {priority: c.priority, joinedAt: now, position: this.router.position(c.id), reason: 'transfer'}})
      this.router.reserve(c.id, to.agent)
      this.offer(c, to.agent)
    }
    this.scheduleDispatch()
    return this.viewOf(c)
  }

  close(id: string, reason: CloseReason, by: string, agent: string | null): ConversationView {
    const c = this.must(id)
    if (!c.open) return this.viewOf(c)
    if (agent !== null && c.agent !== agent) throw new ChatError(`Conversation ${id} is not an active conversation of agent ${agent}`, 'not_yours')
    this.closeNow(c, reason, by)
    return this.viewOf(c)
  }

  note(id: string, text: string, by: string): {conversation: string; agent: string | null} {
    const c = this.must(id)
    const agent = c.agent ?? c.offeredTo
    this.record(c, {type: 'chat.note', agent, data: {text, by}})
    return {conversation: c.id, agent}
  }

  private closeNow(c: Conversation, reason: CloseReason, by: string, text?: string): void {
    this.clearTimers(c)
    this.router.leave(c.id)
    this.router.release(c.id)
    const ask = this.deps.settings.rating && c.agents.length > 0 && reason !== 'customer'
    const closing = text ?? (reason === 'silence' ? this.deps.settings.silenceMessage : reason === 'customer' ? undefined : 'This conversation has ended.')
    if (closing) this.line(c, 'system', 'closed', {text: closing})
    this.record(c, {type: 'chat.closed', agent: c.agent, data: {reason, by, durationMs: this.deps.clock.now() - c.startedAt, ratingAsked: ask}})
    if (ask) this.line(c, 'system', 'rating-request', {text: 'How would you rate this conversation?', buttons: RATING_BUTTONS})
    this.scheduleDispatch()
  }

  // ---- timers ----------------------------------------------------------------

  /** Closes after the customer's silence: counted from the last line not the customer's, while it is the customer's turn. */
  private armSilence(c: Conversation): void {
    this.deps.clock.clearTimeout(c.silenceTimer ?? undefined)
    c.silenceTimer = null
    if (c.state !== 'active' && c.state !== 'flow') return
    const last = c.lines.at(-1)
    // The customer wrote last: it is our turn, however long it takes.
    if (c.state === 'active' && last?.from === 'customer') return
    const since = Math.max(last?.ts ?? c.startedAt, c.acceptedAt ?? 0)
    const delay = Math.max(0, since + this.deps.settings.silenceCloseMs - this.deps.clock.now())
    c.silenceTimer = this.deps.clock.setTimeout(() => {
      c.silenceTimer = null
      if (c.open && (c.state === 'active' || c.state === 'flow')) this.closeNow(c, 'silence', 'system')
    }, delay)
  }

  /** Tells waiting customers their place in line when it changed, at most every positionEvery; runs only while some wait. */
  private armPositions(): void {
    if (this.stopped || this.positionTimer !== null || this.router.waiting.size === 0) return
    this.positionTimer = this.deps.clock.setTimeout(() => {
      this.positionTimer = null
      const now = this.deps.clock.now()
      for (const c of this.conversations.values()) {
        if (c.state !== 'queued') continue
        const p = this.router.position(c.id)
        if (p > 0 && p !== c.saidPosition && now - c.saidPositionAt >= this.deps.settings.positionEveryMs) this.sayPosition(c, p)
      }
      this.forgetOldClosed(now)
      this.armPositions()
    }, this.deps.settings.positionEveryMs)
  }

  private clearTimers(c: Conversation): void {
    this.deps.clock.clearTimeout(c.offerTimer ?? undefined)
    this.deps.clock.clearTimeout(c.silenceTimer ?? undefined)
    c.offerTimer = null
    c.silenceTimer = null
    this.waits.forget(c.id)
  }

  // ---- views -----------------------------------------------------------------

  get(id: string): Conversation | undefined {
    return this.conversations.get(id)
  }

  /** Who a conversation belongs to, as the access policy asks of calls: the agent with it, the agent it is offered to. */
  parties(id: string): {agent: string | null; ringing: string[]} | undefined {
    const c = this.conversations.get(id)
    if (!c) return undefined
    return {agent: c.agent ?? (c.open ? null : (c.agents.at(-1) ?? null)), ringing: c.offeredTo ? [c.offeredTo] : []}
  }

  /** Open conversations (and an agent's: those with it or offered to it), oldest first. */
  list(o: {agent?: string; state?: Conversation['state']; queue?: string} = {}): ConversationView[] {
    const out: ConversationView[] = []
    for (const c of this.conversations.values()) {
      if (!c.open) continue
      if (o.agent !== undefined && c.agent !== o.agent && c.offeredTo !== o.agent) continue
      if (o.state !== undefined && c.state !== o.state) continue
      if (o.queue !== undefined && c.queue !== o.queue) continue
      out.push(this.viewOf(c))
    }
    return out.sort((a, b) => a.startedAt - b.startedAt)
  }

  viewOf(c: Conversation): ConversationView {
    return conversationView(c, this.router)
  }

  /** The dashboard's chat lines: waiting, active, those in no queue by stage, and each agent's load. */
  view(): ChatsView {
    return chatsView(this.conversations.values(), this.deps.acd.agents.values(), this.router, (a) => this.limitsOf(a))
  }

  // ---- writing -----------------------------------------------------------------

  private record(c: Conversation, e: Omit<NewEvent, 'ts' | 'origin' | 'callId'>): void {
    const event = this.deps.events.append({...e, callId: c.id, queue: e.queue ?? c.queue})
    c.apply(event)
  }

  /** One transcript line: recorded, then delivered to the customer unless it is the customer's own. */
  private line(c: Conversation, from: Speaker, kind: LineKind, data: Partial<TranscriptLine> & {channelMessageId?: string}, agent: string | null = null): number {
    const seq = c.seq + 1
    this.record(c, {type: 'chat.message', agent, data: {from, kind, seq, ...data}})
    if (from !== 'customer') {
      const adapter = this.adapters.get(c.channel)
      const line = c.lines.at(-1)!
      if (adapter) {
        adapter.deliver(c.customer, toOutbound(c.id, line)).catch((err: unknown) => this.deps.log.warn('chat: delivery to the customer failed (kept in the transcript)', {conversation: c.id, channel: c.channel, error: String(err)}))
      }
    }
    return seq
  }

  private must(id: string): Conversation {
    const c = this.conversations.get(id)
    if (!c) throw new ChatError(`No conversation ${JSON.stringify(id)}`, 'unknown_conversation', 'See the conversations: callctl chat list.')
    return c
  }

  private current(channel: ChannelKind, customer: string): Conversation | undefined {
    const id = this.latest.get(key(channel, customer))
    return id ? this.conversations.get(id) : undefined
  }

  private forgetOldClosed(now: number): void {
    for (const [id, c] of this.conversations) {
      if (c.open || (c.closedAt ?? now) > now - KEEP_CLOSED_MS) continue
      this.conversations.delete(id)
      if (this.latest.get(key(c.channel, c.customer)) === id) this.latest.delete(key(c.channel, c.customer))
    }
  }

  private serial<T>(k: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(k) ?? Promise.resolve()
    const next = prev.then(fn, fn)
    const settled = next.catch(() => undefined)
    this.chains.set(k, settled)
    void settled.then(() => {
      if (this.chains.get(k) === settled) this.chains.delete(k)
    })
    return next
  }
}

function key(channel: ChannelKind, customer: string): string {
  return `${channel}\u0000${customer}`
}

function atData(step: FlowStep): Record<string, unknown> {
  return step.at ? {awaiting: step.at.awaiting, ...(step.at.entry !== undefined ? {entry: step.at.entry} : {})} : {}
}

/** A rating the customer gave: a button 1-5, or the digit typed. */
function ratingOf(input: CustomerInput): number | null {
  const t = (input.payload ?? input.text ?? '').normalize('NFKC').trim()
  return /^[1-5]$/.test(t) ? Number(t) : null
}
