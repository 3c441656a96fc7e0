import type {ChannelDestroyedEvent, ChannelDtmfReceivedEvent, PlaybackEvent, StasisEndEvent, StasisStartEvent} from '../ari/port.js'
import type {AgentRecord} from '../model.js'
import {type AgentView, type QueueView} from '../routing/acd.js'
import type {NewEvent, StoredEvent} from '../store/events.js'
import {UserError} from '../util/errors.js'
import {CallControl, type EngineInternals} from './call-control.js'
import {callIdOf, type CallSession} from './call-session.js'
import {EngineCore} from './core.js'
import {channelLeft} from './channel-left.js'
import {onExternalAnswered, onInbound} from './admission.js'
import {onCustomerAnswered} from './callbacks.js'
import {enqueue, exitQueue, expectedWait, onRecordingDone} from './queueing.js'
import {boxLost, onAriReconnected, recover} from './recovery-runner.js'
import {cancelAgentRings, hangUpIfStray, onAgentAnswered, ring} from './ringing.js'
import {overloadView, stopWatching, watchOverload} from './overload.js'
import {endAllCalls, endCalls} from './shutdown.js'
import {agentPartDone, endSession} from './call-end.js'
import {scheduleDispatch} from './dispatch.js'
import {afterLeavingPrompt, leaveWithPrompt} from './leaving-prompt.js'
import {finishAttempt, maybeAutoPause} from './ring-attempts.js'
import {startRecording} from './start-recording.js'
import {endWrapUp, startWrapUpTimer} from './wrap-up.js'
import {mustNotOweDisposition} from './desk-work.js'
import {PhonePresence, type PhoneContact} from './phone-presence.js'
import {outboundCheck} from './outbound-check.js'
import {dialString} from './caller-id.js'
import {onHangupRequest} from './asterisk-stopping.js'
import {type CallView, type EngineOptions, CONFIG_EVENTS, type EngineSnapshot} from './engine-types.js'
import {ChatCore, type ChatsView} from '../chat/chat-core.js'
import {chatSettings} from '../config/chat-config.js'

export * from './engine-types.js'
export {dialString} from './caller-id.js'
export type {QueueSettings} from '../model.js'

/**
 * The headless call engine: takes calls from the Stasis app, queues them, rings agents,
 * bridges, tears down, and records every step in the event log.
 */
/** Longest an agent's snapshot reuses the center's chat view when no event came (agentChats). */
const CHATS_SHARED_MS = 250

export class Engine {
  /** The last failure of the admin sync, while it keeps failing. */
  private syncFailing: string | null = null
  /** API subscriptions told of admin changes made elsewhere (onAdminChange). */
  private readonly adminListeners = new Set<(e: NewEvent) => void>()
  readonly core: EngineCore
  /** Agents' phones as Asterisk reports them (registration, device state). */
  private readonly presence: PhonePresence
  /** Chats on the same queues and agents, under one capacity model with calls (chat/). */
  readonly chat: ChatCore
  /** The center's chat view as agents' snapshots share it (agentSnapshot): dropped by any event, kept at most CHATS_SHARED_MS. */
  private chatsShared: {at: number; view: ChatsView} | null = null

  constructor(private readonly opts: EngineOptions) {
    this.core = new EngineCore(opts, {ringAgent: ring})
    this.core.control = new CallControl(this.internals())
    this.presence = new PhonePresence(this.core, (agentId, reason) => void cancelAgentRings(this.core, agentId, reason))
    this.chat = new ChatCore({
      acd: this.core.acd,
      events: this.core.events,
      store: this.core.store,
      clock: this.core.clock,
      log: this.core.log,
      settings: opts.chat?.settings ?? chatSettings(undefined, opts.defaultQueue ?? null),
      ...(opts.chat?.flows ? {flows: opts.chat.flows} : {}),
      ...(opts.chat?.kb ? {kb: opts.chat.kb} : {}),
      ...(opts.random ? {random: opts.random} : {}),
      callRoomFreed: () => scheduleDispatch(this.core),
      // A chat offer let run out is a missed ring: after the queue's autoPauseAfter in a row, the agent is paused (no-answer).
      offerMissed: (agent, queue) => {
        const a = this.core.acd.agents.get(agent)
        if (!a) return
        a.missedRings++
        maybeAutoPause(this.core, agent, queue)
      },
      offerTaken: (agent) => {
        const a = this.core.acd.agents.get(agent)
        if (a) a.missedRings = 0
      },
    })
    this.core.events.subscribe(() => (this.chatsShared = null))
  }

  /** Phones as the engine last heard from Asterisk (phone list, the API). */
  phoneContacts(): PhoneContact[] {
    return [...this.presence.contacts.values()]
  }

  get acd() {
    return this.core.acd
  }

  get events() {
    return this.core.events
  }

  get origin(): string {
    return this.core.origin
  }

  get supervision() {
    return this.core.supervision
  }

  get control() {
    return this.core.control
  }

  /** Batch decisions: many state changes in one tick lead to one dispatch. */
  scheduleDispatch(): void {
    scheduleDispatch(this.core)
  }

  endWrapUp(agentId: string, how: 'timer' | 'agent'): boolean {
    return endWrapUp(this.core, agentId, how)
  }

  /** The engine's insides as call control sees them. */
  private internals(): EngineInternals {
    return {
      ari: this.core.ari,
      clock: this.core.clock,
      log: this.core.log,
      events: this.core.events,
      acd: this.core.acd,
      supervision: this.core.supervision,
      sessions: this.core.sessions,
      track: (id, session, role) => void this.core.channels.set(id, {session, role}),
      untrack: (id) => void this.core.channels.delete(id),
      hangup: (id, reason) => this.core.hangup(id, reason),
      destroyBridge: (s) => this.core.destroyBridge(s),
      endSession: (s, cause) => endSession(this.core, s, cause),
      agentPartDone: (s, by) => agentPartDone(this.core, s, by),
      enqueue: (s, q, o) => enqueue(this.core, s, q, o),
      scheduleDispatch: () => scheduleDispatch(this.core),
      startRecording: (s) => startRecording(this.core, s),
      dialString: (n) => dialString(this.core.opts.dialString ?? 'Local/{number}@callctl-sim-callee', n),
      outboundCheck: (queue, number, who) => outboundCheck(this.core, queue, number, who),
      outboundCallerId: this.core.opts.outboundCallerId ?? '',
      ringTimeoutS: 30,
    }
  }

  async start(): Promise<void> {
    this.core.lastEventId = await this.core.store.lastEventId()
    const now = this.core.clock.now()
    for (const q of await this.core.store.listQueues()) this.core.acd.setQueue(q.name, q.settings, now)
    for (const a of await this.core.store.listAgents()) this.core.acd.setAgent(a, now)
    const presence = (await this.core.store.listPresence()).filter((p) => this.core.acd.agents.has(p.agent))
    for (const p of presence) this.core.acd.setPresence(p.agent, p.status, p.reason, p.since)
    await this.seedFromLog(now)
    await this.core.stats.seed(
      this.core.store,
      now,
      presence.map((p) => ({agent: p.agent, loggedIn: p.status !== 'offline', pausedReason: p.status === 'paused' ? (p.reason ?? 'unspecified') : null, since: p.since})),
    )

    this.core.ari.on('StasisStart', (e) => void this.onStasisStart(e).catch((err) => this.core.bug('StasisStart', err)))
    this.core.ari.on('StasisEnd', (e) => this.onStasisEnd(e))
    this.core.ari.on('ChannelDestroyed', (e) => this.onChannelDestroyed(e))
    this.core.ari.on('ChannelHangupRequest', (e) => onHangupRequest(this.core, e))
    // A ring the engine gave up on (no answer to its originate) shows itself ringing: hang it up.
    this.core.ari.on('ChannelStateChange', (e) => void hangUpIfStray(this.core, e.channel.id))
    this.core.ari.on('ChannelDtmfReceived', (e) => this.onDtmf(e))
    this.core.ari.on('PlaybackFinished', (e) => this.onPlaybackFinished(e))
    this.core.ari.on('RecordingFinished', (e) => onRecordingDone(this.core, e))
    this.core.ari.on('RecordingFailed', (e) => onRecordingDone(this.core, e))

    this.presence.attach()
    this.core.ari.onBoxLost?.((box, channels, stranded, awayMs) => boxLost(this.core, box, channels, stranded, awayMs))
    this.core.ari.onConnection((c) => {
      if (c.state !== 'connected' || this.core.stopped) return
      void onAriReconnected(this.core).catch((err) => this.core.bug('reconnect', err))
      // Asterisk may have restarted (subscriptions gone, astdb perhaps wiped) and phones
      // changed while the engine was away: push them again, then read every state afresh.
      void this.applyPhones().then(() => this.presence.sync({fresh: true}))
    })

    this.core.syncTimer = setInterval(() => void this.syncAdminChanges(), this.core.opts.syncIntervalMs ?? 250)
    this.core.syncTimer.unref?.()
    watchOverload(this.core)
    await this.applyPhones()
    await this.presence.sync({fresh: true})
    const info = await this.core.ari.asteriskInfo().catch(() => undefined)
    this.core.asteriskStartedAt = info?.status?.startup_time ?? null
    const recovered = await recover(this.core)
    await this.chat.start()
    this.core.events.append({
      type: 'engine.started',
      data: {app: this.core.ari.app, queues: this.core.acd.queues.size, agents: this.core.acd.agents.size, asteriskStartedAt: this.core.asteriskStartedAt, recovered},
    })
    scheduleDispatch(this.core)
  }

  /** Pushes the store's phones into Asterisk; a failure is logged, the engine goes on (Asterisk may be down: the next connect tries again). */
  private async applyPhones(only?: string): Promise<void> {
    const phones = this.core.opts.phones
    if (!phones) return
    try {
      // Read afresh: a phone of no agent added while the engine runs is watched from its push on.
      this.presence.setExtraPhones(await phones.ids())
      const r = await phones.apply(this.core.ari, only)
      for (const f of r.failed) this.core.log.warn(`phone ${f.id} could not be pushed to Asterisk`, {error: f.error})
      if (r.applied > 0) this.core.log.info(`phones pushed to Asterisk: ${r.applied}`)
    } catch (err) {
      this.core.log.warn('could not push phones to Asterisk', {error: String(err)})
    }
  }

  /** Today's counters, recent handle times and caller memories come back from the log. */
  private async seedFromLog(now: number): Promise<void> {
    let window = 0
    for (const q of this.core.acd.queues.values()) window = Math.max(window, q.lastAgentWindow, q.resumeWindow)
    const midnight = now - (now % 86_400_000)
    const since = Math.min(midnight, now - window * 1000, now - 86_400_000)
    const ringOf = new Map<string, number>()
    for await (const e of this.core.store.events({since, types: ['call.connected', 'call.completed', 'queue.abandoned']})) {
      if (e.type === 'call.connected' && e.callId) ringOf.set(e.callId, Number(e.data.ringMs ?? 0))
      if (e.type === 'call.completed' && e.agent) {
        const a = this.core.acd.agents.get(e.agent)
        const talkMs = Number(e.data.talkMs ?? 0)
        if (a && e.ts >= midnight) this.core.acd.countCall(a, talkMs, e.ts)
        if (e.queue) this.core.handleTimesOf(e.queue).add(talkMs, (e.callId && ringOf.get(e.callId)) || 0)
        if (e.callId) ringOf.delete(e.callId)
        if (typeof e.data.number === 'string') this.core.memory.servedBy(e.data.number, e.agent, e.ts)
      }
      if (e.type === 'queue.abandoned' && e.queue && typeof e.data.number === 'string') {
        this.core.memory.abandoned(e.data.number, e.queue, Number(e.data.joinedAt ?? e.ts), Number(e.data.priority ?? 0), e.ts)
      }
    }
  }

  /**
   * Stops taking calls and writes the last events, trying for at most `writeWithinMs`.
   * Calls stay in Asterisk for the next engine, unless `endCalls` gives the reason to end
   * them (a deliberate shutdown, like the demo's): then they are logged system-ended.
   */
  async stop(writeWithinMs?: number, o: {endCalls?: string} = {}): Promise<void> {
    if (this.core.stopped) return
    this.core.stopped = true
    if (o.endCalls) await endAllCalls(this.core, o.endCalls).catch((err: unknown) => this.core.bug('ending calls at stop', err))
    stopWatching(this.core)
    this.presence.stop()
    this.chat.stop()
    if (this.core.syncTimer) clearInterval(this.core.syncTimer)
    if (this.core.wakeTimer) this.core.clock.clearTimeout(this.core.wakeTimer.timer)
    for (const t of this.core.wrapUpTimers.values()) this.core.clock.clearTimeout(t.timer)
    for (const s of this.core.sessions.values()) {
      s.wait?.stop()
      for (const a of s.attempts.values()) this.core.clock.clearTimeout(a.timer)
    }
    this.core.events.append({type: 'engine.stopped', data: {liveCalls: this.core.sessions.size}})
    await this.core.events.close(writeWithinMs)
  }

  /**
   * Ends live calls as system-ended, never as abandons: for a tool that placed them and is
   * stopping (simulate's Ctrl-C), so its callers do not give up later and count against the
   * queue's abandon rate. Unknown or ended ids are skipped; returns the ids ended.
   */
  async endCalls(ids: readonly string[], reason: string, by: string): Promise<string[]> {
    const sessions = ids.map((id) => this.core.sessions.get(id)).filter((s): s is NonNullable<typeof s> => !!s && !s.ended)
    if (sessions.length > 0) this.core.log.info('ending calls as system-ended', {calls: sessions.length, reason, by})
    await endCalls(this.core, sessions, reason)
    return sessions.map((s) => s.id)
  }

  snapshot(): EngineSnapshot {
    const at = this.core.clock.now()
    const agents = [...this.core.acd.agents.values()].sort((a, b) => a.id.localeCompare(b.id)).map((a) => this.core.acd.agentView(a))
    // A call in progress is in no event yet; today's talk and occupancy count it to now.
    const inCallMs = Object.fromEntries(agents.filter((a) => a.state === 'on-call').map((a) => [a.id, at - a.since]))
    return {
      at,
      queues: this.queueViews(),
      agents,
      stats: this.core.stats.view(at, inCallMs),
      supervisions: this.core.supervision.list(),
      overload: overloadView(this.core),
      chats: this.chat.view(),
      calls: [...this.core.sessions.values()].map((s) => this.callView(s, at)),
    }
  }

  /**
   * The snapshot as far as one agent's desk polls it: every queue, that agent alone, the
   * calls it is on or rung for, and only its own figures; what the API's narrowing for the
   * agent role (access-policy.ts ownSnapshot) keeps of snapshot(), built without the rest,
   * so a desk's poll costs the engine about the same in a center of 500 agents as of 5.
   * The narrowing still runs on it: it is the role rule, this is only cheaper input.
   */
  agentSnapshot(agent: string): EngineSnapshot {
    const at = this.core.clock.now()
    const a = this.core.acd.agents.get(agent)
    const me = a ? this.core.acd.agentView(a) : null
    const calls: CallView[] = []
    for (const s of this.core.sessions.values()) {
      if (s.agentId === agent || s.liveAttempts().some((r) => r.agentId === agent)) calls.push(this.callView(s, at))
    }
    return {
      at,
      queues: this.queueViews(),
      agents: me ? [me] : [],
      stats: this.core.stats.view(at, me?.state === 'on-call' ? {[agent]: at - me.since} : {}, agent),
      overload: overloadView(this.core),
      chats: this.agentChats(agent, at),
      calls,
    }
  }

  /**
   * The center's chat counts and this agent's own load. The center's view walks every
   * conversation and agent; 500 desks polling each second would walk them 500 times a
   * second, so agents' snapshots share one until an event (a chat's or an agent's) or
   * CHATS_SHARED_MS says it may have changed.
   */
  private agentChats(agent: string, at: number): ChatsView {
    if (!this.chatsShared || at - this.chatsShared.at >= CHATS_SHARED_MS || at < this.chatsShared.at) this.chatsShared = {at, view: this.chat.view()}
    const v = this.chatsShared.view
    const own = v.agents[agent]
    return {...v, agents: own ? {[agent]: own} : {}}
  }

  private queueViews(): QueueView[] {
    return [...this.core.acd.queues.keys()].sort().map((q) => this.core.acd.queueView(q)!)
  }

  private callView(s: CallSession, now = this.core.clock.now()): CallView {
    return {
      id: s.id,
      state: s.state,
      caller: {number: s.caller.number, name: s.caller.name},
      did: s.did,
      queue: s.queue,
      priority: s.priority,
      agent: s.agentId,
      startedAt: s.startedAt,
      joinedAt: s.joinedAt,
      enteredQueueAt: s.enteredQueueAt,
      connectedAt: s.connectedAt,
      ringing: s.liveAttempts().map((r) => r.agentId),
      callbackNumber: s.callbackNumber,
      keyTrail: s.keyTrail.map((k) => `${k.node}:${k.keys}`),
      contact: s.contact ? {name: s.contact.name, tier: s.contact.tier, vip: s.contact.vip} : null,
      // Hold lives in the session, not only in events: a desk opened later, calls and the dashboard see it.
      heldSince: s.heldSince,
      holdMs: s.holdMs + (s.heldSince === null ? 0 : Math.max(0, now - s.heldSince)),
      consulting: this.core.control.consulting(s.id),
    }
  }

  get liveCalls(): number {
    return this.core.sessions.size
  }

  /** Expected remaining wait for a waiting caller (see routing/wait-estimate.ts). */
  expectedWait(callId: string): number | null {
    return expectedWait(this.core, callId)
  }

  private async onStasisStart(e: StasisStartEvent): Promise<void> {
    const [kind = ''] = e.args
    if (await this.core.supervision.onStasisStart(kind, e.channel)) return
    if (await this.core.control.onStasisStart(kind, e.channel)) return
    if (kind === 'agent') return onAgentAnswered(this.core, e.channel)
    if (kind === 'customer') return onCustomerAnswered(this.core, e.channel)
    if (kind === 'external') return onExternalAnswered(this.core, e.channel)
    if (kind === 'inbound' || kind === undefined) return onInbound(this.core, e.channel, e.args[1] ?? e.channel.dialplan?.exten ?? '')
    this.core.log.warn('channel entered the app with unknown arguments; hanging it up', {channel: e.channel.id, args: e.args.join(',')})
    await this.core.hangup(e.channel.id)
  }

  private onStasisEnd(e: StasisEndEvent): void {
    channelLeft(this.core, e.channel.id)
  }

  private onChannelDestroyed(e: ChannelDestroyedEvent): void {
    channelLeft(this.core, e.channel.id, e)
  }

  private onDtmf(e: ChannelDtmfReceivedEvent): void {
    const ref = this.core.channels.get(e.channel.id)
    if (ref?.role !== 'caller') return
    if (ref.session.media) ref.session.media.onDtmf(e.digit)
    else if (ref.session.state === 'waiting') ref.session.wait?.onDtmf(e.digit)
    else if (ref.session.state === 'answering' && ref.session.earlyKeys.length < 32) ref.session.earlyKeys.push(e.digit)
  }

  private onPlaybackFinished(e: PlaybackEvent): void {
    const session = this.core.sessions.get(callIdOf(e.playback.id))
    if (!session) return
    if (this.core.leavingPrompts.has(e.playback.id)) afterLeavingPrompt(this.core, session, e.playback.id)
    else if (session.media) session.media.onPlaybackFinished(e.playback.id)
    else session.wait?.onPlaybackFinished(e.playback.id)
  }

  /**
   * Logout takes effect before the command returns: the agent is offered nothing more,
   * and every ring of theirs ends (those Asterisk is still creating are hung up as it
   * answers). The store's logout event, read later, then changes nothing.
   */
  async logoutNow(agentId: string): Promise<number> {
    if (!this.core.acd.agents.has(agentId)) return 0
    this.core.acd.setPresence(agentId, 'offline', null, this.core.clock.now())
    const canceled = cancelAgentRings(this.core, agentId, 'logged out')
    this.chat.agentLeft(agentId)
    this.leaveEmptyQueues()
    return canceled
  }

  /** The agent ends its wrap-up early. */
  agentReady(agentId: string): AgentView {
    const a = this.mustAgent(agentId)
    if (a.activity !== 'wrap-up') {
      throw new UserError(`Agent "${agentId}" is not in wrap-up (it is ${this.core.acd.agentState(a)})`, {suggestion: 'Only an agent in after-call work can be made ready.', exitCode: 1, code: 'not_in_wrapup'})
    }
    mustNotOweDisposition(this.core, agentId)
    endWrapUp(this.core, agentId, 'agent')
    return this.core.acd.agentView(a)
  }

  /** More after-call work: extends a running wrap-up, or starts one for an idle agent. */
  agentWrapUp(agentId: string, seconds: number): AgentView & {wrapUpEndsAt: number} {
    const a = this.mustAgent(agentId)
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
      throw new UserError(`Invalid wrap-up seconds ${seconds}`, {suggestion: 'Give 1 to 3600 seconds.', exitCode: 2})
    }
    const now = this.core.clock.now()
    if (a.activity === 'wrap-up') {
      const current = this.core.wrapUpTimers.get(agentId)
      const left = Math.max(0, (current?.endsAt ?? now) - now)
      const total = left / 1000 + seconds
      this.core.clock.clearTimeout(current?.timer)
      this.core.wrapUpTimers.set(agentId, {endsAt: now + total * 1000, timer: this.core.clock.setTimeout(() => endWrapUp(this.core, agentId, 'timer'), total * 1000)})
      this.core.events.append({type: 'agent.wrapup_extended', agent: agentId, data: {seconds}})
    } else if (a.activity === 'idle' && a.presence !== 'offline') {
      this.core.acd.startWrapUp(agentId, now)
      startWrapUpTimer(this.core, agentId, seconds, null)
    } else {
      throw new UserError(`Agent "${agentId}" is ${this.core.acd.agentState(a)}: wrap-up starts after a call`, {suggestion: 'Try again when the call has ended.', exitCode: 1, code: 'busy'})
    }
    return {...this.core.acd.agentView(a), wrapUpEndsAt: this.core.wrapUpTimers.get(agentId)!.endsAt}
  }

  private mustAgent(id: string) {
    const a = this.core.acd.agents.get(id)
    if (!a) throw new UserError(`Agent "${id}" does not exist`, {suggestion: 'See callctl agent list.', exitCode: 1, code: 'unknown_agent'})
    return a
  }

  private async syncAdminChanges(): Promise<void> {
    if (this.core.syncing || this.core.stopped) return
    this.core.syncing = true
    try {
      const changed: StoredEvent[] = []
      for await (const e of this.core.store.events({afterId: this.core.lastEventId})) {
        this.core.lastEventId = e.id
        if (e.origin !== this.core.origin && CONFIG_EVENTS.has(e.type)) changed.push(e)
      }
      for (const e of changed) await this.applyAdminEvent(e)
      for (const e of changed) this.tellAdminListeners(e)
      if (changed.length > 0) {
        scheduleDispatch(this.core)
        // Agents logging in, pausing or leaving a queue change who may take a chat too.
        for (const e of changed) if (e.type === 'agent.logout' && e.agent) this.chat.agentLeft(e.agent)
        this.chat.scheduleDispatch()
      }
      if (this.syncFailing) this.core.log.info('reading admin changes from the store again', {after: this.syncFailing})
      this.syncFailing = null
    } catch (err) {
      // Four times a second: said once per kind of failure, not for every attempt of an outage.
      const text = String(err)
      if (this.syncFailing !== text) this.core.log.warn('could not read admin changes from the store (retrying)', {error: text})
      this.syncFailing = text
    } finally {
      this.core.syncing = false
    }
  }

  /**
   * Admin changes made elsewhere (a CLI pause, another engine), once applied: for the API's
   * event subscriptions, so a desk or dashboard shows a pause typed in a terminal at once,
   * not at its next poll. They are in the store already, so they are not the event log's
   * own (whose listeners, live figures and the queue_log writer among them, count what this
   * engine does).
   */
  onAdminChange(fn: (e: NewEvent) => void): () => void {
    this.adminListeners.add(fn)
    return () => this.adminListeners.delete(fn)
  }

  private tellAdminListeners(e: StoredEvent): void {
    const event: NewEvent = {type: e.type, ts: e.ts, callId: e.callId, queue: e.queue, agent: e.agent, data: e.data, origin: e.origin}
    for (const l of this.adminListeners) {
      try {
        l(event)
      } catch (err) {
        this.core.log.error('admin change listener failed', {error: String(err)})
      }
    }
  }

  /** Applies an admin change made elsewhere (CLI, another engine). */
  async applyAdminEvent(e: Pick<StoredEvent, 'type' | 'queue' | 'agent' | 'data' | 'ts'>): Promise<void> {
    const now = this.core.clock.now()
    this.core.stats.apply(e as StoredEvent)
    if (e.type.startsWith('phone.')) {
      // The one phone that changed: pushing all of them per change was N×3 requests for each of N phones added.
      await this.applyPhones(typeof e.data.phone === 'string' ? e.data.phone : undefined)
      await this.presence.sync()
      return
    }
    if (e.type.startsWith('queue.') && e.queue) {
      const q = await this.core.store.getQueue(e.queue)
      if (q) this.core.acd.setQueue(q.name, q.settings, now)
      else {
        for (const w of this.core.acd.removeQueue(e.queue, now)) this.queueGone(w.callId)
        this.chat.queueGone(e.queue)
      }
      this.core.log.info(`queue ${e.queue} ${q ? 'updated' : 'removed'}`)
      return
    }
    if (!e.agent) return
    const a: AgentRecord | undefined = await this.core.store.getAgent(e.agent)
    if (!a) {
      this.core.acd.removeAgent(e.agent)
      // Its chats go back to their queues' lines, as at a logout.
      this.chat.agentLeft(e.agent)
      void this.presence.sync()
      return
    }
    const endpointBefore = this.core.acd.agents.get(a.id)?.endpoint
    this.core.acd.setAgent(a, now)
    if (endpointBefore !== a.endpoint) void this.presence.sync()
    if (e.type === 'agent.login' || e.type === 'agent.unpaused') this.core.acd.setPresence(a.id, 'available', null, e.ts)
    else if (e.type === 'agent.logout') {
      this.core.acd.setPresence(a.id, 'offline', null, e.ts)
      void cancelAgentRings(this.core, a.id, 'logged out')
    }
    else if (e.type === 'agent.paused') this.core.acd.setPresence(a.id, 'paused', String(e.data.reason ?? '') || null, e.ts)
    if (e.type === 'agent.logout' || e.type === 'agent.member_removed') this.leaveEmptyQueues()
    this.core.log.info(`agent ${a.id}: ${e.type.slice('agent.'.length)}`)
  }

  /** Queues with leaveWhenEmpty send their callers to overflow when no agent is logged in. */
  private leaveEmptyQueues(): void {
    for (const [name, settings] of this.core.acd.queues) {
      if (!settings.leaveWhenEmpty || this.core.acd.loggedIn(name) > 0) continue
      for (const s of [...this.core.sessions.values()]) if (s.queue === name && s.state === 'waiting') exitQueue(this.core, s, 'empty')
    }
  }

  private queueGone(callId: string): void {
    const s = this.core.sessions.get(callId)
    if (!s) return
    s.wait?.stop()
    s.wait = null
    for (const a of s.liveAttempts()) {
      finishAttempt(this.core, s, a, 'canceled', 'queue removed')
      void this.core.hangup(a.channelId)
    }
    void leaveWithPrompt(this.core, s, 'vm-nobodyavail', 'queue-removed')
  }
}
