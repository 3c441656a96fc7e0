import type {CallView} from '../calls/engine-types.js'
import type {Principal} from '../users/roles.js'
import type {Method, ParamsOf, ResultOf} from './contract.js'

// What an access rule is made of (access-policy.ts holds the table): at the bottom, so the
// rule parts that spread into the table (desk-access, ticket-access, chat-access) import
// it and not the table that imports them.

/** What the policy asks of the running engine to tell an agent's own from another's. */
export interface Ownership {
  /** Who is on a live call: the agent that answered it, the agents its ring attempts ring (undefined when there is no such call). */
  call(id: string): CallParties | undefined
}

export type CallParties = Pick<CallView, 'agent' | 'ringing'>

/** An agent-role principal: its agent is known. */
export interface AgentPrincipal extends Principal {
  role: 'agent'
  agent: string
}

/** Why the request is refused (one line), or null when it may go on. */
export type Refusal = string | null

/**
 * What an agent may do with a method:
 * - 'all': the method shows nothing of another agent's (engine.status, session.whoami);
 * - 'own agent': params.agent must be its agent;
 * - 'own call': params.call must be a live call its agent answered (acting on a call only
 *   ringing it, an agent could hang up a caller it never took);
 * - {check}: a check of the params of its own (a customer, a ticket...);
 * - {narrow}: served, and the result cut down to the agent's own (calls.list, snapshot);
 * - 'handler': served; the handler keeps the agent to its own by the principal it gets
 *   (events.subscribe narrows what it sends); a handler refusing throws
 *   ApiError('forbidden', 'role agent may call M only ...'), which the server answers and
 *   records (auth.refused) as it does the policy's own refusals;
 * - 'refused': not for the agent role at all.
 */
export type AgentAccess<M extends Method> =
  | 'all'
  | 'refused'
  | 'handler'
  | (ParamsOf<M> extends {agent: string} ? 'own agent' : never)
  | (ParamsOf<M> extends {call: string} ? 'own call' : never)
  | {check: (params: ParamsOf<M>, me: AgentPrincipal, engine: Ownership) => Refusal | Promise<Refusal>}
  | {narrow: (result: ResultOf<M>, me: AgentPrincipal) => ResultOf<M>}

export interface Rule<M extends Method> {
  /** The supervisor role may call it (unrestricted: supervisors see every agent and call). Admins always may. */
  supervisor: boolean
  agent: AgentAccess<M>
}

/** An agent is on a call it answered or that is ringing its phone. */
export function isOnCall(c: CallParties, agent: string): boolean {
  return c.agent === agent || c.ringing.includes(agent)
}
