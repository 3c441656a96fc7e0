import type {EngineCore} from './core.js'
import {outboundVerdict, type OutboundVerdict} from './outbound-policy.js'

// The outbound policy applied to one call of the engine, with its refusal in the log.
// A bottom step: dialling out (click-to-call, transfers, consultations, callbacks)
// happens in several phases, each asks here first.

export function outboundCheck(core: EngineCore, queue: string | null, number: string, who: {callId?: string | null; agent?: string | null; by: string}): OutboundVerdict {
  const rules = queue ? core.acd.queues.get(queue)?.outboundAllow : undefined
  const v = outboundVerdict(core.opts.outbound ?? {}, rules, number)
  if (!v.allowed) {
    core.events.append({type: 'call.outbound_refused', callId: who.callId ?? null, queue, agent: who.agent ?? null, data: {number, by: who.by, why: v.why}})
    core.log.warn(`outbound call to ${number} refused: ${v.why}`, {by: who.by})
  }
  return v
}

export function outboundAllowed(core: EngineCore, queue: string | null, number: string, who: {callId?: string | null; agent?: string | null; by: string}): boolean {
  return outboundCheck(core, queue, number, who).allowed
}
