import type Database from 'better-sqlite3'
import type {EventType, StoredEvent} from '../store/events.js'
import {CLOCK_SKEW_MS, idBefore, scanEvents} from './event-scan.js'

/**
 * The event types a call's record is folded from (call-records.ts). Recordings are not
 * among them: the recordings table has each call's files in their final state.
 */
export const CALL_RECORD_TYPES: readonly EventType[] = [
  'call.started',
  'queue.entered',
  'agent.ring_noanswer',
  'call.connected',
  'queue.abandoned',
  'queue.exited',
  'call.completed',
  'call.transferred',
  'agent.wrapup_started',
  'agent.wrapup_ended',
  'survey.answered',
  'ivr.keys',
  'call.ended',
]

/** How long after call.ended a call waits for its wrap-up to finish. */
export const SETTLE_MS = 15 * 60_000
/** A call with no event for this long and no call.ended (an engine that died with it) is written as it stands. */
export const STALE_MS = 4 * 3_600_000

interface Pending {
  id: string
  events: StoredEvent[]
  last: number
  endedAt: number | null
  /** The agent whose wrap-up after this call has not ended yet. */
  wrapAgent: string | null
}

/**
 * The events of each call that started in [from, to), one call at a time, in the order
 * the calls started. The log is read once, in write order; a call is handed out when it
 * has ended and its agent's wrap-up has finished (a wrap-up's end carries no call id: it
 * goes to the call whose wrap-up that agent started). Memory holds the calls in progress
 * at the point the scan has reached, not the period's calls.
 */
export function* scanCalls(db: Database.Database, period: {from: number; to: number}): Generator<StoredEvent[]> {
  const line: Pending[] = []
  let head = 0
  const open = new Map<string, Pending>()
  const wrapOf = new Map<string, Pending>()
  let now = period.from
  const closeWrap = (agent: string, e: StoredEvent | null) => {
    const p = wrapOf.get(agent)
    if (!p) return
    wrapOf.delete(agent)
    p.wrapAgent = null
    if (e) p.events.push({id: e.id, ts: e.ts, type: e.type, callId: p.id, queue: e.queue, agent: e.agent, data: {}, origin: e.origin})
  }
  const settled = (p: Pending) =>
    p.endedAt !== null ? p.wrapAgent === null || now - p.endedAt > SETTLE_MS : now - p.last > STALE_MS

  for (const e of scanEvents(db, {afterId: idBefore(db, period.from - CLOCK_SKEW_MS), types: CALL_RECORD_TYPES})) {
    if (e.ts > now) now = e.ts
    if (!e.callId) {
      // Wrap-ups without a call: an agent's own extra after-call work, or the end of one.
      if (e.agent && (e.type === 'agent.wrapup_ended' || e.type === 'agent.wrapup_started')) closeWrap(e.agent, e.type === 'agent.wrapup_ended' ? e : null)
    } else {
      let p = open.get(e.callId)
      if (!p && e.type === 'call.started' && e.ts >= period.from && e.ts < period.to) {
        p = {id: e.callId, events: [], last: e.ts, endedAt: null, wrapAgent: null}
        open.set(p.id, p)
        line.push(p)
      }
      if (p) {
        p.events.push(e)
        p.last = e.ts
        if (e.type === 'call.ended') p.endedAt = e.ts
        else if (e.type === 'agent.wrapup_started' && e.agent) {
          closeWrap(e.agent, null)
          wrapOf.set(e.agent, p)
          p.wrapAgent = e.agent
        }
      }
    }
    while (head < line.length && settled(line[head]!)) yield done(line[head++]!)
    if (head > 4096 && head * 2 > line.length) line.splice(0, head), (head = 0)
    if (head === line.length && now >= period.to + CLOCK_SKEW_MS) return
  }
  while (head < line.length) yield done(line[head++]!)

  function done(p: Pending): StoredEvent[] {
    open.delete(p.id)
    if (p.wrapAgent !== null && wrapOf.get(p.wrapAgent) === p) wrapOf.delete(p.wrapAgent)
    return p.events
  }
}
