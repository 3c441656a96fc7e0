import {agentHandlers} from './agent-handlers.js'
import {DEFAULT_PAUSE_REASONS} from '../config/desk-config.js'
import {chatHandlers} from './chat-handlers.js'
import {controlHandlers} from './control-handlers.js'
import {deskHandlers, type DeskOptions} from './desk-handlers.js'
import {ticketHandlers, type TicketOptions} from './ticket-handlers.js'
import type {Engine} from '../calls/engine.js'
import type {NewEvent} from '../store/events.js'
import {mayReceive, type Ownership} from './access-policy.js'
import {ApiError, type Handlers} from './server.js'

export {CALL_STATES, type CallList} from './contract.js'

/** The API's methods: thin translations onto the engine. Params arrive checked against the contract. */
export function engineHandlers(engine: Engine, info: {app: string; version: string; desk?: DeskOptions; tickets?: TicketOptions}): Handlers {
  return {
    ...controlHandlers(engine),
    ...agentHandlers(engine, {pauseReasons: info.desk?.settings?.pauseReasons ?? DEFAULT_PAUSE_REASONS}),
    ...deskHandlers(engine, info.desk),
    ...ticketHandlers(engine, info.tickets),
    ...chatHandlers(engine),
    'engine.status': () => ({app: info.app, version: info.version, origin: engine.origin, liveCalls: engine.liveCalls, pendingEvents: engine.events.pending}),
    // An agent's desk polls this every second: its own part alone, not the center's cut down (access-policy.ts still narrows it).
    snapshot: (_params, _conn, who) => (who.role === 'agent' && who.agent !== null ? engine.agentSnapshot(who.agent) : engine.snapshot()),
    'phones.status': () => engine.phoneContacts(),
    'session.whoami': (_params, _conn, who) => ({user: who.user, role: who.role, agent: who.agent}),
    'events.subscribe': (params, conn, who) => {
      const only = params.types ? new Set(params.types) : null
      // An agent's subscription gets its own agent's events and its calls' (access-policy.ts).
      const owned = engineOwnership(engine)
      const mine = new Set<string>()
      const send = (event: NewEvent) => {
        if ((!only || only.has(event.type)) && mayReceive(event, who, owned, mine)) conn.send({v: 1, type: 'event', event})
        if (event.type === 'call.ended' && event.callId) mine.delete(event.callId)
      }
      // The engine's own events, and admin changes made elsewhere (a pause from the CLI) once it applied them.
      const off = engine.events.subscribe(send)
      const offAdmin = engine.onAdminChange(send)
      conn.onClose(() => {
        off()
        offAdmin()
      })
      return {subscribed: true}
    },
    'agent.ready': (params) => engine.agentReady(params.agent),
    'agent.wrapup': (params) => engine.agentWrapUp(params.agent, params.seconds),
    'calls.list': (params) => {
      const snap = engine.snapshot()
      return {at: snap.at, calls: snap.calls.filter((c) => (!params.queue || c.queue === params.queue) && (!params.state || c.state === params.state))}
    },
    'call.get': (params) => {
      const call = engine.snapshot().calls.find((c) => c.id === params.call)
      if (!call) throw new ApiError('unknown_call', `No live call ${JSON.stringify(params.call)}`, 'List live calls with: callctl calls')
      return call
    },
    // Closes the gap between a subscription and a read of the store: once this
    // answers, every event appended before the subscription is in the store.
    'events.flush': async () => {
      await engine.events.flush()
      return {pending: engine.events.pending}
    },
  }
}

/** The engine's live calls as the access policy asks about them: who answered, who is being rung. */
export function engineOwnership(engine: Engine): Ownership {
  return {
    call: (id) => {
      const s = engine.core.sessions.get(id)
      // A conversation is owned as a call is: the agent with it, the agent it is offered to.
      return s ? {agent: s.agentId, ringing: s.liveAttempts().map((a) => a.agentId)} : engine.chat.parties(id)
    },
  }
}
