import type {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'
import {agentPartDone, endSession, leaveLine} from './call-end.js'

// A deliberate stop that ends the calls with the engine (the demo stopping: its Asterisk
// goes down with it). A plain stop or a kill leaves calls in Asterisk for the next engine
// to re-adopt; only this path ends them. Nobody hung up: a caller in line is logged
// queue.system_ended, never queue.abandoned, and every call ends with cause
// `system-ended`, so reports keep them apart from the callers who gave up.

/** call.ended's cause for calls a shutdown ended. */
export const SYSTEM_ENDED = 'system-ended'

/** Ends every live call as system-ended and hangs up its legs; the engine must already be stopped (no dispatch). */
export async function endAllCalls(core: EngineCore, reason: string): Promise<number> {
  return endCalls(core, [...core.sessions.values()], reason)
}

/**
 * Ends these calls as system-ended and hangs up their legs. On a running engine (a tool that
 * placed them stops: simulate's Ctrl-C) an agent freed here is offered the next caller by the
 * dispatch it schedules, which runs after every one of these has left the line.
 */
export async function endCalls(core: EngineCore, all: CallSession[], reason: string): Promise<number> {
  const sessions = all.filter((s) => !s.ended)
  const legs: string[] = []
  // Everyone leaves the line before any agent is freed, so no freed agent is offered a caller.
  for (const s of sessions) if (inQueueVisit(s)) systemEndVisit(core, s, reason)
  for (const s of sessions) {
    s.wait?.stop()
    s.wait = null
    s.media?.hangup()
    if (s.state === 'connected' && s.agentId) agentPartDone(core, s, 'system')
    legs.push(...legsOf(s))
    endSession(core, s, SYSTEM_ENDED)
  }
  // The log says why first; then Asterisk is told, and each hang-up that comes back finds its call ended.
  await Promise.all([...new Set(legs)].map((ch) => core.hangup(ch)))
  await Promise.all(sessions.map((s) => core.destroyBridge(s)))
  return sessions.length
}

/** In a queue's line (waiting, or owed a callback that is not connected yet). */
export function inQueueVisit(s: CallSession): boolean {
  if (!s.queue) return false
  return s.state === 'waiting' || s.state === 'callback-pending' || (s.state === 'calling-customer' && s.isCallback)
}

/** Logs the visit system-ended and takes the caller out of the line. */
export function systemEndVisit(core: EngineCore, s: CallSession, reason: string): void {
  const now = core.clock.now()
  const position = core.acd.position(s.id)
  s.wait?.stop()
  s.wait = null
  if (core.acd.waiting.has(s.id)) leaveLine(core, s, SYSTEM_ENDED)
  core.events.append({
    type: 'queue.system_ended',
    callId: s.id,
    queue: s.queue,
    data: {reason, waitMs: now - (s.enteredQueueAt ?? now), position, number: s.callbackNumber ?? s.caller.number},
  })
}

function legsOf(s: CallSession): string[] {
  const ids = [s.channelId, s.customerChannelId, s.agentChannelId, s.externalChannelId, s.directChannelId, ...s.liveAttempts().map((a) => a.channelId)]
  // The caller's own leg is gone already when it asked for a callback.
  return ids.filter((id): id is string => !!id && !(id === s.channelId && s.callerLegGone))
}
