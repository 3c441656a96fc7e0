import type {AgentPrincipal, Ownership, Refusal, Rule} from './access-rule.js'
import {isOnCall} from './access-rule.js'
import type {CHAT_METHODS} from './chat-contract.js'

// Who may call the chat methods (chat-contract.ts); spread into ACCESS_POLICY. An agent acts
// on its own conversations only (with it, or offered to it); a supervisor reads any
// transcript and writes notes to agents; admins everything.

type ChatMethod = keyof typeof CHAT_METHODS

/** The conversation is the agent's: with it, offered to it, or (closed) last with it. Conversations answer the ownership question as calls do. */
function ownConversation(id: string, me: AgentPrincipal, engine: Ownership, method: string): Refusal {
  const c = engine.call(id)
  return c && isOnCall(c, me.agent) ? null : `role agent may call ${method} only on conversations of its agent ${me.agent}`
}

/** An agent names itself: a conversation handed over or closed is its own. */
function asItself(p: {agent?: string; conversation: string}, me: AgentPrincipal, engine: Ownership, method: string): Refusal {
  if (p.agent !== me.agent) return `role agent calls ${method} as its own agent (agent: ${me.agent})`
  return ownConversation(p.conversation, me, engine, method)
}

export const CHAT_RULES: {[M in ChatMethod]: Rule<M>} = {
  'chat.list': {supervisor: true, agent: {narrow: (r, me) => ({...r, conversations: r.conversations.filter((c) => c.agent === me.agent || c.offeredTo === me.agent)})}},
  'chat.accept': {supervisor: false, agent: 'own agent'},
  'chat.send': {supervisor: false, agent: 'own agent'},
  'chat.image': {supervisor: false, agent: 'own agent'},
  'chat.typing': {supervisor: false, agent: 'own agent'},
  'chat.transfer': {supervisor: true, agent: {check: (p, me, engine) => asItself(p, me, engine, 'chat.transfer')}},
  'chat.close': {supervisor: true, agent: {check: (p, me, engine) => asItself(p, me, engine, 'chat.close')}},
  // An agent's transcript carries the notes written to it only (chat-handlers.ts narrows them).
  'chat.transcript': {supervisor: true, agent: {check: (p, me, engine) => ownConversation(p.conversation, me, engine, 'chat.transcript')}},
  // The note is the supervisor's coaching; an agent does not write notes to others.
  'chat.note': {supervisor: true, agent: 'refused'},
}
