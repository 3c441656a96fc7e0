import {externalLegGone} from './admission.js'
import {PromptBook} from '../prompts/prompt-store.js'
import {runSurvey} from './ivr-runner.js'
import {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'
import {customerLegGone} from './callbacks.js'
import {finishAttempt, scheduleDispatch} from './ringing.js'

// The end of a call, or of an agent's part in it: counting, wrap-up, and closing the session.

export function callerLegGone(core: EngineCore, session: CallSession): void {
  session.callerLegGone = true
  if (session.ended) return
  const now = core.clock.now()
  if (session.isCallback && session.customerChannelId === session.channelId) session.customerChannelId = null
  switch (session.state) {
    case 'waiting': {
      const position = core.acd.position(session.id)
      const settings = core.acd.queues.get(session.queue!)
      session.wait?.stop()
      session.wait = null
      leaveLine(core, session, 'caller hung up')
      core.events.append({
        type: 'queue.abandoned',
        callId: session.id,
        queue: session.queue,
        data: {waitMs: now - (session.enteredQueueAt ?? now), position, number: session.caller.number, joinedAt: session.joinedAt, priority: session.priority},
      })
      if (settings && settings.resumeWindow > 0) core.memory.abandoned(session.caller.number, session.queue!, session.joinedAt ?? now, session.priority, now)
      endSession(core, session, 'abandoned')
      return
    }
    case 'connected':
      if (!session.isCallback) completeCall(core, session, 'caller')
      return
    case 'callback-pending':
    case 'calling-customer':
      // The original caller hanging up is expected: we call back.
      session.wait?.stop()
      session.wait = null
      return
    case 'leaving':
      if (!core.voicemails.has(`voicemail-${session.id}`)) endSession(core, session, 'hangup')
      return
    case 'ivr':
      session.media?.hangup()
      endSession(core, session, 'abandoned-in-ivr')
      return
    case 'survey':
      session.media?.hangup()
      return
    case 'transferring':
      if (session.directChannelId) {
        const ringing = core.acd.agentOfCall(session.id, 'ringing')
        if (ringing) core.acd.release(ringing, session.id, now)
        void core.hangup(session.directChannelId)
        return endSession(core, session, 'abandoned-in-transfer')
      }
      void core.hangup(session.externalChannelId)
      void core.destroyBridge(session)
      endSession(core, session, session.connectedAt ? 'transferred' : 'abandoned-in-transfer')
      return
    default:
      endSession(core, session, 'hangup-before-queue')
  }
}

/** Takes the call out of the line and cancels its rings. */
export function leaveLine(core: EngineCore, session: CallSession, why: string): void {
  const now = core.clock.now()
  core.acd.leave(session.id, now)
  for (const a of session.liveAttempts()) {
    finishAttempt(core, session, a, 'canceled', why)
    void core.hangup(a.channelId)
  }
}

export function agentLegGone(core: EngineCore, session: CallSession, channelId: string): void {
  if (session.agentChannelId !== channelId) return
  if (session.state === 'connected') completeCall(core, session, 'agent')
  else if (session.state === 'answering' && session.direction === 'outbound') {
    // A click-to-call whose agent never answered: nothing else will end it.
    if (session.agentId) core.acd.release(session.agentId, session.id, core.clock.now())
    endSession(core, session, 'agent-no-answer')
    scheduleDispatch(core)
  } else if (session.state === 'calling-customer' && session.direction === 'outbound') {
    void core.hangup(session.customerChannelId)
    core.control.outboundFailed(session, 'agent hung up')
  } else if (session.state === 'calling-customer') {
    // The agent gave up before the customer answered. It counts as an attempt, so a
    // phone that keeps hanging up cannot loop a callback forever.
    const customer = session.customerChannelId
    if (customer) {
      core.channels.delete(customer)
      void core.hangup(customer)
      customerLegGone(core, session, customer, 'agent hung up')
    }
  }
}

export function completeCall(core: EngineCore, session: CallSession, by: 'caller' | 'agent' | 'system'): void {
  const agentId = session.agentId!
  agentPartDone(core, session, by)
  const survey = by === 'agent' && !session.isCallback && !session.callerLegGone && session.direction === 'inbound' && session.flow?.survey
  if (!survey) void core.hangup(by === 'caller' ? session.agentChannelId : session.customerChannelId)
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
  const wrapUp = core.acd.callEnded(agentId, talkMs, now)
  if (wrapUp > 0) startWrapUpTimer(core, agentId, wrapUp, session)
  scheduleDispatch(core)
}

export function startWrapUpTimer(core: EngineCore, agentId: string, seconds: number, session: CallSession | null): void {
  const endsAt = core.clock.now() + seconds * 1000
  core.events.append({type: 'agent.wrapup_started', callId: session?.id ?? null, queue: session?.queue ?? null, agent: agentId, data: {seconds}})
  core.clock.clearTimeout(core.wrapUpTimers.get(agentId)?.timer)
  core.wrapUpTimers.set(agentId, {endsAt, callId: session?.id ?? null, queue: session?.queue ?? null, timer: core.clock.setTimeout(() => endWrapUp(core, agentId, 'timer'), seconds * 1000)})
}

export function endWrapUp(core: EngineCore, agentId: string, how: 'timer' | 'agent'): boolean {
  const w = core.wrapUpTimers.get(agentId)
  core.clock.clearTimeout(w?.timer)
  core.wrapUpTimers.delete(agentId)
  if (!core.acd.endWrapUp(agentId, core.clock.now())) return false
  core.events.append({type: 'agent.wrapup_ended', agent: agentId, callId: w?.callId ?? null, queue: w?.queue ?? null, data: {how}})
  scheduleDispatch(core)
  return true
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

/** A channel left the app (hung up, or gone while we were away): its part of the call ends. */
export function channelLeft(core: EngineCore, channelId: string): void {
  if (core.supervision.onChannelGone(channelId)) return
  const ref = core.channels.get(channelId)
  if (!ref) return
  // Asterisk stops sending a channel's events once it leaves the app.
  core.channels.delete(channelId)
  if (ref.role === 'caller') callerLegGone(core, ref.session)
  else if (ref.role === 'customer') customerLegGone(core, ref.session, channelId, 'hangup')
  else if (ref.role === 'external') externalLegGone(core, ref.session, channelId)
  else if (!core.control.legGone(ref.session, channelId, ref.role)) agentLegGone(core, ref.session, channelId)
}
