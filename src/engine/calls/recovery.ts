import type {Bridge, Channel} from '../ari/port.js'
import {callStarted, type StoredEvent} from '../store/events.js'

// After a restart the engine knows nothing in memory; Asterisk still has the calls (a
// channel stays in its Stasis app when the app's socket goes away) and the log has their
// history. This file decides, per open call, what it is now; the engine then acts.

/** What the log says about a call that has not ended. */
export interface CallHistory {
  callId: string
  /** The inbound caller's channel, as call.started logged it (the engine sets no variable on it). */
  callerChannel?: string
  direction: string
  number: string
  name: string
  did: string
  startedAt: number
  queue: string | null
  priority: number
  joinedAt: number | null
  enteredQueueAt: number | null
  requiredSkills: string | null
  /** The last phase the log saw the call in. */
  phase: 'ivr' | 'waiting' | 'callback' | 'connected' | 'transferring' | 'outbound' | 'after-call' | 'leaving' | 'other'
  agent: string | null
  connectedAt: number | null
  callbackNumber: string | null
  callbackAttempts: number
  contact: {source: string; name: string; tier: string; vip: boolean; notes: string; language: string; company: string} | null
  keyTrail: {node: string; keys: string; result: string; at: number}[]
  /** Ring attempts the log shows as still ringing: they died with the engine. */
  openRings: string[]
  holdMs: number
  /** On hold since (the caller is out of the bridge, hearing music). */
  heldSince: number | null
  /** The connected agent's leg, when the log names it. */
  agentChannel: string | null
  /** A consultation under way: the first agent talks to the target while the caller is held. */
  consult: ConsultHistory | null
  /** A blind transfer ringing one agent. */
  direct: {agent: string; channel: string} | null
  /** A blind transfer to an outside number (from an agent or the IVR): the caller goes out through the trunk. */
  external: boolean
  /** A transfer was just logged: the call.completed that follows is the first agent's part only. */
  transferred: boolean
  /** Leaving by voicemail (from the queue's overflow or the IVR): the caller may be recording. */
  voicemail: boolean
  /** A callback or click-to-call whose agent answered and whose customer is being dialled. */
  dialling: {agent: string | null; at: number} | null
  flow: {name: string; version: number} | null
  /** The highest ring (`.rN`) and other child (`.kN`, `.dN`, `.bN`) numbers the log shows in use. */
  usedIds: {rings: number; seq: number}
}

export interface ConsultHistory {
  target: {agent: string} | {number: string}
  agent: string | null
  channel: string | null
  answered: boolean
  startedAt: number
}

export function foldHistory(events: readonly StoredEvent[]): CallHistory | null {
  const first = events[0]
  if (!first?.callId) return null
  const h: CallHistory = {
    callId: first.callId,
    direction: 'inbound',
    number: '',
    name: '',
    did: '',
    startedAt: first.ts,
    queue: null,
    priority: 0,
    joinedAt: null,
    enteredQueueAt: null,
    requiredSkills: null,
    phase: 'other',
    agent: null,
    connectedAt: null,
    callbackNumber: null,
    callbackAttempts: 0,
    contact: null,
    keyTrail: [],
    openRings: [],
    holdMs: 0,
    heldSince: null,
    agentChannel: null,
    consult: null,
    direct: null,
    external: false,
    transferred: false,
    voicemail: false,
    dialling: null,
    flow: null,
    usedIds: {rings: 0, seq: 0},
  }
  const rings = new Set<string>()
  const lastRingOf = new Map<string, string>()
  for (const e of events) {
    const d = e.data
    switch (e.type) {
      case 'call.started':
        Object.assign(h, callStarted(e))
        if (typeof d.channel === 'string') h.callerChannel = d.channel
        break
      case 'call.contact':
        if (d.found) h.contact = {source: String(d.source ?? ''), name: String(d.name ?? ''), tier: String(d.tier ?? ''), vip: d.vip === true, notes: String(d.notes ?? ''), language: '', company: ''}
        break
      case 'ivr.started':
        h.phase = 'ivr'
        h.flow = {name: String(d.flow ?? ''), version: Number(d.version ?? 0)}
        break
      case 'ivr.keys':
        h.keyTrail.push({node: String(d.node), keys: String(d.keys), result: String(d.result), at: e.ts})
        break
      case 'queue.entered':
        h.phase = 'waiting'
        h.external = false
        h.transferred = false
        h.queue = e.queue
        h.priority = Number(d.priority ?? h.priority)
        h.enteredQueueAt = e.ts
        h.joinedAt = typeof d.joinedAt === 'number' ? d.joinedAt : h.joinedAt !== null && d.resumed ? h.joinedAt : e.ts
        h.requiredSkills = typeof d.requiredSkills === 'string' ? d.requiredSkills : null
        break
      case 'agent.ringing':
        if (typeof d.channel !== 'string') break
        noteId(h, d.channel)
        if (d.transfer === 'consult') {
          if (h.consult) h.consult.channel = d.channel
        } else if (d.transfer === 'direct') {
          h.phase = 'transferring'
          h.direct = {agent: e.agent ?? '', channel: d.channel}
        } else if (d.outbound) {
          h.phase = 'outbound'
          h.agent = e.agent
          h.agentChannel = d.channel
        } else {
          rings.add(d.channel)
          if (e.agent) lastRingOf.set(e.agent, d.channel)
        }
        break
      case 'agent.ring_noanswer':
      case 'agent.ring_canceled':
        rings.clear() // the log does not name the channel of a finished ring; any finished ring closes the oldest
        break
      case 'call.connected':
        h.phase = 'connected'
        h.agent = e.agent
        h.connectedAt = e.ts
        h.agentChannel =
          typeof d.channel === 'string' ? d.channel : d.transfer === 'consult' ? (h.consult?.channel ?? null) : d.transfer === 'blind' ? (h.direct?.channel ?? null) : h.agentChannel
        h.consult = null
        h.direct = null
        h.external = false
        h.transferred = false
        h.dialling = null
        rings.clear()
        break
      case 'call.completed':
        h.holdMs = 0
        h.heldSince = null
        // A transfer logs its agent's part as completed right after the transfer. Otherwise
        // the call is over but for the caller rating it (the survey) or hanging up.
        h.phase = h.external ? 'transferring' : h.transferred ? 'other' : 'after-call'
        break
      case 'call.transfer_failed':
        h.direct = null
        break
      case 'callback.requested':
        h.phase = 'callback'
        h.callbackNumber = String(d.number ?? '')
        break
      case 'callback.attempt':
        if (!d.outbound) h.callbackAttempts = Number(d.attempt ?? h.callbackAttempts)
        h.dialling = {agent: e.agent, at: e.ts}
        if (e.agent && !d.outbound) h.agentChannel = lastRingOf.get(e.agent) ?? null
        rings.clear()
        break
      case 'callback.attempt_failed':
        h.dialling = null
        break
      case 'callback.retry_scheduled':
        h.phase = 'callback'
        h.dialling = null
        break
      case 'call.held':
        h.heldSince = e.ts
        break
      case 'call.unheld':
        h.holdMs += Number(d.holdMs ?? 0)
        h.heldSince = null
        break
      case 'queue.exited':
        // Sent on to voicemail, a message or a hang-up (another queue and a callback log their own next step).
        if (d.action === 'voicemail' || d.action === 'message' || d.action === 'hangup') h.phase = 'leaving'
        h.voicemail = d.action === 'voicemail'
        break
      case 'ivr.ended':
        if (d.action === 'voicemail') {
          h.phase = 'leaving'
          h.voicemail = true
        }
        break
      case 'call.rejected':
        h.phase = 'leaving'
        break
      case 'call.consult_started': {
        const to = (d.to ?? {}) as Record<string, unknown>
        const agent = typeof to.agent === 'string' ? to.agent : null
        h.consult = {target: agent !== null ? {agent} : {number: String(to.number ?? '')}, agent, channel: null, answered: false, startedAt: e.ts}
        break
      }
      case 'call.consult_answered':
        if (h.consult) h.consult.answered = true
        break
      case 'call.consult_ended':
        h.consult = null
        break
      case 'call.transferred':
        h.transferred = true
        h.consult = d.kind === 'consult' ? h.consult : null
        if (d.kind === 'blind' && (typeof d.to === 'string' || typeof (d.to as Record<string, unknown> | undefined)?.number === 'string')) {
          h.phase = 'transferring'
          h.external = true
        }
        break
      default:
        break
    }
  }
  h.openRings = [...rings]
  return h
}

export type RecoveryStep =
  /** Talking (maybe held, maybe consulting: `consult` is the consultation's leg, gone when null). */
  | {kind: 'connected'; history: CallHistory; customer: Channel; agentChannel: Channel; bridge: Bridge; consult: Channel | null; stale: Channel[]}
  /** A blind transfer was ringing an agent or a number: the ring is over, the caller goes back in line. */
  | {kind: 'transferring'; history: CallHistory; caller: Channel; stale: Channel[]}
  /** The caller talks to an outside number it was transferred to, in the call's bridge. */
  | {kind: 'external'; history: CallHistory; caller: Channel; external: Channel; bridge: Bridge}
  /** The customer of a callback or click-to-call is being dialled, the agent waiting in the bridge. */
  | {kind: 'dialling'; history: CallHistory; agentChannel: Channel; customer: Channel; bridge: Bridge}
  /** A click-to-call that had not reached the customer: its legs are hung up and it ends. */
  | {kind: 'outbound-dropped'; history: CallHistory; stale: Channel[]; bridges: Bridge[]}
  | {kind: 'waiting'; history: CallHistory; caller: Channel; orphanRings: Channel[]}
  /** A callback still owed; legs of an attempt that was under way are hung up and it starts over. */
  | {kind: 'callback'; history: CallHistory; stale: Channel[]; bridges: Bridge[]}
  | {kind: 'restart-ivr'; history: CallHistory; caller: Channel}
  /** One leg of a connected call left while the engine was away: the call is over. */
  | {kind: 'half'; history: CallHistory; survivor: Channel; gone: 'agent' | 'customer'; stale: Channel[]; bridges: Bridge[]}
  /** The call was over but for its caller (a survey, a closing message): it ends now. */
  | {kind: 'closing'; history: CallHistory; stale: Channel[]; bridges: Bridge[]}
  /** The caller is leaving a voicemail (or about to): it goes on. */
  | {kind: 'voicemail'; history: CallHistory; caller: Channel}
  /** Nothing of the call is left in Asterisk. */
  | {kind: 'lost'; history: CallHistory; stale: Channel[]; bridges: Bridge[]}
  /** In our app with no call of ours: it arrived while the engine was away. */
  | {kind: 'new-inbound'; channel: Channel}
  /** A supervisor or snoop channel: supervision does not survive a restart. */
  | {kind: 'stale'; channel: Channel}

/**
 * Our channels are named after their call: CALL.rN (agent ring), CALL.cN (customer), …; an
 * inbound caller's channel is Asterisk's, found by the id call.started logged (or by
 * CALLCTL_CALL, which engines before 2026-12 set on it: one REST request per call saved).
 */
function callOf(ch: Channel, callers: ReadonlyMap<string, string>): string | null {
  const v = callers.get(ch.id) ?? ch.channelvars?.CALLCTL_CALL
  if (v) return v
  const m = /^(call-[a-z0-9]+-[0-9a-f]+)\.[a-z]\d+$/.exec(ch.id)
  return m ? m[1]! : null
}

function noteId(h: CallHistory, channelId: string): void {
  const m = /\.([a-z])(\d+)$/.exec(channelId)
  if (!m) return
  if (m[1] === 'r') h.usedIds.rings = Math.max(h.usedIds.rings, Number(m[2]))
  else h.usedIds.seq = Math.max(h.usedIds.seq, Number(m[2]))
}

function inStasis(ch: Channel): boolean {
  return ch.dialplan?.app_name === undefined || ch.dialplan.app_name.toLowerCase() === 'stasis'
}

function legOf(ch: Channel, callId: string, callers: ReadonlyMap<string, string>): 'caller' | 'agent' | 'customer' | 'external' | 'other' {
  if (ch.id.startsWith(`${callId}.`)) {
    const kind = ch.id.slice(callId.length + 1, callId.length + 2)
    return kind === 'r' || kind === 'd' || kind === 'k' ? 'agent' : kind === 'c' ? 'customer' : kind === 'x' ? 'external' : 'other'
  }
  return (callers.get(ch.id) ?? ch.channelvars?.CALLCTL_CALL) === callId ? 'caller' : 'other'
}

/**
 * Decides what each open call is now. `inApp` holds the ids of channels in our Stasis app
 * (ringing agent legs are not there yet: they enter on answer).
 */
export function planRecovery(open: CallHistory[], channels: Channel[], bridges: Bridge[], inApp: Set<string>): RecoveryStep[] {
  const byCall = new Map<string, Channel[]>()
  const claimed = new Set<string>()
  // The far half (;2) of a Local channel the engine placed is subscribed to the app (so it is
  // in channel_ids) but never in Stasis: it is no leg of ours, and goes when its ;1 half does.
  channels = channels.filter((ch) => !/;\d+$/.test(ch.id))
  const callers = new Map<string, string>()
  for (const h of open) if (h.callerChannel) callers.set(h.callerChannel, h.callId)
  for (const ch of channels) {
    const id = callOf(ch, callers)
    if (!id) continue
    let list = byCall.get(id)
    if (!list) byCall.set(id, (list = []))
    list.push(ch)
  }
  const steps: RecoveryStep[] = []
  for (const h of open) {
    const chans = byCall.get(h.callId) ?? []
    for (const c of chans) claimed.add(c.id)
    const legs = (kind: string) => chans.filter((c) => legOf(c, h.callId, callers) === kind)
    const customer = (h.direction === 'outbound' || h.callbackNumber ? legs('customer')[0] : legs('caller')[0]) ?? legs('caller')[0] ?? legs('customer')[0]
    const bridge = bridges.find((b) => b.name === h.callId)
    const ownBridges = bridges.filter((b) => b.name === h.callId)
    const lost = () => steps.push({kind: 'lost', history: h, stale: chans, bridges: ownBridges})
    if (h.phase === 'connected') {
      const consultLeg = h.consult ? (chans.find((c) => c.id === h.consult!.channel) ?? chans.filter((c) => c.id.startsWith(`${h.callId}.k`)).at(-1) ?? null) : null
      const agentLegs = legs('agent').filter((c) => c !== consultLeg)
      const agentChannel = bridge ? (agentLegs.find((c) => c.id === h.agentChannel && bridge.channels.includes(c.id)) ?? agentLegs.find((c) => bridge.channels.includes(c.id))) : undefined
      const stale = chans.filter((c) => c !== customer && c !== agentChannel && c !== consultLeg && legOf(c, h.callId, callers) !== 'caller')
      if (customer && agentChannel && bridge) steps.push({kind: 'connected', history: h, customer, agentChannel, bridge, consult: consultLeg, stale})
      else if (customer) steps.push({kind: 'half', history: h, survivor: customer, gone: 'agent', stale: chans, bridges: ownBridges})
      else if (agentChannel ?? agentLegs[0]) steps.push({kind: 'half', history: h, survivor: (agentChannel ?? agentLegs[0])!, gone: 'customer', stale: chans, bridges: ownBridges})
      else lost()
      continue
    }
    if (h.phase === 'callback' || h.phase === 'outbound') {
      const agentChannel = chans.find((c) => c.id === h.agentChannel)
      const dialled = h.dialling && bridge && agentChannel && bridge.channels.includes(agentChannel.id) ? legs('customer').at(-1) : undefined
      if (h.dialling && dialled && agentChannel && bridge) steps.push({kind: 'dialling', history: h, agentChannel, customer: dialled, bridge})
      else if (h.phase === 'callback') steps.push({kind: 'callback', history: h, stale: chans, bridges: ownBridges})
      else steps.push({kind: 'outbound-dropped', history: h, stale: chans, bridges: ownBridges})
      continue
    }
    const inStasisCaller = legs('caller').find((c) => inApp.has(c.id))
    if (h.phase === 'leaving' && h.voicemail && inStasisCaller) {
      steps.push({kind: 'voicemail', history: h, caller: inStasisCaller})
      continue
    }
    if (h.phase === 'after-call' || h.phase === 'leaving') {
      steps.push({kind: 'closing', history: h, stale: chans, bridges: ownBridges})
      continue
    }
    const caller = legs('caller')[0]
    if (!caller || !inApp.has(caller.id)) {
      lost()
      continue
    }
    const external = h.external ? legs('external').at(-1) : undefined
    if (h.phase === 'transferring' && external && bridge?.channels.includes(external.id) && bridge.channels.includes(caller.id)) {
      steps.push({kind: 'external', history: h, caller, external, bridge})
    } else if (h.phase === 'transferring') steps.push({kind: 'transferring', history: h, caller, stale: chans.filter((c) => c !== caller)})
    else if (h.phase === 'waiting') steps.push({kind: 'waiting', history: h, caller, orphanRings: legs('agent')})
    else steps.push({kind: 'restart-ivr', history: h, caller})
  }
  for (const ch of channels) {
    if (claimed.has(ch.id) || !inApp.has(ch.id)) continue
    if (ch.id.startsWith('sup-')) steps.push({kind: 'stale', channel: ch})
    // Only a channel sitting in Stasis is a call that arrived meanwhile; the app is also
    // subscribed to channels it merely placed.
    else if (callOf(ch, callers) === null && inStasis(ch)) steps.push({kind: 'new-inbound', channel: ch})
  }
  return steps
}
