import {loadEngineConfig} from '../config/engine-config.js'
import {withStore} from '../config/open-store.js'
import {loginAgent, logoutAgent, pauseAgent, unpauseAgent, type AgentListing} from './admin.js'
import {byOf} from '../api/store-access.js'
import {allowedPauseReason} from './validate.js'

// An agent's presence changed by a command writing the store (agent pause, unpause,
// login, logout without an engine, the dashboard's fallback): under the same rules as
// the API's agent.* methods for the user of CALLCTL_TOKEN (an agent only its own, with
// a reason of the center's), and that user named as `by` in the events.

export function pauseAs(configFile: string | undefined, agent: string, reason: string | undefined): Promise<AgentListing> {
  return withStore(
    configFile,
    (store, who) => {
      const reasons = loadEngineConfig({file: configFile, requireAri: false}).desk.pauseReasons
      return pauseAgent(store, agent, allowedPauseReason(who.role, reason, reasons), byOf(who))
    },
    {method: 'agent.pause', params: {agent, ...(reason !== undefined ? {reason} : {})}},
  )
}

export function unpauseAs(configFile: string | undefined, agent: string): Promise<AgentListing> {
  return withStore(configFile, (store, who) => unpauseAgent(store, agent, byOf(who)), {method: 'agent.unpause', params: {agent}})
}

/** Joining queues (QUEUE:PENALTY) sets memberships: configuration, for admins. */
export function loginAs(configFile: string | undefined, agent: string, queues: string[]): Promise<AgentListing> {
  return withStore(configFile, (store, who) => loginAgent(store, agent, queues, byOf(who)), queues.length > 0 ? 'configure' : {method: 'agent.login', params: {agent}})
}

export function logoutAs(configFile: string | undefined, agent: string, queue: string | undefined): Promise<AgentListing> {
  return withStore(configFile, (store, who) => logoutAgent(store, agent, queue, byOf(who)), {method: 'agent.logout', params: {agent, ...(queue !== undefined ? {queue} : {})}})
}
