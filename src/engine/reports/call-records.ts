import {callStarted, type StoredEvent} from '../store/events.js'
import type {EventQuery, Store} from '../store/store.js'

/** One call folded from its events. */
export interface CallRecord {
  callId: string
  number: string
  name: string
  did: string
  direction: string
  /** The last queue the call was in. */
  queue: string | null
  /** Every queue it entered, in order (overflow and transfers add more). */
  queues: string[]
  priority: number
  agent: string | null
  startedAt: number
  enteredQueueAt: number | null
  connectedAt: number | null
  endedAt: number | null
  waitMs: number | null
  /** Position in line when the call first entered a queue, and when it left one without an agent. */
  entryPosition: number | null
  exitPosition: number | null
  /** Connected time summed over the agents who had the call, hold included (as call.completed counts it). */
  talkMs: number | null
  holdMs: number
  /** After-call work that followed; null when the wrap-up's end is not among the events. */
  wrapUpMs: number | null
  /** completed | abandoned | rejected | ... : the cause on call.ended, or "live". */
  outcome: string
  completedBy: string | null
  ringNoAnswer: number
  /** Agents whose phone rang without an answer, in order. */
  agentsTried: string[]
  /** KIND:TARGET for each transfer, e.g. blind:queue:support. */
  transfers: string[]
  recording: string | null
  surveyScore: number | null
  /** Keys pressed in the IVR, as NODE:KEYS in order. */
  keyTrail: string[]
  /** The call's event types in log order. */
  trail: string[]
}

export function foldCall(events: readonly StoredEvent[]): CallRecord | undefined {
  const first = events[0]
  if (!first?.callId) return undefined
  const r: CallRecord = {
    callId: first.callId,
    number: '',
    name: '',
    did: '',
    direction: 'inbound',
    queue: null,
    queues: [],
    priority: 0,
    agent: null,
    startedAt: first.ts,
    enteredQueueAt: null,
    connectedAt: null,
    endedAt: null,
    waitMs: null,
    entryPosition: null,
    exitPosition: null,
    talkMs: null,
    holdMs: 0,
    wrapUpMs: null,
    outcome: 'live',
    completedBy: null,
    ringNoAnswer: 0,
    agentsTried: [],
    transfers: [],
    recording: null,
    surveyScore: null,
    keyTrail: [],
    trail: [],
  }
  let wrapFrom: number | null = null
  for (const e of events) {
    r.trail.push(e.type)
    const d = e.data
    switch (e.type) {
      case 'call.started':
        Object.assign(r, callStarted(e))
        break
      case 'queue.entered':
        r.queue = e.queue
        if (e.queue) r.queues.push(e.queue)
        r.enteredQueueAt = e.ts
        r.priority = Number(d.priority ?? r.priority)
        r.entryPosition ??= numberOrNull(d.position)
        break
      case 'agent.ring_noanswer':
        r.ringNoAnswer++
        if (e.agent) r.agentsTried.push(e.agent)
        break
      case 'call.connected':
        r.agent = e.agent
        r.connectedAt ??= e.ts
        // A transfer's connect carries no wait: the caller's wait is the one before the first agent.
        if (d.transfer === undefined) r.waitMs = Number(d.waitMs ?? 0)
        break
      case 'queue.abandoned':
      case 'queue.system_ended':
      case 'queue.exited':
        r.waitMs = Number(d.waitMs ?? 0)
        r.exitPosition = numberOrNull(d.position)
        break
      case 'call.completed':
        r.talkMs = (r.talkMs ?? 0) + Number(d.talkMs ?? 0)
        r.holdMs += Number(d.holdMs ?? 0)
        r.completedBy = String(d.by ?? '')
        break
      case 'call.transferred': {
        const to = (d.to ?? {}) as Record<string, unknown>
        const [kind, target] = typeof d.to === 'string' ? ['number', d.to] : (Object.entries(to)[0] ?? ['', ''])
        r.transfers.push(`${String(d.kind ?? 'blind')}:${kind}:${String(target)}`)
        break
      }
      case 'agent.wrapup_started':
        wrapFrom = e.ts
        break
      case 'agent.wrapup_ended':
        if (wrapFrom !== null) r.wrapUpMs = (r.wrapUpMs ?? 0) + Math.max(0, e.ts - wrapFrom)
        wrapFrom = null
        break
      case 'recording.started':
      case 'recording.finished':
        r.recording = String(d.recording ?? '') || r.recording
        break
      case 'survey.answered':
        r.surveyScore = numberOrNull(d.score)
        break
      case 'ivr.keys':
        r.keyTrail.push(`${String(d.node)}:${String(d.keys)}`)
        break
      case 'call.ended':
        r.endedAt = e.ts
        r.outcome = String(d.cause ?? 'ended')
        break
      default:
        break
    }
  }
  return r
}

/** Who ended the call: the party that hung up, or "system" (a timeout, a refusal, a supervisor). */
export function disconnectSide(r: CallRecord): string {
  if (r.completedBy === 'caller' || r.completedBy === 'agent') return r.completedBy
  if (r.completedBy) return 'system'
  if (r.outcome === 'live') return ''
  return /abandon|hangup-before|^hangup$/.test(r.outcome) ? 'caller' : 'system'
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/** Calls whose events match the query, folded, in order of their first event. */
export async function callRecords(store: Store, q: EventQuery = {}): Promise<CallRecord[]> {
  const byCall = new Map<string, StoredEvent[]>()
  for await (const e of store.events(q)) {
    if (!e.callId) continue
    let list = byCall.get(e.callId)
    if (!list) byCall.set(e.callId, (list = []))
    list.push(e)
  }
  const out: CallRecord[] = []
  for (const events of byCall.values()) {
    events.sort((a, b) => a.ts - b.ts || a.id - b.id)
    const r = foldCall(events)
    if (r) out.push(r)
  }
  return out
}
