import {channelLeft} from './channel-left.js'
import type {Bridge, Channel} from '../ari/port.js'
import type {SupervisionView, SuperviseMode} from './supervision.js'
import {foldHistory, planRecovery, type CallHistory, type RecoveryStep} from './recovery.js'
import {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'
import {admit, onInbound} from './admission.js'
import {enqueue, onRecordingDone, takeUnclaimedVoicemailEnd} from './queueing.js'
import {leaveWithPrompt} from './leaving-prompt.js'
import {scheduleDispatch} from './dispatch.js'
import {agentPartDone, endSession} from './call-end.js'
import {AFTER_CALL_EVENTS, AfterCallFacts, endWrapUp, resumeOwedWrapUp} from './wrap-up.js'
import {customerLegGone} from './callbacks.js'
import {CUSTOMER_RING_S, VOICEMAIL_MAX_S} from './engine-types.js'
import {AriRequestError} from '../ari/port.js'
import {inQueueVisit, systemEndVisit} from './shutdown.js'
import {finishAttempt} from './ring-attempts.js'

// Re-adopting calls after an engine restart or a lost connection to Asterisk (see recovery.ts for the decisions).

/**
 * Re-adopts the calls Asterisk still has (a channel stays in its Stasis app when the
 * engine dies) using the log for their history: waiting callers keep their place,
 * bridged calls keep talking. Calls that ended meanwhile are closed in the log.
 */
export async function recover(core: EngineCore): Promise<Record<string, number>> {
  const now = core.clock.now()
  const histories: CallHistory[] = []
  for (const id of await core.store.openCallIds(now - 2 * 86_400_000)) {
    if (core.sessions.has(id)) continue
    const events = []
    for await (const e of core.store.events({callId: id})) events.push(e)
    const h = foldHistory(events)
    if (h) histories.push(h)
  }
  const [channels, bridges, app] = await Promise.all([core.ari.listChannels(), core.ari.listBridges(), core.ari.applicationInfo(core.ari.app).catch(() => ({channel_ids: [] as string[]}))])
  // Channels the engine already knows, including a live supervision's (after a reconnect), are no leftovers.
  const known = new Set([...core.channels.keys()])
  const steps = planRecovery(histories, channels.filter((c) => !known.has(c.id) && !core.supervision.owns(c.id)), bridges, new Set(app.channel_ids))
  const counts: Record<string, number> = {}
  const restarted = steps.some((st) => st.kind === 'lost' && st.history.phase === 'waiting') && (await asteriskRestartedSinceLastEngine(core, now))
  for (const step of steps) {
    counts[step.kind] = (counts[step.kind] ?? 0) + 1
    await applyRecovery(core, step, now, {asteriskRestarted: restarted}).catch((err: unknown) => core.bug(`recovery (${step.kind})`, err))
  }
  await recoverWrapUps(core, now)
  const supervisions = await recoverSupervisions(core, channels, bridges, now)
  if (supervisions > 0) counts.supervisions = supervisions
  await core.opts.recorder?.reconcile?.(new Set(core.sessions.keys())).catch((err: unknown) => core.bug('recovery (recordings)', err))
  if (steps.length > 0) core.log.info('recovered calls after a restart', counts)
  return counts
}

export function sessionFrom(core: EngineCore, h: CallHistory, channelId: string): CallSession {
  const s = new CallSession(h.callId, channelId, {number: h.number, name: h.name}, h.did, h.startedAt)
  core.ari.bindCall?.(h.callId, channelId)
  s.direction = h.direction === 'outbound' ? 'outbound' : 'inbound'
  s.queue = h.queue
  s.priority = h.priority
  s.joinedAt = h.joinedAt
  s.enteredQueueAt = h.enteredQueueAt
  s.requiredSkills = h.requiredSkills
  s.contact = h.contact
  s.callbackNumber = h.callbackNumber
  s.callbackAttempts = h.callbackAttempts
  s.holdMs = h.holdMs
  // The previous engine's ring channels may still be going away: new ones get new ids.
  s.skipIds(h.usedIds.rings, h.usedIds.seq)
  if (s.direction === 'outbound') s.outboundNumber = h.number
  for (const k of h.keyTrail) s.keyTrail.push({node: k.node, keys: k.keys, result: k.result as 'choice', at: k.at})
  core.sessions.set(s.id, s)
  return s
}

/**
 * Asterisk started again since the last engine ran (its startup time differs from the one
 * that engine logged): the calls it lost went with Asterisk, no caller hung up.
 */
async function asteriskRestartedSinceLastEngine(core: EngineCore, now: number): Promise<boolean> {
  let last: unknown = null
  for await (const e of core.store.events({since: now - 2 * 86_400_000, types: ['engine.started']})) last = e.data.asteriskStartedAt ?? null
  return typeof last === 'string' && core.asteriskStartedAt !== null && last !== core.asteriskStartedAt
}

export async function applyRecovery(core: EngineCore, step: RecoveryStep, now: number, o: {asteriskRestarted?: boolean} = {}): Promise<void> {
  const readopted = (callId: string, phase: string, extra: Record<string, unknown> = {}) =>
    core.events.append({type: 'call.readopted', callId, data: {phase, ...extra}})
  switch (step.kind) {
    case 'connected': {
      const h = step.history
      const s = sessionFrom(core, h, step.customer.id)
      s.state = 'connected'
      s.customerChannelId = step.customer.id
      s.agentId = h.agent
      s.agentChannelId = step.agentChannel.id
      s.bridgeId = step.bridge.id
      s.connectedAt = h.connectedAt
      // Held since before the restart: the hold time counts from then, not from now.
      s.heldSince = h.heldSince
      core.channels.set(step.customer.id, {session: s, role: h.direction === 'outbound' || h.callbackNumber ? 'customer' : 'caller'})
      core.channels.set(step.agentChannel.id, {session: s, role: 'agent'})
      if (h.agent) core.acd.occupy(h.agent, s.id, 'on-call', now, h.queue)
      for (const c of step.stale) await core.hangup(c.id)
      readopted(s.id, 'connected', {agent: h.agent, ...(h.heldSince !== null ? {held: true} : {}), ...(h.consult ? {consult: step.consult ? (h.consult.answered ? 'talking' : 'ringing') : 'gone'} : {})})
      if (h.consult) await core.control.readoptConsult(s, h.consult, step.consult, now)
      return
    }
    case 'transferring': {
      const h = step.history
      const s = sessionFrom(core, h, step.caller.id)
      core.channels.set(step.caller.id, {session: s, role: 'caller'})
      for (const c of step.stale) await core.hangup(c.id)
      core.events.append({type: 'call.transfer_failed', callId: s.id, queue: h.queue, data: {kind: 'direct', reason: 'engine-restart'}})
      readopted(s.id, 'transferring', {queue: h.queue})
      if (h.external && !h.queue) return void leaveWithPrompt(core, s, 'number-not-answering', 'transfer-no-answer')
      if (!h.queue || !core.acd.queues.has(h.queue)) return void leaveWithPrompt(core, s, 'vm-nobodyavail', 'queue-removed')
      enqueue(core, s, h.queue, {joinedAt: h.joinedAt ?? h.startedAt, musicOn: true})
      return
    }
    case 'external': {
      const h = step.history
      const s = sessionFrom(core, h, step.caller.id)
      s.state = 'transferring'
      s.externalChannelId = step.external.id
      s.bridgeId = step.bridge.id
      // Answered before the restart (the log has no time for it): either side leaving ends the call.
      s.connectedAt = now
      core.channels.set(step.caller.id, {session: s, role: 'caller'})
      core.channels.set(step.external.id, {session: s, role: 'external'})
      readopted(s.id, 'external', {external: step.external.id})
      return
    }
    case 'dialling': {
      const h = step.history
      const s = sessionFrom(core, h, h.direction === 'outbound' ? step.customer.id : `${h.callId}.gone`)
      s.callerLegGone = h.direction !== 'outbound'
      s.state = 'calling-customer'
      s.agentId = h.dialling?.agent ?? h.agent
      s.agentChannelId = step.agentChannel.id
      s.bridgeId = step.bridge.id
      s.customerChannelId = step.customer.id
      core.channels.set(step.customer.id, {session: s, role: 'customer'})
      core.channels.set(step.agentChannel.id, {session: s, role: 'agent'})
      if (s.agentId) core.acd.occupy(s.agentId, s.id, 'on-call', now, h.queue)
      readopted(s.id, 'dialling', {agent: s.agentId, customer: step.customer.id})
      // The customer's ring ends by its originate timeout; the end may come while no socket listened.
      const left = Math.max(1000, (h.dialling?.at ?? now) + (CUSTOMER_RING_S + 5) * 1000 - now)
      core.clock.setTimeout(() => {
        if (core.stopped || s.state !== 'calling-customer' || s.customerChannelId !== step.customer.id) return
        core.channels.delete(step.customer.id)
        void core.hangup(step.customer.id)
        customerLegGone(core, s, step.customer.id, 'no-answer')
      }, left)
      return
    }
    case 'outbound-dropped': {
      const h = step.history
      const s = sessionFrom(core, h, `${h.callId}.gone`)
      await clearLeftovers(core, step)
      core.events.append({type: 'callback.attempt_failed', callId: s.id, agent: h.agent, data: {attempt: 1, reason: 'engine-restart', outbound: true}})
      return endSession(core, s, 'engine-restart')
    }
    case 'waiting': {
      const h = step.history
      const s = sessionFrom(core, h, step.caller.id)
      core.channels.set(step.caller.id, {session: s, role: 'caller'})
      // Still ringing when the last engine went: answered late, as at the door (caller-line.ts).
      s.unanswered = step.caller.state !== 'Up'
      s.localCaller = (step.caller.name ?? '').startsWith('Local/')
      for (const ring of step.orphanRings) await core.hangup(ring.id)
      for (const id of h.openRings) core.events.append({type: 'agent.ring_canceled', callId: s.id, queue: h.queue, data: {reason: 'engine-restart', channel: id}})
      if (!h.queue || !core.acd.queues.has(h.queue)) return void leaveWithPrompt(core, s, 'vm-nobodyavail', 'queue-removed')
      readopted(s.id, 'waiting', {queue: h.queue, joinedAt: h.joinedAt})
      enqueue(core, s, h.queue, {joinedAt: h.joinedAt ?? h.startedAt, readopt: true})
      return
    }
    case 'callback': {
      const h = step.history
      await clearLeftovers(core, step)
      const s = sessionFrom(core, h, `${h.callId}.gone`)
      s.callerLegGone = true
      s.customerChannelId = null
      s.state = 'callback-pending'
      if (!h.queue || !core.acd.queues.has(h.queue)) return endSession(core, s, 'queue-removed')
      core.acd.enqueue({callId: s.id, queue: h.queue, number: h.callbackNumber ?? h.number, priority: h.priority, joinedAt: h.joinedAt ?? h.startedAt, kind: 'callback'}, now)
      readopted(s.id, 'callback', {queue: h.queue})
      return
    }
    case 'restart-ivr': {
      const s = sessionFrom(core, step.history, step.caller.id)
      core.channels.set(step.caller.id, {session: s, role: 'caller'})
      readopted(s.id, 'ivr-restarted')
      // Not awaited: the flow runs as long as the caller stays in it, and recovery goes on.
      void admit(core, s, {answered: true, screened: true}).catch((err: unknown) => core.bug('recovery (ivr)', err))
      return
    }
    case 'half': {
      const h = step.history
      const s = sessionFrom(core, h, step.survivor.id)
      core.events.append({type: 'call.completed', callId: s.id, queue: h.queue, agent: h.agent, data: {by: step.gone === 'agent' ? 'agent' : 'caller', talkMs: now - (h.connectedAt ?? now), estimated: true, number: h.number}})
      await clearLeftovers(core, step)
      return endSession(core, s, 'completed-while-engine-down')
    }
    case 'closing': {
      const h = step.history
      const s = sessionFrom(core, h, `${h.callId}.gone`)
      // What the caller was hearing (a survey, a message, a voicemail prompt) died with the
      // old engine; starting the IVR or the queue again would serve a finished call twice.
      await clearLeftovers(core, step)
      return endSession(core, s, h.phase === 'after-call' ? 'completed' : 'engine-restart')
    }
    case 'voicemail': {
      const h = step.history
      const s = sessionFrom(core, h, step.caller.id)
      s.state = 'leaving'
      const name = `voicemail-${s.id}`
      core.voicemails.set(name, s)
      core.channels.set(step.caller.id, {session: s, role: 'caller'})
      readopted(s.id, 'voicemail')
      // Its end came on the new socket while recovery was still getting to it: the voicemail is over.
      const ended = takeUnclaimedVoicemailEnd(core, name)
      if (ended) return onRecordingDone(core, ended)
      // Still recording: Asterisk refuses a second recording of that name, and the first one's
      // end (the caller's # or hang-up) logs the voicemail. Not yet recording (its prompt was
      // playing): it starts now, with the beep.
      await core.ari
        .recordChannel(step.caller.id, {name, format: 'wav', maxDurationSeconds: VOICEMAIL_MAX_S, beep: true, ifExists: 'fail', terminateOn: '#'})
        .catch((err: unknown) => {
          if (err instanceof AriRequestError && (err.status === 409 || err.status === 422)) return
          core.voicemails.delete(name)
          void core.hangup(step.caller.id)
          endSession(core, s, 'engine-restart')
        })
      // Its end could also have come while no engine listened: the longest recording bounds the wait.
      core.clock.setTimeout(() => {
        if (core.stopped || s.ended || !core.voicemails.delete(name)) return
        void core.hangup(step.caller.id)
        endSession(core, s, 'voicemail')
      }, (VOICEMAIL_MAX_S + 10) * 1000)
      return
    }
    case 'lost': {
      const h = step.history
      const s = sessionFrom(core, h, `${h.callId}.gone`)
      // Legs that outlived the call's customer (an agent ringing, a consulted party) go too.
      await clearLeftovers(core, step)
      // A caller gone from the line while no engine listened hung up, unless Asterisk itself went down meanwhile.
      if (h.phase === 'waiting' && o.asteriskRestarted) core.events.append({type: 'queue.system_ended', callId: s.id, queue: h.queue, data: {reason: 'asterisk-restarted', waitMs: now - (h.enteredQueueAt ?? now), estimated: true, number: h.number}})
      else if (h.phase === 'waiting') core.events.append({type: 'queue.abandoned', callId: s.id, queue: h.queue, data: {waitMs: now - (h.enteredQueueAt ?? now), estimated: true, number: h.number}})
      if (h.phase === 'connected') core.events.append({type: 'call.completed', callId: s.id, queue: h.queue, agent: h.agent, data: {by: 'unknown', talkMs: now - (h.connectedAt ?? now), estimated: true, number: h.number}})
      // A connected call with both legs gone was talked to its end (a leader frozen with
      // the end still in its write buffer, a kill between the hang-up and the write): it
      // completed, as a call with one leg left does (the 'half' case), unless Asterisk
      // restarted under it.
      if (h.phase === 'connected' && !o.asteriskRestarted) return endSession(core, s, 'completed-while-engine-down')
      return endSession(core, s, h.phase === 'waiting' && o.asteriskRestarted ? 'system-ended' : 'ended-while-engine-down')
    }
    case 'new-inbound': {
      const did = await core.ari.getChannelVar(step.channel.id, 'CALLCTL_DID').catch(() => step.channel.dialplan?.exten ?? '')
      void onInbound(core, step.channel, did).catch((err: unknown) => core.bug('recovery (new-inbound)', err))
      return
    }
    case 'stale':
      return core.hangup(step.channel.id)
  }
}

/** Supervisions open in the log are closed with an event; their snoops, phones and bridges go. */
export async function recoverSupervisions(core: EngineCore, channels: Channel[], bridges: Bridge[], now: number): Promise<number> {
  const open = new Map<string, SupervisionView>()
  const known = new Set<string>()
  for await (const e of core.store.events({since: now - 2 * 86_400_000, types: ['supervise.started', 'supervise.mode_changed', 'supervise.stopped']})) {
    const id = String(e.data.supervision ?? '')
    if (!id) continue
    known.add(id)
    if (e.type === 'supervise.stopped') open.delete(id)
    else if (e.type === 'supervise.mode_changed') {
      const s = open.get(id)
      if (s) s.mode = e.data.to as SuperviseMode
    }
    else if (!core.supervision.list().some((s) => s.id === id)) {
      open.set(id, {id, callId: e.callId ?? '', agent: e.agent ?? '', mode: e.data.mode as SuperviseMode, from: String(e.data.from ?? ''), by: String(e.data.by ?? ''), state: 'active', startedAt: e.ts})
    }
  }
  await core.supervision.closeAfterRestart([...open.values()], known, channels, bridges)
  return open.size
}

/** Agents in wrap-up when the engine stopped finish it on time; one that owes its call's disposition is held until it is chosen. */
export async function recoverWrapUps(core: EngineCore, now: number): Promise<void> {
  const open = new Map<string, {ts: number; seconds: number; queue: string | null; callId: string | null}>()
  const calls = new AfterCallFacts()
  for await (const e of core.store.events({since: now - 3_600_000, types: ['agent.wrapup_started', 'agent.wrapup_ended', 'agent.wrapup_extended', ...AFTER_CALL_EVENTS]})) {
    if (calls.add(e) || !e.agent) continue
    if (e.type === 'agent.wrapup_started') open.set(e.agent, {ts: e.ts, seconds: Number(e.data.seconds ?? 0), queue: e.queue, callId: e.callId})
    else if (e.type === 'agent.wrapup_extended') {
      const w = open.get(e.agent)
      if (w) w.seconds += Number(e.data.seconds ?? 0)
    } else open.delete(e.agent)
  }
  for (const [agent, w] of open) {
    if (resumeOwedWrapUp(core, agent, w, calls, now)) continue
    const left = w.ts + w.seconds * 1000 - now
    if (left <= 0 || !core.acd.startWrapUp(agent, now)) {
      core.events.append({type: 'agent.wrapup_ended', agent, data: {how: 'timer', late: true}})
      continue
    }
    core.wrapUpTimers.set(agent, {endsAt: now + left, timer: core.clock.setTimeout(() => endWrapUp(core, agent, 'timer'), left)})
  }
}

/**
 * The event socket came back. If Asterisk restarted meanwhile (its startup time
 * changed) every call it had is gone: close them in the log and carry on with new
 * calls. Otherwise calls may have ended or arrived while we were away: reconcile.
 */
export async function onAriReconnected(core: EngineCore): Promise<void> {
  const info = await core.ari.asteriskInfo()
  const started = info.status?.startup_time ?? null
  if (started !== null && core.asteriskStartedAt !== null && started !== core.asteriskStartedAt) {
    core.asteriskStartedAt = started
    asteriskRestarted(core)
    return
  }
  core.asteriskStartedAt = started ?? core.asteriskStartedAt
  const alive = new Set((await core.ari.listChannels()).map((c) => c.id))
  for (const [id, ref] of [...core.channels]) {
    if (alive.has(id)) continue
    void ref
    channelLeft(core, id)
  }
  await recover(core)
  scheduleDispatch(core)
}

export function asteriskRestarted(core: EngineCore): void {
  core.log.warn('Asterisk restarted: its calls are gone; closing them in the log', {calls: core.sessions.size})
  closeCalls(core, () => true, 'asterisk-restarted')
  core.channels.clear()
  core.acd.resetActivity(core.clock.now())
  core.events.append({type: 'engine.asterisk_restarted', data: {at: core.asteriskStartedAt}})
  scheduleDispatch(core)
}

/**
 * One of several Asterisk boxes is lost (boxes/box-router.ts): the calls whose caller was
 * on it are gone with it and end with that reason; every other call goes on. A caller on
 * a surviving box talking to an agent whose phone was reached through the lost box
 * (`stranded` legs) lost its agent, not its call: it goes back in line in its queue with
 * its first arrival kept, so it is served next, rather than being hung up as if the agent
 * had ended the call. Its calls ended when the box was last seen answering, `awayMs` ago
 * (the loss is declared BOX_LOST_MS later): their talk is counted to then.
 */
export function boxLost(core: EngineCore, box: string, channels: readonly string[], stranded: readonly string[] = [], awayMs = 0): void {
  const gone = new Set(channels)
  const hit = [...core.sessions.values()].filter((s) => gone.has(s.channelId) || (s.customerChannelId !== null && gone.has(s.customerChannelId)) || (s.bridgeId !== null && gone.has(s.bridgeId)))
  core.log.warn(`Asterisk box ${box} is lost: closing its ${hit.length} calls`, {box})
  const ids = new Set(hit.map((s) => s.id))
  closeCalls(core, (s) => ids.has(s.id), 'box-lost', {releaseAgents: true, endedAt: core.clock.now() - awayMs})
  for (const id of gone) core.channels.delete(id)
  const cut = new Set(stranded)
  let requeued = 0
  for (const s of [...core.sessions.values()]) {
    if (s.agentChannelId === null || !cut.has(s.agentChannelId)) continue
    if (requeueWithoutAgent(core, s, box)) requeued++
  }
  core.events.append({type: 'engine.box_lost', data: {box, calls: hit.length, requeued}})
  scheduleDispatch(core)
}

function requeueWithoutAgent(core: EngineCore, s: CallSession, box: string): boolean {
  // Only a plain inbound queue call being talked on: a held call (a consultation holds its
  // caller first), a callback or a click-to-call have their own ends when the agent's leg
  // goes (the router hangs it up next).
  if (s.state !== 'connected' || s.direction !== 'inbound' || s.isCallback || s.heldSince !== null || !s.queue || !core.acd.queues.has(s.queue) || !s.customerChannelId) return false
  const from = s.agentId!
  core.events.append({type: 'call.transferred', callId: s.id, queue: s.queue, agent: from, data: {kind: 'blind', to: {queue: s.queue}, by: 'system', reason: 'agent-box-lost', box}})
  agentPartDone(core, s, 'system')
  core.channels.delete(s.agentChannelId!)
  void core.destroyBridge(s)
  s.agentId = null
  s.agentChannelId = null
  s.bridgeId = null
  void core.ari.startMoh(s.customerChannelId).catch(() => undefined)
  enqueue(core, s, s.queue, {joinedAt: s.joinedAt ?? undefined, transferFrom: from, musicOn: true})
  return true
}

/** Ends the sessions `which` picks, whose channels went with Asterisk: nobody gave up. */
function closeCalls(core: EngineCore, which: (s: CallSession) => boolean, reason: string, o: {releaseAgents?: boolean; endedAt?: number} = {}): void {
  const now = core.clock.now()
  /** When the calls really ended (their box last seen), for their talk; now when not known. */
  const ended = Math.min(now, o.endedAt ?? now)
  for (const s of [...core.sessions.values()]) {
    if (!which(s)) continue
    s.wait?.stop()
    s.media?.hangup()
    s.wait = null
    // After a restart every agent's activity is reset at once; a lost box frees only its calls' agents.
    if (o.releaseAgents) for (const a of s.liveAttempts()) finishAttempt(core, s, a, 'canceled', reason)
    for (const a of s.attempts.values()) core.clock.clearTimeout(a.timer)
    if (s.state === 'connected' && s.agentId) {
      core.events.append({type: 'call.completed', callId: s.id, queue: s.queue, agent: s.agentId, data: {by: 'system', talkMs: Math.max(0, ended - (s.connectedAt ?? ended)), number: s.caller.number}})
      if (o.releaseAgents) core.acd.callEnded(s.agentId, 0, now, {wrapUp: false})
    }
    if (s.state === 'callback-pending') continue // owed to the customer, not tied to a channel
    if (inQueueVisit(s)) systemEndVisit(core, s, reason)
    endSession(core, s, reason)
  }
}

/** Legs that outlived their call (an agent ringing, a consulted party) and its bridges: gone. */
async function clearLeftovers(core: EngineCore, step: {stale: readonly Channel[]; bridges: readonly Bridge[]}): Promise<void> {
  for (const c of step.stale) await core.hangup(c.id)
  for (const b of step.bridges) await core.ari.destroyBridge(b.id).catch(() => undefined)
}
