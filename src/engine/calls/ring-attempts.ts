import type {CallSession, RingAttempt} from './call-session.js'
import type {EngineCore} from './core.js'
import {scheduleDispatch} from './dispatch.js'

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
}

/** After K missed rings in a row the agent is paused with reason "no-answer". */
export function maybeAutoPause(core: EngineCore, agentId: string, queue: string | null): void {
  const a = core.acd.agents.get(agentId)
  const limit = queue ? core.acd.queues.get(queue)?.autoPauseAfter ?? 0 : 0
  if (!a || limit <= 0 || a.missedRings < limit || a.presence !== 'available') return
  const now = core.clock.now()
  core.acd.setPresence(agentId, 'paused', 'no-answer', now)
  void core.store
    .setPresence(
      {agent: agentId, status: 'paused', reason: 'no-answer', since: now},
      {type: 'agent.paused', ts: now, agent: agentId, queue, origin: core.origin, data: {reason: 'no-answer', auto: true, missedRings: a.missedRings}},
    )
    .catch((err: unknown) => core.log.error('could not record an automatic pause', {agent: agentId, error: String(err)}))
  core.log.warn(`agent ${agentId} paused automatically after ${a.missedRings} missed rings`)
}
