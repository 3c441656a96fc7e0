import type {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'

// Recording starts once both sides are bridged; ringing (an agent answered), callbacks
// (the customer answered) and call control (a transfer) all get there.

export function startRecording(core: EngineCore, session: CallSession): void {
  const settings = session.queue ? core.acd.queues.get(session.queue) : undefined
  if (!core.opts.recorder || !session.bridgeId || settings?.record === false) return
  core.opts.recorder.callConnected({callId: session.id, bridgeId: session.bridgeId, queue: session.queue, agent: session.agentId, number: session.isCallback ? session.callbackNumber! : session.caller.number})
}
