import type {AriPort, Bridge, Channel} from '../ari/port.js'
import {isNotFound} from '../ari/port.js'
import type {Clock, TimerHandle} from '../util/clock.js'
import {UserError} from '../util/errors.js'
import {newId} from '../util/ids.js'
import type {Logger} from '../util/log.js'
import type {EventLog} from './event-log.js'

export type SuperviseMode = 'monitor' | 'whisper' | 'barge'
export const SUPERVISE_MODES: readonly SuperviseMode[] = ['monitor', 'whisper', 'barge']

/** What supervision needs to know about a live call. */
export interface SupervisedCall {
  callId: string
  agent: string
  agentChannelId: string
  bridgeId: string
  queue: string | null
}

export interface SupervisionView {
  id: string
  callId: string
  agent: string
  mode: SuperviseMode
  from: string
  by: string
  state: 'ringing' | 'active'
  startedAt: number
}

interface SupSession extends SupervisionView {
  supervisorChannelId: string
  snoopChannelId: string | null
  /** The small bridge joining the supervisor to its snoop (monitor and whisper). */
  supBridgeId: string
  call: SupervisedCall
  snoopSeq: number
}

/**
 * Supervisors listening in, coaching, or joining live calls from their own phone.
 *   monitor: a snoop on the agent's channel spying both directions, bridged with the
 *            supervisor; nobody hears the supervisor.
 *   whisper: the same snoop also whispers toward the agent: the agent hears the
 *            supervisor, the customer does not.
 *   barge:   the supervisor joins the call's own bridge: all three hear each other.
 * Switching mode rebuilds only the snoop/bridge wiring; the supervisor's phone stays up.
 * Every start, switch and stop is an event in the log (the audit trail).
 */
// How long a snoop channel may take to enter the app before the wiring gives up (warned).
const SNOOP_START_MS = 5_000

export class Supervision {
  private readonly sessions = new Map<string, SupSession>()
  private readonly byChannel = new Map<string, SupSession>()

  constructor(
    private readonly d: {ari: AriPort; clock: Clock; log: Logger; events: EventLog; ringTimeoutS: number},
  ) {}

  /** A channel of a live supervision (its supervisor's phone or snoop). */
  owns(channelId: string): boolean {
    return this.byChannel.has(channelId)
  }

  list(): SupervisionView[] {
    return [...this.sessions.values()].map(view)
  }

  async start(call: SupervisedCall, mode: SuperviseMode, from: string, by: string): Promise<SupervisionView> {
    const id = newId('sup')
    const s: SupSession = {
      id,
      callId: call.callId,
      agent: call.agent,
      mode,
      from,
      by,
      state: 'ringing',
      startedAt: this.d.clock.now(),
      supervisorChannelId: `${id}.s`,
      snoopChannelId: null,
      supBridgeId: `${id}.b`,
      call,
      snoopSeq: 0,
    }
    this.sessions.set(id, s)
    this.byChannel.set(s.supervisorChannelId, s)
    this.d.ari.aliasCall?.(id, call.callId)
    this.d.events.append({type: 'supervise.started', callId: call.callId, queue: call.queue, agent: call.agent, data: {supervision: id, mode, from, by}})
    try {
      await this.d.ari.originate({
        endpoint: from,
        app: this.d.ari.app,
        appArgs: `supervisor,${id}`,
        callerId: `"Supervise ${call.agent}" <${mode}>`,
        timeout: this.d.ringTimeoutS,
        channelId: s.supervisorChannelId,
      })
    } catch (err) {
      this.forget(s, 'failed')
      throw new UserError(`Could not call the supervisor at ${from}: ${err instanceof Error ? err.message : String(err)}`, {suggestion: 'Check --from (an Asterisk dial string such as PJSIP/2001).', code: 'supervisor_unreachable'})
    }
    return view(s)
  }

  /** Switches a live supervision to another mode without calling the supervisor again. */
  async setMode(id: string, mode: SuperviseMode, by: string): Promise<SupervisionView> {
    const s = this.must(id)
    if (s.mode === mode) return view(s)
    const from = s.mode
    s.mode = mode
    this.d.events.append({type: 'supervise.mode_changed', callId: s.callId, queue: s.call.queue, agent: s.agent, data: {supervision: id, from, to: mode, by}})
    if (s.state === 'active') await this.wire(s)
    return view(s)
  }

  async stop(id: string, by: string): Promise<SupervisionView> {
    const s = this.must(id)
    // Forgotten first: the channel's end can arrive before the hangup's answer, and would
    // otherwise be logged as the supervisor hanging up.
    this.forget(s, 'stopped', by)
    await this.hangup(s.supervisorChannelId)
    return view(s)
  }

  /** The supervised call ended: its supervisions end with it. */
  async callEnded(callId: string): Promise<void> {
    for (const s of [...this.sessions.values()]) {
      if (s.callId !== callId) continue
      this.forget(s, 'call-ended')
      await this.hangup(s.supervisorChannelId)
    }
  }

  /** The call's agent leg or bridge changed (transfer): follow it. */
  async callMoved(callId: string, to: SupervisedCall): Promise<void> {
    for (const s of this.sessions.values()) {
      if (s.callId !== callId) continue
      s.call = to
      s.agent = to.agent
      if (s.state === 'active') await this.wire(s)
    }
  }

  /**
   * After an engine restart. A supervision's wiring (snoop, its bridge, the supervisor's
   * phone) lives in Asterisk but its session died with the old engine, so it is closed:
   * `supervise.stopped` (reason engine-restart) for each one the log shows open, and every
   * channel and bridge of a supervision in the log hung up and destroyed. The supervisor
   * starts again from the dashboard or `callctl monitor` if the call goes on.
   */
  async closeAfterRestart(open: SupervisionView[], known: ReadonlySet<string>, channels: Channel[], bridges: Bridge[]): Promise<number> {
    const now = this.d.clock.now()
    const supervisionOf = (id: string) => {
      const dot = id.indexOf('.')
      return dot > 0 ? id.slice(0, dot) : id
    }
    for (const s of open) {
      this.d.events.append({
        type: 'supervise.stopped',
        callId: s.callId,
        agent: s.agent,
        data: {supervision: s.id, reason: 'engine-restart', mode: s.mode, from: s.from, by: 'system', durationMs: now - s.startedAt},
      })
    }
    let removed = 0
    for (const ch of channels) {
      if (!known.has(supervisionOf(ch.id)) || this.sessions.has(supervisionOf(ch.id))) continue
      await this.hangup(ch.id)
      removed++
    }
    for (const b of bridges) {
      if (!known.has(supervisionOf(b.id)) || this.sessions.has(supervisionOf(b.id))) continue
      await this.d.ari.destroyBridge(b.id).catch(() => undefined)
      removed++
    }
    return removed
  }

  /** StasisStart for a supervisor phone or a snoop channel; false when the channel is not ours. */
  async onStasisStart(kind: string, channel: Channel): Promise<boolean> {
    if (kind === 'snoop') {
      // wire() adds it to the supervisor's bridge once it is here.
      this.snoopsStarting.get(channel.id)?.()
      return true
    }
    if (kind !== 'supervisor') return false
    const s = this.byChannel.get(channel.id)
    if (!s) {
      await this.hangup(channel.id)
      return true
    }
    s.state = 'active'
    this.d.events.append({type: 'supervise.connected', callId: s.callId, agent: s.agent, data: {supervision: s.id, mode: s.mode}})
    await this.wire(s)
    return true
  }

  /** A channel left; true when it was a supervision channel. */
  onChannelGone(channelId: string): boolean {
    const s = this.byChannel.get(channelId)
    if (!s) return false
    if (channelId === s.supervisorChannelId) {
      void this.unwire(s)
      this.forget(s, 'supervisor-hung-up')
    }
    return true
  }

  /** Snoop channels asked for and not yet in the app: their StasisStart resolves the wait. */
  private readonly snoopsStarting = new Map<string, () => void>()

  /**
   * Resolves when the snoop channel has entered the app: ARI answers the snoop request
   * before that, and a bridge refuses a channel not yet in Stasis (422). Registered
   * before the request, since the StasisStart may come before its answer.
   */
  private snoopStarted(snoopId: string): {started: Promise<void>; cancel(): void} {
    let timer: TimerHandle | undefined
    const started = new Promise<void>((resolve, reject) => {
      this.snoopsStarting.set(snoopId, resolve)
      timer = this.d.clock.setTimeout(() => reject(new Error(`snoop channel ${snoopId} did not enter the app within ${SNOOP_START_MS} ms`)), SNOOP_START_MS)
    })
    const cancel = () => {
      this.d.clock.clearTimeout(timer)
      this.snoopsStarting.delete(snoopId)
    }
    void started.then(cancel, cancel)
    return {started, cancel}
  }

  private async wire(s: SupSession): Promise<void> {
    await this.unwire(s)
    let snoop: {started: Promise<void>; cancel(): void} | null = null
    try {
      if (s.mode === 'barge') {
        await this.d.ari.addToBridge(s.call.bridgeId, [s.supervisorChannelId])
        return
      }
      s.snoopSeq++
      const snoopId = `${s.id}.n${s.snoopSeq}`
      s.snoopChannelId = snoopId
      this.byChannel.set(snoopId, s)
      snoop = this.snoopStarted(snoopId)
      await this.d.ari.snoop(s.call.agentChannelId, {spy: 'both', whisper: s.mode === 'whisper' ? 'out' : 'none', app: this.d.ari.app, appArgs: `snoop,${s.id}`, snoopId})
      await this.d.ari.createBridge('mixing', s.supBridgeId, `supervise ${s.id}`).catch((err: unknown) => {
        if (!(err instanceof Error && /already exists|409/.test(err.message))) throw err
      })
      await snoop.started
      await this.d.ari.addToBridge(s.supBridgeId, [s.supervisorChannelId, snoopId])
    } catch (err) {
      if (!isNotFound(err)) this.d.log.warn('supervision wiring failed', {supervision: s.id, error: String(err)})
    } finally {
      snoop?.cancel()
    }
  }

  private async unwire(s: SupSession): Promise<void> {
    if (s.snoopChannelId) {
      this.byChannel.delete(s.snoopChannelId)
      await this.hangup(s.snoopChannelId)
      s.snoopChannelId = null
    }
    await this.d.ari.removeFromBridge(s.call.bridgeId, [s.supervisorChannelId]).catch(() => undefined)
    await this.d.ari.removeFromBridge(s.supBridgeId, [s.supervisorChannelId]).catch(() => undefined)
  }

  private forget(s: SupSession, reason: string, by?: string): void {
    if (!this.sessions.delete(s.id)) return
    this.byChannel.delete(s.supervisorChannelId)
    if (s.snoopChannelId) {
      this.byChannel.delete(s.snoopChannelId)
      void this.hangup(s.snoopChannelId)
    }
    void this.d.ari.destroyBridge(s.supBridgeId).catch(() => undefined)
    this.d.events.append({
      type: 'supervise.stopped',
      callId: s.callId,
      agent: s.agent,
      data: {supervision: s.id, reason, mode: s.mode, from: s.from, by: by ?? s.by, durationMs: this.d.clock.now() - s.startedAt},
    })
    // Last: the requests above are routed (several boxes) as they are made.
    this.d.ari.aliasCall?.(s.id, null)
  }

  private must(id: string): SupSession {
    const s = this.sessions.get(id)
    if (!s) throw new UserError(`No supervision "${id}"`, {suggestion: 'See the live ones with: callctl supervise list', code: 'unknown_supervision'})
    return s
  }

  private async hangup(channelId: string): Promise<void> {
    await this.d.ari.hangup(channelId).catch(() => undefined)
  }
}

function view(s: SupSession): SupervisionView {
  return {id: s.id, callId: s.callId, agent: s.agent, mode: s.mode, from: s.from, by: s.by, state: s.state, startedAt: s.startedAt}
}
