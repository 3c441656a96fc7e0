import type {CelEvent} from './cel.js'
import type {CallerSpec} from './metrics.js'

// The pure parts of bench:load --sip: the ladders' next step, SIPp's rate arguments, the
// callers' waves, and finding each SIPp caller in Asterisk's channel events (SIPp names
// no channel, so a caller is known by the number it calls from).

/** One step of a ladder: the value tried (an arrival rate, a number of calls) and whether it held. */
export interface LadderStep {
  value: number
  ok: boolean
}

function replay(values: readonly number[], tried: readonly LadderStep[]) {
  let lo: number | null = null
  let hi: number | null = null
  let k = 0
  // First the given values in order, up to the first that fails.
  for (; k < tried.length && k < values.length && hi === null; k++) {
    if (tried[k]!.ok) lo = tried[k]!.value
    else hi = tried[k]!.value
  }
  // Then halvings of the gap between the highest that held and the lowest that did not.
  const refined = tried.slice(k)
  for (const t of refined) {
    if (t.ok) lo = t.value
    else hi = t.value
  }
  return {lo, hi, next: k, refined: refined.length}
}

/**
 * The next value to try, or null when the ladder is done: `values` (ascending) in turn
 * until one fails, then up to `refine` halvings (whole numbers) of the gap between the
 * highest that held and the lowest that did not. The Local-channel bench's rate search,
 * as a function of what was tried so far, so two paths can climb their ladders in turn.
 */
export function ladderNext(values: readonly number[], refine: number, tried: readonly LadderStep[]): number | null {
  const {lo, hi, next, refined} = replay(values, tried)
  if (hi === null) return next < values.length ? values[next]! : null
  if (lo === null || refined >= refine) return null
  const mid = Math.round((lo + hi) / 2)
  return mid <= lo || mid >= hi ? null : mid
}

/** The highest value that held (null if the first failed or nothing was tried). */
export function ladderHighest(values: readonly number[], tried: readonly LadderStep[]): number | null {
  return replay(values, tried).lo
}

/**
 * SIPp's -r (calls) and -rp (per milliseconds) for an arrival rate: -r takes whole calls,
 * so 2.5 calls/s is 5 calls per 2000 ms, 0.3 is 3 per 10 000 ms.
 */
export function sippRate(perSecond: number): {calls: number; periodMs: number} {
  if (!(perSecond > 0)) throw new Error(`arrival rate ${perSecond} is not positive`)
  for (const periodMs of [1000, 2000, 4000, 5000, 10_000, 100_000]) {
    const calls = (perSecond * periodMs) / 1000
    if (Math.abs(calls - Math.round(calls)) < 1e-9) return {calls: Math.round(calls), periodMs}
  }
  return {calls: Math.max(1, Math.round(perSecond * 100)), periodMs: 100_000}
}

/**
 * The callers of a run in waves of at most `wave`, the waves `spacingMs` apart: one SIPp
 * process per wave places its calls at the rate (SIPp has no pause between calls of one
 * process), and only one process at a time can hold the trunk's port.
 */
export function sipWaves<T>(callers: readonly T[], wave: number, spacingMs: number): Array<{atMs: number; callers: T[]}> {
  const out: Array<{atMs: number; callers: T[]}> = []
  for (let i = 0; i < callers.length; i += wave) out.push({atMs: (i / wave) * spacingMs, callers: callers.slice(i, i + wave)})
  return out
}

/** A SIPp caller's number: unique in a run, digits after a "+" as callers' numbers are. */
export function sipCallerNumber(prefix: string, index: number): string {
  return `+${prefix}${String(index).padStart(5, '0')}`
}

/**
 * The caller legs of a run by their uniqueid, for the CEL figures: a channel of the trunk
 * (PJSIP/<trunk>-<seq>) calling from one of the run's numbers. A caller Asterisk never
 * saw keeps a stand-in id ("unseen:<number>"), so it still counts (as never entered).
 */
export function sipCallers(events: readonly CelEvent[], trunk: string, numbers: readonly string[], patienceS: number): Map<string, CallerSpec> {
  const wanted = new Set(numbers)
  const idOf = new Map<string, string>()
  const prefix = `PJSIP/${trunk}-`
  for (const e of events) {
    if (e.type !== 'CHAN_START' || !e.channel.startsWith(prefix) || !wanted.has(e.callerNumber)) continue
    if (!idOf.has(e.callerNumber)) idOf.set(e.callerNumber, e.uniqueId)
  }
  return new Map(numbers.map((n) => [idOf.get(n) ?? `unseen:${n}`, {number: n, patienceS}]))
}

/** What a SIP run is judged on (a summary of its CEL figures and SIPp's count). */
export interface SipRunFigures {
  completed: number
  failed: number
  failures: Record<string, number>
  engineErrors: number
  sippFailed: number
  ringP99: number
  peakConnected: number
  waitMaxMs: number
}

/**
 * Whether a run held, the same test for both paths: every caller served in full, none
 * failed (CEL) nor counted failed by SIPp, no engine error, ring p99 with a free agent
 * within `maxRingP99Ms` (later means the router falls behind), nobody waiting longer than
 * `maxWaitMs`, and for the concurrency ladder all `connectedAtOnce` calls up together.
 */
export function judgeSipRun(f: SipRunFigures, callers: number, o: {maxRingP99Ms: number; maxWaitMs: number; connectedAtOnce: number | null}): {ok: boolean; why: string[]} {
  const why: string[] = []
  if (f.failed > 0) why.push(`failed: ${Object.entries(f.failures).map(([k, v]) => `${k} ${v}`).join(', ')}`)
  if (f.completed + f.failed < callers) why.push(`${callers - f.completed - f.failed} not served in full`)
  if (f.sippFailed > 0) why.push(`SIPp counted ${f.sippFailed} failed`)
  if (f.engineErrors > 0) why.push(`${f.engineErrors} engine errors`)
  if (!(f.ringP99 <= o.maxRingP99Ms)) why.push(`ring p99 ${Number.isFinite(f.ringP99) ? Math.round(f.ringP99) : '-'} ms`)
  if (f.waitMaxMs > o.maxWaitMs) why.push(`a caller waited ${(f.waitMaxMs / 1000).toFixed(1)} s`)
  if (o.connectedAtOnce !== null && f.peakConnected < o.connectedAtOnce) why.push(`at most ${f.peakConnected} connected at once`)
  return {ok: why.length === 0, why}
}
