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
  'queue.system_ended',
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
 * Calls in the order they started, fed the log's events in write order. A call is ready
 * when it has ended and its agent's wrap-up has finished (a wrap-up's end carries no call
 * id: it goes to the call whose wrap-up that agent started), and leaves the line only
 * behind every call that started before it. Memory holds the calls in progress at the
 * point the feed has reached.
 */
export class CallLine {
  private line: Pending[] = []
  private head = 0
  private readonly open = new Map<string, Pending>()
  private readonly wrapOf = new Map<string, Pending>()

  /**
   * @param accepts whether a call.started event opens a call in this line
   * @param now the clock the line settles by: the latest event time seen
   * @param stale whether a call that never ended is handed out once stale (a report: yes;
   *   a summary that must never change once written: no)
   */
  constructor(
    private readonly accepts: (started: StoredEvent) => boolean,
    public now: number,
    private readonly stale = true,
  ) {}

  get waiting(): number {
    return this.line.length - this.head
  }

  /** The id of the first event of the oldest call still in the line. */
  get oldestId(): number | null {
    return this.head < this.line.length ? this.line[this.head]!.events[0]!.id : null
  }

  push(e: StoredEvent): void {
    if (e.ts > this.now) this.now = e.ts
    if (!e.callId) {
      // Wrap-ups without a call: an agent's own extra after-call work, or the end of one.
      if (e.agent && (e.type === 'agent.wrapup_ended' || e.type === 'agent.wrapup_started')) this.closeWrap(e.agent, e.type === 'agent.wrapup_ended' ? e : null)
      return
    }
    let p = this.open.get(e.callId)
    if (!p && e.type === 'call.started' && this.accepts(e)) {
      p = {id: e.callId, events: [], last: e.ts, endedAt: null, wrapAgent: null}
      this.open.set(p.id, p)
      this.line.push(p)
    }
    if (!p) return
    p.events.push(e)
    p.last = e.ts
    if (e.type === 'call.ended') p.endedAt = e.ts
    else if (e.type === 'agent.wrapup_started' && e.agent) {
      this.closeWrap(e.agent, null)
      this.wrapOf.set(e.agent, p)
      p.wrapAgent = e.agent
    }
  }

  /** The calls at the head of the line that are ready, in the order they started. */
  *ready(): Generator<StoredEvent[]> {
    while (this.head < this.line.length && this.settled(this.line[this.head]!)) yield this.done(this.line[this.head++]!)
    if (this.head > 4096 && this.head * 2 > this.line.length) this.line.splice(0, this.head), (this.head = 0)
  }

  /** Every call left, ready or not (the end of a report's period). */
  *rest(): Generator<StoredEvent[]> {
    while (this.head < this.line.length) yield this.done(this.line[this.head++]!)
  }

  private settled(p: Pending): boolean {
    if (p.endedAt !== null) return p.wrapAgent === null || this.now - p.endedAt > SETTLE_MS
    return this.stale && this.now - p.last > STALE_MS
  }

  private closeWrap(agent: string, e: StoredEvent | null): void {
    const p = this.wrapOf.get(agent)
    if (!p) return
    this.wrapOf.delete(agent)
    p.wrapAgent = null
    if (e) p.events.push({id: e.id, ts: e.ts, type: e.type, callId: p.id, queue: e.queue, agent: e.agent, data: {}, origin: e.origin})
  }

  private done(p: Pending): StoredEvent[] {
    this.open.delete(p.id)
    if (p.wrapAgent !== null && this.wrapOf.get(p.wrapAgent) === p) this.wrapOf.delete(p.wrapAgent)
    return p.events
  }
}

/**
 * The calls report's walk along the log, one event at a time: a CallLine of the calls that
 * started in the period, and when it has read enough (no call of the period still open,
 * and the log past the period's end). scanCalls drives it; a copy of the log for a report
 * on PostgreSQL (pg-report-copy.ts) drives it too, to stop where the scan will stop.
 */
export class CallScan {
  private readonly line: CallLine

  constructor(private readonly period: {from: number; to: number}) {
    this.line = new CallLine((e) => e.ts >= period.from && e.ts < period.to, period.from)
  }

  /** Takes the next event; the calls it completes, in the order they started. */
  *push(e: StoredEvent): Generator<StoredEvent[]> {
    this.line.push(e)
    yield* this.line.ready()
  }

  /** Whether the scan has what it needs (checked after the calls push gave are taken). */
  get done(): boolean {
    return this.line.waiting === 0 && this.line.now >= this.period.to + CLOCK_SKEW_MS
  }

  /** Every call left, at the end of the log. */
  rest(): Generator<StoredEvent[]> {
    return this.line.rest()
  }
}

/**
 * The events of each call that started in [from, to), one call at a time, in the order
 * the calls started. The log is read once, in write order, from `afterId` when given (the
 * calls that started up to it are known elsewhere) or from just before the period.
 */
export function* scanCalls(db: Database.Database, period: {from: number; to: number}, o: {afterId?: number} = {}): Generator<StoredEvent[]> {
  const scan = new CallScan(period)
  const afterId = Math.max(o.afterId ?? 0, idBefore(db, period.from - CLOCK_SKEW_MS))
  for (const e of scanEvents(db, {afterId, types: CALL_RECORD_TYPES})) {
    yield* scan.push(e)
    if (scan.done) return
  }
  yield* scan.rest()
}
