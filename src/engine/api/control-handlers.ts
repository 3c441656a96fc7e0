import type {Engine} from '../calls/engine.js'
import {checkEndpoint} from '../admin/validate.js'
import {ApiError, type Handlers} from './server.js'

type ControlMethod =
  | 'call.hold'
  | 'call.unhold'
  | 'call.hangup'
  | 'call.transfer'
  | 'call.transfer.complete'
  | 'call.transfer.cancel'
  | 'call.dial'
  | 'calls.end'
  | 'supervise.start'
  | 'supervise.mode'
  | 'supervise.stop'
  | 'supervise.list'

/** Call control and supervision methods. `by` is the authenticated user: the server sets it over whatever the client sent (audit trail). */
export function controlHandlers(engine: Engine): Pick<Handlers, ControlMethod> {
  const c = engine.control
  const by = (p: {by?: string}) => p.by ?? 'api'
  return {
    'call.hold': (p) => c.hold(p.call, by(p)),
    'call.unhold': (p) => c.unhold(p.call, by(p)),
    // An agent's token reaches only its own calls (access policy): whatever it hangs up, its agent hung up.
    'call.hangup': (p, _conn, who) => c.hangupCall(p.call, by(p), who.role === 'agent' || p.asAgent === true),
    // consult is a boolean by the contract: "true" (a string) is refused before this runs.
    'call.transfer': (p) => (p.consult ? c.consult(p.call, p.to, by(p)) : c.blindTransfer(p.call, p.to, by(p))),
    'call.transfer.complete': (p) => c.completeConsult(p.call, by(p)),
    'call.transfer.cancel': (p) => c.cancelConsult(p.call, by(p)),
    'call.dial': (p) => c.dial(p.number, p.agent, by(p)),
    'calls.end': async (p) => ({ended: await engine.endCalls(p.calls, p.reason, by(p))}),
    'supervise.start': async (p) => {
      const from = checkEndpoint(p.from)
      if (p.call === undefined && p.agent === undefined) throw new ApiError('bad_request', 'call or agent: required, expected string', 'Give the call to supervise, or the agent whose call it is.')
      const call = p.call !== undefined ? c.connected(p.call) : c.callOfAgent(p.agent!)
      // The same supervisor on the same call switches mode instead of being called again.
      const live = engine.supervision.list().find((s) => s.callId === call.id && s.from === from)
      if (live) return {...(await engine.supervision.setMode(live.id, p.mode, by(p))), switched: true}
      return {...(await engine.supervision.start(c.supervised(call), p.mode, from, by(p))), switched: false}
    },
    'supervise.mode': (p) => engine.supervision.setMode(p.id, p.mode, by(p)),
    'supervise.stop': async (p) => {
      if (p.all === true) return {stopped: await Promise.all(engine.supervision.list().map((s) => engine.supervision.stop(s.id, by(p))))}
      if (p.id === undefined) throw new ApiError('bad_request', 'id: required, expected string (or all: true)')
      return {stopped: [await engine.supervision.stop(p.id, by(p))]}
    },
    'supervise.list': () => ({supervisions: engine.supervision.list()}),
  }
}
