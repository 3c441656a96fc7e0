import type {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'
import {customerLegGone} from './callbacks.js'
import {completeAgentGone, completeCallerGone, endSession, leaveLine} from './call-end.js'
import {scheduleDispatch} from './dispatch.js'
import {SYSTEM_ENDED, systemEndVisit} from './shutdown.js'

// A caller's or an agent's leg hung up: what that means for the call in the state it is in.
// The steps that end a call are in call-end.ts; channel-left.ts routes a departing channel here.

export function callerLegGone(core: EngineCore, session: CallSession): void {
  session.callerLegGone = true
  if (session.ended) return
  const now = core.clock.now()
  if (session.isCallback && session.customerChannelId === session.channelId) session.customerChannelId = null
  switch (session.state) {
    case 'waiting': {
      if (session.asteriskStopping) {
        // Nobody gave up: Asterisk went down under the caller (asterisk-stopping.ts).
        systemEndVisit(core, session, 'asterisk-stopped')
        return endSession(core, session, SYSTEM_ENDED)
      }
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
      if (!session.isCallback) completeCallerGone(core, session)
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
      endSession(core, session, session.asteriskStopping ? SYSTEM_ENDED : 'abandoned-in-ivr')
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

export function agentLegGone(core: EngineCore, session: CallSession, channelId: string): void {
  if (session.agentChannelId !== channelId) return
  if (session.state === 'connected') completeAgentGone(core, session)
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
