import type {OutboundVerdict} from './outbound-policy.js'
import type {AriPort, Channel} from '../ari/port.js'
import {AriRequestError, isNotFound} from '../ari/port.js'
import type {Acd} from '../routing/acd.js'
import type {Clock, TimerHandle} from '../util/clock.js'
import {UserError} from '../util/errors.js'
import {newId} from '../util/ids.js'
import type {Logger} from '../util/log.js'
import {callIdOf, CallSession} from './call-session.js'
import type {EventLog} from './event-log.js'
import type {SupervisedCall, Supervision} from './supervision.js'

/** The parts of the engine that call control works with. */
export interface EngineInternals {
  ari: AriPort
  clock: Clock
  log: Logger
  events: EventLog
  acd: Acd
  supervision: Supervision
  sessions: Map<string, CallSession>
  track(channelId: string, session: CallSession, role: 'caller' | 'agent' | 'customer' | 'external' | 'consult'): void
  untrack(channelId: string): void
  hangup(channelId: string | null, reason?: string): Promise<void>
  destroyBridge(session: CallSession): Promise<void>
  endSession(session: CallSession, cause: string): void
  /** The connected call's agent part is over (wrap-up follows); the call may go on. */
  agentPartDone(session: CallSession, by: string): void
  enqueue(session: CallSession, queue: string, o: {joinedAt?: number; transferFrom?: string; musicOn?: boolean}): boolean
  scheduleDispatch(): void
  startRecording(session: CallSession): void
  dialString(number: string): string
  /** The outbound policy for a number (logged when refused). */
  outboundCheck(queue: string | null, number: string, who: {callId?: string | null; agent?: string | null; by: string}): OutboundVerdict
  outboundCallerId: string
  ringTimeoutS: number
}

export type TransferTarget = {agent: string} | {queue: string} | {number: string}

interface Consult {
  channelId: string
  target: TransferTarget
  agent: string | null
  startedAt: number
  answered: boolean
  timer: TimerHandle | undefined
}

/**
 * What supervisors and scripts do to live calls: hold, hang up, transfer (blind or after
 * consulting the target), and click-to-call outbound. The call keeps its id, so its
 * history (IVR path, key trail, contact, tags) travels with it through transfers.
 */
export class CallControl {
  private readonly consults = new Map<string, Consult>()

  constructor(private readonly e: EngineInternals) {}

  connected(callId: string): CallSession {
    const s = this.e.sessions.get(callId)
    if (!s) throw new UserError(`No live call "${callId}"`, {suggestion: 'List live calls with: callctl calls', code: 'unknown_call'})
    if (s.state !== 'connected' || !s.bridgeId || !s.agentId) throw new UserError(`Call "${callId}" is ${s.state}, not connected to an agent`, {suggestion: 'Hold, transfer and supervision work on connected calls.', code: 'not_connected'})
    return s
  }

  /** The connected call an agent is on (for "supervise AGENT"). */
  callOfAgent(agent: string): CallSession {
    for (const s of this.e.sessions.values()) if (s.agentId === agent && s.state === 'connected') return s
    throw new UserError(`Agent "${agent}" is not on a call`, {suggestion: 'See agents and their calls with: callctl calls', code: 'not_connected'})
  }

  supervised(s: CallSession): SupervisedCall {
    return {callId: s.id, agent: s.agentId!, agentChannelId: s.agentChannelId!, bridgeId: s.bridgeId!, queue: s.queue}
  }

  /** Whether the call's agent is consulting someone while the caller waits on hold (the call's view says so). */
  consulting(callId: string): boolean {
    return this.consults.has(callId)
  }

  // ---- hold ------------------------------------------------------------------

  async hold(callId: string, by: string): Promise<{callId: string; held: boolean}> {
    const s = this.connected(callId)
    if (s.heldSince !== null) return {callId, held: true}
    s.heldSince = this.e.clock.now()
    await this.outOfBridge(s).catch((err: unknown) => {
      s.heldSince = null
      throw err
    })
    await this.e.ari.startMoh(s.customerChannelId!).catch(ignore404)
    this.e.events.append({type: 'call.held', callId, queue: s.queue, agent: s.agentId, data: {by}})
    return {callId, held: true}
  }

  async unhold(callId: string, by: string): Promise<{callId: string; held: boolean; holdMs: number}> {
    const s = this.connected(callId)
    if (s.heldSince === null) return {callId, held: false, holdMs: 0}
    if (this.consults.has(callId)) throw new UserError(`Call "${callId}" is on hold for a consultation`, {suggestion: 'Complete or cancel it: callctl call transfer CALL --complete | --cancel', code: 'consulting'})
    const holdMs = this.takeHold(s)
    await this.e.ari.stopMoh(s.customerChannelId!).catch(ignore404)
    await this.e.ari.addToBridge(s.bridgeId!, [s.customerChannelId!]).catch(ignore404)
    this.e.events.append({type: 'call.unheld', callId, queue: s.queue, agent: s.agentId, data: {by, holdMs}})
    return {callId, held: false, holdMs}
  }

  /**
   * Takes the customer out of the call's bridge. A call is shown connected as soon as the
   * agent answers, while the engine is still adding the caller to the bridge (422 until
   * then): a hold asked for in that moment waits for it, rather than failing.
   */
  private async outOfBridge(s: CallSession): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.e.ari.removeFromBridge(s.bridgeId!, [s.customerChannelId!])
      } catch (err) {
        if (isNotFound(err)) return
        if (!(err instanceof AriRequestError && err.status === 422) || attempt >= 20) throw err
        await new Promise<void>((r) => this.e.clock.setTimeout(r, 100))
      }
    }
  }

  private takeHold(s: CallSession): number {
    if (s.heldSince === null) return 0
    const ms = this.e.clock.now() - s.heldSince
    s.holdMs += ms
    s.heldSince = null
    return ms
  }

  /**
   * DTMF from the agent's desk to the far end (an IVR of the customer's bank, an extension
   * at the consulted number): to the party consulted while the caller is held for it,
   * otherwise to the customer's leg. The digits are not logged: they may be a PIN.
   */
  async dtmf(callId: string, digits: string): Promise<{callId: string; digits: string; to: 'customer' | 'consulted'}> {
    const s = this.connected(callId)
    if (!/^[0-9*#A-D]{1,32}$/.test(digits)) throw new UserError(`Invalid DTMF "${digits.slice(0, 40)}"`, {suggestion: 'Digits 0-9, *, # and A-D, at most 32.', exitCode: 2})
    const c = this.consults.get(callId)
    const consulted = c !== undefined && c.answered
    await this.e.ari.sendDtmf(consulted ? c.channelId : s.customerChannelId!, digits)
    return {callId, digits, to: consulted ? 'consulted' : 'customer'}
  }

  /** asAgent: the call's own agent asks (its desk), so the call is recorded as ended by the agent; otherwise by a supervisor. */
  async hangupCall(callId: string, by: string, asAgent = false): Promise<{callId: string}> {
    const s = this.e.sessions.get(callId)
    if (!s) throw new UserError(`No live call "${callId}"`, {suggestion: 'List live calls with: callctl calls', code: 'unknown_call'})
    const side = asAgent && s.agentId !== null ? 'agent' : 'supervisor'
    this.e.events.append({type: 'call.hangup_requested', callId, queue: s.queue, agent: s.agentId, data: {by, side}})
    s.hangupAskedBy = side
    // Hanging up the customer's leg runs the normal teardown (completed, abandoned...).
    // A click-to-call still ringing its agent has no customer leg yet: the agent's ring ends it.
    if (s.direction === 'outbound' && s.state === 'answering') {
      const ring = s.agentChannelId
      this.e.untrack(ring ?? '')
      if (s.agentId) this.e.acd.release(s.agentId, s.id, this.e.clock.now())
      this.e.endSession(s, 'hung-up-by-supervisor')
      await this.e.hangup(ring)
      this.e.scheduleDispatch()
      return {callId}
    }
    if (s.state === 'calling-customer') {
      // The customer is still being dialled: a retry would call again, so the whole call ends here.
      const customer = s.customerChannelId
      this.e.untrack(customer ?? '')
      this.e.untrack(s.agentChannelId ?? '')
      if (s.agentId) this.e.acd.callEnded(s.agentId, 0, this.e.clock.now(), {wrapUp: false})
      this.e.endSession(s, 'hung-up-by-supervisor')
      await this.e.hangup(customer)
      await this.e.hangup(s.agentChannelId)
      await this.e.destroyBridge(s)
      this.e.scheduleDispatch()
      return {callId}
    }
    await this.e.hangup(s.customerChannelId ?? s.channelId)
    if (s.state === 'callback-pending') this.e.endSession(s, 'hung-up-by-supervisor')
    return {callId}
  }

  // ---- transfer --------------------------------------------------------------

  /** Blind: the agent leaves at once and the caller goes to the target. */
  async blindTransfer(callId: string, target: TransferTarget, by: string): Promise<{callId: string; to: TransferTarget}> {
    const s = this.connected(callId)
    if (this.consults.has(callId)) throw new UserError(`Call "${callId}" is in a consultation`, {suggestion: 'Complete or cancel it first.', code: 'consulting'})
    this.checkTarget(target, s)
    const from = s.agentId!
    this.e.events.append({type: 'call.transferred', callId, queue: s.queue, agent: from, data: {kind: 'blind', to: target, by}})
    this.detachAgent(s, 'transfer')
    if ('queue' in target) {
      await this.e.ari.startMoh(s.customerChannelId!).catch(ignore404)
      this.e.enqueue(s, target.queue, {transferFrom: from, musicOn: true})
    } else if ('agent' in target) {
      await this.e.ari.startMoh(s.customerChannelId!).catch(ignore404)
      await this.ringDirect(s, target.agent, 'direct')
    } else {
      await this.e.ari.startMoh(s.customerChannelId!).catch(ignore404)
      await this.dialExternal(s, target.number, 'direct')
    }
    return {callId, to: target}
  }

  /** Consultative: the caller waits on hold while the agent talks to the target first. */
  async consult(callId: string, target: TransferTarget, by: string): Promise<{callId: string; to: TransferTarget}> {
    const s = this.connected(callId)
    if (this.consults.has(callId)) throw new UserError(`Call "${callId}" is already in a consultation`, {code: 'consulting'})
    if ('queue' in target) throw new UserError('A consultation goes to an agent or a number, not a queue', {suggestion: 'Use --to-agent or --to-number with --consult, or a blind transfer to the queue.', exitCode: 2})
    this.checkTarget(target, s)
    await this.hold(callId, by)
    this.e.events.append({type: 'call.consult_started', callId, queue: s.queue, agent: s.agentId, data: {to: target, by}})
    if ('agent' in target) await this.ringDirect(s, target.agent, 'consult')
    else await this.dialExternal(s, target.number, 'consult')
    return {callId, to: target}
  }

  async completeConsult(callId: string, by: string): Promise<{callId: string; to: TransferTarget}> {
    const s = this.connected(callId)
    const c = this.consults.get(callId)
    if (!c?.answered) throw new UserError(c ? 'The consulted party has not answered yet' : `Call "${callId}" is not in a consultation`, {suggestion: 'Start one with: callctl call transfer CALL --to-agent B --consult', code: 'no_consult'})
    this.consults.delete(callId)
    const from = s.agentId!
    this.e.events.append({type: 'call.transferred', callId, queue: s.queue, agent: from, data: {kind: 'consult', to: c.target, by}})
    this.takeHold(s)
    // The first agent leaves; the consulted party takes over the call and its bridge.
    this.e.untrack(c.channelId)
    const bridgeId = s.bridgeId!
    this.detachAgent(s, 'transfer', {keepBridge: true})
    s.bridgeId = bridgeId
    s.state = 'connected'
    s.agentId = c.agent
    s.agentChannelId = c.channelId
    s.connectedAt = this.e.clock.now()
    this.e.track(c.channelId, s, c.agent ? 'agent' : 'external')
    if (!c.agent) s.externalChannelId = c.channelId
    await this.e.ari.stopMoh(s.customerChannelId!).catch(ignore404)
    await this.e.ari.addToBridge(bridgeId, [s.customerChannelId!]).catch(ignore404)
    this.e.events.append({type: 'call.connected', callId, queue: s.queue, agent: c.agent, data: {transfer: 'consult', from, ...('number' in c.target ? {number: c.target.number} : {})}})
    if (c.agent) await this.e.supervision.callMoved(callId, this.supervised(s))
    return {callId, to: c.target}
  }

  async cancelConsult(callId: string, by: string): Promise<{callId: string}> {
    const s = this.connected(callId)
    const c = this.consults.get(callId)
    if (!c) throw new UserError(`Call "${callId}" is not in a consultation`, {code: 'no_consult'})
    await this.endConsult(s, c, 'canceled', by)
    return {callId}
  }

  /**
   * After an engine restart: the consultation the log shows open, with its leg in Asterisk
   * (or null when the leg ended while no engine listened). Completion and cancel work as before.
   */
  async readoptConsult(s: CallSession, h: {target: TransferTarget; agent: string | null; answered: boolean; startedAt: number}, leg: Channel | null, now: number): Promise<void> {
    if (!leg) {
      this.e.events.append({type: 'call.consult_ended', callId: s.id, queue: s.queue, agent: s.agentId, data: {reason: 'ended-while-engine-down', by: 'system', to: h.target}})
      await this.unhold(s.id, 'system').catch(() => undefined)
      return
    }
    const c: Consult = {channelId: leg.id, target: h.target, agent: h.agent, startedAt: h.startedAt, answered: h.answered, timer: undefined}
    this.consults.set(s.id, c)
    this.e.track(leg.id, s, 'consult')
    // The consulted agent is on this call (ringing or talking), never free for a queue call.
    if (c.agent) this.e.acd.occupy(c.agent, s.id, c.answered ? 'on-call' : 'ringing', now)
    if (!c.answered) {
      // Its ring ends when no engine is around to hear it, so the timeout closes it here.
      const left = Math.max(1000, h.startedAt + this.e.ringTimeoutS * 1000 - now)
      c.timer = this.e.clock.setTimeout(() => void this.endConsult(s, c, 'no-answer', 'system'), left)
    }
  }

  private async endConsult(s: CallSession, c: Consult, reason: string, by: string): Promise<void> {
    if (this.consults.get(s.id) !== c) return
    this.consults.delete(s.id)
    this.e.clock.clearTimeout(c.timer)
    this.e.untrack(c.channelId)
    await this.e.hangup(c.channelId)
    if (c.agent) this.releaseAgent(c.agent, s.id, c.answered)
    this.e.events.append({type: 'call.consult_ended', callId: s.id, queue: s.queue, agent: s.agentId, data: {reason, by, to: c.target}})
    if (s.state === 'connected') await this.unhold(s.id, by).catch(() => undefined)
  }

  // ---- outbound (click-to-call) ------------------------------------------------

  /** Rings the agent's phone first, then dials the customer through the trunk. */
  async dial(number: string, agentId: string, by: string): Promise<{callId: string}> {
    const n = number.replace(/[\s().-]/g, '')
    if (!/^\+?[0-9]{3,20}$/.test(n)) throw new UserError(`Invalid number "${number}"`, {suggestion: 'Digits with an optional leading +, e.g. +8613800138000.', exitCode: 2})
    const agent = this.e.acd.agents.get(agentId)
    if (!agent) throw new UserError(`Agent "${agentId}" does not exist`, {suggestion: 'See callctl agent list.', code: 'unknown_agent'})
    refuseOutbound(this.e.outboundCheck(null, n, {agent: agentId, by}), n)
    const id = newId('call')
    if (!this.e.acd.occupy(agentId, id, 'ringing', this.e.clock.now())) {
      throw new UserError(`Agent "${agentId}" is ${this.e.acd.agentState(agent)}`, {suggestion: 'Click-to-call needs an idle agent (pause it first to keep queue calls away).', code: 'busy'})
    }
    const s = new CallSession(id, `${id}.c1`, {number: n, name: ''}, '', this.e.clock.now())
    s.direction = 'outbound'
    s.outboundNumber = n
    s.agentId = agentId
    this.e.sessions.set(id, s)
    this.e.events.append({type: 'call.started', callId: id, agent: agentId, data: {direction: 'outbound', number: n, name: '', did: '', by}})
    const channelId = `${id}.r1`
    s.agentChannelId = channelId
    this.e.track(channelId, s, 'agent')
    this.e.events.append({type: 'agent.ringing', callId: id, agent: agentId, data: {endpoint: agent.endpoint, channel: channelId, outbound: true}})
    try {
      await this.e.ari.originate({endpoint: agent.endpoint, app: this.e.ari.app, appArgs: `outbound,${id}`, callerId: `"Call ${n}" <${n}>`, timeout: this.e.ringTimeoutS, channelId})
    } catch (err) {
      this.e.untrack(channelId)
      this.e.acd.release(agentId, id, this.e.clock.now())
      this.e.endSession(s, 'agent-unreachable')
      throw new UserError(`Could not ring agent ${agentId}: ${err instanceof Error ? err.message : String(err)}`, {code: 'agent_unreachable'})
    }
    return {callId: id}
  }

  /** StasisStart of a leg this module placed; false when the kind is not ours. */
  async onStasisStart(kind: string, channel: Channel): Promise<boolean> {
    if (kind !== 'outbound' && kind !== 'direct' && kind !== 'consult') return false
    const s = this.sessionOf(channel.id)
    if (!s) {
      await this.e.hangup(channel.id)
      return true
    }
    if (kind === 'outbound') await this.outboundAgentAnswered(s, channel)
    else if (kind === 'direct') await this.directAnswered(s, channel)
    else await this.consultAnswered(s, channel)
    return true
  }

  private sessionOf(channelId: string): CallSession | undefined {
    return this.e.sessions.get(callIdOf(channelId))
  }

  private async outboundAgentAnswered(s: CallSession, channel: Channel): Promise<void> {
    if (s.ended || s.agentChannelId !== channel.id) return void this.e.hangup(channel.id)
    this.e.acd.occupy(s.agentId!, s.id, 'on-call', this.e.clock.now())
    s.state = 'calling-customer'
    s.bridgeId = `${s.id}.b`
    s.customerChannelId = s.channelId
    this.e.track(s.channelId, s, 'customer')
    this.e.events.append({type: 'callback.attempt', callId: s.id, agent: s.agentId, data: {attempt: 1, number: s.outboundNumber, outbound: true}})
    try {
      await this.e.ari.createBridge('mixing', s.bridgeId, s.id)
      await this.e.ari.addToBridge(s.bridgeId, [channel.id])
      await this.e.ari.originate({
        endpoint: this.e.dialString(s.outboundNumber!),
        app: this.e.ari.app,
        appArgs: `customer,${s.id}`,
        callerId: this.e.outboundCallerId,
        timeout: 30,
        channelId: s.channelId,
      })
    } catch (err) {
      this.e.untrack(s.channelId)
      this.e.log.warn('outbound call failed', {call: s.id, error: String(err)})
      await this.e.hangup(channel.id)
    }
  }

  /** The outbound customer leg ended before answering. */
  outboundFailed(s: CallSession, reason: string): void {
    this.e.events.append({type: 'callback.attempt_failed', callId: s.id, agent: s.agentId, data: {attempt: 1, reason, outbound: true}})
    void this.e.hangup(s.agentChannelId)
    void this.e.destroyBridge(s)
    this.e.acd.callEnded(s.agentId!, 0, this.e.clock.now(), {wrapUp: false})
    this.e.endSession(s, 'no-answer')
  }

  // ---- ringing a particular agent or number ----------------------------------------

  private async ringDirect(s: CallSession, agentId: string, kind: 'direct' | 'consult'): Promise<void> {
    const agent = this.e.acd.agents.get(agentId)!
    const channelId = `${s.id}.${kind === 'direct' ? 'd' : 'k'}${s.nextSeq()}`
    if (!this.e.acd.occupy(agentId, s.id, 'ringing', this.e.clock.now())) return this.transferFailed(s, kind, `agent ${agentId} is busy`)
    if (kind === 'direct') {
      s.state = 'transferring'
      s.directChannelId = channelId
    } else {
      this.consults.set(s.id, {channelId, target: {agent: agentId}, agent: agentId, startedAt: this.e.clock.now(), answered: false, timer: undefined})
    }
    this.e.track(channelId, s, kind === 'direct' ? 'agent' : 'consult')
    this.e.events.append({type: 'agent.ringing', callId: s.id, queue: s.queue, agent: agentId, data: {endpoint: agent.endpoint, channel: channelId, transfer: kind}})
    const timer = this.e.clock.setTimeout(() => void this.e.hangup(channelId), this.e.ringTimeoutS * 1000)
    const c = this.consults.get(s.id)
    if (c) c.timer = timer
    try {
      await this.e.ari.originate({endpoint: agent.endpoint, app: this.e.ari.app, appArgs: `${kind},${s.id}`, callerId: `"Transfer ${s.caller.name}" <${s.caller.number.replace(/[^0-9+]/g, '')}>`, timeout: this.e.ringTimeoutS + 5, channelId})
    } catch {
      this.e.clock.clearTimeout(timer)
      this.e.untrack(channelId)
      this.e.acd.release(agentId, s.id, this.e.clock.now())
      return this.transferFailed(s, kind, `agent ${agentId} unreachable`)
    }
  }

  private async dialExternal(s: CallSession, number: string, kind: 'direct' | 'consult'): Promise<void> {
    const channelId = `${s.id}.${kind === 'direct' ? 'x' : 'k'}${s.nextSeq()}`
    if (kind === 'direct') {
      s.state = 'transferring'
      s.externalChannelId = channelId
      s.connectedAt = null
      this.e.track(channelId, s, 'external')
    } else {
      this.consults.set(s.id, {channelId, target: {number}, agent: null, startedAt: this.e.clock.now(), answered: false, timer: undefined})
      this.e.track(channelId, s, 'consult')
    }
    try {
      await this.e.ari.originate({
        endpoint: this.e.dialString(number),
        app: this.e.ari.app,
        appArgs: `${kind === 'direct' ? 'external' : 'consult'},${s.id}`,
        callerId: this.e.outboundCallerId,
        timeout: 30,
        channelId,
      })
    } catch {
      this.e.untrack(channelId)
      return this.transferFailed(s, kind, `could not dial ${number}`)
    }
  }

  private async directAnswered(s: CallSession, channel: Channel): Promise<void> {
    if (s.state !== 'transferring' || s.directChannelId !== channel.id) return void this.e.hangup(channel.id)
    const agentId = this.e.acd.agentOfCall(s.id, 'ringing')
    if (!agentId) return void this.e.hangup(channel.id)
    this.e.acd.occupy(agentId, s.id, 'on-call', this.e.clock.now())
    s.directChannelId = null
    s.state = 'connected'
    s.agentId = agentId
    s.agentChannelId = channel.id
    s.connectedAt = this.e.clock.now()
    s.bridgeId = `${s.id}.b${s.nextSeq()}`
    this.e.events.append({type: 'call.connected', callId: s.id, queue: s.queue, agent: agentId, data: {transfer: 'blind', waitMs: 0, ringMs: 0, number: s.caller.number}})
    try {
      await this.e.ari.createBridge('mixing', s.bridgeId, s.id)
      await this.e.ari.stopMoh(s.customerChannelId!).catch(ignore404)
      await this.e.ari.addToBridge(s.bridgeId, [s.customerChannelId!, channel.id])
      this.e.startRecording(s)
    } catch (err) {
      if (!isNotFound(err) && !s.ended) throw err
    }
    // A hangup while the bridge was being made: its destroy may have reached Asterisk first.
    if (s.ended) void this.e.destroyBridge(s)
  }

  private async consultAnswered(s: CallSession, channel: Channel): Promise<void> {
    const c = this.consults.get(s.id)
    if (!c || c.channelId !== channel.id || s.state !== 'connected') return void this.e.hangup(channel.id)
    this.e.clock.clearTimeout(c.timer)
    c.answered = true
    if (c.agent) this.e.acd.occupy(c.agent, s.id, 'on-call', this.e.clock.now())
    this.e.events.append({type: 'call.consult_answered', callId: s.id, queue: s.queue, agent: s.agentId, data: {to: c.target}})
    // The first agent and the consulted party talk in the call's bridge; the caller is held outside it.
    await this.e.ari.addToBridge(s.bridgeId!, [channel.id]).catch(ignore404)
  }

  /** A leg this module placed is gone; true when it was one. */
  legGone(s: CallSession, channelId: string, role: string): boolean {
    if (role === 'consult') {
      const c = this.consults.get(s.id)
      if (c && c.channelId === channelId) void this.endConsult(s, c, c.answered ? 'consulted-party-hung-up' : 'no-answer', 'system')
      return true
    }
    if (s.state === 'transferring' && s.directChannelId === channelId) {
      const agentId = this.e.acd.agentOfCall(s.id, 'ringing')
      if (agentId) this.e.acd.release(agentId, s.id, this.e.clock.now())
      this.transferFailed(s, 'direct', 'no answer')
      return true
    }
    return false
  }

  /** A transfer that could not reach its target: the caller goes back in line in its queue. */
  private transferFailed(s: CallSession, kind: 'direct' | 'consult', reason: string): void {
    this.e.events.append({type: 'call.transfer_failed', callId: s.id, queue: s.queue, data: {kind, reason}})
    if (kind === 'consult') {
      const c = this.consults.get(s.id)
      if (c) void this.endConsult(s, c, reason, 'system')
      return
    }
    s.directChannelId = null
    if (s.queue && this.e.acd.queues.has(s.queue)) this.e.enqueue(s, s.queue, {joinedAt: s.joinedAt ?? undefined, musicOn: true})
    else {
      void this.e.hangup(s.customerChannelId)
      this.e.endSession(s, 'transfer-failed')
    }
  }

  /** Takes the agent out of the call (it goes to wrap-up); the customer stays in Stasis. */
  private detachAgent(s: CallSession, by: string, o: {keepBridge?: boolean} = {}): void {
    const agentChannel = s.agentChannelId
    this.e.agentPartDone(s, by)
    if (agentChannel) {
      this.e.untrack(agentChannel)
      void this.e.hangup(agentChannel)
    }
    if (!o.keepBridge) void this.e.destroyBridge(s)
    s.agentId = null
    s.agentChannelId = null
    s.bridgeId = null
  }

  private checkTarget(target: TransferTarget, s: CallSession): void {
    if ('queue' in target && !this.e.acd.queues.has(target.queue)) {
      throw new UserError(`Queue "${target.queue}" does not exist. Existing queues: ${[...this.e.acd.queues.keys()].join(', ') || '(none)'}`, {code: 'unknown_queue'})
    }
    if ('agent' in target) {
      const a = this.e.acd.agents.get(target.agent)
      if (!a) throw new UserError(`Agent "${target.agent}" does not exist`, {suggestion: 'See callctl agent list.', code: 'unknown_agent'})
      if (target.agent === s.agentId) throw new UserError('That agent already has the call', {exitCode: 2})
      if (this.e.acd.agentState(a) !== 'idle') throw new UserError(`Agent "${target.agent}" is ${this.e.acd.agentState(a)}`, {suggestion: 'Transfer to an idle agent, or to its queue.', code: 'busy'})
    }
    if ('number' in target && !/^\+?[0-9]{3,20}$/.test(target.number)) throw new UserError(`Invalid number "${target.number}"`, {exitCode: 2})
    if ('number' in target) refuseOutbound(this.e.outboundCheck(s.queue, target.number, {callId: s.id, agent: s.agentId, by: 'transfer'}), target.number)
  }

  private releaseAgent(agentId: string, callId: string, answered: boolean): void {
    if (answered) this.e.acd.callEnded(agentId, 0, this.e.clock.now(), {wrapUp: false})
    else this.e.acd.release(agentId, callId, this.e.clock.now())
    this.e.scheduleDispatch()
  }
}

function ignore404(err: unknown): void {
  if (!isNotFound(err)) throw err
}

/** A number the outbound policy does not allow: one line with the reason and where it is allowed. */
function refuseOutbound(v: OutboundVerdict, number: string): void {
  if (v.allowed) return
  throw new UserError(`Calling ${number} is not allowed: ${v.why}`, {
    suggestion: "An admin allows numbers with outbound.allow in the config, or a queue's outboundAllow (callctl queue add Q --update --outbound-allow RULE).",
    exitCode: 1,
    code: 'outbound_refused',
  })
}
