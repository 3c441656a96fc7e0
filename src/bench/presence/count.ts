// The pure side of bench:presence: the bench's own ground truth (when each phone was
// really away or busy, from SIPp's message traces and the bench's own ARI events) set
// against what the engine knew (agent.unreachable/reachable, agent.other_call/_ended in
// its event log), ring by ring. No I/O here, so test/unit/bench-presence.test.ts can
// check every edge of it.
import type {StoredEvent} from '../../engine/store/events.js'

/** A phone away, per the bench. */
export interface TruthDown {
  agent: string
  kind: 'unregister' | 'kill'
  /**
   * When the phone's SIPp process ended (SIGTERM for an explicit flap, SIGKILL for a
   * silent one). An explicit flap unregisters from a new process on the same port right
   * after: between the two the phone is gone but still registered (the bench's doing,
   * not a real phone's: it unregisters before it goes).
   */
  goneAt: number
  /** Unregistered: the 200 OK to the Expires: 0 REGISTER (explicit), or the kill itself (silent). */
  downAt: number
  /** The 200 OK to the next REGISTER (the phone back); null if it never came back in the run. */
  upAt: number | null
}

/** A direct call the bench placed to an agent's phone (not through the engine). */
export interface TruthBusy {
  agent: string
  /** The bench's originate was sent: the phone rings from about now. */
  originateAt: number
  /** The phone answered (the channel entered the bench's Stasis app); null if it never did. */
  answeredAt: number | null
  /** The channel was destroyed. */
  endedAt: number | null
}

/** What the engine knew: an interval between two of its events, by event id (the engine's own order). */
export interface EngineWindow {
  agent: string
  kind: 'unreachable' | 'other-call'
  startId: number
  startTs: number
  reason: string | null
  /** The event that ended it (agent.reachable / agent.other_call_ended); null while still open at the end of the log. */
  endId: number | null
  endTs: number | null
}

export interface Ring {
  id: number
  ts: number
  agent: string
  callId: string | null
}

export type RingClass =
  /** The engine rang an agent it had itself marked unreachable: a product bug. */
  | 'engine-knew-unreachable'
  /** The engine rang an agent it had itself marked busy on another call: a product bug. */
  | 'engine-knew-other-call'
  /** After an explicit unregister's 200 OK, before the engine had heard of it: a race. */
  | 'unregistered-race'
  /** A silently gone phone, before qualify could tell (up to one interval + timeout): expected. */
  | 'silent-before-qualify'
  /** Between the phone's process ending and its unregister (the bench's take-down gap). */
  | 'takedown-gap'
  /** While the bench's direct call was up on the phone, before the engine had heard of it: a race. */
  | 'busy-race'
  /** While the bench's direct call was ringing the phone (not yet answered), engine unaware. */
  | 'direct-ringing'
  /** Within the grace before the phone's return (its REGISTER 200 OK) or the direct call's end: ordering, not an offer to a down phone. */
  | 'edge'
  /** The phone was up and free. */
  | 'clear'

export interface ClassifiedRing extends Ring {
  class: RingClass
  /** The ring's distance from the start of the truth window it fell in (ms). */
  offsetMs: number | null
}

/** Folds the engine's presence events into intervals per agent (in event-id order). */
export function engineWindows(events: readonly StoredEvent[]): EngineWindow[] {
  const out: EngineWindow[] = []
  const open = new Map<string, EngineWindow>()
  const sorted = [...events].sort((a, b) => a.id - b.id)
  for (const e of sorted) {
    if (!e.agent) continue
    const kind = e.type === 'agent.unreachable' || e.type === 'agent.reachable' ? 'unreachable' : e.type === 'agent.other_call' || e.type === 'agent.other_call_ended' ? 'other-call' : null
    if (!kind) continue
    const key = `${kind}\u0000${e.agent}`
    const starts = e.type === 'agent.unreachable' || e.type === 'agent.other_call'
    const cur = open.get(key)
    if (starts) {
      // The engine logs a change only: a second start without an end would be its bug; keep the first.
      if (cur) continue
      const w: EngineWindow = {agent: e.agent, kind, startId: e.id, startTs: e.ts, reason: typeof e.data.reason === 'string' ? e.data.reason : null, endId: null, endTs: null}
      open.set(key, w)
      out.push(w)
    } else if (cur) {
      cur.endId = e.id
      cur.endTs = e.ts
      open.delete(key)
    }
  }
  return out
}

export function ringsOf(events: readonly StoredEvent[]): Ring[] {
  return events.filter((e) => e.type === 'agent.ringing' && e.agent).map((e) => ({id: e.id, ts: e.ts, agent: e.agent!, callId: e.callId}))
}

function inEngine(r: Ring, w: EngineWindow): boolean {
  return w.agent === r.agent && r.id > w.startId && (w.endId === null || r.id < w.endId)
}

/** [from, to) with `to` null = open-ended. */
function within(t: number, from: number, to: number | null): boolean {
  return t >= from && (to === null || t < to)
}

/**
 * One ring against both views. What the engine knew comes first (an offer it made
 * knowing the phone was down or busy is the bug the bench exits 1 for); then the truth,
 * where a ring within `graceMs` before a window's end is an `edge`: SIPp's trace time
 * of a REGISTER 200 OK and the engine's clock disagree by a few ms, and Asterisk tells
 * the engine of a new contact before SIPp has its 200 OK in hand.
 */
export function classifyRing(r: Ring, truth: {down: readonly TruthDown[]; busy: readonly TruthBusy[]}, engine: readonly EngineWindow[], graceMs: number): ClassifiedRing {
  const mine = engine.filter((w) => inEngine(r, w))
  if (mine.some((w) => w.kind === 'unreachable')) return {...r, class: 'engine-knew-unreachable', offsetMs: null}
  if (mine.some((w) => w.kind === 'other-call')) return {...r, class: 'engine-knew-other-call', offsetMs: null}
  for (const d of truth.down) {
    if (d.agent !== r.agent) continue
    const end = d.upAt
    if (!within(r.ts, d.goneAt, end)) continue
    if (end !== null && r.ts >= end - graceMs) return {...r, class: 'edge', offsetMs: r.ts - d.downAt}
    if (r.ts < d.downAt) return {...r, class: 'takedown-gap', offsetMs: r.ts - d.goneAt}
    return {...r, class: d.kind === 'kill' ? 'silent-before-qualify' : 'unregistered-race', offsetMs: r.ts - d.downAt}
  }
  for (const b of truth.busy) {
    if (b.agent !== r.agent) continue
    if (b.answeredAt !== null && within(r.ts, b.answeredAt, b.endedAt)) {
      if (b.endedAt !== null && r.ts >= b.endedAt - graceMs) return {...r, class: 'edge', offsetMs: r.ts - b.answeredAt}
      return {...r, class: 'busy-race', offsetMs: r.ts - b.answeredAt}
    }
    if (within(r.ts, b.originateAt, b.answeredAt ?? b.endedAt)) return {...r, class: 'direct-ringing', offsetMs: r.ts - b.originateAt}
  }
  return {...r, class: 'clear', offsetMs: null}
}

export interface Stat {
  n: number
  p50: number | null
  max: number | null
  min: number | null
}

/** Nearest-rank percentiles (the figures are few: a flap or two a round). */
export function stat(values: readonly number[]): Stat {
  if (values.length === 0) return {n: 0, p50: null, max: null, min: null}
  const s = [...values].sort((a, b) => a - b)
  return {n: s.length, p50: s[Math.ceil(0.5 * s.length) - 1]!, max: s[s.length - 1]!, min: s[0]!}
}

/** Per flap: how long the engine took to see the phone go and come back, and to ring it again. */
export interface FlapTiming {
  agent: string
  kind: TruthDown['kind']
  /** downAt → the engine's agent.unreachable (null: it never noticed). */
  toUnreachableMs: number | null
  reason: string | null
  /** upAt → the engine's agent.reachable closing that window (null: not back in the engine, or never gone there). */
  toReachableMs: number | null
  /** upAt → the first ring to the agent after (null: none in the run). */
  toNextRingMs: number | null
  /** The engine still had the agent unreachable this long after the phone's return, at the end of the log (a stuck agent). */
  stuck: boolean
}

/**
 * A flap's window in the engine: the first unreachable window that opened after the
 * phone went (goneAt) and before it was back (a window opening after the return is
 * not the engine noticing this flap: see unmatchedWindows).
 */
export function matchedWindow(d: TruthDown, engine: readonly EngineWindow[]): EngineWindow | undefined {
  return engine.find((x) => x.kind === 'unreachable' && x.agent === d.agent && x.startTs >= d.goneAt && (d.upAt === null || x.startTs < d.upAt))
}

/** Unreachable windows of the engine that match no flap (opened at start-up excluded by `fromId`): the engine saw a phone go that had not. */
export function unmatchedWindows(downs: readonly TruthDown[], engine: readonly EngineWindow[], fromId: number): EngineWindow[] {
  const matched = new Set(downs.map((d) => matchedWindow(d, engine)).filter((w): w is EngineWindow => w !== undefined))
  return engine.filter((w) => w.kind === 'unreachable' && w.startId > fromId && !matched.has(w))
}

/** Matches each flap to the engine's view (matchedWindow); its times from the truth's. */
export function flapTimings(downs: readonly TruthDown[], engine: readonly EngineWindow[], rings: readonly Ring[], o: {graceMs: number; endOfLog: number; stuckMs: number}): FlapTiming[] {
  return downs.map((d) => {
    const w = matchedWindow(d, engine)
    const next = d.upAt === null ? undefined : rings.find((r) => r.agent === d.agent && r.ts >= d.upAt! - o.graceMs)
    const reachableAfter = w && w.endTs !== null && d.upAt !== null ? w.endTs - d.upAt : null
    const stuck = d.upAt !== null && w !== undefined && (w.endTs === null ? o.endOfLog - d.upAt > o.stuckMs : w.endTs - d.upAt > o.stuckMs)
    return {
      agent: d.agent,
      kind: d.kind,
      toUnreachableMs: w ? w.startTs - d.downAt : null,
      reason: w?.reason ?? null,
      toReachableMs: reachableAfter,
      toNextRingMs: next && d.upAt !== null ? next.ts - d.upAt : null,
      stuck,
    }
  })
}

/** Per direct call: how long the engine took to see the phone busy (from the answer) and free again (from the hang-up). */
export interface BusyTiming {
  agent: string
  answered: boolean
  /** answeredAt → agent.other_call (may be negative: the engine sees RINGING before the answer). */
  toOtherCallMs: number | null
  /** endedAt → agent.other_call_ended. */
  toEndedMs: number | null
}

export function busyTimings(busy: readonly TruthBusy[], engine: readonly EngineWindow[]): BusyTiming[] {
  return busy.map((b) => {
    const w = engine.find((x) => x.kind === 'other-call' && x.agent === b.agent && x.startTs >= b.originateAt && (b.endedAt === null || x.startTs <= b.endedAt))
    return {
      agent: b.agent,
      answered: b.answeredAt !== null,
      toOtherCallMs: w && b.answeredAt !== null ? w.startTs - b.answeredAt : null,
      toEndedMs: w && w.endTs !== null && b.endedAt !== null ? w.endTs - b.endedAt : null,
    }
  })
}

/**
 * Rings that went on after the engine had marked their agent unreachable: the ring
 * was placed before the engine knew (a silent phone, a race), and ended only by its
 * own timeout (agent.ring_noanswer) or the caller leaving, while the engine already
 * knew the phone was gone. `overhangMs` is how long the caller waited on it after that.
 */
export interface RingOverhang {
  ringId: number
  agent: string
  callId: string | null
  overhangMs: number
  endedBy: string
}

export function ringOverhangs(rings: readonly Ring[], events: readonly StoredEvent[], engine: readonly EngineWindow[]): RingOverhang[] {
  const out: RingOverhang[] = []
  const ends = events.filter((e) => e.type === 'agent.ring_noanswer' || e.type === 'agent.ring_canceled' || e.type === 'call.connected')
  for (const r of rings) {
    const end = ends.find((e) => e.id > r.id && e.callId === r.callId && e.agent === r.agent)
    if (!end) continue
    const w = engine.find((x) => x.kind === 'unreachable' && x.agent === r.agent && x.startId > r.id && x.startId < end.id)
    if (w) out.push({ringId: r.id, agent: r.agent, callId: r.callId, overhangMs: end.ts - w.startTs, endedBy: end.type === 'agent.ring_noanswer' ? `no answer (${String(end.data.reason ?? '?')})` : end.type})
  }
  return out
}

export type RingCounts = Record<RingClass, number>

export function countRings(rings: readonly ClassifiedRing[]): RingCounts {
  const c: RingCounts = {
    'engine-knew-unreachable': 0,
    'engine-knew-other-call': 0,
    'unregistered-race': 0,
    'silent-before-qualify': 0,
    'takedown-gap': 0,
    'busy-race': 0,
    'direct-ringing': 0,
    edge: 0,
    clear: 0,
  }
  for (const r of rings) c[r.class]++
  return c
}

/**
 * When SIPp received the 200 OK to a REGISTER, from its message trace (-trace_msg):
 * each message follows a line of dashes and the local date and time to the microsecond
 * ("----- 2026-12-07 05:35:25.112523"). `cseq` picks the REGISTER (2 = the one with
 * credentials; register.xml sends 1, gets 401, sends 2); the first match wins.
 */
export function registerOkAt(trace: string, cseq?: number): number | null {
  const blocks = trace.split(/\n(?=-{10,})/)
  for (const b of blocks) {
    if (!/received/.test(b) || !/^SIP\/2\.0 200 /m.test(b)) continue
    const m = /^CSeq:\s*(\d+) REGISTER/im.exec(b)
    if (!m || (cseq !== undefined && Number(m[1]) !== cseq)) continue
    const t = /-{10,}\s+(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d{3})/.exec(b)
    // Without a zone, Date reads it as local time, as SIPp wrote it.
    if (t) return new Date(`${t[1]}T${t[2]}`).getTime()
  }
  return null
}
