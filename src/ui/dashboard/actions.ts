import type {AgentListing, Method, ParamsArg, ResultOf, SuperviseMode} from '../../engine/api/contract.js'
import {isUserError} from '../../engine/util/errors.js'
import {describePresence} from '../presence.js'
import {describeSupervision} from '../supervise.js'

/** What the dashboard's keys do to the engine; each answers with a line for the status bar. */
export interface DashboardActions {
  supervise(mode: SuperviseMode, agent: string, call: string | null): Promise<string>
  pause(agent: string): Promise<string>
  unpause(agent: string): Promise<string>
}

export interface ActionDeps {
  request<M extends Method>(method: M, ...args: ParamsArg<M>): Promise<ResultOf<M>>
  /** The supervisor's phone; null when neither --from nor supervisor.endpoint is set. */
  from: string | null
  /** Who the supervisor is, for the audit trail. */
  by: string
  pauseReason: string
  /** Writes presence to the local store, for an engine older than agent.pause. */
  storeFallback?: {pause(agent: string, reason: string): Promise<AgentListing>; unpause(agent: string): Promise<AgentListing>}
}

export function engineActions(d: ActionDeps): DashboardActions {
  const presence = async (method: 'agent.pause' | 'agent.unpause', agent: string): Promise<string> => {
    try {
      return describePresence(method === 'agent.pause' ? await d.request('agent.pause', {agent, reason: d.pauseReason, by: d.by}) : await d.request('agent.unpause', {agent, by: d.by}))
    } catch (err) {
      if (!d.storeFallback || !isUserError(err) || err.code !== 'unknown_method') throw err
      // The running engine picks the store's change up within 250 ms.
      return describePresence(method === 'agent.pause' ? await d.storeFallback.pause(agent, d.pauseReason) : await d.storeFallback.unpause(agent))
    }
  }
  return {
    async supervise(mode, agent, call) {
      if (!d.from) throw new Error('No supervisor phone: restart with --from PJSIP/2001, or set supervisor.endpoint in the config')
      const r = await d.request('supervise.start', {...(call ? {call} : {agent}), mode, from: d.from, by: d.by})
      return describeSupervision(r)
    },
    pause: (agent) => presence('agent.pause', agent),
    unpause: (agent) => presence('agent.unpause', agent),
  }
}
