import type {ChannelAdapter, ChannelKind, ChatCoreForChannels, CustomerSaid, InboundMessage, OutboundMessage} from '../../src/engine/chat/channel.js'

/**
 * A chat core that keeps conversations in memory, for the channels' own tests: it
 * numbers every message of a conversation (the customer's too, as the real core does),
 * stores a retried delivery once, and sends what the test's agent or bot says through
 * the channel the customer came from. A close ends the conversation; the next message
 * starts a new one.
 */
export class ChatCoreDouble implements ChatCoreForChannels {
  readonly adapters = new Map<ChannelKind, ChannelAdapter>()
  readonly inbound: InboundMessage[] = []
  private readonly convs = new Map<string, {id: string; channel: ChannelKind; customer: string; seq: number; out: OutboundMessage[]; said: CustomerSaid[]; open: boolean}>()
  private readonly seenIds = new Map<string, {conversation: string; seq: number}>()
  private next = 1
  /** What the bot answers to an 'open' or a first message (none when null). */
  greeting: string | null = null
  /** Answers every text with this function's reply, as the bot (none when null). */
  autoReply: ((m: InboundMessage) => string | null) | null = null

  register(adapter: ChannelAdapter): void {
    this.adapters.set(adapter.kind, adapter)
  }

  async receive(m: InboundMessage): Promise<{conversation: string; seq: number}> {
    const key = m.channelMessageId ? `${m.channel}:${m.channelMessageId}` : null
    const seen = key ? this.seenIds.get(key) : undefined
    if (seen) return seen
    this.inbound.push(m)
    let c = this.convs.get(`${m.channel}:${m.customer}`)
    const fresh = !c || !c.open
    if (fresh) {
      c = {id: `C-${String(this.next++).padStart(6, '0')}`, channel: m.channel, customer: m.customer, seq: 0, out: [], said: [], open: true}
      this.convs.set(`${m.channel}:${m.customer}`, c)
    }
    const conv = c!
    const r = {conversation: conv.id, seq: ++conv.seq}
    if (key) this.seenIds.set(key, r)
    if (m.event === undefined) {
      const line = m.text !== undefined ? {kind: 'text' as const, text: m.text} : {kind: 'image' as const, image: {url: m.image!.url, mime: m.image!.mime}}
      conv.said.push({conversation: conv.id, seq: r.seq, ts: Date.now(), from: 'customer', ...line})
    }
    if (m.event === 'close') {
      await this.say(conv.id, {kind: 'closed', from: 'system', text: 'The chat has ended.'})
      conv.open = false
      return r
    }
    if (fresh && this.greeting) await this.say(conv.id, {kind: 'text', from: 'bot', text: this.greeting})
    if (m.text !== undefined && this.autoReply) {
      const reply = this.autoReply(m)
      if (reply !== null) await this.say(conv.id, {kind: 'text', from: 'bot', text: reply})
    }
    return r
  }

  async history(channel: ChannelKind, customer: string, afterSeq = 0): Promise<OutboundMessage[]> {
    const c = this.convs.get(`${channel}:${customer}`)
    return c ? c.out.filter((m) => m.seq > afterSeq) : []
  }

  async customerLines(channel: ChannelKind, customer: string): Promise<CustomerSaid[]> {
    return this.convs.get(`${channel}:${customer}`)?.said ?? []
  }

  conversationOf(channel: ChannelKind, customer: string): string | undefined {
    return this.convs.get(`${channel}:${customer}`)?.id
  }

  /** The agent's or bot's message to the conversation's customer, delivered through its channel. */
  async say(conversation: string, m: Omit<OutboundMessage, 'conversation' | 'seq' | 'ts'>): Promise<OutboundMessage> {
    const c = [...this.convs.values()].find((x) => x.id === conversation)
    if (!c) throw new Error(`no conversation ${conversation}`)
    const out: OutboundMessage = {...m, conversation, seq: ++c.seq, ts: Date.now()}
    c.out.push(out)
    await this.adapters.get(c.channel)?.deliver(c.customer, out)
    return out
  }
}
