import {hostname} from 'node:os'
import type {AriPort, Channel, ChannelDestroyedEvent, ChannelDtmfReceivedEvent, PlaybackEvent, RecordingEvent, StasisEndEvent, StasisStartEvent} from '../ari/port.js'
import {isNotFound} from '../ari/port.js'
import type {AgentRecord, QueueSettings} from '../model.js'
import {Acd, type AgentView, type QueueView} from '../routing/acd.js'
import {estimateWait, HandleTimes} from '../routing/wait-estimate.js'
import type {StoredEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import {systemClock, type Clock, type TimerHandle} from '../util/clock.js'
import {UserError} from '../util/errors.js'
import {newId} from '../util/ids.js'
import type {Logger} from '../util/log.js'
import type {Blacklist} from '../blacklist/blacklist.js'
import type {CallerContact, IvrOutcome} from '../ivr/interpreter.js'
import type {Flow} from '../ivr/flow.js'
import type {FlowRepository} from '../ivr/flow-store.js'
import {parseFlow} from '../ivr/parse-flow.js'
import {PromptBook} from '../prompts/prompt-store.js'
import {CallerMemory} from './caller-memory.js'
import {runIvr, runSurvey} from './ivr-runner.js'
import {CallControl, type EngineInternals} from './call-control.js'
import {LiveStats, type LiveStatsView} from '../reports/live-stats.js'
import {foldHistory, planRecovery, type CallHistory, type RecoveryStep} from './recovery.js'
import {Supervision} from './supervision.js'
import {callIdOf, CallSession, type RingAttempt} from './call-session.js'
import {EventLog} from './event-log.js'
import {normaliseNumber, QueueWait} from './queue-wait.js'

export interface EngineOptions {
  ari: AriPort
  store: Store
  log: Logger
  clock?: Clock
  /** Queue for calls whose dialled number matches no queue; null rejects them. */
  defaultQueue?: string | null
  /** How often admin changes written by other processes are picked up. */
  syncIntervalMs?: number
  /** Dial string for customers (callbacks, outbound); {number} is replaced. */
  dialString?: string
  /** Caller ID shown to customers we call. */
  outboundCallerId?: string
  /** Seconds a customer's phone rings on a callback before the attempt fails. */
  customerRingTimeout?: number
  /** The front door: blacklist, IVR flows and prompts, contact lookup. All optional. */
  frontDoor?: FrontDoor
  /** Records connected calls (see recordings/). */
  recorder?: CallRecorder
  random?: () => number
}

export interface ContactLookup {
  source: string
  contact: (CallerContact & {number?: string}) | null
  error?: string
}

export interface FrontDoor {
  blacklist?: Blacklist
  /** 'message' answers and plays a refusal; 'busy' does not answer and signals busy. */
  blacklistMode?: 'message' | 'busy'
  flows?: FlowRepository
  /** Current prompts (re-read when a flow is deployed). */
  prompts?: () => Promise<PromptBook>
  lookupContact?: (number: string) => Promise<ContactLookup>
  /** Queue priority given to VIP contacts. */
  vipPriority?: number
}

/** What the engine tells a call recorder. Implementations never throw into the engine. */
export interface CallRecorder {
  /** Caller and agent are bridged in `bridgeId` (the queue's `record` setting is on). */
  callConnected(c: {callId: string; bridgeId: string; queue: string | null; agent: string | null; number: string}): void
  callEnded(callId: string): void
  /** A RecordingFinished or RecordingFailed the engine did not start itself. */
  onRecordingEvent(e: RecordingEvent): void
}

export interface CallView {
  id: string
  state: string
  caller: {number: string; name: string}
  did: string
  queue: string | null
  priority: number
  agent: string | null
  startedAt: number
  joinedAt: number | null
  enteredQueueAt: number | null
  connectedAt: number | null
  ringing: string[]
  callbackNumber: string | null
  keyTrail: string[]
  contact: {name: string; tier: string; vip: boolean} | null
}

export interface EngineSnapshot {
  at: number
  queues: QueueView[]
  agents: AgentView[]
  calls: CallView[]
  /** Today's figures per queue and agent (metrics.ts definitions). */
  stats: LiveStatsView
}

// Extra seconds Asterisk's own originate timeout gets beyond ours: ours decides, its is a backstop.
const ORIGINATE_GRACE_S = 5
const CUSTOMER_RING_S = 30
const VOICEMAIL_MAX_S = 120
const CONFIG_EVENTS = new Set([
  'queue.added',
  'queue.updated',
  'queue.removed',
  'agent.added',
  'agent.updated',
  'agent.removed',
  'agent.member_added',
  'agent.member_removed',
  'agent.login',
  'agent.logout',
  'agent.paused',
  'agent.unpaused',
])

type ExitReason = 'timeout' | 'full' | 'empty'

/**
 * The headless call engine: takes calls from the Stasis app, queues them, rings agents,
 * bridges, tears down, and records every step in the event log.
 */
export class Engine {
  readonly acd: Acd
  readonly events: EventLog
  readonly origin = `engine:${hostname()}:${process.pid}`
  private readonly ari: AriPort
  private readonly store: Store
  private readonly log: Logger
  private readonly clock: Clock
  private readonly sessions = new Map<string, CallSession>()
  /** Channel id → the call it belongs to and its part in it. */
  private readonly channels = new Map<string, {session: CallSession; role: 'caller' | 'agent' | 'customer' | 'external' | 'consult'}>()
  readonly supervision: Supervision
  readonly control: CallControl
  private readonly stats: LiveStats
  private readonly wrapUpTimers = new Map<string, {timer: TimerHandle; endsAt: number}>()
  private readonly handleTimes = new Map<string, HandleTimes>()
  private readonly memory = new CallerMemory()
  /** Voicemail recordings in progress: recording name → call. */
  private readonly voicemails = new Map<string, CallSession>()
  private dispatchQueued = false
  private wakeTimer: {timer: TimerHandle; at: number} | null = null
  private syncTimer: ReturnType<typeof setInterval> | null = null
  private lastEventId = 0
  private syncing = false
  private stopped = false

  constructor(private readonly opts: EngineOptions) {
    this.ari = opts.ari
    this.store = opts.store
    this.log = opts.log
    this.clock = opts.clock ?? systemClock
    this.acd = new Acd({random: opts.random})
    this.events = new EventLog(this.store, this.clock, this.log, this.origin)
    this.stats = new LiveStats((q) => this.acd.queues.get(q))
    this.events.subscribe((e) => this.stats.apply(e))
    this.supervision = new Supervision({ari: this.ari, clock: this.clock, log: this.log, events: this.events, ringTimeoutS: 30})
    this.control = new CallControl(this.internals())
  }

  /** The engine's insides as call control sees them. */
  private internals(): EngineInternals {
    return {
      ari: this.ari,
      clock: this.clock,
      log: this.log,
      events: this.events,
      acd: this.acd,
      supervision: this.supervision,
      sessions: this.sessions,
      track: (id, session, role) => void this.channels.set(id, {session, role}),
      untrack: (id) => void this.channels.delete(id),
      hangup: (id, reason) => this.hangup(id, reason),
      destroyBridge: (s) => this.destroyBridge(s),
      endSession: (s, cause) => this.endSession(s, cause),
      agentPartDone: (s, by) => this.agentPartDone(s, by),
      enqueue: (s, q, o) => this.enqueue(s, q, o),
      scheduleDispatch: () => this.scheduleDispatch(),
      startRecording: (s) => this.startRecording(s),
      dialString: (n) => dialString(this.opts.dialString ?? 'Local/{number}@callctl-sim-callee', n),
      outboundCallerId: this.opts.outboundCallerId ?? '',
      ringTimeoutS: 30,
    }
  }

  // ---- lifecycle -----------------------------------------------------------

  async start(): Promise<void> {
    this.lastEventId = await this.store.lastEventId()
    const now = this.clock.now()
    for (const q of await this.store.listQueues()) this.acd.setQueue(q.name, q.settings, now)
    for (const a of await this.store.listAgents()) this.acd.setAgent(a, now)
    for (const p of await this.store.listPresence()) if (this.acd.agents.has(p.agent)) this.acd.setPresence(p.agent, p.status, p.reason, p.since)
    await this.seedFromLog(now)
    await this.stats.seed(this.store, now)

    this.ari.on('StasisStart', (e) => void this.onStasisStart(e).catch((err) => this.bug('StasisStart', err)))
    this.ari.on('StasisEnd', (e) => this.onStasisEnd(e))
    this.ari.on('ChannelDestroyed', (e) => this.onChannelDestroyed(e))
    this.ari.on('ChannelDtmfReceived', (e) => this.onDtmf(e))
    this.ari.on('PlaybackFinished', (e) => this.onPlaybackFinished(e))
    this.ari.on('RecordingFinished', (e) => this.onRecordingDone(e))
    this.ari.on('RecordingFailed', (e) => this.onRecordingDone(e))

    this.ari.onConnection((c) => {
      if (c.state === 'connected' && !this.stopped) void this.onAriReconnected().catch((err) => this.bug('reconnect', err))
    })

    this.syncTimer = setInterval(() => void this.syncAdminChanges(), this.opts.syncIntervalMs ?? 250)
    this.syncTimer.unref?.()
    const info = await this.ari.asteriskInfo().catch(() => undefined)
    this.asteriskStartedAt = info?.status?.startup_time ?? null
    const recovered = await this.recover()
    this.events.append({
      type: 'engine.started',
      data: {app: this.ari.app, queues: this.acd.queues.size, agents: this.acd.agents.size, asteriskStartedAt: this.asteriskStartedAt, recovered},
    })
    this.scheduleDispatch()
  }

  // ---- recovery after a restart ------------------------------------------------

  private asteriskStartedAt: string | null = null

  /**
   * Re-adopts the calls Asterisk still has (a channel stays in its Stasis app when the
   * engine dies) using the log for their history: waiting callers keep their place,
   * bridged calls keep talking. Calls that ended meanwhile are closed in the log.
   */
  private async recover(): Promise<Record<string, number>> {
    const now = this.clock.now()
    const histories: CallHistory[] = []
    for (const id of await this.store.openCallIds(now - 2 * 86_400_000)) {
      if (this.sessions.has(id)) continue
      const events = []
      for await (const e of this.store.events({callId: id})) events.push(e)
      const h = foldHistory(events)
      if (h) histories.push(h)
    }
    const [channels, bridges, app] = await Promise.all([this.ari.listChannels(), this.ari.listBridges(), this.ari.applicationInfo(this.ari.app).catch(() => ({channel_ids: [] as string[]}))])
    const known = new Set([...this.channels.keys()])
    const steps = planRecovery(histories, channels.filter((c) => !known.has(c.id)), bridges, new Set(app.channel_ids))
    const counts: Record<string, number> = {}
    for (const step of steps) {
      counts[step.kind] = (counts[step.kind] ?? 0) + 1
      await this.applyRecovery(step, now).catch((err: unknown) => this.bug(`recovery (${step.kind})`, err))
    }
    await this.recoverWrapUps(now)
    if (steps.length > 0) this.log.info('recovered calls after a restart', counts)
    return counts
  }

  private sessionFrom(h: CallHistory, channelId: string): CallSession {
    const s = new CallSession(h.callId, channelId, {number: h.number, name: h.name}, h.did, h.startedAt)
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
    if (s.direction === 'outbound') s.outboundNumber = h.number
    for (const k of h.keyTrail) s.keyTrail.push({node: k.node, keys: k.keys, result: k.result as 'choice', at: k.at})
    this.sessions.set(s.id, s)
    return s
  }

  private async applyRecovery(step: RecoveryStep, now: number): Promise<void> {
    const readopted = (callId: string, phase: string, extra: Record<string, unknown> = {}) =>
      this.events.append({type: 'call.readopted', callId, data: {phase, ...extra}})
    switch (step.kind) {
      case 'connected': {
        const h = step.history
        const s = this.sessionFrom(h, step.customer.id)
        s.state = 'connected'
        s.customerChannelId = step.customer.id
        s.agentId = h.agent
        s.agentChannelId = step.agentChannel.id
        s.bridgeId = step.bridge.id
        s.connectedAt = h.connectedAt
        this.channels.set(step.customer.id, {session: s, role: h.direction === 'outbound' || h.callbackNumber ? 'customer' : 'caller'})
        this.channels.set(step.agentChannel.id, {session: s, role: 'agent'})
        if (h.agent) this.acd.occupy(h.agent, s.id, 'on-call', now, h.queue)
        readopted(s.id, 'connected', {agent: h.agent})
        return
      }
      case 'waiting': {
        const h = step.history
        const s = this.sessionFrom(h, step.caller.id)
        this.channels.set(step.caller.id, {session: s, role: 'caller'})
        for (const ring of step.orphanRings) await this.hangup(ring.id)
        for (const id of h.openRings) this.events.append({type: 'agent.ring_canceled', callId: s.id, queue: h.queue, data: {reason: 'engine-restart', channel: id}})
        if (!h.queue || !this.acd.queues.has(h.queue)) return void this.leaveWithPrompt(s, 'vm-nobodyavail', 'queue-removed')
        readopted(s.id, 'waiting', {queue: h.queue, joinedAt: h.joinedAt})
        this.enqueue(s, h.queue, {joinedAt: h.joinedAt ?? h.startedAt, readopt: true})
        return
      }
      case 'callback': {
        const h = step.history
        for (const c of step.stale) await this.hangup(c.id)
        const s = this.sessionFrom(h, `${h.callId}.gone`)
        s.callerLegGone = true
        s.customerChannelId = null
        s.state = 'callback-pending'
        if (!h.queue || !this.acd.queues.has(h.queue)) return this.endSession(s, 'queue-removed')
        this.acd.enqueue({callId: s.id, queue: h.queue, number: h.callbackNumber ?? h.number, priority: h.priority, joinedAt: h.joinedAt ?? h.startedAt, kind: 'callback'}, now)
        readopted(s.id, 'callback', {queue: h.queue})
        return
      }
      case 'restart-ivr': {
        const s = this.sessionFrom(step.history, step.caller.id)
        this.channels.set(step.caller.id, {session: s, role: 'caller'})
        readopted(s.id, 'ivr-restarted')
        return this.admit(s, {answered: true, screened: true})
      }
      case 'half': {
        const h = step.history
        const s = this.sessionFrom(h, step.survivor.id)
        this.events.append({type: 'call.completed', callId: s.id, queue: h.queue, agent: h.agent, data: {by: step.gone === 'agent' ? 'agent' : 'caller', talkMs: now - (h.connectedAt ?? now), estimated: true, number: h.number}})
        await this.hangup(step.survivor.id)
        return this.endSession(s, 'completed-while-engine-down')
      }
      case 'lost': {
        const h = step.history
        const s = this.sessionFrom(h, `${h.callId}.gone`)
        if (h.phase === 'waiting') this.events.append({type: 'queue.abandoned', callId: s.id, queue: h.queue, data: {waitMs: now - (h.enteredQueueAt ?? now), estimated: true, number: h.number}})
        if (h.phase === 'connected') this.events.append({type: 'call.completed', callId: s.id, queue: h.queue, agent: h.agent, data: {by: 'unknown', talkMs: now - (h.connectedAt ?? now), estimated: true, number: h.number}})
        return this.endSession(s, 'ended-while-engine-down')
      }
      case 'new-inbound': {
        const did = await this.ari.getChannelVar(step.channel.id, 'CALLCTL_DID').catch(() => step.channel.dialplan?.exten ?? '')
        return this.onInbound(step.channel, did)
      }
      case 'stale':
        return this.hangup(step.channel.id)
    }
  }

  /** Agents in wrap-up when the engine stopped finish it on time. */
  private async recoverWrapUps(now: number): Promise<void> {
    const open = new Map<string, {ts: number; seconds: number; queue: string | null}>()
    for await (const e of this.store.events({since: now - 3_600_000, types: ['agent.wrapup_started', 'agent.wrapup_ended', 'agent.wrapup_extended']})) {
      if (!e.agent) continue
      if (e.type === 'agent.wrapup_started') open.set(e.agent, {ts: e.ts, seconds: Number(e.data.seconds ?? 0), queue: e.queue})
      else if (e.type === 'agent.wrapup_extended') {
        const w = open.get(e.agent)
        if (w) w.seconds += Number(e.data.seconds ?? 0)
      } else open.delete(e.agent)
    }
    for (const [agent, w] of open) {
      const left = w.ts + w.seconds * 1000 - now
      if (left <= 0 || !this.acd.startWrapUp(agent, now)) {
        this.events.append({type: 'agent.wrapup_ended', agent, data: {how: 'timer', late: true}})
        continue
      }
      this.wrapUpTimers.set(agent, {endsAt: now + left, timer: this.clock.setTimeout(() => this.endWrapUp(agent, 'timer'), left)})
    }
  }

  /**
   * The event socket came back. If Asterisk restarted meanwhile (its startup time
   * changed) every call it had is gone: close them in the log and carry on with new
   * calls. Otherwise calls may have ended or arrived while we were away: reconcile.
   */
  private async onAriReconnected(): Promise<void> {
    const info = await this.ari.asteriskInfo()
    const started = info.status?.startup_time ?? null
    if (started !== null && this.asteriskStartedAt !== null && started !== this.asteriskStartedAt) {
      this.asteriskStartedAt = started
      this.asteriskRestarted()
      return
    }
    this.asteriskStartedAt = started ?? this.asteriskStartedAt
    const alive = new Set((await this.ari.listChannels()).map((c) => c.id))
    for (const [id, ref] of [...this.channels]) {
      if (alive.has(id)) continue
      this.channels.delete(id)
      this.onStasisEnd({type: 'StasisEnd', application: this.ari.app, timestamp: '', channel: {id} as Channel})
      void ref
    }
    await this.recover()
    this.scheduleDispatch()
  }

  private asteriskRestarted(): void {
    const now = this.clock.now()
    this.log.warn('Asterisk restarted: its calls are gone; closing them in the log', {calls: this.sessions.size})
    for (const s of [...this.sessions.values()]) {
      s.wait?.stop()
      s.media?.hangup()
      s.wait = null
      for (const a of s.attempts.values()) this.clock.clearTimeout(a.timer)
      if (s.state === 'connected' && s.agentId) {
        this.events.append({type: 'call.completed', callId: s.id, queue: s.queue, agent: s.agentId, data: {by: 'system', talkMs: now - (s.connectedAt ?? now), number: s.caller.number}})
      }
      if (s.state === 'callback-pending') continue // owed to the customer, not tied to a channel
      this.endSession(s, 'asterisk-restarted')
    }
    this.channels.clear()
    this.acd.resetActivity(now)
    this.events.append({type: 'engine.asterisk_restarted', data: {at: this.asteriskStartedAt}})
    this.scheduleDispatch()
  }

  /** Today's counters, recent handle times and caller memories come back from the log. */
  private async seedFromLog(now: number): Promise<void> {
    let window = 0
    for (const q of this.acd.queues.values()) window = Math.max(window, q.lastAgentWindow, q.resumeWindow)
    const midnight = now - (now % 86_400_000)
    const since = Math.min(midnight, now - window * 1000, now - 86_400_000)
    const ringOf = new Map<string, number>()
    for await (const e of this.store.events({since, types: ['call.connected', 'call.completed', 'queue.abandoned']})) {
      if (e.type === 'call.connected' && e.callId) ringOf.set(e.callId, Number(e.data.ringMs ?? 0))
      if (e.type === 'call.completed' && e.agent) {
        const a = this.acd.agents.get(e.agent)
        const talkMs = Number(e.data.talkMs ?? 0)
        if (a && e.ts >= midnight) this.acd.countCall(a, talkMs, e.ts)
        if (e.queue) this.handleTimesOf(e.queue).add(talkMs, (e.callId && ringOf.get(e.callId)) || 0)
        if (e.callId) ringOf.delete(e.callId)
        if (typeof e.data.number === 'string') this.memory.servedBy(e.data.number, e.agent, e.ts)
      }
      if (e.type === 'queue.abandoned' && e.queue && typeof e.data.number === 'string') {
        this.memory.abandoned(e.data.number, e.queue, Number(e.data.joinedAt ?? e.ts), Number(e.data.priority ?? 0), e.ts)
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.syncTimer) clearInterval(this.syncTimer)
    if (this.wakeTimer) this.clock.clearTimeout(this.wakeTimer.timer)
    for (const t of this.wrapUpTimers.values()) this.clock.clearTimeout(t.timer)
    for (const s of this.sessions.values()) {
      s.wait?.stop()
      for (const a of s.attempts.values()) this.clock.clearTimeout(a.timer)
    }
    this.events.append({type: 'engine.stopped', data: {liveCalls: this.sessions.size}})
    await this.events.close()
  }

  // ---- views ---------------------------------------------------------------

  snapshot(): EngineSnapshot {
    return {
      at: this.clock.now(),
      queues: [...this.acd.queues.keys()].sort().map((q) => this.acd.queueView(q)!),
      agents: [...this.acd.agents.values()].sort((a, b) => a.id.localeCompare(b.id)).map((a) => this.acd.agentView(a)),
      stats: this.stats.view(this.clock.now()),
      calls: [...this.sessions.values()].map((s) => ({
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
        ringing: s.liveAttempts().map((a) => a.agentId),
        callbackNumber: s.callbackNumber,
        keyTrail: s.keyTrail.map((k) => `${k.node}:${k.keys}`),
        contact: s.contact ? {name: s.contact.name, tier: s.contact.tier, vip: s.contact.vip} : null,
      })),
    }
  }

  get liveCalls(): number {
    return this.sessions.size
  }

  /** Expected remaining wait for a waiting caller (see routing/wait-estimate.ts). */
  expectedWait(callId: string): number | null {
    const s = this.sessions.get(callId)
    if (!s?.queue) return null
    const settings = this.acd.queues.get(s.queue)
    if (!settings) return null
    const ht = this.handleTimesOf(s.queue)
    const now = this.clock.now()
    return estimateWait({
      position: this.acd.position(callId),
      agents: this.acd.serving(s.queue).map((a) => ({state: a.activity, elapsedMs: now - a.activitySince})),
      talkMs: ht.averageTalkMs(settings.defaultHandleTime * 1000),
      wrapUpMs: settings.wrapUp * 1000,
      ringMs: ht.averageRingMs(),
    })
  }

  private handleTimesOf(queue: string): HandleTimes {
    let ht = this.handleTimes.get(queue)
    if (!ht) this.handleTimes.set(queue, (ht = new HandleTimes()))
    return ht
  }

  // ---- ARI events ----------------------------------------------------------

  private async onStasisStart(e: StasisStartEvent): Promise<void> {
    const [kind = ''] = e.args
    if (await this.supervision.onStasisStart(kind, e.channel)) return
    if (await this.control.onStasisStart(kind, e.channel)) return
    if (kind === 'agent') return this.onAgentAnswered(e.channel)
    if (kind === 'customer') return this.onCustomerAnswered(e.channel)
    if (kind === 'external') return this.onExternalAnswered(e.channel)
    if (kind === 'inbound' || kind === undefined) return this.onInbound(e.channel, e.args[1] ?? e.channel.dialplan?.exten ?? '')
    this.log.warn('channel entered the app with unknown arguments; hanging it up', {channel: e.channel.id, args: e.args.join(',')})
    await this.hangup(e.channel.id)
  }

  private onStasisEnd(e: StasisEndEvent): void {
    if (this.supervision.onChannelGone(e.channel.id)) return
    const ref = this.channels.get(e.channel.id)
    if (!ref) return
    // Asterisk stops sending a channel's events once it leaves the app.
    this.channels.delete(e.channel.id)
    if (ref.role === 'caller') this.callerLegGone(ref.session)
    else if (ref.role === 'customer') this.customerLegGone(ref.session, e.channel.id, 'hangup')
    else if (ref.role === 'external') this.externalLegGone(ref.session, e.channel.id)
    else if (!this.control.legGone(ref.session, e.channel.id, ref.role)) this.agentLegGone(ref.session, e.channel.id)
  }

  private onChannelDestroyed(e: ChannelDestroyedEvent): void {
    if (this.supervision.onChannelGone(e.channel.id)) return
    const ref = this.channels.get(e.channel.id)
    if (!ref) return
    this.channels.delete(e.channel.id)
    const {session} = ref
    if (ref.role === 'caller') return this.callerLegGone(session)
    if (ref.role === 'customer') return this.customerLegGone(session, e.channel.id, e.cause === 19 ? 'no-answer' : e.cause_txt || `cause ${e.cause}`)
    if (ref.role === 'external') return this.externalLegGone(session, e.channel.id)
    if (this.control.legGone(session, e.channel.id, ref.role)) return
    const attempt = session.attempts.get(e.channel.id)
    if (attempt && attempt.outcome === null) {
      // Destroyed before it answered: 19 is "no answer"; busy (17), rejected (21),
      // unroutable and the like mean the phone could not ring at all.
      const outcome = e.cause === 19 ? 'no-answer' : 'failed'
      this.finishAttempt(session, attempt, outcome, e.cause_txt || `cause ${e.cause}`)
    }
    this.agentLegGone(session, e.channel.id)
  }

  private onDtmf(e: ChannelDtmfReceivedEvent): void {
    const ref = this.channels.get(e.channel.id)
    if (ref?.role !== 'caller') return
    if (ref.session.media) ref.session.media.onDtmf(e.digit)
    else if (ref.session.state === 'waiting') ref.session.wait?.onDtmf(e.digit)
    else if (ref.session.state === 'answering' && ref.session.earlyKeys.length < 32) ref.session.earlyKeys.push(e.digit)
  }

  private onPlaybackFinished(e: PlaybackEvent): void {
    const session = this.sessions.get(callIdOf(e.playback.id))
    if (!session) return
    if (this.leavingPrompts.has(e.playback.id)) this.afterLeavingPrompt(session, e.playback.id)
    else if (session.media) session.media.onPlaybackFinished(e.playback.id)
    else session.wait?.onPlaybackFinished(e.playback.id)
  }

  // ---- inbound calls -------------------------------------------------------

  private async onInbound(channel: Channel, did: string): Promise<void> {
    const now = this.clock.now()
    const caller = {number: cap(channel.caller?.number ?? ''), name: cap(channel.caller?.name ?? '')}
    const session = new CallSession(newId('call'), channel.id, caller, cap(did), now)
    session.priority = clampPriority(channel.channelvars?.CALLCTL_PRIORITY)
    this.sessions.set(session.id, session)
    this.channels.set(channel.id, {session, role: 'caller'})
    this.events.append({
      type: 'call.started',
      callId: session.id,
      data: {direction: 'inbound', number: caller.number, name: caller.name, did: session.did, channel: channel.id, priority: session.priority},
    })
    await this.admit(session, {answered: false, screened: false})
  }

  /** The front door: blacklist, answer, screen pop, then the IVR or straight to a queue. */
  private async admit(session: CallSession, o: {answered: boolean; screened: boolean}): Promise<void> {
    const door = this.opts.frontDoor
    const channelId = session.channelId
    try {
      await this.ari.setChannelVar(channelId, 'CALLCTL_CALL', session.id)
      if (!o.screened) {
        const listed = await door?.blacklist?.match(session.caller.number, this.clock.now())
        if (listed) return await this.refuseListed(session, listed.reason)
      }
      if (!o.answered) await this.ari.answer(channelId)
      if (session.ended) return
      if (!o.screened) await this.findContact(session)
      if (session.ended) return
      const flow = await this.flowFor(session.did)
      if (flow) {
        session.prompts = flow.prompts
        const outcome = await runIvr(session, flow.flow, flow.version, {
          ari: this.ari,
          clock: this.clock,
          events: this.events,
          prompts: flow.prompts,
          lookupContact: async (s) => (await this.findContact(s)) ?? null,
        })
        if (!outcome || session.ended) return
        return this.afterIvr(session, outcome)
      }
      const queue = this.queueForDid(session.did)
      if (!queue) {
        this.events.append({type: 'call.rejected', callId: session.id, data: {reason: 'no-queue', did: session.did}})
        await this.leaveWithPrompt(session, 'ss-noservice', 'rejected')
        return
      }
      this.enqueue(session, queue, {})
    } catch (err) {
      if (isNotFound(err) || session.ended) return // the caller hung up while we set up: callerLegGone handles it
      throw err
    }
  }

  private async refuseListed(session: CallSession, reason: string): Promise<void> {
    this.events.append({type: 'call.rejected', callId: session.id, data: {reason: 'blacklisted', detail: reason, number: session.caller.number}})
    if (this.opts.frontDoor?.blacklistMode === 'busy') {
      session.state = 'leaving'
      await this.hangup(session.channelId, 'busy')
      this.endSession(session, 'blacklisted')
      return
    }
    await this.ari.answer(session.channelId)
    await this.leaveWithPrompt(session, 'ss-noservice', 'blacklisted')
  }

  /** Screen pop: the caller's contact (CRM or local) goes with the call; a VIP moves up the line. */
  private async findContact(session: CallSession): Promise<CallerContact | null> {
    const lookup = this.opts.frontDoor?.lookupContact
    if (!lookup || !session.caller.number) return null
    const r = await lookup(session.caller.number).catch((err: unknown) => ({source: 'none', contact: null, error: String(err)}) as ContactLookup)
    if (!r.contact) {
      if (r.error) this.events.append({type: 'call.contact', callId: session.id, data: {source: r.source, found: false, error: r.error}})
      return null
    }
    const c = r.contact
    session.contact = {source: r.source, name: c.name, tier: c.tier, vip: c.vip, notes: c.notes, language: c.language, company: c.company}
    if (c.vip) session.priority = Math.max(session.priority, this.opts.frontDoor?.vipPriority ?? 10)
    this.events.append({
      type: 'call.contact',
      callId: session.id,
      data: {source: r.source, found: true, name: c.name, tier: c.tier, vip: c.vip, notes: c.notes, ...(r.error ? {error: r.error} : {})},
    })
    return c
  }

  private readonly flowCache = new Map<string, {version: number; flow: Flow}>()

  /** The flow live for this number (or the default flow), parsed once per deployed version. */
  private async flowFor(did: string): Promise<{flow: Flow; version: number; prompts: PromptBook} | null> {
    const door = this.opts.frontDoor
    if (!door?.flows) return null
    const deployed = (await door.flows.live(did)) ?? (await door.flows.live('*'))
    if (!deployed) return null
    let cached = this.flowCache.get(deployed.did)
    const prompts = (await door.prompts?.()) ?? new PromptBook([], null)
    if (!cached || cached.version !== deployed.id) {
      // Validated at deploy; parse without the prompt check so a removed prompt cannot stop calls.
      cached = {version: deployed.id, flow: parseFlow(deployed.source, `flow ${deployed.name}`)}
      this.flowCache.set(deployed.did, cached)
    }
    return {...cached, prompts}
  }

  private afterIvr(session: CallSession, o: IvrOutcome): void {
    switch (o.action) {
      case 'queue':
        session.priority = Math.max(session.priority, o.priority)
        session.requiredSkills = o.skills
        session.tags = o.tags
        if (!this.acd.queues.has(o.queue)) {
          this.log.warn(`IVR sent a call to queue "${o.queue}", which does not exist`, {call: session.id})
          this.events.append({type: 'call.rejected', callId: session.id, data: {reason: 'no-queue', queue: o.queue}})
          void this.leaveWithPrompt(session, 'ss-noservice', 'rejected')
          return
        }
        this.enqueue(session, o.queue, {})
        return
      case 'voicemail':
        void this.voicemail(session, o.prompt, 'ivr')
        return
      case 'transfer':
        void this.transferToNumber(session, o.number)
        return
      case 'hangup':
        if (o.prompt.length === 0) {
          session.state = 'leaving'
          void this.hangup(session.channelId)
          this.endSession(session, 'ivr-hangup')
        } else void this.leaveWithPrompt(session, o.prompt, 'ivr-hangup')
    }
  }

  /** Sends the caller to an external number through the trunk and bridges them. */
  private async transferToNumber(session: CallSession, number: string): Promise<void> {
    session.state = 'transferring'
    const channelId = `${session.id}.x${session.callbackAttempts + 1}`
    this.channels.set(channelId, {session, role: 'external'})
    session.externalChannelId = channelId
    this.events.append({type: 'call.transferred', callId: session.id, data: {to: number, kind: 'blind'}})
    try {
      await this.ari.startMoh(session.channelId).catch(() => undefined)
      await this.ari.originate({
        endpoint: dialString(this.opts.dialString ?? 'Local/{number}@callctl-sim-callee', number),
        app: this.ari.app,
        appArgs: `external,${session.id}`,
        callerId: callerIdString(session.caller),
        timeout: this.opts.customerRingTimeout ?? CUSTOMER_RING_S,
        channelId,
      })
    } catch {
      this.channels.delete(channelId)
      void this.leaveWithPrompt(session, 'cannot-complete-as-dialed', 'transfer-failed')
    }
  }

  private async onExternalAnswered(channel: Channel): Promise<void> {
    const session = this.channels.get(channel.id)?.session
    if (!session || session.state !== 'transferring' || session.externalChannelId !== channel.id) return void this.hangup(channel.id)
    session.bridgeId = `${session.id}.b`
    session.connectedAt = this.clock.now()
    try {
      await this.ari.createBridge('mixing', session.bridgeId, session.id)
      await this.ari.stopMoh(session.channelId).catch(() => undefined)
      await this.ari.addToBridge(session.bridgeId, [session.channelId, channel.id])
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
  }

  /** Either side of an external transfer left: the other goes too. */
  private externalLegGone(session: CallSession, channelId: string): void {
    if (session.externalChannelId !== channelId || session.ended) return
    if (!session.connectedAt) return void this.leaveWithPrompt(session, 'number-not-answering', 'transfer-no-answer')
    void this.hangup(session.channelId)
    void this.destroyBridge(session)
    this.endSession(session, 'transferred')
  }

  private queueForDid(did: string): string | undefined {
    if (this.acd.queues.has(did)) return did
    for (const [name, settings] of this.acd.queues) if (settings.dids.includes(did)) return name
    const fallback = this.opts.defaultQueue
    return fallback && this.acd.queues.has(fallback) ? fallback : undefined
  }

  /**
   * Puts the caller in line, honouring the queue's limits. Returns false when the queue
   * turned it away (and the overflow action took over).
   */
  private enqueue(session: CallSession, queue: string, o: {joinedAt?: number; overflowFrom?: string; transferFrom?: string; musicOn?: boolean; readopt?: boolean}): boolean {
    const now = this.clock.now()
    const settings = this.acd.queues.get(queue)!
    session.queue = queue
    if (o.readopt) {
      // Back in line after a restart: already counted, already past the queue's limits.
      session.state = 'waiting'
      session.joinedAt = o.joinedAt ?? now
      session.enteredQueueAt ??= now
      this.acd.enqueue({callId: session.id, queue, number: session.caller.number, priority: session.priority, joinedAt: session.joinedAt, requiredSkills: session.requiredSkills}, now)
      const wait = new QueueWait(session, settings, this.waitHooks(), false)
      session.wait = wait
      wait.start()
      this.scheduleDispatch()
      return true
    }
    if (settings.maxCallers > 0 && this.acd.waitingIn(queue) >= settings.maxCallers) return this.refuse(session, queue, 'full')
    if (!settings.joinEmpty && this.acd.loggedIn(queue) === 0) return this.refuse(session, queue, 'empty')
    let joinedAt = o.joinedAt ?? now
    let resumed = false
    if (o.joinedAt === undefined && settings.resumeWindow > 0) {
      const place = this.memory.takePlace(session.caller.number, queue, now, settings.resumeWindow * 1000)
      if (place) {
        joinedAt = place.joinedAt
        session.priority = Math.max(session.priority, place.priority)
        resumed = true
      }
    }
    const lastAgent = settings.lastAgentWindow > 0 ? this.memory.lastAgentOf(session.caller.number, now, settings.lastAgentWindow * 1000) : null
    session.state = 'waiting'
    session.joinedAt = joinedAt
    session.enteredQueueAt = now
    this.acd.enqueue({callId: session.id, queue, number: session.caller.number, priority: session.priority, joinedAt, requiredSkills: session.requiredSkills, preferredAgent: lastAgent}, now)
    this.events.append({
      type: 'queue.entered',
      callId: session.id,
      queue,
      data: {
        position: this.acd.position(session.id),
        priority: session.priority,
        ...(session.requiredSkills ? {requiredSkills: session.requiredSkills} : {}),
        ...(resumed ? {resumed: true, joinedAt} : {}),
        ...(o.overflowFrom ? {overflowFrom: o.overflowFrom, joinedAt} : {}),
        ...(o.transferFrom ? {transferFrom: o.transferFrom} : {}),
        ...(lastAgent ? {lastAgent} : {}),
      },
    })
    void this.ari.setChannelVar(session.channelId, 'CALLCTL_QUEUE', queue).catch(() => undefined)
    const wait = new QueueWait(session, settings, this.waitHooks(), o.musicOn ?? false)
    session.wait = wait
    wait.start()
    this.scheduleDispatch()
    return true
  }

  private waitHooks() {
    return {
      ari: this.ari,
      clock: this.clock,
      log: this.log,
      events: this.events,
      position: (id: string) => this.acd.position(id),
      expectedWait: (id: string) => this.expectedWait(id),
      maxWaitReached: (s: CallSession) => this.exitQueue(s, 'timeout'),
      callbackConfirmed: (s: CallSession, number: string) => this.callbackConfirmed(s, number),
    }
  }

  // ---- leaving a queue without an agent --------------------------------------

  private refuse(session: CallSession, queue: string, reason: ExitReason): false {
    this.events.append({type: 'queue.exited', callId: session.id, queue, data: {reason, position: 0, waitMs: 0, action: this.acd.queues.get(queue)!.overflow.action}})
    this.overflow(session, queue, reason)
    return false
  }

  /** The caller leaves the line for `reason`; the queue's overflow action decides what next. */
  exitQueue(session: CallSession, reason: ExitReason): void {
    if (session.state !== 'waiting' || !session.queue) return
    const queue = session.queue
    const settings = this.acd.queues.get(queue)
    const now = this.clock.now()
    const position = this.acd.position(session.id)
    session.wait?.stop()
    session.wait = null
    if (settings?.overflow.action !== 'callback') this.leaveLine(session, 'exited')
    this.events.append({
      type: 'queue.exited',
      callId: session.id,
      queue,
      data: {reason, position, waitMs: now - (session.enteredQueueAt ?? now), action: settings?.overflow.action ?? 'hangup', to: settings?.overflow.queue ?? null},
    })
    this.overflow(session, queue, reason)
  }

  private overflow(session: CallSession, from: string, reason: ExitReason): void {
    const o = this.acd.queues.get(from)?.overflow ?? {action: 'hangup' as const}
    switch (o.action) {
      case 'queue': {
        // Queues overflowing into each other must not bounce a caller forever.
        session.overflowHops++
        if (o.queue && o.queue !== from && this.acd.queues.has(o.queue) && !session.callerLegGone && session.overflowHops <= 3) {
          this.enqueue(session, o.queue, {joinedAt: session.joinedAt ?? this.clock.now(), overflowFrom: from, musicOn: true})
          return
        }
        void this.leaveWithPrompt(session, 'vm-nobodyavail', `exit-${reason}`)
        return
      }
      case 'message':
        void this.leaveWithPrompt(session, o.prompt ?? 'vm-nobodyavail', `exit-${reason}`)
        return
      case 'voicemail':
        void this.voicemail(session, o.prompt ?? 'vm-intro', reason)
        return
      case 'callback': {
        const number = normaliseNumber(session.caller.number)
        if (number && this.acd.waiting.has(session.id)) {
          this.callbackConfirmed(session, number, reason)
          void this.leaveWithPrompt(session, 'auth-thankyou', null)
          return
        }
        if (number) {
          // Refused at the door (full, empty): keep a place in line as a callback.
          session.state = 'waiting'
          session.joinedAt = session.joinedAt ?? this.clock.now()
          session.enteredQueueAt = this.clock.now()
          this.acd.enqueue({callId: session.id, queue: from, number, priority: session.priority, joinedAt: session.joinedAt, kind: 'callback'}, this.clock.now())
          this.callbackConfirmed(session, number, reason)
          void this.leaveWithPrompt(session, 'auth-thankyou', null)
          return
        }
        void this.leaveWithPrompt(session, 'vm-nobodyavail', `exit-${reason}`)
        return
      }
      case 'hangup':
      default:
        session.state = 'leaving'
        void this.hangup(session.channelId)
        this.endSession(session, `exit-${reason}`)
    }
  }

  /** Plays a prompt, then hangs up; the call ends with `cause` (null: it continues as a callback). */
  private async leaveWithPrompt(session: CallSession, prompt: string | string[], cause: string | null): Promise<void> {
    if (cause !== null) session.state = 'leaving'
    const playback = session.nextPlaybackId()
    this.leavingPrompts.set(playback, cause)
    const media = (Array.isArray(prompt) ? prompt : [prompt]).map((p) => (p.startsWith('sound:') ? p : `sound:${p}`))
    try {
      await this.ari.stopMoh(session.channelId).catch(() => undefined)
      await this.ari.playOnChannel(session.channelId, media.length === 1 ? media[0]! : media, playback)
    } catch {
      this.leavingPrompts.delete(playback)
      void this.hangup(session.channelId)
      if (cause !== null) this.endSession(session, cause)
    }
  }
  private readonly leavingPrompts = new Map<string, string | null>()

  private afterLeavingPrompt(session: CallSession, playbackId: string): void {
    if (!this.leavingPrompts.has(playbackId)) return
    const cause = this.leavingPrompts.get(playbackId)!
    this.leavingPrompts.delete(playbackId)
    void this.hangup(session.channelId)
    if (cause !== null) this.endSession(session, cause)
  }

  private async voicemail(session: CallSession, prompt: string | string[], reason: ExitReason | 'ivr'): Promise<void> {
    session.state = 'leaving'
    const name = `voicemail-${session.id}`
    this.voicemails.set(name, session)
    try {
      await this.ari.stopMoh(session.channelId).catch(() => undefined)
      const media = (Array.isArray(prompt) ? prompt : [prompt]).map((p) => (p.startsWith('sound:') ? p : `sound:${p}`))
      await this.ari.playOnChannel(session.channelId, media.length === 1 ? media[0]! : media, session.nextPlaybackId())
      await this.ari.recordChannel(session.channelId, {name, format: 'wav', maxDurationSeconds: VOICEMAIL_MAX_S, beep: true, ifExists: 'overwrite', terminateOn: '#'})
    } catch (err) {
      this.voicemails.delete(name)
      if (!isNotFound(err)) this.log.warn('voicemail failed', {call: session.id, error: String(err)})
      void this.hangup(session.channelId)
      this.endSession(session, `exit-${reason}`)
    }
  }

  private onRecordingDone(e: RecordingEvent): void {
    const session = this.voicemails.get(e.recording.name)
    if (!session) return this.opts.recorder?.onRecordingEvent(e)
    this.voicemails.delete(e.recording.name)
    this.events.append({
      type: 'voicemail.left',
      callId: session.id,
      queue: session.queue,
      data: {recording: e.recording.name, durationSec: e.recording.duration ?? null, state: e.type === 'RecordingFailed' ? 'failed' : 'done', number: session.caller.number},
    })
    void this.hangup(session.channelId)
    this.endSession(session, 'voicemail')
  }

  // ---- callback (virtual hold) ---------------------------------------------

  /** The caller keeps its place but hangs up; an agent will be rung first, then the customer. */
  private callbackConfirmed(session: CallSession, number: string, reason?: string): void {
    session.callbackNumber = number
    session.state = 'callback-pending'
    const w = this.acd.waiting.get(session.id)
    if (w) w.kind = 'callback'
    this.events.append({
      type: 'callback.requested',
      callId: session.id,
      queue: session.queue,
      data: {number, position: this.acd.position(session.id), joinedAt: session.joinedAt, ...(reason ? {reason} : {})},
    })
    if (!reason) {
      // app_queue's EXITWITHKEY: the caller left the line of live callers by a key.
      this.events.append({type: 'queue.exited', callId: session.id, queue: session.queue, data: {reason: 'key', action: 'callback', position: this.acd.position(session.id), waitMs: this.clock.now() - (session.enteredQueueAt ?? this.clock.now())}})
    }
  }

  private async onCustomerAnswered(channel: Channel): Promise<void> {
    const ref = this.channels.get(channel.id)
    const session = ref?.session
    if (!session || session.state !== 'calling-customer' || session.customerChannelId !== channel.id) return void this.hangup(channel.id)
    const now = this.clock.now()
    session.state = 'connected'
    session.connectedAt = now
    this.events.append({
      type: 'call.connected',
      callId: session.id,
      queue: session.queue,
      agent: session.agentId,
      data:
        session.direction === 'outbound'
          ? {waitMs: 0, ringMs: now - session.startedAt, outbound: true, number: session.outboundNumber}
          : {waitMs: now - (session.joinedAt ?? now), ringMs: session.lastRingMs, callback: true, attempt: session.callbackAttempts, number: session.callbackNumber},
    })
    try {
      await this.ari.stopBridgeMoh(session.bridgeId!).catch(() => undefined)
      await this.ari.addToBridge(session.bridgeId!, [channel.id])
      this.startRecording(session)
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
  }

  private customerLegGone(session: CallSession, channelId: string, reason: string): void {
    if (session.customerChannelId !== channelId) return
    if (session.state === 'connected') return this.completeCall(session, 'caller')
    if (session.state !== 'calling-customer') return
    if (session.direction === 'outbound') return this.control.outboundFailed(session, reason)
    // The customer did not answer: free the agent and try again later, keeping the place.
    const now = this.clock.now()
    const settings = this.acd.queues.get(session.queue!)
    this.events.append({type: 'callback.attempt_failed', callId: session.id, queue: session.queue, agent: session.agentId, data: {attempt: session.callbackAttempts, reason}})
    const agentId = session.agentId!
    void this.hangup(session.agentChannelId)
    void this.destroyBridge(session)
    this.acd.callEnded(agentId, 0, now, {wrapUp: false})
    session.agentId = null
    session.agentChannelId = null
    session.bridgeId = null
    session.customerChannelId = null
    if (!settings || session.callbackAttempts >= settings.callbackAttempts) {
      this.events.append({type: 'callback.failed', callId: session.id, queue: session.queue, data: {attempts: session.callbackAttempts, number: session.callbackNumber}})
      this.endSession(session, 'callback-failed')
    } else {
      const inMs = settings.callbackRetryDelay * 1000 * 2 ** (session.callbackAttempts - 1)
      session.state = 'callback-pending'
      this.acd.enqueue({callId: session.id, queue: session.queue!, number: session.callbackNumber!, priority: session.priority, joinedAt: session.joinedAt!, kind: 'callback', notBefore: now + inMs}, now)
      this.events.append({type: 'callback.retry_scheduled', callId: session.id, queue: session.queue, data: {attempt: session.callbackAttempts, inMs}})
    }
    this.scheduleDispatch()
  }

  private async dialCustomer(session: CallSession): Promise<void> {
    session.callbackAttempts++
    session.state = 'calling-customer'
    const channelId = `${session.id}.c${session.callbackAttempts}`
    session.customerChannelId = channelId
    this.channels.set(channelId, {session, role: 'customer'})
    const number = session.callbackNumber!
    this.events.append({type: 'callback.attempt', callId: session.id, queue: session.queue, agent: session.agentId, data: {attempt: session.callbackAttempts, number}})
    try {
      await this.ari.createBridge('mixing', session.bridgeId!, session.id)
      await this.ari.addToBridge(session.bridgeId!, [session.agentChannelId!])
      await this.ari.originate({
        endpoint: dialString(this.opts.dialString ?? 'Local/{number}@callctl-sim-callee', number),
        app: this.ari.app,
        appArgs: `customer,${session.id}`,
        callerId: this.opts.outboundCallerId ?? '',
        timeout: this.opts.customerRingTimeout ?? CUSTOMER_RING_S,
        channelId,
        variables: {CALLCTL_CALL: session.id, CALLCTL_ROLE: 'customer'},
      })
      await this.ari.startBridgeMoh(session.bridgeId!).catch(() => undefined)
    } catch (err) {
      if (session.customerChannelId === channelId && session.state === 'calling-customer') {
        this.channels.delete(channelId)
        this.customerLegGone(session, channelId, err instanceof Error ? err.message : String(err))
      }
    }
  }

  // ---- routing -------------------------------------------------------------

  /** Batch decisions: many state changes in one tick lead to one dispatch. */
  scheduleDispatch(): void {
    if (this.dispatchQueued || this.stopped) return
    this.dispatchQueued = true
    queueMicrotask(() => {
      this.dispatchQueued = false
      if (this.stopped) return
      const now = this.clock.now()
      for (const offer of this.acd.dispatch(now)) {
        const session = this.sessions.get(offer.callId)
        if (!session || session.ended) {
          this.acd.ringEnded(offer.callId, offer.agentId, 'canceled', now)
          continue
        }
        this.ring(session, offer.agentId)
      }
      this.scheduleWake()
    })
  }

  /** The ACD's own deadlines (sticky holds ending, skills widening, retries) wake a dispatch. */
  private scheduleWake(): void {
    const at = this.acd.nextWakeAt()
    if (at === null) return
    if (this.wakeTimer && this.wakeTimer.at <= at) return
    if (this.wakeTimer) this.clock.clearTimeout(this.wakeTimer.timer)
    const delay = Math.max(0, at - this.clock.now())
    this.wakeTimer = {
      at,
      timer: this.clock.setTimeout(() => {
        this.wakeTimer = null
        this.scheduleDispatch()
      }, delay),
    }
  }

  private ring(session: CallSession, agentId: string): void {
    const agent = this.acd.agents.get(agentId)!
    const settings = this.acd.queues.get(session.queue!)!
    const channelId = session.nextAttemptChannelId()
    const attempt: RingAttempt = {channelId, agentId, endpoint: agent.endpoint, startedAt: this.clock.now(), timer: undefined, outcome: null}
    session.attempts.set(channelId, attempt)
    this.channels.set(channelId, {session, role: 'agent'})
    this.events.append({type: 'agent.ringing', callId: session.id, queue: session.queue, agent: agentId, data: {endpoint: agent.endpoint, channel: channelId, callback: session.isCallback}})
    attempt.timer = this.clock.setTimeout(() => this.ringTimedOut(session, attempt), settings.ringTimeout * 1000)
    const shown = session.isCallback ? {name: `Callback ${session.caller.name}`.trim(), number: session.callbackNumber!} : session.caller
    this.ari
      .originate({
        endpoint: agent.endpoint,
        app: this.ari.app,
        appArgs: `agent,${session.id}`,
        callerId: callerIdString(shown),
        timeout: settings.ringTimeout + ORIGINATE_GRACE_S,
        channelId,
        variables: {CALLCTL_CALL: session.id, CALLCTL_ROLE: 'agent', CALLCTL_AGENT: agentId},
      })
      .then(() => {
        // The caller left (or the ring timed out) while Asterisk was still dialling.
        if (attempt.outcome !== null && attempt.outcome !== 'answered') void this.hangup(channelId)
      })
      .catch((err: unknown) => {
        this.log.warn('could not ring agent', {agent: agentId, endpoint: agent.endpoint, error: err instanceof Error ? err.message : String(err)})
        this.channels.delete(channelId)
        this.finishAttempt(session, attempt, 'failed', err instanceof Error ? err.message : String(err))
      })
  }

  private ringTimedOut(session: CallSession, attempt: RingAttempt): void {
    if (attempt.outcome !== null) return
    this.finishAttempt(session, attempt, 'no-answer', 'timeout')
    void this.hangup(attempt.channelId)
  }

  /** Ends one ring without an answer; the agent is free again at once. */
  private finishAttempt(session: CallSession, attempt: RingAttempt, outcome: 'no-answer' | 'failed' | 'canceled', reason: string): void {
    if (attempt.outcome !== null) return
    attempt.outcome = outcome
    this.clock.clearTimeout(attempt.timer)
    const now = this.clock.now()
    this.acd.ringEnded(session.id, attempt.agentId, outcome, now)
    const ringMs = now - attempt.startedAt
    if (outcome === 'canceled') {
      this.events.append({type: 'agent.ring_canceled', callId: session.id, queue: session.queue, agent: attempt.agentId, data: {ringMs}})
    } else {
      this.events.append({type: 'agent.ring_noanswer', callId: session.id, queue: session.queue, agent: attempt.agentId, data: {reason, ringMs, outcome}})
      this.maybeAutoPause(attempt.agentId, session.queue)
    }
    this.scheduleDispatch()
  }

  /** After K missed rings in a row the agent is paused with reason "no-answer". */
  private maybeAutoPause(agentId: string, queue: string | null): void {
    const a = this.acd.agents.get(agentId)
    const limit = queue ? this.acd.queues.get(queue)?.autoPauseAfter ?? 0 : 0
    if (!a || limit <= 0 || a.missedRings < limit || a.presence !== 'available') return
    const now = this.clock.now()
    this.acd.setPresence(agentId, 'paused', 'no-answer', now)
    void this.store
      .setPresence(
        {agent: agentId, status: 'paused', reason: 'no-answer', since: now},
        {type: 'agent.paused', ts: now, agent: agentId, queue, origin: this.origin, data: {reason: 'no-answer', auto: true, missedRings: a.missedRings}},
      )
      .catch((err: unknown) => this.log.error('could not record an automatic pause', {agent: agentId, error: String(err)}))
    this.log.warn(`agent ${agentId} paused automatically after ${a.missedRings} missed rings`)
  }

  private async onAgentAnswered(channel: Channel): Promise<void> {
    const ref = this.channels.get(channel.id)
    const attempt = ref?.session.attempts.get(channel.id)
    if (!ref || !attempt) {
      this.log.warn('unknown agent channel entered the app; hanging it up', {channel: channel.id})
      return void this.hangup(channel.id)
    }
    const session = ref.session
    const live = session.state === 'waiting' || (session.state === 'callback-pending' && session.isCallback)
    if (attempt.outcome !== null || !live) return void this.hangup(channel.id)
    const now = this.clock.now()
    attempt.outcome = 'answered'
    this.clock.clearTimeout(attempt.timer)
    const {waitMs, others} = this.acd.answered(session.id, attempt.agentId, now)
    for (const other of session.liveAttempts()) {
      if (others.includes(other.agentId)) this.finishAttempt(session, other, 'canceled', 'answered elsewhere')
      void this.hangup(other.channelId)
    }
    session.wait?.stop()
    session.wait = null
    session.agentId = attempt.agentId
    session.agentChannelId = channel.id
    session.bridgeId = `${session.id}.b`
    session.lastRingMs = now - attempt.startedAt
    if (session.isCallback) {
      if (!session.callerLegGone) void this.hangup(session.channelId)
      return this.dialCustomer(session)
    }

    session.state = 'connected'
    session.connectedAt = now
    this.events.append({
      type: 'call.connected',
      callId: session.id,
      queue: session.queue,
      agent: attempt.agentId,
      data: {waitMs, ringMs: session.lastRingMs, channel: channel.id, number: session.caller.number},
    })
    try {
      await this.ari.createBridge('mixing', session.bridgeId, session.id)
      await this.ari.stopMoh(session.channelId).catch(() => undefined)
      await this.ari.addToBridge(session.bridgeId, [session.channelId, channel.id])
      await this.ari.setChannelVar(session.channelId, 'CALLCTL_CONNECTED', '1')
    } catch (err) {
      if (!isNotFound(err) && !session.ended) throw err
      // One leg vanished while bridging: StasisEnd for it tears the call down.
    }
    if (session.ended) return void this.destroyBridge(session)
    this.startRecording(session)
  }

  private startRecording(session: CallSession): void {
    const settings = session.queue ? this.acd.queues.get(session.queue) : undefined
    if (!this.opts.recorder || !session.bridgeId || settings?.record === false) return
    this.opts.recorder.callConnected({callId: session.id, bridgeId: session.bridgeId, queue: session.queue, agent: session.agentId, number: session.isCallback ? session.callbackNumber! : session.caller.number})
  }

  // ---- teardown ------------------------------------------------------------

  private callerLegGone(session: CallSession): void {
    session.callerLegGone = true
    if (session.ended) return
    const now = this.clock.now()
    if (session.isCallback && session.customerChannelId === session.channelId) session.customerChannelId = null
    switch (session.state) {
      case 'waiting': {
        const position = this.acd.position(session.id)
        const settings = this.acd.queues.get(session.queue!)
        session.wait?.stop()
        session.wait = null
        this.leaveLine(session, 'caller hung up')
        this.events.append({
          type: 'queue.abandoned',
          callId: session.id,
          queue: session.queue,
          data: {waitMs: now - (session.enteredQueueAt ?? now), position, number: session.caller.number, joinedAt: session.joinedAt, priority: session.priority},
        })
        if (settings && settings.resumeWindow > 0) this.memory.abandoned(session.caller.number, session.queue!, session.joinedAt ?? now, session.priority, now)
        this.endSession(session, 'abandoned')
        return
      }
      case 'connected':
        if (!session.isCallback) this.completeCall(session, 'caller')
        return
      case 'callback-pending':
      case 'calling-customer':
        // The original caller hanging up is expected: we call back.
        session.wait?.stop()
        session.wait = null
        return
      case 'leaving':
        if (!this.voicemails.has(`voicemail-${session.id}`)) this.endSession(session, 'hangup')
        return
      case 'ivr':
        session.media?.hangup()
        this.endSession(session, 'abandoned-in-ivr')
        return
      case 'survey':
        session.media?.hangup()
        return
      case 'transferring':
        if (session.directChannelId) {
          const ringing = this.acd.agentOfCall(session.id, 'ringing')
          if (ringing) this.acd.release(ringing, session.id, now)
          void this.hangup(session.directChannelId)
          return this.endSession(session, 'abandoned-in-transfer')
        }
        void this.hangup(session.externalChannelId)
        void this.destroyBridge(session)
        this.endSession(session, session.connectedAt ? 'transferred' : 'abandoned-in-transfer')
        return
      default:
        this.endSession(session, 'hangup-before-queue')
    }
  }

  /** Takes the call out of the line and cancels its rings. */
  private leaveLine(session: CallSession, why: string): void {
    const now = this.clock.now()
    this.acd.leave(session.id, now)
    for (const a of session.liveAttempts()) {
      this.finishAttempt(session, a, 'canceled', why)
      void this.hangup(a.channelId)
    }
  }

  private agentLegGone(session: CallSession, channelId: string): void {
    if (session.agentChannelId !== channelId) return
    if (session.state === 'connected') this.completeCall(session, 'agent')
    else if (session.state === 'calling-customer' && session.direction === 'outbound') {
      void this.hangup(session.customerChannelId)
      this.control.outboundFailed(session, 'agent hung up')
    } else if (session.state === 'calling-customer') {
      // The agent gave up before the customer answered. It counts as an attempt, so a
      // phone that keeps hanging up cannot loop a callback forever.
      const customer = session.customerChannelId
      if (customer) {
        this.channels.delete(customer)
        void this.hangup(customer)
        this.customerLegGone(session, customer, 'agent hung up')
      }
    }
  }

  private completeCall(session: CallSession, by: 'caller' | 'agent' | 'system'): void {
    const agentId = session.agentId!
    this.agentPartDone(session, by)
    const survey = by === 'agent' && !session.isCallback && !session.callerLegGone && session.direction === 'inbound' && session.flow?.survey
    if (!survey) void this.hangup(by === 'caller' ? session.agentChannelId : session.customerChannelId)
    void this.destroyBridge(session)
    if (!survey) return this.endSession(session, 'completed')
    // The caller stays on to rate the call; the agent is already in wrap-up.
    void runSurvey(session, agentId, {ari: this.ari, clock: this.clock, events: this.events, prompts: session.prompts ?? new PromptBook([], null)})
      .catch((err: unknown) => this.bug('survey', err))
      .finally(() => {
        void this.hangup(session.channelId)
        this.endSession(session, 'completed')
      })
  }

  /** The agent's part of a connected call is over: counted, remembered, wrap-up started. */
  private agentPartDone(session: CallSession, by: string): void {
    const now = this.clock.now()
    const agentId = session.agentId!
    const talkMs = now - (session.connectedAt ?? now)
    if (session.heldSince !== null) {
      session.holdMs += now - session.heldSince
      session.heldSince = null
    }
    const number = session.isCallback ? session.callbackNumber! : session.direction === 'outbound' ? session.outboundNumber! : session.caller.number
    this.events.append({
      type: 'call.completed',
      callId: session.id,
      queue: session.queue,
      agent: agentId,
      data: {by, talkMs, holdMs: session.holdMs, number, ...(session.direction === 'outbound' ? {outbound: true} : {})},
    })
    session.endedBy = by === 'caller' || by === 'agent' ? by : 'system'
    session.holdMs = 0
    this.opts.recorder?.callEnded(session.id)
    if (session.queue) this.handleTimesOf(session.queue).add(talkMs, session.lastRingMs)
    this.memory.servedBy(number, agentId, now)
    const wrapUp = this.acd.callEnded(agentId, talkMs, now)
    if (wrapUp > 0) this.startWrapUpTimer(agentId, wrapUp, session)
    this.scheduleDispatch()
  }

  private startWrapUpTimer(agentId: string, seconds: number, session: CallSession | null): void {
    const endsAt = this.clock.now() + seconds * 1000
    this.events.append({type: 'agent.wrapup_started', callId: session?.id ?? null, queue: session?.queue ?? null, agent: agentId, data: {seconds}})
    this.clock.clearTimeout(this.wrapUpTimers.get(agentId)?.timer)
    this.wrapUpTimers.set(agentId, {endsAt, timer: this.clock.setTimeout(() => this.endWrapUp(agentId, 'timer'), seconds * 1000)})
  }

  endWrapUp(agentId: string, how: 'timer' | 'agent'): boolean {
    this.clock.clearTimeout(this.wrapUpTimers.get(agentId)?.timer)
    this.wrapUpTimers.delete(agentId)
    if (!this.acd.endWrapUp(agentId, this.clock.now())) return false
    this.events.append({type: 'agent.wrapup_ended', agent: agentId, data: {how}})
    this.scheduleDispatch()
    return true
  }

  // ---- agent requests (engine API) -------------------------------------------

  /** The agent ends its wrap-up early. */
  agentReady(agentId: string): AgentView {
    const a = this.mustAgent(agentId)
    if (a.activity !== 'wrap-up') {
      throw new UserError(`Agent "${agentId}" is not in wrap-up (it is ${this.acd.agentState(a)})`, {suggestion: 'Only an agent in after-call work can be made ready.', exitCode: 1, code: 'not_in_wrapup'})
    }
    this.endWrapUp(agentId, 'agent')
    return this.acd.agentView(a)
  }

  /** More after-call work: extends a running wrap-up, or starts one for an idle agent. */
  agentWrapUp(agentId: string, seconds: number): AgentView & {wrapUpEndsAt: number} {
    const a = this.mustAgent(agentId)
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
      throw new UserError(`Invalid wrap-up seconds ${seconds}`, {suggestion: 'Give 1 to 3600 seconds.', exitCode: 2})
    }
    const now = this.clock.now()
    if (a.activity === 'wrap-up') {
      const current = this.wrapUpTimers.get(agentId)
      const left = Math.max(0, (current?.endsAt ?? now) - now)
      const total = left / 1000 + seconds
      this.clock.clearTimeout(current?.timer)
      this.wrapUpTimers.set(agentId, {endsAt: now + total * 1000, timer: this.clock.setTimeout(() => this.endWrapUp(agentId, 'timer'), total * 1000)})
      this.events.append({type: 'agent.wrapup_extended', agent: agentId, data: {seconds}})
    } else if (a.activity === 'idle' && a.presence !== 'offline') {
      this.acd.startWrapUp(agentId, now)
      this.startWrapUpTimer(agentId, seconds, null)
    } else {
      throw new UserError(`Agent "${agentId}" is ${this.acd.agentState(a)}: wrap-up starts after a call`, {suggestion: 'Try again when the call has ended.', exitCode: 1, code: 'busy'})
    }
    return {...this.acd.agentView(a), wrapUpEndsAt: this.wrapUpTimers.get(agentId)!.endsAt}
  }

  private mustAgent(id: string) {
    const a = this.acd.agents.get(id)
    if (!a) throw new UserError(`Agent "${id}" does not exist`, {suggestion: 'See callctl agent list.', exitCode: 1, code: 'unknown_agent'})
    return a
  }

  private endSession(session: CallSession, cause: string): void {
    if (session.ended) return
    session.wait?.stop()
    session.wait = null
    if (this.acd.waiting.has(session.id)) this.leaveLine(session, cause)
    session.state = 'ended'
    session.endedAt = this.clock.now()
    void this.supervision.callEnded(session.id)
    this.events.append({type: 'call.ended', callId: session.id, queue: session.queue, agent: session.agentId, data: {cause}})
    this.sessions.delete(session.id)
  }

  private async destroyBridge(session: CallSession): Promise<void> {
    if (!session.bridgeId) return
    try {
      await this.ari.destroyBridge(session.bridgeId)
    } catch (err) {
      if (!isNotFound(err)) this.log.warn('could not destroy bridge', {bridge: session.bridgeId, error: String(err)})
    }
  }

  private async hangup(channelId: string | null, reason?: string): Promise<void> {
    if (!channelId) return
    try {
      await this.ari.hangup(channelId, reason)
    } catch (err) {
      if (!isNotFound(err) && !this.stopped) this.log.warn('hangup failed', {channel: channelId, error: String(err)})
    }
  }

  // ---- admin changes from other processes -----------------------------------

  private async syncAdminChanges(): Promise<void> {
    if (this.syncing || this.stopped) return
    this.syncing = true
    try {
      const changed: StoredEvent[] = []
      for await (const e of this.store.events({afterId: this.lastEventId})) {
        this.lastEventId = e.id
        if (e.origin !== this.origin && CONFIG_EVENTS.has(e.type)) changed.push(e)
      }
      for (const e of changed) await this.applyAdminEvent(e)
      if (changed.length > 0) this.scheduleDispatch()
    } catch (err) {
      this.log.warn('could not read admin changes from the store', {error: String(err)})
    } finally {
      this.syncing = false
    }
  }

  /** Applies an admin change made elsewhere (CLI, another engine). */
  async applyAdminEvent(e: Pick<StoredEvent, 'type' | 'queue' | 'agent' | 'data' | 'ts'>): Promise<void> {
    const now = this.clock.now()
    this.stats.apply(e as StoredEvent)
    if (e.type.startsWith('queue.') && e.queue) {
      const q = await this.store.getQueue(e.queue)
      if (q) this.acd.setQueue(q.name, q.settings, now)
      else for (const w of this.acd.removeQueue(e.queue, now)) this.queueGone(w.callId)
      this.log.info(`queue ${e.queue} ${q ? 'updated' : 'removed'}`)
      return
    }
    if (!e.agent) return
    const a: AgentRecord | undefined = await this.store.getAgent(e.agent)
    if (!a) {
      this.acd.removeAgent(e.agent)
      return
    }
    this.acd.setAgent(a, now)
    if (e.type === 'agent.login' || e.type === 'agent.unpaused') this.acd.setPresence(a.id, 'available', null, e.ts)
    else if (e.type === 'agent.logout') this.acd.setPresence(a.id, 'offline', null, e.ts)
    else if (e.type === 'agent.paused') this.acd.setPresence(a.id, 'paused', String(e.data.reason ?? '') || null, e.ts)
    if (e.type === 'agent.logout' || e.type === 'agent.member_removed') this.leaveEmptyQueues()
    this.log.info(`agent ${a.id}: ${e.type.slice('agent.'.length)}`)
  }

  /** Queues with leaveWhenEmpty send their callers to overflow when no agent is logged in. */
  private leaveEmptyQueues(): void {
    for (const [name, settings] of this.acd.queues) {
      if (!settings.leaveWhenEmpty || this.acd.loggedIn(name) > 0) continue
      for (const s of [...this.sessions.values()]) if (s.queue === name && s.state === 'waiting') this.exitQueue(s, 'empty')
    }
  }

  private queueGone(callId: string): void {
    const s = this.sessions.get(callId)
    if (!s) return
    s.wait?.stop()
    s.wait = null
    for (const a of s.liveAttempts()) {
      this.finishAttempt(s, a, 'canceled', 'queue removed')
      void this.hangup(a.channelId)
    }
    void this.leaveWithPrompt(s, 'vm-nobodyavail', 'queue-removed')
  }

  private bug(where: string, err: unknown): void {
    this.log.error(`bug in ${where}`, {error: err instanceof Error ? err.stack : String(err)})
  }
}

/** Caller ID text is hostile: keep it bounded. Display code strips control characters. */
function cap(s: string, max = 256): string {
  return s.length > max ? s.slice(0, max) : s
}

/** "Name" <number> for the agent's display, with characters that would break the syntax removed. */
function callerIdString(c: {name: string; number: string}): string {
  const name = c.name.replace(/["<>\\\u0000-\u001f\u007f]/g, '').slice(0, 64)
  const number = c.number.replace(/[^0-9A-Za-z+*#]/g, '').slice(0, 32)
  return name ? `"${name}" <${number}>` : number
}

/** The trunk dial string with the number in it; the number is digits (and +) only. */
export function dialString(template: string, number: string): string {
  const n = number.replace(/[^0-9+]/g, '')
  return template.replace('{number}', n)
}

function clampPriority(v: string | undefined): number {
  const n = Number(v)
  return Number.isInteger(n) ? Math.max(0, Math.min(100, n)) : 0
}

export type {QueueSettings}
