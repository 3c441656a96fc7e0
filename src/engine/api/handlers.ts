import {agentHandlers} from './agent-handlers.js'
import {controlHandlers} from './control-handlers.js'
import type {CallState} from '../calls/call-session.js'
import type {CallView, Engine} from '../calls/engine.js'
import type {NewEvent} from '../store/events.js'
import {ApiError, num, str, type Handler} from './server.js'

/** The API's methods: thin translations onto the engine. */
export function engineHandlers(engine: Engine, info: {app: string; version: string}): Record<string, Handler> {
  return {
    ...controlHandlers(engine),
    ...agentHandlers(engine),
    'engine.status': () => ({app: info.app, version: info.version, origin: engine.origin, liveCalls: engine.liveCalls, pendingEvents: engine.events.pending}),
    snapshot: () => engine.snapshot(),
    'events.subscribe': (params, conn) => {
      const types = params.types
      if (types !== undefined && (!Array.isArray(types) || !types.every((t) => typeof t === 'string'))) throw new ApiError('bad_request', '"types" must be a list of event types')
      const only = types ? new Set(types as string[]) : null
      const off = engine.events.subscribe((event: NewEvent) => {
        if (!only || only.has(event.type)) conn.send({v: 1, type: 'event', event})
      })
      conn.onClose(off)
      return {subscribed: true}
    },
    'agent.ready': (params) => engine.agentReady(str(params, 'agent')),
    'agent.wrapup': (params) => engine.agentWrapUp(str(params, 'agent'), num(params, 'seconds', 1, 3600)),
    'calls.list': (params): CallList => {
      const queue = str(params, 'queue', {optional: true})
      const state = str(params, 'state', {optional: true, max: 40})
      if (state && !Object.hasOwn(CALL_STATE_SET, state)) throw new ApiError('bad_request', `Unknown call state ${JSON.stringify(state)}`, `States: ${CALL_STATES.join(', ')}`)
      const snap = engine.snapshot()
      return {at: snap.at, calls: snap.calls.filter((c) => (!queue || c.queue === queue) && (!state || c.state === state))}
    },
    'call.get': (params): CallView => {
      const id = str(params, 'call', {max: 200})
      const call = engine.snapshot().calls.find((c) => c.id === id)
      if (!call) throw new ApiError('unknown_call', `No live call ${JSON.stringify(id)}`, 'List live calls with: callctl calls')
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

/** What calls.list answers: the engine's clock with the calls, so durations need no clock of the client's. */
export interface CallList {
  at: number
  calls: CallView[]
}

// A Record over the CallState union: adding a state to the engine without listing it here fails to compile.
const CALL_STATE_SET: Record<CallState, true> = {
  answering: true,
  ivr: true,
  waiting: true,
  'callback-pending': true,
  'calling-customer': true,
  connected: true,
  transferring: true,
  survey: true,
  leaving: true,
  ended: true,
}

/** Every state a live call can be in (for filters and their error messages). */
export const CALL_STATES = Object.keys(CALL_STATE_SET) as CallState[]
