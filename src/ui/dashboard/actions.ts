import type {SuperviseMode} from '../../engine/calls/supervision.js'
import type {AgentListing} from '../../engine/admin/admin.js'
import {isUserError} from '../../engine/util/errors.js'
import {describePresence} from '../presence.js'
import {describeSupervision, type SuperviseResult} from '../supervise.js'

/** What the dashboard's keys do to the engine; each answers with a line for the status bar. */
export interface DashboardActions {
  supervise(mode: SuperviseMode, agent: string, call: string | null): Promise<string>
  pause(agent: string): Promise<string>
  unpause(agent: string): Promise<string>
}

export interface ActionDeps {
  request<T>(method: string, params: Record<string, unknown>): Promise<T>
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
      return describePresence(await d.request<AgentListing>(method, method === 'agent.pause' ? {agent, reason: d.pauseReason, by: d.by} : {agent, by: d.by}))
    } catch (err) {
      if (!d.storeFallback || !isUserError(err) || err.code !== 'unknown_method') throw err
      // The running engine picks the store's change up within 250 ms.
      return describePresence(method === 'agent.pause' ? await d.storeFallback.pause(agent, d.pauseReason) : await d.storeFallback.unpause(agent))
    }
  }
  return {
    async supervise(mode, agent, call) {
      if (!d.from) throw new Error('No supervisor phone: restart with --from PJSIP/2001, or set supervisor.endpoint in the config')
      const r = await d.request<SuperviseResult>('supervise.start', {...(call ? {call} : {agent}), mode, from: d.from, by: d.by})
      return describeSupervision(r)
    },
    pause: (agent) => presence('agent.pause', agent),
    unpause: (agent) => presence('agent.unpause', agent),
  }
}
