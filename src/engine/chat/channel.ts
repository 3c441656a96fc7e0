// src/engine/chat/channel.ts: what a channel (web widget, WeChat, webhook) and the chat core say to each other.
export type ChannelKind = 'web' | 'wechat' | 'webhook'
export interface InboundMessage {
  channel: ChannelKind
  /** Stable id of the customer on that channel (web: a visitor id kept in the browser; WeChat: the OpenID; webhook: the platform's user id). */
  customer: string
  name?: string
  number?: string
  /** Exactly one of text, image, event. */
  text?: string
  image?: {url: string; mime: string; bytes: number}
  event?: 'open' | 'typing' | 'close' | 'subscribe' | 'unsubscribe' | 'button'
  payload?: string // the button or menu key chosen
  /** The channel's own message id, so a retried delivery is stored once. */
  channelMessageId?: string
}
export interface OutboundMessage {
  conversation: string
  kind: 'text' | 'image' | 'buttons' | 'typing' | 'closed' | 'rating-request' | 'system'
  text?: string
  image?: {url: string; mime: string}
  buttons?: {key: string; label: string}[]
  from: 'bot' | 'agent' | 'system'
  agentName?: string
  seq: number // per conversation, increasing: clients resume from the last seq they saw
  ts: number
}
export interface ChannelAdapter {
  kind: ChannelKind
  /** Delivers to the customer; a channel that cannot reach the customer now keeps it for history (web) or uses its API (WeChat). */
  deliver(customer: string, m: OutboundMessage): Promise<void>
}
export interface CustomerSaid {
  conversation: string
  seq: number
  ts: number
  from: 'customer'
  kind: 'text' | 'image'
  text?: string
  image?: {url: string; mime: string}
}
export interface ChatCoreForChannels {
  receive(m: InboundMessage): Promise<{conversation: string; seq: number}>
  /** Every message of the customer's current or last conversation after `afterSeq` (history after reload). */
  history(channel: ChannelKind, customer: string, afterSeq?: number): Promise<OutboundMessage[]>
  /** What the customer wrote (text and images) in the same conversation: the other side of the history, after an engine restart too. */
  customerLines(channel: ChannelKind, customer: string): Promise<CustomerSaid[]>
  register(adapter: ChannelAdapter): void
}
