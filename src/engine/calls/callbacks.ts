import type {Channel} from '../ari/port.js'
import {isNotFound} from '../ari/port.js'
import {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'
import {outboundAllowed} from './outbound-check.js'
import {CUSTOMER_RING_S} from './engine-types.js'
import {dialString} from './caller-id.js'
import {completeCallerGone, endSession} from './call-end.js'
import {scheduleDispatch} from './dispatch.js'
import {startRecording} from './start-recording.js'

// Virtual hold: a caller who asked to be called back keeps its place; the agent is rung first, then the customer.

/** The caller keeps its place but hangs up; an agent will be rung first, then the customer. */
export function callbackConfirmed(core: EngineCore, session: CallSession, number: string, reason?: string): void {
  session.callbackNumber = number
  session.state = 'callback-pending'
  const w = core.acd.waiting.get(session.id)
  if (w) w.kind = 'callback'
  core.events.append({
    type: 'callback.requested',
    callId: session.id,
    queue: session.queue,
    data: {number, position: core.acd.position(session.id), joinedAt: session.joinedAt, ...(reason ? {reason} : {})},
  })
  if (!reason) {
    // app_queue's EXITWITHKEY: the caller left the line of live callers by a key.
    core.events.append({type: 'queue.exited', callId: session.id, queue: session.queue, data: {reason: 'key', key: core.acd.queues.get(session.queue ?? '')?.callbackKey ?? '', action: 'callback', position: core.acd.position(session.id), waitMs: core.clock.now() - (session.enteredQueueAt ?? core.clock.now())}})
  }
}

export async function onCustomerAnswered(core: EngineCore, channel: Channel): Promise<void> {
  const ref = core.channels.get(channel.id)
  const session = ref?.session
  if (!session || session.state !== 'calling-customer' || session.customerChannelId !== channel.id) return void core.hangup(channel.id)
  const now = core.clock.now()
  session.state = 'connected'
  session.connectedAt = now
  core.events.append({
    type: 'call.connected',
    callId: session.id,
    queue: session.queue,
    agent: session.agentId,
    data:
      session.direction === 'outbound'
        ? {waitMs: 0, ringMs: now - session.startedAt, outbound: true, number: session.outboundNumber}
        : {waitMs: now - (session.joinedAt ?? now), ringMs: session.lastRingMs, callback: true, attempt: session.callbackAttempts, number: session.callbackNumber, channel: session.agentChannelId},
  })
  try {
    await core.ari.stopBridgeMoh(session.bridgeId!).catch(() => undefined)
    await core.ari.addToBridge(session.bridgeId!, [channel.id])
    startRecording(core, session)
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}

export function customerLegGone(core: EngineCore, session: CallSession, channelId: string, reason: string): void {
  if (session.customerChannelId !== channelId) return
  if (session.state === 'connected') return completeCallerGone(core, session)
  if (session.state !== 'calling-customer') return
  if (session.direction === 'outbound') return core.control.outboundFailed(session, reason)
  // The customer did not answer: free the agent and try again later, keeping the place.
  const now = core.clock.now()
  const settings = core.acd.queues.get(session.queue!)
  core.events.append({type: 'callback.attempt_failed', callId: session.id, queue: session.queue, agent: session.agentId, data: {attempt: session.callbackAttempts, reason}})
  const agentId = session.agentId!
  void core.hangup(session.agentChannelId)
  void core.destroyBridge(session)
  core.acd.callEnded(agentId, 0, now, {wrapUp: false})
  session.agentId = null
  session.agentChannelId = null
  session.bridgeId = null
  session.customerChannelId = null
  if (!settings || session.callbackAttempts >= settings.callbackAttempts) {
    core.events.append({type: 'callback.failed', callId: session.id, queue: session.queue, data: {attempts: session.callbackAttempts, number: session.callbackNumber}})
    endSession(core, session, 'callback-failed')
  } else {
    const inMs = settings.callbackRetryDelay * 1000 * 2 ** (session.callbackAttempts - 1)
    session.state = 'callback-pending'
    core.acd.enqueue({callId: session.id, queue: session.queue!, number: session.callbackNumber!, priority: session.priority, joinedAt: session.joinedAt!, kind: 'callback', notBefore: now + inMs}, now)
    core.events.append({type: 'callback.retry_scheduled', callId: session.id, queue: session.queue, data: {attempt: session.callbackAttempts, inMs}})
  }
  scheduleDispatch(core)
}

export async function dialCustomer(core: EngineCore, session: CallSession): Promise<void> {
  session.callbackAttempts++
  session.state = 'calling-customer'
  const channelId = `${session.id}.c${session.callbackAttempts}`
  session.customerChannelId = channelId
  core.channels.set(channelId, {session, role: 'customer'})
  const number = session.callbackNumber!
  // Checked when the caller asked; again here for callbacks owed from before a policy change.
  if (!outboundAllowed(core, session.queue, number, {callId: session.id, agent: session.agentId, by: 'callback'})) {
    core.channels.delete(channelId)
    return customerLegGone(core, session, channelId, 'number not allowed by the outbound policy')
  }
  core.events.append({type: 'callback.attempt', callId: session.id, queue: session.queue, agent: session.agentId, data: {attempt: session.callbackAttempts, number}})
  try {
    await core.ari.createBridge('mixing', session.bridgeId!, session.id)
    await core.ari.addToBridge(session.bridgeId!, [session.agentChannelId!])
    await core.ari.originate({
      endpoint: dialString(core.opts.dialString ?? 'Local/{number}@callctl-sim-callee', number),
      app: core.ari.app,
      appArgs: `customer,${session.id}`,
      callerId: core.opts.outboundCallerId ?? '',
      timeout: core.opts.customerRingTimeout ?? CUSTOMER_RING_S,
      channelId,
      variables: {CALLCTL_CALL: session.id, CALLCTL_ROLE: 'customer'},
    })
    await core.ari.startBridgeMoh(session.bridgeId!).catch(() => undefined)
  } catch (err) {
    if (session.customerChannelId === channelId && session.state === 'calling-customer') {
      core.channels.delete(channelId)
      customerLegGone(core, session, channelId, err instanceof Error ? err.message : String(err))
    }
  }
}
