import type {CallSession, RingAttempt} from './call-session.js'
import type {EngineCore} from './core.js'
import {scheduleDispatch} from './dispatch.js'
import {holdTheLineSoon} from './caller-line.js'

// The end of one ring without an answer, and the automatic pause that misses lead to.
// Ringing, teardown and the channel-left path all end rings, so it sits below them.

/**
 * Ends one ring without an answer; the agent is free again at once, or after its back-off
 * when the ring failed. A failure that is Asterisk's (missed: false) backs off without
 * counting as the agent's missed ring.
 */
export function finishAttempt(core: EngineCore, session: CallSession, attempt: RingAttempt, outcome: 'no-answer' | 'failed' | 'canceled', reason: string, o: {missed?: boolean} = {}): void {
  if (attempt.outcome !== null) return
  attempt.outcome = outcome
  core.clock.clearTimeout(attempt.timer)
  const now = core.clock.now()
  const missed = o.missed ?? true
  core.acd.ringEnded(session.id, attempt.agentId, outcome, now, reason, missed)
  const ringMs = now - attempt.startedAt
  if (outcome === 'canceled' || !missed) {
    core.events.append({type: 'agent.ring_canceled', callId: session.id, queue: session.queue, agent: attempt.agentId, data: {ringMs, reason}})
  } else {
    core.events.append({type: 'agent.ring_noanswer', callId: session.id, queue: session.queue, agent: attempt.agentId, data: {reason, ringMs, outcome}})
    maybeAutoPause(core, attempt.agentId, session.queue)
  }
  scheduleDispatch(core)
  // Nobody rings for an unanswered caller now: answered, with music, unless the dispatch rings another.
  holdTheLineSoon(core, session)
}

/** After K missed rings in a row the agent is paused with reason "no-answer". */
export function maybeAutoPause(core: EngineCore, agentId: string, queue: string | null): void {
  const a = core.acd.agents.get(agentId)
  const limit = queue ? core.acd.queues.get(queue)?.autoPauseAfter ?? 0 : 0
  if (!a || limit <= 0 || a.missedRings < limit || a.presence !== 'available') return
  autoPause(core, agentId, queue, 'no-answer', {missedRings: a.missedRings})
}

/**
 * How a ring ended that Asterisk destroyed before it was answered, by hang-up cause
 * (Q.850), each with its own path as app_queue has them:
 *   no-answer   19 no answer, 18 no user responding, 21 rejected: the phone rang, a missed ring;
 *   busy        17: the phone is on another call: skipped (not missed), tried again shortly;
 *   unavailable 20 absent, 1/3 no route, 27 out of order: the phone could not ring: backed off;
 *   congestion  34/38/41/42/44/47: Asterisk or the network: not the agent's miss, retried shortly.
 */
export type RingFailure = 'no-answer' | 'busy' | 'unavailable' | 'congestion' | 'failed'

export function ringFailure(cause: number): RingFailure {
  if (cause === 19 || cause === 18 || cause === 21) return 'no-answer'
  if (cause === 17) return 'busy'
  // 22 (410 Gone): rung over the trunk between boxes, the phone is registered elsewhere now.
  if (cause === 20 || cause === 1 || cause === 3 || cause === 27 || cause === 2 || cause === 22) return 'unavailable'
  if ([34, 38, 41, 42, 44, 47].includes(cause)) return 'congestion'
  return 'failed'
}

/** Ends a ring that failed (see RingFailure), pausing the agent when its queue says so (autoPauseBusy, autoPauseUnavailable). */
export function ringFailed(core: EngineCore, session: CallSession, attempt: RingAttempt, kind: RingFailure, reason: string, cause?: number): void {
  if (kind === 'no-answer') return finishAttempt(core, session, attempt, 'no-answer', reason)
  // Asterisk's cause text says which ("User busy", "Subscriber absent"); the kind decides the path.
  finishAttempt(core, session, attempt, 'failed', reason, {missed: kind === 'unavailable' || kind === 'failed'})
  const settings = session.queue ? core.acd.queues.get(session.queue) : undefined
  if ((kind === 'busy' && settings?.autoPauseBusy) || (kind === 'unavailable' && settings?.autoPauseUnavailable)) autoPause(core, attempt.agentId, session.queue, kind, {cause: cause ?? null})
}

/** The engine pauses an available agent with a reason a supervisor reads (no-answer, busy, unavailable). */
function autoPause(core: EngineCore, agentId: string, queue: string | null, reason: string, data: Record<string, unknown>): void {
  const a = core.acd.agents.get(agentId)
  if (!a || a.presence !== 'available') return
  const now = core.clock.now()
  core.acd.setPresence(agentId, 'paused', reason, now)
  void core.store
    .setPresence({agent: agentId, status: 'paused', reason, since: now}, {type: 'agent.paused', ts: now, agent: agentId, queue, origin: core.origin, data: {reason, auto: true, ...data}})
    .catch((err: unknown) => core.log.error('could not record an automatic pause', {agent: agentId, error: String(err)}))
  core.log.warn(`agent ${agentId} paused automatically (${reason})`)
}
