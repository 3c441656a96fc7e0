import type {Engine} from '../calls/engine.js'
import {SUPERVISE_MODES, type SuperviseMode} from '../calls/supervision.js'
import type {TransferTarget} from '../calls/call-control.js'
import {checkEndpoint} from '../admin/validate.js'
import {ApiError, str, type Handler} from './server.js'

/** Call control and supervision methods. `by` is who the client says it is (audit trail). */
export function controlHandlers(engine: Engine): Record<string, Handler> {
  const c = engine.control
  const by = (p: Record<string, unknown>) => str(p, 'by', {optional: true, max: 64}) || 'api'
  return {
    'call.hold': (p) => c.hold(str(p, 'call'), by(p)),
    'call.unhold': (p) => c.unhold(str(p, 'call'), by(p)),
    'call.hangup': (p) => c.hangupCall(str(p, 'call'), by(p)),
    'call.transfer': (p) => {
      const to = target(p.to)
      return p.consult === true ? c.consult(str(p, 'call'), to, by(p)) : c.blindTransfer(str(p, 'call'), to, by(p))
    },
    'call.transfer.complete': (p) => c.completeConsult(str(p, 'call'), by(p)),
    'call.transfer.cancel': (p) => c.cancelConsult(str(p, 'call'), by(p)),
    'call.dial': (p) => c.dial(str(p, 'number', {max: 32}), str(p, 'agent'), by(p)),
    'supervise.start': async (p) => {
      const mode = p.mode
      if (!SUPERVISE_MODES.includes(mode as SuperviseMode)) throw new ApiError('bad_request', `"mode" must be one of ${SUPERVISE_MODES.join(', ')}`)
      const from = checkEndpoint(str(p, 'from'))
      const call = p.call !== undefined ? c.connected(str(p, 'call')) : c.callOfAgent(str(p, 'agent'))
      // The same supervisor on the same call switches mode instead of being called again.
      const live = engine.supervision.list().find((s) => s.callId === call.id && s.from === from)
      if (live) return {...(await engine.supervision.setMode(live.id, mode as SuperviseMode, by(p))), switched: true}
      return {...(await engine.supervision.start(c.supervised(call), mode as SuperviseMode, from, by(p))), switched: false}
    },
    'supervise.mode': (p) => {
      const mode = p.mode
      if (!SUPERVISE_MODES.includes(mode as SuperviseMode)) throw new ApiError('bad_request', `"mode" must be one of ${SUPERVISE_MODES.join(', ')}`)
      return engine.supervision.setMode(str(p, 'id'), mode as SuperviseMode, by(p))
    },
    'supervise.stop': async (p) => {
      if (p.all === true) return {stopped: await Promise.all(engine.supervision.list().map((s) => engine.supervision.stop(s.id, by(p))))}
      return {stopped: [await engine.supervision.stop(str(p, 'id'), by(p))]}
    },
    'supervise.list': () => ({supervisions: engine.supervision.list()}),
  }
}

function target(v: unknown): TransferTarget {
  const t = v as Record<string, unknown> | null
  if (t && typeof t === 'object') {
    if (typeof t.agent === 'string' && t.agent) return {agent: t.agent}
    if (typeof t.queue === 'string' && t.queue) return {queue: t.queue}
    if (typeof t.number === 'string' && t.number) return {number: t.number}
  }
  throw new ApiError('bad_request', '"to" must be {agent}, {queue} or {number}')
}
