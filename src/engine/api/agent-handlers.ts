import {logoutAgent, pauseAgent, unpauseAgent} from '../admin/admin.js'
import {allowedPauseReason} from '../admin/validate.js'
import type {Engine} from '../calls/engine.js'
import type {Store} from '../store/store.js'
import type {Handlers} from './server.js'

/**
 * Presence changes over the API (the dashboard's `p`), written through the same admin
 * functions as `callctl agent pause`: the store gets the presence and its event in one
 * transaction, and the engine applies it with every other admin change (within 250 ms).
 */
export function agentHandlers(engine: Engine, o: {store?: Store; pauseReasons?: readonly string[]} = {}): Pick<Handlers, 'agent.pause' | 'agent.unpause' | 'agent.logout'> {
  const store = o.store ?? engine.core.store
  return {
    // p.by is the authenticated user (the server sets it): the audit trail names who paused.
    // An agent pauses for a reason of the center's list (desk.pauseReasons), so the pause
    // report counts a few known reasons; supervisors and admins may write any.
    'agent.pause': async (p, _conn, who) => pauseAgent(store, p.agent, allowedPauseReason(who?.role ?? 'admin', p.reason, o.pauseReasons ?? []), p.by),
    'agent.unpause': async (p) => unpauseAgent(store, p.agent, p.by),
    // Not left to the 250 ms sync: an agent was rung 159 ms after `agent logout` said
    // "logged out". The engine stops offering calls first, the store records it, and the
    // answer waits until no ring of the agent's is left.
    'agent.logout': async (p) => {
      if (p.queue) return logoutAgent(store, p.agent, p.queue, p.by)
      const settled = engine.logoutNow(p.agent)
      const listing = await logoutAgent(store, p.agent, undefined, p.by)
      await settled
      return listing
    },
  }
}
