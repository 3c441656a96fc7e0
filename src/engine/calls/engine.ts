import {hostname} from 'node:os'
import type {AriPort, Channel, ChannelDestroyedEvent, StasisEndEvent, StasisStartEvent} from '../ari/port.js'
import {isNotFound} from '../ari/port.js'
import type {AgentRecord, QueueRecord} from '../model.js'
import {Acd, type AgentView, type QueueView} from '../routing/acd.js'
import type {StoredEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import {systemClock, type Clock, type TimerHandle} from '../util/clock.js'
import {newId} from '../util/ids.js'
import type {Logger} from '../util/log.js'
import {CallSession, type RingAttempt} from './call-session.js'
import {EventLog} from './event-log.js'

export interface EngineOptions {
  ari: AriPort
  store: Store
  log: Logger
  clock?: Clock
  /** Queue for calls whose dialled number matches no queue; null rejects them. */
  defaultQueue?: string | null
  /** How often admin changes written by other processes are picked up. */
  syncIntervalMs?: number
}

export interface CallView {
  id: string
  state: string
  caller: {number: string; name: string}
  did: string
  queue: string | null
  agent: string | null
  startedAt: number
  enteredQueueAt: number | null
  connectedAt: number | null
  ringing: string[]
}

export interface EngineSnapshot {
  at: number
  queues: QueueView[]
  agents: AgentView[]
  calls: CallView[]
}

// Extra seconds Asterisk's own originate timeout gets beyond ours: ours decides, its is a backstop.
const ORIGINATE_GRACE_S = 5
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

/**
 * The headless call engine: takes calls from the Stasis app, queues them, rings agents,
 * bridges, tears down, and records every step in the event log.
 */
export class Engine {
  readonly acd = new Acd()
  readonly events: EventLog
  readonly origin = `engine:${hostname()}:${process.pid}`
  private readonly ari: AriPort
  private readonly store: Store
  private readonly log: Logger
  private readonly clock: Clock
  private readonly sessions = new Map<string, CallSession>()
  /** Channel id → the call it belongs to and its part in it. */
  private readonly channels = new Map<string, {session: CallSession; role: 'caller' | 'agent'}>()
  private readonly wrapUpTimers = new Map<string, TimerHandle>()
  private dispatchQueued = false
  private syncTimer: ReturnType<typeof setInterval> | null = null
  private lastEventId = 0
  private syncing = false
  private stopped = false

  constructor(private readonly opts: EngineOptions) {
    this.ari = opts.ari
    this.store = opts.store
    this.log = opts.log
    this.clock = opts.clock ?? systemClock
    this.events = new EventLog(this.store, this.clock, this.log, this.origin)
  }

  // ---- lifecycle -----------------------------------------------------------

  async start(): Promise<void> {
    this.lastEventId = await this.store.lastEventId()
    const now = this.clock.now()
    for (const q of await this.store.listQueues()) this.acd.setQueue(q.name, q.settings)
    for (const a of await this.store.listAgents()) this.acd.setAgent(a, now)
    for (const p of await this.store.listPresence()) if (this.acd.agents.has(p.agent)) this.acd.setPresence(p.agent, p.status, p.reason, p.since)

    this.ari.on('StasisStart', (e) => void this.onStasisStart(e).catch((err) => this.bug('StasisStart', err)))
    this.ari.on('StasisEnd', (e) => this.onStasisEnd(e))
    this.ari.on('ChannelDestroyed', (e) => this.onChannelDestroyed(e))

    this.syncTimer = setInterval(() => void this.syncAdminChanges(), this.opts.syncIntervalMs ?? 250)
    this.syncTimer.unref?.()
    this.events.append({type: 'engine.started', data: {app: this.ari.app, queues: this.acd.queues.size, agents: this.acd.agents.size}})
    this.scheduleDispatch()
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.syncTimer) clearInterval(this.syncTimer)
    for (const t of this.wrapUpTimers.values()) this.clock.clearTimeout(t)
    for (const s of this.sessions.values()) for (const a of s.attempts.values()) this.clock.clearTimeout(a.timer)
    this.events.append({type: 'engine.stopped', data: {liveCalls: this.sessions.size}})
    await this.events.close()
  }

  // ---- views ---------------------------------------------------------------

  snapshot(): EngineSnapshot {
    return {
      at: this.clock.now(),
      queues: [...this.acd.queues.keys()].sort().map((q) => this.acd.queueView(q)!),
      agents: [...this.acd.agents.values()].sort((a, b) => a.id.localeCompare(b.id)).map((a) => this.acd.agentView(a)),
      calls: [...this.sessions.values()].map((s) => ({
        id: s.id,
        state: s.state,
        caller: {number: s.caller.number, name: s.caller.name},
        did: s.did,
        queue: s.queue,
        agent: s.agentId,
        startedAt: s.startedAt,
        enteredQueueAt: s.enteredQueueAt,
        connectedAt: s.connectedAt,
        ringing: s.liveAttempts().map((a) => a.agentId),
      })),
    }
  }

  get liveCalls(): number {
    return this.sessions.size
  }

  // ---- ARI events ----------------------------------------------------------

  private async onStasisStart(e: StasisStartEvent): Promise<void> {
    const [kind] = e.args
    if (kind === 'agent') return this.onAgentAnswered(e.channel)
    if (kind === 'inbound' || kind === undefined) return this.onInbound(e.channel, e.args[1] ?? e.channel.dialplan?.exten ?? '')
    this.log.warn('channel entered the app with unknown arguments; hanging it up', {channel: e.channel.id, args: e.args.join(',')})
    await this.hangup(e.channel.id)
  }

  private onStasisEnd(e: StasisEndEvent): void {
    const ref = this.channels.get(e.channel.id)
    if (!ref) return
    // Asterisk stops sending a channel's events once it leaves the app.
    this.channels.delete(e.channel.id)
    if (ref.role === 'caller') this.callerGone(ref.session)
    else this.agentLegGone(ref.session, e.channel.id)
  }

  private onChannelDestroyed(e: ChannelDestroyedEvent): void {
    const ref = this.channels.get(e.channel.id)
    if (!ref) return
    this.channels.delete(e.channel.id)
    const {session} = ref
    if (ref.role === 'caller') return this.callerGone(session)
    const attempt = session.attempts.get(e.channel.id)
    if (attempt && attempt.outcome === null) {
      // Destroyed before it answered: 19 is "no answer"; busy (17), rejected (21),
      // unroutable and the like mean the phone could not ring at all.
      const outcome = e.cause === 19 ? 'no-answer' : 'failed'
      this.finishAttempt(session, attempt, outcome, e.cause_txt || `cause ${e.cause}`)
    }
    this.agentLegGone(session, e.channel.id)
  }

  // ---- inbound calls -------------------------------------------------------

  private async onInbound(channel: Channel, did: string): Promise<void> {
    const now = this.clock.now()
    const caller = {number: cap(channel.caller?.number ?? ''), name: cap(channel.caller?.name ?? '')}
    const session = new CallSession(newId('call'), channel.id, caller, cap(did), now)
    this.sessions.set(session.id, session)
    this.channels.set(channel.id, {session, role: 'caller'})
    this.events.append({
      type: 'call.started',
      callId: session.id,
      data: {direction: 'inbound', number: caller.number, name: caller.name, did: session.did, channel: channel.id},
    })
    const queue = this.queueForDid(session.did)
    try {
      await this.ari.setChannelVar(channel.id, 'CALLCTL_CALL', session.id)
      await this.ari.answer(channel.id)
      if (session.ended) return
      if (!queue) {
        this.events.append({type: 'call.rejected', callId: session.id, data: {reason: 'no-queue', did: session.did}})
        await this.ari.playOnChannel(channel.id, 'sound:ss-noservice').catch(() => undefined)
        this.clock.setTimeout(() => void this.hangup(channel.id), 4000)
        return
      }
      await this.ari.startMoh(channel.id, queue.settings.musicClass)
      if (session.ended) return
      this.enqueue(session, queue.name)
    } catch (err) {
      if (isNotFound(err) || session.ended) return // the caller hung up while we set up: callerGone handles it
      throw err
    }
  }

  private queueForDid(did: string): QueueRecord | undefined {
    const byName = this.acd.queues.get(did)
    if (byName) return {name: did, settings: byName, createdAt: 0}
    for (const [name, settings] of this.acd.queues) if (settings.dids.includes(did)) return {name, settings, createdAt: 0}
    const fallback = this.opts.defaultQueue
    if (fallback && this.acd.queues.has(fallback)) return {name: fallback, settings: this.acd.queues.get(fallback)!, createdAt: 0}
    return undefined
  }

  private enqueue(session: CallSession, queue: string): void {
    const now = this.clock.now()
    session.queue = queue
    session.state = 'waiting'
    session.enteredQueueAt = now
    this.acd.enqueue({callId: session.id, queue, number: session.caller.number}, now)
    this.events.append({type: 'queue.entered', callId: session.id, queue, data: {position: this.acd.position(session.id), priority: 0}})
    void this.ari.setChannelVar(session.channelId, 'CALLCTL_QUEUE', queue).catch(() => undefined)
    this.scheduleDispatch()
  }

  // ---- routing -------------------------------------------------------------

  /** Batch decisions: many state changes in one tick lead to one dispatch. */
  scheduleDispatch(): void {
    if (this.dispatchQueued || this.stopped) return
    this.dispatchQueued = true
    queueMicrotask(() => {
      this.dispatchQueued = false
      for (const offer of this.acd.dispatch(this.clock.now())) {
        const session = this.sessions.get(offer.callId)
        if (!session || session.ended) {
          this.acd.ringEnded(offer.callId, offer.agentId, 'canceled', this.clock.now())
          continue
        }
        this.ring(session, offer.agentId)
      }
    })
  }

  private ring(session: CallSession, agentId: string): void {
    const agent = this.acd.agents.get(agentId)!
    const settings = this.acd.queues.get(session.queue!)!
    const channelId = session.nextAttemptChannelId()
    const attempt: RingAttempt = {channelId, agentId, endpoint: agent.endpoint, startedAt: this.clock.now(), timer: undefined, outcome: null}
    session.attempts.set(channelId, attempt)
    this.channels.set(channelId, {session, role: 'agent'})
    this.events.append({type: 'agent.ringing', callId: session.id, queue: session.queue, agent: agentId, data: {endpoint: agent.endpoint, channel: channelId}})
    attempt.timer = this.clock.setTimeout(() => this.ringTimedOut(session, attempt), settings.ringTimeout * 1000)
    this.ari
      .originate({
        endpoint: agent.endpoint,
        app: this.ari.app,
        appArgs: `agent,${session.id}`,
        callerId: callerIdString(session.caller),
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
    }
    this.scheduleDispatch()
  }

  private async onAgentAnswered(channel: Channel): Promise<void> {
    const ref = this.channels.get(channel.id)
    const attempt = ref?.session.attempts.get(channel.id)
    if (!ref || !attempt) {
      this.log.warn('unknown agent channel entered the app; hanging it up', {channel: channel.id})
      return void this.hangup(channel.id)
    }
    const session = ref.session
    if (attempt.outcome !== null || session.state !== 'waiting') return void this.hangup(channel.id)
    const now = this.clock.now()
    attempt.outcome = 'answered'
    this.clock.clearTimeout(attempt.timer)
    const {waitMs, others} = this.acd.answered(session.id, attempt.agentId, now)
    for (const other of session.liveAttempts()) {
      if (others.includes(other.agentId)) this.finishAttempt(session, other, 'canceled', 'answered elsewhere')
      void this.hangup(other.channelId)
    }
    session.state = 'connected'
    session.connectedAt = now
    session.agentId = attempt.agentId
    session.agentChannelId = channel.id
    session.bridgeId = `${session.id}.b`
    this.events.append({
      type: 'call.connected',
      callId: session.id,
      queue: session.queue,
      agent: attempt.agentId,
      data: {waitMs, ringMs: now - attempt.startedAt, channel: channel.id},
    })
    try {
      await this.ari.createBridge('mixing', session.bridgeId, session.id)
      await this.ari.stopMoh(session.channelId)
      await this.ari.addToBridge(session.bridgeId, [session.channelId, channel.id])
      await this.ari.setChannelVar(session.channelId, 'CALLCTL_CONNECTED', '1')
    } catch (err) {
      if (!isNotFound(err) && !session.ended) throw err
      // One leg vanished while bridging: StasisEnd for it tears the call down.
    }
    if (session.ended) void this.destroyBridge(session)
  }

  // ---- teardown ------------------------------------------------------------

  private callerGone(session: CallSession): void {
    if (session.ended) return
    const now = this.clock.now()
    if (session.state === 'waiting') {
      const position = this.acd.position(session.id)
      this.acd.leave(session.id, now)
      for (const a of session.liveAttempts()) {
        this.finishAttempt(session, a, 'canceled', 'caller hung up')
        void this.hangup(a.channelId)
      }
      this.events.append({
        type: 'queue.abandoned',
        callId: session.id,
        queue: session.queue,
        data: {waitMs: now - (session.enteredQueueAt ?? now), position},
      })
      this.endSession(session, 'abandoned')
    } else if (session.state === 'connected') {
      this.completeCall(session, 'caller')
    } else {
      this.endSession(session, 'hangup-before-queue')
    }
  }

  private agentLegGone(session: CallSession, channelId: string): void {
    if (session.state === 'connected' && session.agentChannelId === channelId) this.completeCall(session, 'agent')
  }

  private completeCall(session: CallSession, by: 'caller' | 'agent' | 'system'): void {
    const now = this.clock.now()
    const agentId = session.agentId!
    const talkMs = now - (session.connectedAt ?? now)
    session.endedBy = by
    this.events.append({type: 'call.completed', callId: session.id, queue: session.queue, agent: agentId, data: {by, talkMs}})
    void this.hangup(by === 'caller' ? session.agentChannelId : session.channelId)
    void this.destroyBridge(session)
    const wrapUp = this.acd.callEnded(agentId, talkMs, now)
    if (wrapUp > 0) {
      this.events.append({type: 'agent.wrapup_started', callId: session.id, queue: session.queue, agent: agentId, data: {seconds: wrapUp}})
      this.wrapUpTimers.set(
        agentId,
        this.clock.setTimeout(() => this.endWrapUp(agentId, 'timer'), wrapUp * 1000),
      )
    }
    this.endSession(session, 'completed')
    this.scheduleDispatch()
  }

  endWrapUp(agentId: string, how: 'timer' | 'agent'): boolean {
    this.clock.clearTimeout(this.wrapUpTimers.get(agentId))
    this.wrapUpTimers.delete(agentId)
    if (!this.acd.endWrapUp(agentId, this.clock.now())) return false
    this.events.append({type: 'agent.wrapup_ended', agent: agentId, data: {how}})
    this.scheduleDispatch()
    return true
  }

  private endSession(session: CallSession, cause: string): void {
    if (session.ended) return
    session.state = 'ended'
    session.endedAt = this.clock.now()
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

  private async hangup(channelId: string | null): Promise<void> {
    if (!channelId) return
    try {
      await this.ari.hangup(channelId)
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

  private async applyAdminEvent(e: StoredEvent): Promise<void> {
    const now = this.clock.now()
    if (e.type.startsWith('queue.') && e.queue) {
      const q = await this.store.getQueue(e.queue)
      if (q) this.acd.setQueue(q.name, q.settings)
      else this.acd.removeQueue(e.queue)
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
    this.log.info(`agent ${a.id}: ${e.type.slice('agent.'.length)}`)
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
