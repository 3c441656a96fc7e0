import type {Bridge, Channel} from '../ari/port.js'
import {callStarted, type StoredEvent} from '../store/events.js'

// After a restart the engine knows nothing in memory; Asterisk still has the calls (a
// channel stays in its Stasis app when the app's socket goes away) and the log has their
// history. This file decides, per open call, what it is now; the engine then acts.

/** What the log says about a call that has not ended. */
export interface CallHistory {
  callId: string
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
  phase: 'ivr' | 'waiting' | 'callback' | 'connected' | 'other'
  agent: string | null
  connectedAt: number | null
  callbackNumber: string | null
  callbackAttempts: number
  contact: {source: string; name: string; tier: string; vip: boolean; notes: string; language: string; company: string} | null
  keyTrail: {node: string; keys: string; result: string; at: number}[]
  /** Ring attempts the log shows as still ringing: they died with the engine. */
  openRings: string[]
  holdMs: number
  flow: {name: string; version: number} | null
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
    flow: null,
  }
  const rings = new Set<string>()
  for (const e of events) {
    const d = e.data
    switch (e.type) {
      case 'call.started':
        Object.assign(h, callStarted(e))
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
        h.queue = e.queue
        h.priority = Number(d.priority ?? h.priority)
        h.enteredQueueAt = e.ts
        h.joinedAt = typeof d.joinedAt === 'number' ? d.joinedAt : h.joinedAt !== null && d.resumed ? h.joinedAt : e.ts
        h.requiredSkills = typeof d.requiredSkills === 'string' ? d.requiredSkills : null
        break
      case 'agent.ringing':
        if (typeof d.channel === 'string') rings.add(d.channel)
        break
      case 'agent.ring_noanswer':
      case 'agent.ring_canceled':
        rings.clear() // the log does not name the channel of a finished ring; any finished ring closes the oldest
        break
      case 'call.connected':
        h.phase = 'connected'
        h.agent = e.agent
        h.connectedAt = e.ts
        rings.clear()
        break
      case 'call.completed':
        h.holdMs = 0
        h.phase = 'other'
        break
      case 'callback.requested':
        h.phase = 'callback'
        h.callbackNumber = String(d.number ?? '')
        break
      case 'callback.attempt':
        h.callbackAttempts = Number(d.attempt ?? h.callbackAttempts)
        break
      case 'callback.retry_scheduled':
        h.phase = 'callback'
        break
      case 'call.unheld':
        h.holdMs += Number(d.holdMs ?? 0)
        break
      default:
        break
    }
  }
  h.openRings = [...rings]
  return h
}

export type RecoveryStep =
  | {kind: 'connected'; history: CallHistory; customer: Channel; agentChannel: Channel; bridge: Bridge}
  | {kind: 'waiting'; history: CallHistory; caller: Channel; orphanRings: Channel[]}
  /** A callback still owed; legs of an attempt that was under way are hung up and it starts over. */
  | {kind: 'callback'; history: CallHistory; stale: Channel[]}
  | {kind: 'restart-ivr'; history: CallHistory; caller: Channel}
  /** One leg of a connected call left while the engine was away: the call is over. */
  | {kind: 'half'; history: CallHistory; survivor: Channel; gone: 'agent' | 'customer'}
  /** Nothing of the call is left in Asterisk. */
  | {kind: 'lost'; history: CallHistory}
  /** In our app with no call of ours: it arrived while the engine was away. */
  | {kind: 'new-inbound'; channel: Channel}
  /** A supervisor or snoop channel: supervision does not survive a restart. */
  | {kind: 'stale'; channel: Channel}

/** Our channels are named after their call: CALL.rN (agent ring), CALL.cN (customer), … */
function callOf(ch: Channel): string | null {
  const v = ch.channelvars?.CALLCTL_CALL
  if (v) return v
  const m = /^(call-[a-z0-9]+-[0-9a-f]+)\.[a-z]\d+$/.exec(ch.id)
  return m ? m[1]! : null
}

function legOf(ch: Channel, callId: string): 'caller' | 'agent' | 'customer' | 'external' | 'other' {
  if (ch.id.startsWith(`${callId}.`)) {
    const kind = ch.id.slice(callId.length + 1, callId.length + 2)
    return kind === 'r' || kind === 'd' || kind === 'k' ? 'agent' : kind === 'c' ? 'customer' : kind === 'x' ? 'external' : 'other'
  }
  return ch.channelvars?.CALLCTL_CALL === callId ? 'caller' : 'other'
}

/**
 * Decides what each open call is now. `inApp` holds the ids of channels in our Stasis app
 * (ringing agent legs are not there yet: they enter on answer).
 */
export function planRecovery(open: CallHistory[], channels: Channel[], bridges: Bridge[], inApp: Set<string>): RecoveryStep[] {
  const byCall = new Map<string, Channel[]>()
  const claimed = new Set<string>()
  for (const ch of channels) {
    const id = callOf(ch)
    if (!id) continue
    let list = byCall.get(id)
    if (!list) byCall.set(id, (list = []))
    list.push(ch)
  }
  const steps: RecoveryStep[] = []
  for (const h of open) {
    const chans = byCall.get(h.callId) ?? []
    for (const c of chans) claimed.add(c.id)
    const legs = (kind: string) => chans.filter((c) => legOf(c, h.callId) === kind)
    const customer = (h.direction === 'outbound' || h.callbackNumber ? legs('customer')[0] : legs('caller')[0]) ?? legs('caller')[0] ?? legs('customer')[0]
    const bridge = bridges.find((b) => b.name === h.callId)
    if (h.phase === 'connected') {
      const agentChannel = bridge ? legs('agent').find((c) => bridge.channels.includes(c.id)) : undefined
      if (customer && agentChannel && bridge) steps.push({kind: 'connected', history: h, customer, agentChannel, bridge})
      else if (customer) steps.push({kind: 'half', history: h, survivor: customer, gone: 'agent'})
      else if (agentChannel ?? legs('agent')[0]) steps.push({kind: 'half', history: h, survivor: (agentChannel ?? legs('agent')[0])!, gone: 'customer'})
      else steps.push({kind: 'lost', history: h})
      continue
    }
    if (h.phase === 'callback') {
      steps.push({kind: 'callback', history: h, stale: chans})
      continue
    }
    const caller = legs('caller')[0]
    if (!caller || !inApp.has(caller.id)) {
      steps.push({kind: 'lost', history: h})
      continue
    }
    if (h.phase === 'waiting') steps.push({kind: 'waiting', history: h, caller, orphanRings: legs('agent')})
    else steps.push({kind: 'restart-ivr', history: h, caller})
  }
  for (const ch of channels) {
    if (claimed.has(ch.id) || !inApp.has(ch.id)) continue
    if (ch.id.startsWith('sup-')) steps.push({kind: 'stale', channel: ch})
    else if (callOf(ch) === null) steps.push({kind: 'new-inbound', channel: ch})
  }
  return steps
}
