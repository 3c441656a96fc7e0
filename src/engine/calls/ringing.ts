import type {Channel} from '../ari/port.js'
import {AriRequestError, AriTransportError, isNotFound} from '../ari/port.js'
import type {CallSession, RingAttempt} from './call-session.js'
import type {EngineCore} from './core.js'
import {ORIGINATE_GRACE_S} from './engine-types.js'
import {callerIdString} from './caller-id.js'
import {dialCustomer} from './callbacks.js'
import {finishAttempt, ringFailed} from './ring-attempts.js'
import {startRecording} from './start-recording.js'
import {answerCaller} from './caller-line.js'

// Ringing agents: the ring itself (core.ringAgent, which dispatch.ts calls), ring timeouts,
// rings Asterisk made after the engine gave up on them, and an agent answering.

/** Originates still waiting for Asterisk's answer: a logout waits for them to settle. */
const originating = new WeakMap<RingAttempt, Promise<void>>()
/** Rings the engine gave up on without an answer from Asterisk, which may still create them. */
const strays = new WeakMap<EngineCore, Map<string, number>>()

export function ring(core: EngineCore, session: CallSession, agentId: string): void {
  const agent = core.acd.agents.get(agentId)!
  const settings = core.acd.queues.get(session.queue!)!
  const channelId = session.nextAttemptChannelId()
  const attempt: RingAttempt = {channelId, agentId, endpoint: agent.endpoint, startedAt: core.clock.now(), timer: undefined, outcome: null}
  session.attempts.set(channelId, attempt)
  core.channels.set(channelId, {session, role: 'agent'})
  core.events.append({type: 'agent.ringing', callId: session.id, queue: session.queue, agent: agentId, data: {endpoint: agent.endpoint, channel: channelId, callback: session.isCallback}})
  attempt.timer = core.clock.setTimeout(() => ringTimedOut(core, session, attempt), settings.ringTimeout * 1000)
  const shown = session.isCallback ? {name: `Callback ${session.caller.name}`.trim(), number: session.callbackNumber!} : session.caller
  const sent = core.ari
    .originate({
      endpoint: agent.endpoint,
      app: core.ari.app,
      appArgs: `agent,${session.id}`,
      callerId: callerIdString(shown),
      timeout: settings.ringTimeout + ORIGINATE_GRACE_S,
      channelId,
      variables: {CALLCTL_CALL: session.id, CALLCTL_ROLE: 'agent', CALLCTL_AGENT: agentId},
    })
    .then(() => {
      // The caller left (or the ring timed out) while Asterisk was still dialling.
      if (attempt.outcome !== null && attempt.outcome !== 'answered') return core.hangup(channelId)
    })
    .catch((err: unknown) => {
      const reason = err instanceof Error ? err.message : String(err)
      core.log.warn('could not ring agent', {agent: agentId, endpoint: agent.endpoint, error: reason})
      core.channels.delete(channelId)
      // No answer is not no channel: Asterisk may still make it, and ring a phone for a
      // call the engine has given up on. Hang it up the moment it shows itself.
      // Asterisk itself not answering is not the agent's miss: back off, but no auto-pause
      // (a stalled Asterisk would otherwise pause every agent after three rings).
      const asteriskFault = err instanceof AriTransportError
      if (asteriskFault) stray(core, channelId, settings.ringTimeout + ORIGINATE_GRACE_S)
      const why = asteriskFault ? `Asterisk did not answer (${err.reason})` : shortReason(reason)
      // Refused at once ("500 Allocation failed": a phone with no registration) is unavailable.
      if (asteriskFault) finishAttempt(core, session, attempt, 'failed', why, {missed: false})
      else ringFailed(core, session, attempt, 'unavailable', why)
    })
    .finally(() => originating.delete(attempt))
  originating.set(attempt, sent)
}

/** Asterisk's words for why a ring failed, without the request in front ("POST /channels: 500 Allocation failed"). */
function shortReason(message: string): string {
  return message.replace(/^[A-Z]+ \/[^:]*: (\d{3} )?/, '').slice(0, 80)
}

function stray(core: EngineCore, channelId: string, forS: number): void {
  let m = strays.get(core)
  if (!m) strays.set(core, (m = new Map()))
  const now = Date.now()
  for (const [id, until] of m) if (until < now) m.delete(id)
  m.set(channelId, now + forS * 1000)
  // It may already exist (the answer was lost, not the request).
  void core.hangup(channelId)
}

/**
 * A channel Asterisk reports (created, ringing, entering the app) that the engine gave
 * up on: hung up at once. Returns whether it was one.
 */
export function hangUpIfStray(core: EngineCore, channelId: string): boolean {
  const m = strays.get(core)
  if (!m?.has(channelId)) return false
  m.delete(channelId)
  core.log.info('hanging up a ring Asterisk made after the engine gave up on it', {channel: channelId})
  void core.hangup(channelId)
  return true
}

/**
 * The agent logged out: every ring of theirs ends now, and rings whose originate is
 * still on its way are hung up as soon as Asterisk answers it. Resolves when none of
 * their channels can still ring (or after timeoutMs).
 */
export async function cancelAgentRings(core: EngineCore, agentId: string, reason: string, timeoutMs = 11_000): Promise<number> {
  const pending: Promise<void>[] = []
  let n = 0
  for (const session of core.sessions.values()) {
    for (const attempt of session.liveAttempts()) {
      if (attempt.agentId !== agentId) continue
      n++
      finishAttempt(core, session, attempt, 'canceled', reason)
      const inFlight = originating.get(attempt)
      // The originate's own .then hangs up a canceled ring once Asterisk has made it.
      if (inFlight) pending.push(inFlight)
      else pending.push(core.hangup(attempt.channelId))
    }
  }
  if (pending.length > 0) {
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([Promise.allSettled(pending), new Promise((r) => (timer = setTimeout(r, timeoutMs)))])
    clearTimeout(timer)
  }
  return n
}

export function ringTimedOut(core: EngineCore, session: CallSession, attempt: RingAttempt): void {
  if (attempt.outcome !== null) return
  finishAttempt(core, session, attempt, 'no-answer', 'timeout')
  void core.hangup(attempt.channelId)
}

export async function onAgentAnswered(core: EngineCore, channel: Channel): Promise<void> {
  if (hangUpIfStray(core, channel.id)) return
  const ref = core.channels.get(channel.id)
  const attempt = ref?.session.attempts.get(channel.id)
  if (!ref || !attempt) {
    core.log.warn('unknown agent channel entered the app; hanging it up', {channel: channel.id})
    return void core.hangup(channel.id)
  }
  const session = ref.session
  const live = session.state === 'waiting' || (session.state === 'callback-pending' && session.isCallback)
  if (attempt.outcome !== null || !live) return void core.hangup(channel.id)
  const now = core.clock.now()
  attempt.outcome = 'answered'
  core.clock.clearTimeout(attempt.timer)
  const {waitMs, others} = core.acd.answered(session.id, attempt.agentId, now)
  for (const other of session.liveAttempts()) {
    if (others.includes(other.agentId)) finishAttempt(core, session, other, 'canceled', 'answered elsewhere')
    void core.hangup(other.channelId)
  }
  session.wait?.stop()
  session.wait = null
  session.agentId = attempt.agentId
  session.agentChannelId = channel.id
  session.bridgeId = `${session.id}.b`
  session.lastRingMs = now - attempt.startedAt
  if (session.isCallback) {
    if (!session.callerLegGone) void core.hangup(session.channelId)
    return dialCustomer(core, session)
  }

  session.state = 'connected'
  session.connectedAt = now
  core.events.append({
    type: 'call.connected',
    callId: session.id,
    queue: session.queue,
    agent: attempt.agentId,
    data: {waitMs, ringMs: session.lastRingMs, channel: channel.id, number: session.caller.number},
  })
  try {
    // A caller still ringing (caller-line.ts) is answered now, with the bridge made meanwhile;
    // one on hold music leaves it.
    const line = session.unanswered ? answerCaller(core, session) : core.ari.stopMoh(session.channelId).catch(() => undefined)
    const made = core.ari.createBridge('mixing', session.bridgeId, session.id)
    await Promise.all([line, made])
    await core.ari.addToBridge(session.bridgeId, [session.channelId, channel.id])
    // Only the simulator's Local caller listens for it (its far half plays its tone once set).
    if (session.localCaller) await core.ari.setChannelVar(session.channelId, 'CALLCTL_CONNECTED', '1')
  } catch (err) {
    if (!legVanished(err) && !session.ended) throw err
    // One leg vanished while bridging: StasisEnd for it tears the call down.
  }
  if (session.ended) return void core.destroyBridge(session)
  startRecording(core, session)
}

/**
 * A leg hung up between the answer and the bridge: 404 for the channel itself, but
 * addChannel answers 400 "Channel not found" (or 422, not in Stasis) for a channel in its
 * list that is gone. Seen once in 300 callers at 10/s, as a caller gave up just as an agent answered.
 */
function legVanished(err: unknown): boolean {
  return isNotFound(err) || (err instanceof AriRequestError && (err.status === 422 || (err.status === 400 && /not found/i.test(err.message))))
}
