import type {EngineSnapshot} from '../calls/engine-types.js'
import type {Principal} from '../users/roles.js'
import type {Method, ParamsOf, ResultOf} from './contract.js'
import {CHAT_RULES} from './chat-access.js'
import {DESK_RULES} from './desk-access.js'
import {TICKET_RULES} from './ticket-access.js'
import {isOnCall, type AgentPrincipal, type Ownership, type Refusal, type Rule} from './access-rule.js'

// Who may call what. Every request authenticates to a principal (a user with a role, and
// for the agent role its agent); before the handler runs, the server asks this table
// whether the principal's role may call the method, and for the agent role, whether the
// agent, call or customer in the params is its own. A method without a rule here fails to
// compile (ACCESS_POLICY is typed over every contract method): whoever adds a method to
// contract.ts decides here who may call it.
//
// admin: everything. supervisor: watches (snapshot, calls, events), supervises (monitor,
// whisper, barge), pauses, unpauses and logs agents out, holds, hangs up and transfers
// calls; no configuration. agent: acts only as its own agent, on calls its agent is on,
// and sees only its own calls and customers.

export {LOCAL_ADMIN, ROLES, type Principal, type Role} from '../users/roles.js'

// The rule's vocabulary lives in access-rule.ts, below this table and the rule parts that
// spread into it (desk-access, ticket-access, chat-access), so none of them imports this file.
export {isOnCall, type AgentAccess, type AgentPrincipal, type CallParties, type Ownership, type Refusal, type Rule} from './access-rule.js'

const ADMIN_ONLY = {supervisor: false, agent: 'refused'} as const

/** One rule per contract method. */
export const ACCESS_POLICY: {[M in Method]: Rule<M>} = {
  'engine.status': {supervisor: true, agent: 'all'},
  'session.whoami': {supervisor: true, agent: 'all'},
  // The queues' figures stay (the desk shows its queues); other agents (their states, figures, chat loads), other callers' numbers and supervisions do not.
  snapshot: {supervisor: true, agent: {narrow: (s, me) => ownSnapshot(s, me)}},
  // Other agents' phones: contacts and addresses of their desks. An agent's own is in its snapshot's agent state.
  'phones.status': {supervisor: true, agent: 'refused'},
  'events.subscribe': {supervisor: true, agent: 'handler'},
  'events.flush': {supervisor: true, agent: 'all'},
  'calls.list': {supervisor: true, agent: {narrow: (r, me) => ({...r, calls: r.calls.filter((c) => isOnCall(c, me.agent))})}},
  // Seeing a call also while it rings the agent: the desk's pop comes from the ring.
  'call.get': {supervisor: true, agent: {check: (p, me, engine) => seesCall(engine, p.call, me, 'call.get')}},
  'agent.ready': {supervisor: true, agent: 'own agent'},
  'agent.wrapup': {supervisor: true, agent: 'own agent'},
  'agent.pause': {supervisor: true, agent: 'own agent'},
  'agent.unpause': {supervisor: true, agent: 'own agent'},
  'agent.logout': {supervisor: true, agent: 'own agent'},
  'call.hold': {supervisor: true, agent: 'own call'},
  'call.unhold': {supervisor: true, agent: 'own call'},
  'call.hangup': {supervisor: true, agent: 'own call'},
  'call.transfer': {supervisor: true, agent: 'own call'},
  'call.transfer.complete': {supervisor: true, agent: 'own call'},
  'call.transfer.cancel': {supervisor: true, agent: 'own call'},
  // Click-to-call rings the agent's phone first: an agent dials from its own desk; a supervisor does not place agents' calls.
  'call.dial': {supervisor: false, agent: 'own agent'},
  // Ends calls without anyone hanging up: for the admin's own tools (simulate), not a supervisor's.
  'calls.end': ADMIN_ONLY,
  // Supervision is the supervisor's: an agent must not listen to another's call, nor learn that it is listened to.
  'supervise.start': {supervisor: true, agent: 'refused'},
  'supervise.mode': {supervisor: true, agent: 'refused'},
  'supervise.stop': {supervisor: true, agent: 'refused'},
  'supervise.list': {supervisor: true, agent: 'refused'},
  ...DESK_RULES,
  ...TICKET_RULES,
  ...CHAT_RULES,
}

/** Kept for rules to come that only admins may call (configuration over the API). */
export const adminOnly = <M extends Method>(): Rule<M> => ADMIN_ONLY

/** For a rule's check: a live call the agent answered or that rings it (an unknown call is refused the same way). */
export function seesCall(engine: Ownership, id: string, me: AgentPrincipal, method: Method): Refusal {
  const call = engine.call(id)
  return call && isOnCall(call, me.agent) ? null : `role agent may call ${method} only on calls of its agent ${me.agent}`
}

/** Whether the principal may call the method with these params: a refusal (one line) or null. */
export async function refusal<M extends Method>(method: M, params: ParamsOf<M>, who: Principal, engine: Ownership): Promise<Refusal> {
  if (who.role === 'admin') return null
  const rule = ACCESS_POLICY[method] as Rule<M>
  const denied = `role ${who.role} may not call ${method}`
  if (who.role === 'supervisor') return rule.supervisor ? null : denied
  const access = rule.agent
  if (access === 'refused') return denied
  if (who.agent === null) return `user ${who.user} has the agent role but no agent`
  const me = who as AgentPrincipal
  if (access === 'all' || access === 'handler' || typeof access === 'object' && 'narrow' in access) return null
  if (access === 'own agent') {
    const agent = (params as {agent: string}).agent
    return agent === me.agent ? null : `role agent may call ${method} only for its own agent ${me.agent}, not ${agent}`
  }
  if (access === 'own call') {
    const id = (params as {call: string}).call
    // An unknown call and another agent's call are refused alike: an agent learns nothing of calls not its own.
    return engine.call(id)?.agent === me.agent ? null : `role agent may call ${method} only on calls its agent ${me.agent} answered`
  }
  return access.check(params, me, engine)
}

/** The result as the principal may see it (narrowed for the agent role where the rule says so). */
export function narrowed<M extends Method>(method: M, result: ResultOf<M>, who: Principal): ResultOf<M> {
  if (who.role !== 'agent' || who.agent === null) return result
  const access = (ACCESS_POLICY[method] as Rule<M>).agent
  return typeof access === 'object' && 'narrow' in access ? access.narrow(result, who as AgentPrincipal) : result
}

/**
 * Whether an event pushed to a subscription may reach the principal: an agent gets its own
 * agent's events and those of calls its agent is or was on. `mine` is the subscription's
 * memory of those calls, so the call's last events (call.ended, after the call has left
 * the engine's live list) still reach it.
 */
export function mayReceive(event: {type?: string; agent?: string | null; callId?: string | null}, who: Principal, engine: Ownership, mine: Set<string>): boolean {
  if (who.role !== 'agent') return true
  if (who.agent === null) return false
  // A supervisor's private note reaches the agent it is written to, not one who had the conversation before.
  if (event.type === 'chat.note') return event.agent === who.agent
  const callId = event.callId ?? null
  // A conversation is the agent's while it has it or is offered it: one it transferred or
  // let expire is not (calls stay with their agent to the end; chats move on for good).
  if (event.type?.startsWith('chat.')) {
    const live = callId !== null ? engine.call(callId) : undefined
    return event.agent === who.agent || (live !== undefined && isOnCall(live, who.agent))
  }
  if (callId !== null && mine.has(callId)) return true
  const live = callId !== null ? engine.call(callId) : undefined
  const own = event.agent === who.agent || (live !== undefined && isOnCall(live, who.agent))
  if (own && callId !== null) mine.add(callId)
  return own
}

function ownSnapshot(s: EngineSnapshot, me: AgentPrincipal): EngineSnapshot {
  const {supervisions: _hidden, ...rest} = s
  return {
    ...rest,
    // Waiting callers are counted, not named: a caller's number is shown only on a ring of this agent's.
    queues: s.queues.map((q) => ({...q, waiting: q.waiting.map((w) => (w.ringing.includes(me.agent) ? w : {...w, number: ''}))})),
    agents: s.agents.filter((a) => a.id === me.agent),
    calls: s.calls.filter((c) => isOnCall(c, me.agent)),
    stats: {...s.stats, agents: Object.fromEntries(Object.entries(s.stats.agents).filter(([a]) => a === me.agent))},
    // The center's chat counts stay; other agents' chat loads go as their states do.
    ...(s.chats ? {chats: {...s.chats, agents: Object.fromEntries(Object.entries(s.chats.agents).filter(([a]) => a === me.agent))}} : {}),
  }
}
