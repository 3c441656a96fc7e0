import type {ChannelKind} from '../chat/channel.js'

// One capacity model across voice and chat: how many conversations an agent may hold at
// once, and how a phone call weighs against them. Pure: the chat router asks before it
// offers a chat, the ACD before it rings an agent for a call.
//
//   call-blocks-chats       an agent ringing or on a call is offered no new chat; its
//                           chats do not keep calls from it (a call is never refused for chats).
//   call-counts-as N        a call takes N of the agent's `total` slots: a new chat needs a
//                           slot left beside the call; a call needs N slots left beside the
//                           chats (an agent at its chat limit is not rung).

export type CapacityRule = {mode: 'call-blocks-chats'} | {mode: 'call-counts-as'; slots: number}

export const CHANNELS: readonly ChannelKind[] = ['web', 'wechat', 'webhook']

/** Concurrent chats an agent may hold: per channel, and in all (the slots a call counts against). */
export type ChatLimits = Record<ChannelKind, number> & {total: number}

export interface AgentLoad {
  /** Chats held per channel: offered (slot reserved) and active. */
  chats: Record<ChannelKind, number>
  /** The agent is ringing for, or on, a phone call. */
  onCall: boolean
}

export function emptyLoad(): Record<ChannelKind, number> {
  return {web: 0, wechat: 0, webhook: 0}
}

export function chatCount(l: Record<ChannelKind, number>): number {
  return l.web + l.wechat + l.webhook
}

/** Slots in use: each chat one, a call nothing (blocks-chats) or N (counts-as). */
export function slotsUsed(rule: CapacityRule, load: AgentLoad): number {
  return chatCount(load.chats) + (load.onCall && rule.mode === 'call-counts-as' ? rule.slots : 0)
}

/** Whether one more chat on this channel fits. */
export function mayTakeChat(rule: CapacityRule, limits: ChatLimits, load: AgentLoad, channel: ChannelKind): boolean {
  if (load.chats[channel] + 1 > limits[channel]) return false
  if (load.onCall && rule.mode === 'call-blocks-chats') return false
  return slotsUsed(rule, load) + 1 <= limits.total
}

/** Whether a phone call fits beside the chats held (the agent is not on a call now). */
export function mayTakeCall(rule: CapacityRule, limits: ChatLimits, chats: Record<ChannelKind, number>): boolean {
  if (rule.mode === 'call-blocks-chats') return true
  // An agent holding no chat always may: a call weighing more than every slot still rings someone.
  const held = chatCount(chats)
  return held === 0 || held + rule.slots <= limits.total
}
