import {PromptBook} from '../prompts/prompt-store.js'
import type {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'
import {scheduleDispatch} from './dispatch.js'
import {runSurvey} from './ivr-runner.js'
import {finishAttempt} from './ring-attempts.js'
import {simulatedAgentDisposes} from './desk-work.js'
import {afterCallWork, rememberLastCall} from './wrap-up.js'

// Ending a call or an agent's part in it: leaving the line, counting the call, wrap-up,
// closing the session. Every phase ends calls, so these steps import no phase.

/** Takes the call out of the line and cancels its rings. */
export function leaveLine(core: EngineCore, session: CallSession, why: string): void {
  const now = core.clock.now()
  core.acd.leave(session.id, now)
  for (const a of session.liveAttempts()) {
    finishAttempt(core, session, a, 'canceled', why)
    void core.hangup(a.channelId)
  }
}

export function endSession(core: EngineCore, session: CallSession, cause: string): void {
  if (session.ended) return
  session.wait?.stop()
  session.wait = null
  if (core.acd.waiting.has(session.id)) leaveLine(core, session, cause)
  session.state = 'ended'
  session.endedAt = core.clock.now()
  void core.supervision.callEnded(session.id)
  core.events.append({type: 'call.ended', callId: session.id, queue: session.queue, agent: session.agentId, data: {cause}})
  core.sessions.delete(session.id)
}

/** The agent's leg is gone: the agent hung up, unless Asterisk is stopping (asterisk-stopping.ts). */
export function completeAgentGone(core: EngineCore, session: CallSession): void {
  completeCallAs(core, session, session.asteriskStopping ? 'system' : 'agent')
}

/** The customer's leg is gone: the caller hung up, unless someone asked the engine to hang up (call.hangup). */
export function completeCallerGone(core: EngineCore, session: CallSession): void {
  completeCallAs(core, session, session.hangupAskedBy ?? (session.asteriskStopping ? 'system' : 'caller'))
}

function completeCallAs(core: EngineCore, session: CallSession, by: 'caller' | 'agent' | 'system' | 'supervisor'): void {
  const agentId = session.agentId!
  agentPartDone(core, session, by)
  const survey = by === 'agent' && !session.isCallback && !session.callerLegGone && session.direction === 'inbound' && session.flow?.survey
  if (!survey) void core.hangup(by === 'caller' || session.hangupAskedBy ? session.agentChannelId : session.customerChannelId)
  void core.destroyBridge(session)
  if (!survey) return endSession(core, session, 'completed')
  // The caller stays on to rate the call; the agent is already in wrap-up.
  void runSurvey(session, agentId, {ari: core.ari, clock: core.clock, events: core.events, prompts: session.prompts ?? new PromptBook([], null)})
    .catch((err: unknown) => core.bug('survey', err))
    .finally(() => {
      void core.hangup(session.channelId)
      endSession(core, session, 'completed')
    })
}

/** The agent's part of a connected call is over: counted, remembered, wrap-up started. */
export function agentPartDone(core: EngineCore, session: CallSession, by: string): void {
  const now = core.clock.now()
  const agentId = session.agentId!
  if (session.heldSince !== null) {
    session.holdMs += now - session.heldSince
    session.heldSince = null
  }
  // Talk excludes hold: AHT adds them up separately (PRODUCT.md).
  const talkMs = Math.max(0, now - (session.connectedAt ?? now) - session.holdMs)
  const number = session.isCallback ? session.callbackNumber! : session.direction === 'outbound' ? session.outboundNumber! : session.caller.number
  core.events.append({
    type: 'call.completed',
    callId: session.id,
    queue: session.queue,
    agent: agentId,
    data: {by, talkMs, holdMs: session.holdMs, number, ...(session.direction === 'outbound' ? {outbound: true} : {})},
  })
  session.endedBy = by === 'caller' || by === 'agent' ? by : 'system'
  session.holdMs = 0
  core.opts.recorder?.callEnded(session.id)
  if (session.queue) core.handleTimesOf(session.queue).add(talkMs, session.lastRingMs)
  core.memory.servedBy(number, agentId, now)
  // A call that never reached the customer (acd.callEnded counts none) owes no disposition.
  const reached = core.acd.agents.get(agentId)?.activity === 'on-call'
  if (reached) rememberLastCall(core, agentId, session, number)
  const wrapUp = core.acd.callEnded(agentId, talkMs, now)
  if (reached) afterCallWork(core, agentId, wrapUp, session)
  if (reached) simulatedAgentDisposes(core, agentId)
  scheduleDispatch(core)
}
