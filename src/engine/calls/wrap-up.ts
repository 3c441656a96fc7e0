import {normaliseNumber} from '../contacts/phone-number.js'
import type {EventType, StoredEvent} from '../store/events.js'
import type {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'
import {scheduleDispatch} from './dispatch.js'

// After-call work: the timer that ends an agent's wrap-up, and its end (which frees the agent for a dispatch).
//
// A queue with disposition codes wants one for every call. Its agents' wrap-up is held
// when the timer runs out and no code is chosen: the agent stays in wrap-up, is offered
// no call, and becomes ready the moment a code is chosen. The alternatives were worse:
// ready without a code leaves the call unclassified for good (the next call follows at
// once, and the code is never asked again), and a default code would put a guess into
// the disposition report as if the agent had chosen it. A held agent shows in wrap-up
// on every screen, so a supervisor sees who is waiting on a code.

export function startWrapUpTimer(core: EngineCore, agentId: string, seconds: number, session: CallSession | null): void {
  const endsAt = core.clock.now() + seconds * 1000
  core.events.append({type: 'agent.wrapup_started', callId: session?.id ?? null, queue: session?.queue ?? null, agent: agentId, data: {seconds}})
  core.clock.clearTimeout(core.wrapUpTimers.get(agentId)?.timer)
  core.wrapUpTimers.set(agentId, {endsAt, callId: session?.id ?? null, queue: session?.queue ?? null, timer: core.clock.setTimeout(() => endWrapUp(core, agentId, 'timer'), seconds * 1000)})
}

/** Wrap-up after a connected call: its seconds, or (none, but a disposition is owed) until the code is chosen. */
export function afterCallWork(core: EngineCore, agentId: string, seconds: number, session: CallSession): void {
  if (seconds > 0) return startWrapUpTimer(core, agentId, seconds, session)
  // Logged out during the call: no after-call work, even for a code owed (its desk may still give it).
  if (core.acd.agents.get(agentId)?.presence === 'offline') return
  if (owesDisposition(core, agentId) && core.acd.startWrapUp(agentId, core.clock.now())) startWrapUpTimer(core, agentId, 0, session)
}

/** Remembers the agent's call as its part ends: the notes and the disposition of wrap-up are about it. */
export function rememberLastCall(core: EngineCore, agentId: string, session: CallSession, number: string): void {
  const codes = session.queue ? (core.acd.queues.get(session.queue)?.dispositions ?? []) : []
  const contact = session.contact ? normaliseNumber(number, core.opts.outbound?.defaultCountry ?? 'CN') : null
  core.lastCalls.set(agentId, {callId: session.id, queue: session.queue, number, contact, disposition: session.disposition, owes: codes.length > 0 && session.disposition === null})
  // The code chosen on the live call was this agent's part's: whoever takes the call next (a transfer) owes its own.
  session.disposition = null
}

export function owesDisposition(core: EngineCore, agentId: string): boolean {
  return core.lastCalls.get(agentId)?.owes === true
}

/**
 * Ends an agent's wrap-up: its timer ran out, the agent asked (agent.ready, checked for a
 * code owed before), or the code owed was chosen after the timer had run out.
 */
export function endWrapUp(core: EngineCore, agentId: string, how: 'timer' | 'agent' | 'disposition'): boolean {
  const w = core.wrapUpTimers.get(agentId)
  core.clock.clearTimeout(w?.timer)
  if (how === 'timer' && w && owesDisposition(core, agentId)) {
    // Held until the code is chosen (see above); said once, when the hold starts.
    if (!w.held) core.log.info(`agent ${agentId}: wrap-up held until a disposition is chosen for call ${w.callId ?? '?'}`)
    w.held = true
    return false
  }
  core.wrapUpTimers.delete(agentId)
  if (!core.acd.endWrapUp(agentId, core.clock.now())) return false
  core.events.append({type: 'agent.wrapup_ended', agent: agentId, callId: w?.callId ?? null, queue: w?.queue ?? null, data: {how}})
  scheduleDispatch(core)
  return true
}

/** What the log tells of recent calls' after-call work: who was on them, and which got a disposition. */
export const AFTER_CALL_EVENTS: readonly EventType[] = ['call.completed', 'call.contact', 'call.disposition']

export class AfterCallFacts {
  readonly numbers = new Map<string, string>()
  readonly contacts = new Set<string>()
  readonly disposed = new Set<string>()

  /** Takes the event if it is one of AFTER_CALL_EVENTS. */
  add(e: StoredEvent): boolean {
    if (!e.callId || !AFTER_CALL_EVENTS.includes(e.type)) return false
    if (e.type === 'call.completed') this.numbers.set(e.callId, String(e.data.number ?? ''))
    else if (e.type === 'call.contact' && e.data.found === true) this.contacts.add(e.callId)
    else if (e.type === 'call.disposition') this.disposed.add(e.callId)
    return true
  }
}

/**
 * After a restart: an agent whose wrap-up followed a call of a queue with codes, and no
 * code was chosen, is back in wrap-up (held once its time is over), as if the engine had
 * never stopped. True when it was resumed so.
 */
export function resumeOwedWrapUp(core: EngineCore, agentId: string, w: {ts: number; seconds: number; queue: string | null; callId: string | null}, facts: AfterCallFacts, now: number): boolean {
  const codes = w.queue ? (core.acd.queues.get(w.queue)?.dispositions ?? []) : []
  if (!w.callId || codes.length === 0 || facts.disposed.has(w.callId) || !core.acd.startWrapUp(agentId, now)) return false
  const number = facts.numbers.get(w.callId) ?? ''
  const contact = facts.contacts.has(w.callId) ? normaliseNumber(number, core.opts.outbound?.defaultCountry ?? 'CN') : null
  core.lastCalls.set(agentId, {callId: w.callId, queue: w.queue, number, contact, disposition: null, owes: true})
  const left = Math.max(0, w.ts + w.seconds * 1000 - now)
  core.wrapUpTimers.set(agentId, {endsAt: now + left, callId: w.callId, queue: w.queue, timer: core.clock.setTimeout(() => endWrapUp(core, agentId, 'timer'), left)})
  return true
}
