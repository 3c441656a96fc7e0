import type {AgentListing, AgentState} from '../engine/api/contract.js'
import {safeText} from '../engine/util/text.js'

/**
 * An agent as the CLI prints it. The store keeps a login presence (offline / available /
 * paused); people read one set of agent states on every screen and in every --json
 * (docs/json.md), so a logged-in agent is "idle" here as on the wallboard, or what the
 * running engine says it is doing (ringing, on-call, wrap-up).
 */
export type ListedAgent = Omit<AgentListing, 'presence' | 'presenceSince'> & {state: AgentState; since: number | null}

export function listedAgent(a: AgentListing, live?: AgentState): ListedAgent {
  const {presence, presenceSince, ...rest} = a
  const state: AgentState = presence === 'available' ? 'idle' : presence
  // The engine's state wins only where the store cannot know it (a call in progress, a logout
  // during one included: the agent is on its call, or in its wrap-up, until it ends).
  const working = live === 'ringing' || live === 'on-call' || live === 'wrap-up'
  return {...rest, state: live && (presence !== 'offline' || working) ? live : state, since: presenceSince}
}

export function describePresence(agent: AgentListing | ListedAgent): string {
  const a = 'presence' in agent ? listedAgent(agent) : agent
  const queues = Object.keys(a.queues)
  const state = a.state === 'paused' ? `paused (${a.pauseReason})` : a.state === 'offline' ? 'logged out' : 'logged in'
  return `Agent ${safeText(a.id)} is ${state}${queues.length ? `; queues: ${queues.map((q) => safeText(q)).join(', ')}` : ''}.`
}
