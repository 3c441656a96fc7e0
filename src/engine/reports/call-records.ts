import type {StoredEvent} from '../store/events.js'
import type {EventQuery, Store} from '../store/store.js'

/** One call folded from its events. */
export interface CallRecord {
  callId: string
  number: string
  name: string
  did: string
  direction: string
  queue: string | null
  agent: string | null
  startedAt: number
  enteredQueueAt: number | null
  connectedAt: number | null
  endedAt: number | null
  waitMs: number | null
  talkMs: number | null
  /** completed | abandoned | rejected | ... : the cause on call.ended, or "live". */
  outcome: string
  completedBy: string | null
  ringNoAnswer: number
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
    agent: null,
    startedAt: first.ts,
    enteredQueueAt: null,
    connectedAt: null,
    endedAt: null,
    waitMs: null,
    talkMs: null,
    outcome: 'live',
    completedBy: null,
    ringNoAnswer: 0,
    keyTrail: [],
    trail: [],
  }
  for (const e of events) {
    r.trail.push(e.type)
    const d = e.data
    switch (e.type) {
      case 'call.started':
        r.number = String(d.number ?? '')
        r.name = String(d.name ?? '')
        r.did = String(d.did ?? '')
        r.direction = String(d.direction ?? 'inbound')
        r.startedAt = e.ts
        break
      case 'queue.entered':
        r.queue = e.queue
        r.enteredQueueAt = e.ts
        break
      case 'agent.ring_noanswer':
        r.ringNoAnswer++
        break
      case 'call.connected':
        r.agent = e.agent
        r.connectedAt = e.ts
        r.waitMs = Number(d.waitMs ?? 0)
        break
      case 'queue.abandoned':
        r.waitMs = Number(d.waitMs ?? 0)
        break
      case 'call.completed':
        r.talkMs = Number(d.talkMs ?? 0)
        r.completedBy = String(d.by ?? '')
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
