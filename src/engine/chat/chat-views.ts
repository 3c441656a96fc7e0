import type {AgentRuntime} from '../routing/acd.js'
import {chatCount, type ChatLimits} from '../routing/capacity.js'
import type {ChatRouter} from '../routing/chat-router.js'
import type {ChannelKind} from './channel.js'
import type {Conversation, ConversationStage, Speaker} from './conversation.js'

// What agents, supervisors and the dashboard read of chats: one conversation (chat.list,
// chat.transcript, the desk), and the chat figures of the engine's snapshot (waiting in a
// queue, active, those in no queue by stage, each agent's load). Read-only folds of the
// chat core's conversations and the router's loads.

/** A conversation as agents, supervisors and the dashboard see it. */
export interface ConversationView {
  id: string
  channel: ChannelKind
  customer: string
  name: string
  number: string
  state: Conversation['state']
  /** The state as a supervisor reads it: the flow's state split into with-bot, awaiting-customer and leaving-message. */
  stage: ConversationStage
  queue: string | null
  agent: string | null
  offeredTo: string | null
  startedAt: number
  joinedAt: number | null
  acceptedAt: number | null
  closedAt: number | null
  closeReason: string | null
  /** 1-based place in its queue's line while queued. */
  position: number | null
  messages: number
  last: {from: Speaker; text: string; ts: number} | null
  rating: number | null
}

export interface ChatsView {
  /** In a queue's line for an agent (offered included). */
  waiting: number
  offered: number
  active: number
  /** Not in a queue: the bot working on the customer's line, the bot waiting for the customer's answer, the customer asked to leave a message. */
  withBot: number
  awaitingCustomer: number
  leavingMessage: number
  queues: Record<string, {waiting: number; active: number; oldestJoinedAt: number | null}>
  /** Per agent with chats: held per channel, in all, and its limit (slots). */
  agents: Record<string, {web: number; wechat: number; webhook: number; total: number; limit: number; onCall: boolean; blocksCalls: boolean}>
}

/** One conversation as the API gives it; its place in line from the router while queued. */
export function conversationView(c: Conversation, router: Pick<ChatRouter, 'position'>): ConversationView {
  const last = [...c.lines].reverse().find((l) => l.text !== undefined || l.image)
  return {
    id: c.id,
    channel: c.channel,
    customer: c.customer,
    name: c.name,
    number: c.number,
    state: c.state,
    stage: c.stage,
    queue: c.queue,
    agent: c.agent,
    offeredTo: c.offeredTo,
    startedAt: c.startedAt,
    joinedAt: c.joinedAt,
    acceptedAt: c.acceptedAt,
    closedAt: c.closedAt,
    closeReason: c.closeReason,
    position: c.state === 'queued' ? router.position(c.id) : null,
    messages: c.lines.length,
    last: last ? {from: last.from, text: last.text ?? '[image]', ts: last.ts} : null,
    rating: c.rating,
  }
}

/** The snapshot's chat figures: in a queue's line (offers included) and active per queue, those in no queue by stage, each agent's load. */
export function chatsView(conversations: Iterable<Conversation>, agents: Iterable<AgentRuntime>, router: Pick<ChatRouter, 'load' | 'onCall'>, limitsOf: (agent: string) => ChatLimits): ChatsView {
  const v: ChatsView = {waiting: 0, offered: 0, active: 0, withBot: 0, awaitingCustomer: 0, leavingMessage: 0, queues: {}, agents: {}}
  for (const c of conversations) {
    if (c.state === 'flow') {
      const stage = c.stage
      if (stage === 'leaving-message') v.leavingMessage++
      else if (stage === 'awaiting-customer') v.awaitingCustomer++
      else v.withBot++
      continue
    }
    if (!c.open || !c.queue) continue
    const q = (v.queues[c.queue] ??= {waiting: 0, active: 0, oldestJoinedAt: null})
    if (c.state === 'active') {
      v.active++
      q.active++
    } else {
      if (c.state === 'offered') v.offered++
      v.waiting++
      q.waiting++
      if (c.joinedAt !== null && (q.oldestJoinedAt === null || c.joinedAt < q.oldestJoinedAt)) q.oldestJoinedAt = c.joinedAt
    }
  }
  for (const a of agents) {
    const l = router.load(a.id)
    const n = chatCount(l)
    if (n === 0 && a.presence === 'offline') continue
    // blocksCalls: its chats leave no room for a call (call-counts-as), so an idle-looking agent is not rung.
    v.agents[a.id] = {...l, total: n, limit: limitsOf(a.id).total, onCall: router.onCall(a), blocksCalls: a.chatsBlockCalls}
  }
  return v
}
