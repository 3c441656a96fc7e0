import {hostname} from 'node:os'
import type {AriPort} from '../ari/port.js'
import {AriRequestError, AriTransportError, isNotFound} from '../ari/port.js'
import {Acd} from '../routing/acd.js'
import {HandleTimes} from '../routing/wait-estimate.js'
import type {Store} from '../store/store.js'
import {systemClock, type Clock, type TimerHandle} from '../util/clock.js'
import type {Logger} from '../util/log.js'
import type {Flow} from '../ivr/flow.js'
import {CallerMemory} from './caller-memory.js'
import {CallControl} from './call-control.js'
import {LiveStats} from '../reports/live-stats.js'
import {Supervision} from './supervision.js'
import {CallSession} from './call-session.js'
import {EventLog} from './event-log.js'
import type {EngineOptions} from './engine-types.js'

const HANGUP_ATTEMPTS = 6

/** An agent's call after its part ended: who the customer was, and the disposition owed or chosen. */
export interface LastCall {
  callId: string
  queue: string | null
  number: string
  /** The contact's key (E.164) when the caller was a known contact. */
  contact: string | null
  /** The code chosen (during the call or after it), or null. */
  disposition: string | null
  /** The queue has codes and none is chosen yet: the agent is not ready before one is. */
  owes: boolean
}

/**
 * The engine's state and the few primitives every part of it uses. The parts (admission,
 * queueing, ringing, callbacks, teardown, recovery) are functions over it; Engine is the
 * face the rest of callctl sees.
 *
 * The parts import one way, so each can be read without following a circle back to
 * itself (test/unit/import-structure.test.ts holds it). Each line imports only from
 * the lines below it, and within a line along its arrows:
 *   engine
 *   recovery-runner
 *   channel-left (a departing channel, routed to its leg's phase)
 *   admission → queueing, overload
 *   teardown, ringing, shutdown
 *   callbacks
 *   leaving-prompt → call-end → ring-attempts, wrap-up → dispatch; start-recording; desk-work (notes, dispositions) → wrap-up
 *   core and the state it holds (call-session, call-control, supervision, event-log, ...)
 * The steps at the bottom import no phase; the one call back up (dispatch ringing an
 * agent) goes through ringAgent below.
 */
export class EngineCore {
  readonly opts: EngineOptions
  readonly acd: Acd
  readonly events: EventLog
  readonly origin = `engine:${hostname()}:${process.pid}`
  readonly ari: AriPort
  readonly store: Store
  readonly log: Logger
  readonly clock: Clock
  readonly sessions = new Map<string, CallSession>()
  /** Channel id → the call it belongs to and its part in it. */
  readonly channels = new Map<string, {session: CallSession; role: 'caller' | 'agent' | 'customer' | 'external' | 'consult'}>()
  readonly supervision: Supervision
  /** Set by Engine right after: call control needs the internals. */
  control!: CallControl
  /**
   * Rings an agent for a call: the ringing phase's work, given at construction so the
   * bottom steps (dispatch.ts) can start a ring without importing the phase above them.
   */
  readonly ringAgent: (session: CallSession, agentId: string) => void
  readonly stats: LiveStats
  /** Agents in wrap-up: when it ends, and the call and queue it follows. */
  readonly wrapUpTimers = new Map<string, {timer: TimerHandle; endsAt: number; callId?: string | null; queue?: string | null; held?: boolean}>()
  /** Each agent's last call, for its notes and its disposition in wrap-up (desk-work.ts). */
  readonly lastCalls = new Map<string, LastCall>()
  readonly handleTimes = new Map<string, HandleTimes>()
  readonly memory = new CallerMemory()
  /** Voicemail recordings in progress: recording name → call. */
  readonly voicemails = new Map<string, CallSession>()
  dispatchQueued = false
  wakeTimer: {timer: TimerHandle; at: number} | null = null
  syncTimer: ReturnType<typeof setInterval> | null = null
  lastEventId = 0
  syncing = false
  stopped = false
  // ---- recovery after a restart ------------------------------------------------
  
  asteriskStartedAt: string | null = null
  readonly flowCache = new Map<string, {version: number; flow: Flow}>()
  readonly leavingPrompts = new Map<string, string | null>()

  handleTimesOf(queue: string): HandleTimes {
    let ht = this.handleTimes.get(queue)
    if (!ht) this.handleTimes.set(queue, (ht = new HandleTimes()))
    return ht
  }


  async destroyBridge(session: CallSession): Promise<void> {
    if (!session.bridgeId) return
    try {
      await this.ari.destroyBridge(session.bridgeId)
    } catch (err) {
      if (!isNotFound(err)) this.log.warn('could not destroy bridge', {bridge: session.bridgeId, error: String(err)})
    }
  }


  async hangup(channelId: string | null, reason?: string, attempt = 1): Promise<void> {
    if (!channelId) return
    try {
      await this.ari.hangup(channelId, reason)
    } catch (err) {
      if (isNotFound(err) || this.stopped) return
      // Asterisk did not answer: the channel may well still be up, and once the engine has
      // let go of its call nothing else would end it (an overload run left callers in
      // Stasis for good). Hanging up again changes nothing if it is gone: try again,
      // 1 s, 2 s ... 16 s apart with jitter, about half a minute in all.
      if (err instanceof AriTransportError && attempt < HANGUP_ATTEMPTS) {
        const t = setTimeout(() => void this.hangup(channelId, reason, attempt + 1), 1000 * 2 ** (attempt - 1) * (0.75 + Math.random() / 2))
        t.unref?.()
        if (attempt === 1) this.log.warn('hangup got no answer; trying again', {channel: channelId, error: String(err)})
        return
      }
      this.log.warn('hangup failed', {channel: channelId, error: String(err), attempts: attempt})
    }
  }


  bug(where: string, err: unknown): void {
    // Asterisk not answering, or failing on its side, is not a bug of ours: a warning.
    if (err instanceof AriTransportError || (err instanceof AriRequestError && err.status >= 500)) {
      this.log.warn(`Asterisk request failed in ${where}`, {error: err.message})
      return
    }
    this.log.error(`bug in ${where}`, {error: err instanceof Error ? err.stack : String(err)})
  }


  constructor(opts: EngineOptions, phases: {ringAgent: (core: EngineCore, session: CallSession, agentId: string) => void}) {
    this.opts = opts
    this.ringAgent = (session, agentId) => phases.ringAgent(this, session, agentId)
    this.ari = opts.ari
    this.store = opts.store
    this.log = opts.log
    this.clock = opts.clock ?? systemClock
    this.acd = new Acd({random: opts.random})
    this.events = new EventLog(this.store, this.clock, this.log, this.origin)
    this.stats = new LiveStats((q) => this.acd.queues.get(q))
    this.events.subscribe((e) => this.stats.apply(e))
    this.supervision = new Supervision({ari: this.ari, clock: this.clock, log: this.log, events: this.events, ringTimeoutS: 30})
  }
}
