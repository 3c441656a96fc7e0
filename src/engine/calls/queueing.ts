import {outboundAllowed} from './outbound-check.js'
import {estimateWait} from '../routing/wait-estimate.js'
import type {RecordingEvent} from '../ari/port.js'
import {isNotFound} from '../ari/port.js'
import {CallSession} from './call-session.js'
import {normaliseNumber, QueueWait} from './queue-wait.js'
import type {EngineCore} from './core.js'
import {type ExitReason, VOICEMAIL_MAX_S} from './engine-types.js'
import {callbackConfirmed} from './callbacks.js'
import {endSession, leaveLine} from './call-end.js'
import {scheduleDispatch} from './dispatch.js'
import {leaveWithPrompt} from './leaving-prompt.js'
import {answerCaller, holdTheLineSoon} from './caller-line.js'

// Callers in line: joining a queue within its limits, and leaving it without an agent (overflow, message, voicemail).

/**
 * Puts the caller in line, honouring the queue's limits. Returns false when the queue
 * turned it away (and the overflow action took over).
 */
export function enqueue(core: EngineCore, session: CallSession, queue: string, o: {joinedAt?: number; overflowFrom?: string; transferFrom?: string; musicOn?: boolean; readopt?: boolean}): boolean {
  const now = core.clock.now()
  const settings = core.acd.queues.get(queue)!
  session.queue = queue
  if (o.readopt) {
    // Back in line after a restart: already counted, already past the queue's limits.
    session.state = 'waiting'
    session.joinedAt = o.joinedAt ?? now
    session.enteredQueueAt ??= now
    core.acd.enqueue({callId: session.id, queue, number: session.caller.number, priority: session.priority, joinedAt: session.joinedAt, requiredSkills: session.requiredSkills}, now)
    const wait = new QueueWait(session, settings, waitHooks(core), false)
    session.wait = wait
    wait.start()
    scheduleDispatch(core)
    holdTheLineSoon(core, session)
    return true
  }
  if (settings.maxCallers > 0 && core.acd.waitingIn(queue) >= settings.maxCallers) return refuse(core, session, queue, 'full')
  if (!settings.joinEmpty && core.acd.loggedIn(queue) === 0) return refuse(core, session, queue, 'empty')
  let joinedAt = o.joinedAt ?? now
  let resumed = false
  if (o.joinedAt === undefined && settings.resumeWindow > 0) {
    const place = core.memory.takePlace(session.caller.number, queue, now, settings.resumeWindow * 1000)
    if (place) {
      joinedAt = place.joinedAt
      session.priority = Math.max(session.priority, place.priority)
      resumed = true
    }
  }
  const lastAgent = settings.lastAgentWindow > 0 ? core.memory.lastAgentOf(session.caller.number, now, settings.lastAgentWindow * 1000) : null
  session.state = 'waiting'
  session.joinedAt = joinedAt
  session.enteredQueueAt = now
  core.acd.enqueue({callId: session.id, queue, number: session.caller.number, priority: session.priority, joinedAt, requiredSkills: session.requiredSkills, preferredAgent: lastAgent}, now)
  core.events.append({
    type: 'queue.entered',
    callId: session.id,
    queue,
    data: {
      position: core.acd.position(session.id),
      priority: session.priority,
      ...(session.requiredSkills ? {requiredSkills: session.requiredSkills} : {}),
      ...(resumed ? {resumed: true, joinedAt} : {}),
      ...(o.overflowFrom ? {overflowFrom: o.overflowFrom, joinedAt} : {}),
      ...(o.transferFrom ? {transferFrom: o.transferFrom} : {}),
      ...(lastAgent ? {lastAgent} : {}),
    },
  })
  const wait = new QueueWait(session, settings, waitHooks(core), o.musicOn ?? false)
  session.wait = wait
  wait.start()
  scheduleDispatch(core)
  holdTheLineSoon(core, session)
  return true
}

export function waitHooks(core: EngineCore) {
  return {
    ari: core.ari,
    clock: core.clock,
    log: core.log,
    events: core.events,
    position: (id: string) => core.acd.position(id),
    expectedWait: (id: string) => expectedWait(core, id),
    maxWaitReached: (s: CallSession) => exitQueue(core, s, 'timeout'),
    callbackConfirmed: (s: CallSession, number: string) => callbackConfirmed(core, s, number),
    outboundAllowed: (s: CallSession, number: string) => outboundAllowed(core, s.queue, number, {callId: s.id, by: 'callback'}),
  }
}

export function refuse(core: EngineCore, session: CallSession, queue: string, reason: ExitReason): false {
  core.events.append({type: 'queue.exited', callId: session.id, queue, data: {reason, position: 0, waitMs: 0, action: core.acd.queues.get(queue)!.overflow.action}})
  overflow(core, session, queue, reason)
  return false
}

/** The caller leaves the line for `reason`; the queue's overflow action decides what next. */
export function exitQueue(core: EngineCore, session: CallSession, reason: ExitReason): void {
  if (session.state !== 'waiting' || !session.queue) return
  const queue = session.queue
  const settings = core.acd.queues.get(queue)
  const now = core.clock.now()
  const position = core.acd.position(session.id)
  session.wait?.stop()
  session.wait = null
  if (settings?.overflow.action !== 'callback') leaveLine(core, session, 'exited')
  core.events.append({
    type: 'queue.exited',
    callId: session.id,
    queue,
    data: {reason, position, waitMs: now - (session.enteredQueueAt ?? now), action: settings?.overflow.action ?? 'hangup', to: settings?.overflow.queue ?? null},
  })
  overflow(core, session, queue, reason)
}

export function overflow(core: EngineCore, session: CallSession, from: string, reason: ExitReason): void {
  const o = core.acd.queues.get(from)?.overflow ?? {action: 'hangup' as const}
  switch (o.action) {
    case 'queue': {
      // Queues overflowing into each other must not bounce a caller forever.
      session.overflowHops++
      if (o.queue && o.queue !== from && core.acd.queues.has(o.queue) && !session.callerLegGone && session.overflowHops <= 3) {
        enqueue(core, session, o.queue, {joinedAt: session.joinedAt ?? core.clock.now(), overflowFrom: from, musicOn: true})
        return
      }
      void leaveWithPrompt(core, session, 'vm-nobodyavail', `exit-${reason}`)
      return
    }
    case 'message':
      void leaveWithPrompt(core, session, o.prompt ?? 'vm-nobodyavail', `exit-${reason}`)
      return
    case 'voicemail':
      void voicemail(core, session, o.prompt ?? 'vm-intro', reason)
      return
    case 'callback': {
      const number = normaliseNumber(session.caller.number)
      if (number && core.acd.waiting.has(session.id)) {
        callbackConfirmed(core, session, number, reason)
        void leaveWithPrompt(core, session, 'auth-thankyou', null)
        return
      }
      if (number) {
        // Refused at the door (full, empty): keep a place in line as a callback.
        session.state = 'waiting'
        session.joinedAt = session.joinedAt ?? core.clock.now()
        session.enteredQueueAt = core.clock.now()
        core.acd.enqueue({callId: session.id, queue: from, number, priority: session.priority, joinedAt: session.joinedAt, kind: 'callback'}, core.clock.now())
        callbackConfirmed(core, session, number, reason)
        void leaveWithPrompt(core, session, 'auth-thankyou', null)
        return
      }
      void leaveWithPrompt(core, session, 'vm-nobodyavail', `exit-${reason}`)
      return
    }
    case 'hangup':
    default:
      session.state = 'leaving'
      void core.hangup(session.channelId)
      endSession(core, session, `exit-${reason}`)
  }
}

export async function voicemail(core: EngineCore, session: CallSession, prompt: string | string[], reason: ExitReason | 'ivr'): Promise<void> {
  session.state = 'leaving'
  const name = `voicemail-${session.id}`
  core.voicemails.set(name, session)
  try {
    if (session.unanswered) await answerCaller(core, session)
    else await core.ari.stopMoh(session.channelId).catch(() => undefined)
    const media = (Array.isArray(prompt) ? prompt : [prompt]).map((p) => (p.startsWith('sound:') ? p : `sound:${p}`))
    await core.ari.playOnChannel(session.channelId, media.length === 1 ? media[0]! : media, session.nextPlaybackId())
    await core.ari.recordChannel(session.channelId, {name, format: 'wav', maxDurationSeconds: VOICEMAIL_MAX_S, beep: true, ifExists: 'overwrite', terminateOn: '#'})
  } catch (err) {
    core.voicemails.delete(name)
    if (!isNotFound(err)) core.log.warn('voicemail failed', {call: session.id, error: String(err)})
    void core.hangup(session.channelId)
    endSession(core, session, `exit-${reason}`)
  }
}

/**
 * Ends of voicemail recordings no call claimed. After a restart the new socket can bring a
 * voicemail's end (its 4 s without audio, the caller's #) before recovery re-adopts the
 * call; recovery takes it from here instead of waiting for an end that already came.
 */
const unclaimedVoicemailEnds = new WeakMap<EngineCore, Map<string, RecordingEvent>>()
const UNCLAIMED_KEPT = 100

/** The end of voicemail recording `name` if it came while no call was waiting for it (once). */
export function takeUnclaimedVoicemailEnd(core: EngineCore, name: string): RecordingEvent | undefined {
  const ends = unclaimedVoicemailEnds.get(core)
  const e = ends?.get(name)
  ends?.delete(name)
  return e
}

export function onRecordingDone(core: EngineCore, e: RecordingEvent): void {
  const session = core.voicemails.get(e.recording.name)
  if (!session) {
    if (e.recording.name.startsWith('voicemail-')) {
      let ends = unclaimedVoicemailEnds.get(core)
      if (!ends) unclaimedVoicemailEnds.set(core, (ends = new Map()))
      ends.set(e.recording.name, e)
      if (ends.size > UNCLAIMED_KEPT) ends.delete(ends.keys().next().value!)
    }
    return core.opts.recorder?.onRecordingEvent(e)
  }
  core.voicemails.delete(e.recording.name)
  core.opts.recorder?.onRecordingEvent(e) // the voicemail's file is made 0640 like a call's
  core.events.append({
    type: 'voicemail.left',
    callId: session.id,
    queue: session.queue,
    data: {recording: e.recording.name, durationSec: e.recording.duration ?? null, state: e.type === 'RecordingFailed' ? 'failed' : 'done', number: session.caller.number},
  })
  void core.hangup(session.channelId)
  endSession(core, session, 'voicemail')
}

/** Expected remaining wait for a waiting caller (see routing/wait-estimate.ts). */
export function expectedWait(core: EngineCore, callId: string): number | null {
  const s = core.sessions.get(callId)
  if (!s?.queue) return null
  const settings = core.acd.queues.get(s.queue)
  if (!settings) return null
  const ht = core.handleTimesOf(s.queue)
  const now = core.clock.now()
  return estimateWait({
    position: core.acd.position(callId),
    agents: core.acd.serving(s.queue).map((a) => ({state: a.activity, elapsedMs: now - a.activitySince})),
    talkMs: ht.averageTalkMs(settings.defaultHandleTime * 1000),
    wrapUpMs: settings.wrapUp * 1000,
    ringMs: ht.averageRingMs(),
  })
}
