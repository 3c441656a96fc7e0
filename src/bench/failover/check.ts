import type {EventType, StoredEvent} from '../../engine/store/events.js'

// What bench:failover judges from the event log once the run is over, with no I/O: the
// takeover times, the callers whose call was lost, events written twice and events missing.
// A call is judged by its own trail (its events in log order), so a duplicate or a gap
// shows up whichever engine wrote it.

/** Nearest-rank percentile (p in 0..1) of the values; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)))
  return sorted[rank - 1]!
}

export interface Spread {
  n: number
  p50: number | null
  p99: number | null
  max: number | null
}

export function spread(values: readonly number[]): Spread {
  return {n: values.length, p50: percentile(values, 0.5), p99: percentile(values, 0.99), max: values.length === 0 ? null : Math.max(...values)}
}

/** Events every call of the bench's has exactly once: its trail through the door, the queue, an agent and out. */
export const ONCE: readonly EventType[] = ['call.started', 'queue.entered', 'call.connected', 'call.completed', 'call.ended']

/**
 * How a caller's call may end and still count as served or let go by the caller: completed
 * by the agent or caller, completed while no engine led (the new leader found one leg gone
 * and closed the call, its talk estimated), or abandoned by the caller's patience.
 */
export const SERVED_CAUSES: ReadonlySet<string> = new Set(['completed', 'completed-while-engine-down'])
export const CALLER_CAUSES: ReadonlySet<string> = new Set(['abandoned'])

export interface Finding {
  callId: string | null
  number: string | null
  problem: string
  /** How many events (extra or missing) the finding stands for; 1 for a lost call. */
  count: number
}

export interface CallsCheck {
  /** Callers the bench placed (an originate Asterisk accepted). */
  offered: number
  completed: number
  /** Of the completed: ended while no engine led (the new leader closed them, talk time estimated). */
  completedWhileNoLeader: number
  abandoned: number
  lostCalls: Finding[]
  duplicatedEvents: Finding[]
  lostEvents: Finding[]
  /** Sums of the findings' counts. */
  lost: number
  duplicated: number
  missing: number
}

/** The JSON of a value with object keys sorted (PostgreSQL's jsonb reorders keys). */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

/** Every call's events, in log (id) order. */
export function trails(events: readonly StoredEvent[]): Map<string, StoredEvent[]> {
  const out = new Map<string, StoredEvent[]>()
  for (const e of [...events].sort((a, b) => a.id - b.id)) {
    if (!e.callId) continue
    let list = out.get(e.callId)
    if (!list) out.set(e.callId, (list = []))
    list.push(e)
  }
  return out
}

const count = (trail: readonly StoredEvent[], type: EventType) => trail.filter((e) => e.type === type).length

/** The same call's once-only events more than once, and any two events alike in type, call, agent, queue, ts and data. */
export function duplicatesIn(callId: string, trail: readonly StoredEvent[], number: string | null): Finding[] {
  const out: Finding[] = []
  for (const type of ONCE) {
    const n = count(trail, type)
    if (n > 1) out.push({callId, number, problem: `${type} ${n} times`, count: n - 1})
  }
  // Other events written twice: the same fact by two engines, or twice by one. (Once-only
  // types are counted above already.)
  const seen = new Map<string, number>()
  for (const e of trail) {
    if (ONCE.includes(e.type)) continue
    const key = `${e.type}|${e.agent ?? ''}|${e.queue ?? ''}|${e.ts}|${stableJson(e.data)}`
    seen.set(key, (seen.get(key) ?? 0) + 1)
  }
  for (const [key, n] of seen) if (n > 1) out.push({callId, number, problem: `identical ${key.split('|')[0]} ${n} times (${key.split('|').slice(1, 4).join(' ')})`, count: n - 1})
  return out
}

/**
 * Events the trail lacks, given the rest of it: a call's start and end, the queue entry of a
 * call that was connected or abandoned, both halves of connected/completed, the abandon of
 * an abandoned call, and an outcome for every ring (connected, no answer or canceled).
 */
export function gapsIn(callId: string, trail: readonly StoredEvent[], number: string | null): Finding[] {
  const out: Finding[] = []
  const missing = (type: string, why: string, n = 1) => out.push({callId, number, problem: `${type} missing (${why})`, count: n})
  const has = (type: EventType) => count(trail, type) > 0
  const cause = String(trail.find((e) => e.type === 'call.ended')?.data.cause ?? '')
  if (!has('call.started')) missing('call.started', `trail: ${trail.map((e) => e.type).join(' ')}`)
  if (!has('call.ended')) missing('call.ended', `trail ends with ${trail.at(-1)?.type ?? 'nothing'}`)
  if ((has('call.connected') || has('queue.abandoned')) && !has('queue.entered')) missing('queue.entered', has('call.connected') ? 'connected' : 'abandoned in the queue')
  if (has('call.connected') && !has('call.completed')) missing('call.completed', `connected, ended ${cause || 'never'}`)
  if (has('call.completed') && !has('call.connected')) missing('call.connected', 'completed')
  if (cause === 'abandoned' && !has('queue.abandoned')) missing('queue.abandoned', 'ended abandoned')
  const rings = count(trail, 'agent.ringing')
  const outcomes = count(trail, 'call.connected') + count(trail, 'agent.ring_noanswer') + count(trail, 'agent.ring_canceled')
  if (rings > outcomes) missing('ring outcome', `${rings} rings, ${outcomes} connected/no-answer/canceled`, rings - outcomes)
  if (outcomes > rings) missing('agent.ringing', `${outcomes} connected/no-answer/canceled, ${rings} rings`, outcomes - rings)
  return out
}

/**
 * Judges every caller the bench placed (by number) and every call in the log: a caller is
 * lost when no call of theirs started, it never ended, or it ended by anything but a
 * completion or their own abandon (system-ended, engine-restart, hung up by the engine...).
 */
export function checkCalls(events: readonly StoredEvent[], callers: readonly string[]): CallsCheck {
  const byCall = trails(events)
  const numberOf = new Map<string, string>()
  const callsOf = new Map<string, string[]>()
  for (const [callId, trail] of byCall) {
    const started = trail.find((e) => e.type === 'call.started')
    // A trail without its call.started may still name the caller (recovery's events carry the number).
    const number = String((started ?? trail.find((e) => typeof e.data.number === 'string'))?.data.number ?? '')
    if (!number) continue
    numberOf.set(callId, number)
    if (started) callsOf.set(number, [...(callsOf.get(number) ?? []), callId])
  }
  const r: CallsCheck = {offered: callers.length, completed: 0, completedWhileNoLeader: 0, abandoned: 0, lostCalls: [], duplicatedEvents: [], lostEvents: [], lost: 0, duplicated: 0, missing: 0}
  for (const number of callers) {
    const calls = callsOf.get(number) ?? []
    if (calls.length === 0) {
      r.lostCalls.push({callId: null, number, problem: 'no call.started for this caller', count: 1})
      continue
    }
    if (calls.length > 1) r.duplicatedEvents.push({callId: calls.join(','), number, problem: `the caller logged as ${calls.length} calls`, count: calls.length - 1})
    const trail = byCall.get(calls[0]!)!
    const ended = trail.find((e) => e.type === 'call.ended')
    const cause = ended ? String(ended.data.cause ?? '') : null
    if (cause === null) r.lostCalls.push({callId: calls[0]!, number, problem: `never ended (last: ${trail.at(-1)!.type})`, count: 1})
    else if (SERVED_CAUSES.has(cause)) {
      r.completed++
      if (cause !== 'completed') r.completedWhileNoLeader++
    } else if (CALLER_CAUSES.has(cause)) r.abandoned++
    else r.lostCalls.push({callId: calls[0]!, number, problem: `ended ${cause}`, count: 1})
  }
  for (const [callId, trail] of byCall) {
    const number = numberOf.get(callId) ?? null
    r.duplicatedEvents.push(...duplicatesIn(callId, trail, number))
    r.lostEvents.push(...gapsIn(callId, trail, number))
  }
  const sum = (f: Finding[]) => f.reduce((s, x) => s + x.count, 0)
  r.lost = sum(r.lostCalls)
  r.duplicated = sum(r.duplicatedEvents)
  r.missing = sum(r.lostEvents)
  return r
}

/** Events a deposed leader wrote after its successor's engine.started (fencing should make it none). */
export function writesAfter(events: readonly StoredEvent[], origin: string, afterId: number): StoredEvent[] {
  return events.filter((e) => e.origin === origin && e.id > afterId)
}

/**
 * The first agent ring by an engine other than the one that went (`gone`), at or after
 * `since`: the takeover's end. Among rings committed in one read, the earliest by ts.
 */
export function firstRingByAnother(events: readonly StoredEvent[], gone: string, since: number): StoredEvent | null {
  let best: StoredEvent | null = null
  for (const e of events) {
    if (e.type !== 'agent.ringing' || e.origin === gone || !e.origin.startsWith('engine:') || e.ts < since) continue
    if (!best || e.ts < best.ts) best = e
  }
  return best
}
