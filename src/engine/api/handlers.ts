import type {Engine} from '../calls/engine.js'
import type {NewEvent} from '../store/events.js'
import {ApiError, num, str, type Handler} from './server.js'

/** The API's methods: thin translations onto the engine. */
export function engineHandlers(engine: Engine, info: {app: string; version: string}): Record<string, Handler> {
  return {
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
  }
}
