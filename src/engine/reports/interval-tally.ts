import type Database from 'better-sqlite3'
import type {EventType} from '../store/events.js'
import {CALL_STATE, EventTally, PHONE_STATE, PRESENCE, type SlLookup} from './event-tally.js'
import {CLOCK_SKEW_MS, idBefore, scanEvents} from './event-scan.js'
import type {Bucket, Buckets} from './interval.js'

/** The events EventTally counts. */
export const TALLY_TYPES: readonly EventType[] = [
  'queue.entered',
  'queue.exited',
  'queue.abandoned',
  'queue.system_ended',
  'call.connected',
  'call.completed',
  'callback.requested',
  'callback.failed',
  // Closes a queue visit that left the line no other way (EventTally's catch-all).
  'call.ended',
  'survey.answered',
  'agent.ring_noanswer',
  'agent.wrapup_started',
  'agent.wrapup_ended',
  'agent.login',
  'agent.logout',
  'agent.paused',
  'agent.unpaused',
  // The agent's phone down or back: unreachable time, apart from pauses.
  'agent.unreachable',
  'agent.reachable',
  // A stopped engine times no wrap-up: it ends the wrap-ups still open.
  'engine.stopped',
]


export interface IntervalTally {
  bucket: Bucket
  tally: EventTally
}

/**
 * The period's events folded by EventTally, one tally per interval, handed out as each
 * interval ends (every interval of the period, including those without events). Agents
 * logged in or paused when the period starts are found from their last presence event
 * before it; time in a state is split where intervals meet (EventTally.split). Nothing is
 * counted past `now`: a report for today, run at 04:00 with --to tomorrow, counted an agent
 * still logged in (or in wrap-up) until midnight, hours that had not happened.
 */
export function* tallyByInterval(db: Database.Database, buckets: Buckets, period: {from: number; to: number}, sl: SlLookup, now: number): Generator<IntervalTally> {
  let bucket: Bucket | null = buckets.first()
  let tally = new EventTally(sl)
  for (const [agent, state] of presenceAt(db, period.from)) tally.openAt(agent, period.from, state)
  for (const [agent, callId] of callsOpenAt(db, period.from)) tally.openCall(agent, period.from, callId)
  for (const e of scanEvents(db, {afterId: idBefore(db, period.from - CLOCK_SKEW_MS), types: TALLY_TYPES})) {
    if (e.ts < period.from) continue
    if (e.ts >= period.to) {
      if (e.ts >= period.to + CLOCK_SKEW_MS) break
      continue
    }
    while (bucket && e.ts >= bucket.end) {
      const next: EventTally = tally.split(bucket.end)
      yield {bucket, tally}
      bucket = buckets.next(bucket)
      tally = next
    }
    // An event a skewed clock dates before the interval reached is counted in it.
    // (data is a getter on a scanned event: a spread would leave it out.)
    tally.apply(bucket && e.ts < bucket.start ? {type: e.type, ts: bucket.start, callId: e.callId, queue: e.queue, agent: e.agent, data: e.data} : e)
  }
  while (bucket) {
    const next = buckets.next(bucket)
    // Spans carried into a later interval start at `until`: past now they add nothing.
    const until = Math.min(bucket.end, now)
    if (next) {
      const carried = tally.split(until)
      yield {bucket, tally}
      tally = carried
    } else {
      tally.closeAll(until)
      yield {bucket, tally}
    }
    bucket = next
  }
}

/** How far back callsOpenAt looks: a call connected longer before the period is not counted as going on. */
export const OPEN_CALL_LOOKBACK_MS = 12 * 3_600_000

/**
 * The call each agent was connected on at `at` (agent → call id): its last call.connected
 * or call.completed before `at` (within OPEN_CALL_LOOKBACK_MS) was a connect. Work on a
 * call that began before a report's period counts from the period's start, as logins do.
 */
export function callsOpenAt(db: Database.Database, at: number): Map<string, string> {
  const out = new Map<string, string>()
  for (const r of db
    .prepare(
      `SELECT agent, type, call_id, MAX(id) FROM events WHERE type IN (${CALL_STATE.map(() => '?').join(',')}) AND ts >= ? AND ts < ? AND agent IS NOT NULL GROUP BY agent`,
    )
    .all(...CALL_STATE, at - OPEN_CALL_LOOKBACK_MS, at) as {agent: string; type: EventType; call_id: string | null}[]) {
    if (r.type === 'call.connected' && r.call_id !== null) out.set(r.agent, r.call_id)
  }
  return out
}

/** Each agent's presence at `at`, from its last login/logout/pause/unpause before it. */
export function presenceAt(db: Database.Database, at: number): Map<string, {loggedIn: boolean; pausedReason: string | null; phoneDown?: boolean}> {
  const rows = db
    .prepare(
      `SELECT agent, type, data, MAX(id) FROM events WHERE type IN (${PRESENCE.map(() => '?').join(',')}) AND ts < ? AND agent IS NOT NULL GROUP BY agent`,
    )
    .all(...PRESENCE, at) as {agent: string; type: EventType; data: string}[]
  const out = new Map<string, {loggedIn: boolean; pausedReason: string | null; phoneDown?: boolean}>()
  for (const r of rows) {
    if (r.type === 'agent.logout') continue
    const reason = r.type === 'agent.paused' ? String((JSON.parse(r.data) as {reason?: unknown}).reason ?? '') || 'unspecified' : null
    out.set(r.agent, {loggedIn: true, pausedReason: reason})
  }
  // The phone's state at `at`: its last unreachable or reachable event before then.
  for (const r of db
    .prepare(`SELECT agent, type, MAX(id) FROM events WHERE type IN (${PHONE_STATE.map(() => '?').join(',')}) AND ts < ? AND agent IS NOT NULL GROUP BY agent`)
    .all(...PHONE_STATE, at) as {agent: string; type: EventType}[]) {
    if (r.type !== 'agent.unreachable') continue
    // Known even for an agent who logs in later in the period: the phone is down from its login.
    const p = out.get(r.agent)
    if (p) p.phoneDown = true
    else out.set(r.agent, {loggedIn: false, pausedReason: null, phoneDown: true})
  }
  return out
}
