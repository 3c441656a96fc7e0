import {STRATEGY_LABEL, type PathResult} from './paths.js'
import type {LoadScenario} from './scenario.js'

// What bench:load prints: one table (app_queue, engine, their ratio), then the rate search.

export interface PathSummary {
  completed: number
  failed: number
  abandoned: number
  failures: Record<string, number>
  ringP50: number
  ringP99: number
  ringSamples: number
  ringMissed: number
  freeP50: number
  freeP99: number
  freeSamples: number
  drainPerSec: number
  drainBusyAgents: number
  drainSeconds: number
  drainOfIdeal: number
  asteriskCpuPer100: number
  engineCpuPer100: number | null
  totalCpuPer100: number
  doubleBooked: number
  wallS: number
  engineErrors: number
  /** The first of them, shortened, for the reader. */
  engineErrorSample: string | null
  engineWarnings: number
  engineWarningSample: string | null
}

/** One arrival rate of the search: the engine's run at it, summarized like the comparison's. */
export interface SearchStep {
  rate: number
  callers: number
  agents: number
  talkS: number
  run: PathSummary
  /** CPU seconds per wall second, over the run (1 = one core busy). */
  asteriskCores: number
  engineCores: number
  sustained: boolean
}

export function summarizePath(r: PathResult): PathSummary {
  const m = r.metrics
  const per100 = (s: number) => (s / Math.max(1, m.placed)) * 100
  return {
    completed: m.completed,
    failed: m.failed,
    abandoned: m.abandoned,
    failures: m.failures,
    ringP50: m.ringMs.p50,
    ringP99: m.ringMs.p99,
    ringSamples: m.ringMs.n,
    ringMissed: m.ringMissed,
    freeP50: m.freeToRingMs.p50,
    freeP99: m.freeToRingMs.p99,
    freeSamples: m.freeToRingMs.n,
    drainPerSec: m.drain.perSec,
    drainBusyAgents: m.drain.busyAgents,
    drainSeconds: m.drain.seconds,
    drainOfIdeal: m.drain.ratio,
    asteriskCpuPer100: per100(r.asteriskCpuS),
    engineCpuPer100: r.engineCpuS === null ? null : per100(r.engineCpuS),
    totalCpuPer100: per100(r.asteriskCpuS + (r.engineCpuS ?? 0)),
    doubleBooked: m.doubleBooked,
    wallS: r.wallS,
    engineErrors: r.engineErrors.length,
    engineErrorSample: r.engineErrors[0] === undefined ? null : briefLogLine(r.engineErrors[0]),
    engineWarnings: r.engineWarnings.length,
    engineWarningSample: r.engineWarnings[0] === undefined ? null : briefLogLine(r.engineWarnings[0]),
  }
}

/** A JSON log line as "msg: first line of its error". */
function briefLogLine(line: string): string {
  try {
    const j = JSON.parse(line) as {msg?: unknown; error?: unknown}
    const error = typeof j.error === 'string' ? `: ${j.error.split('\n')[0]}` : ''
    return `${String(j.msg)}${error}`
  } catch {
    return line.slice(0, 200)
  }
}

/** engine ÷ app_queue for every figure of the table (null where it means nothing). */
export function ratios(aq: PathSummary, en: PathSummary) {
  const r = (a: number | null, b: number | null) => (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? null : a / b)
  return {
    completed: r(en.completed, aq.completed),
    failed: r(en.failed, aq.failed),
    abandoned: r(en.abandoned, aq.abandoned),
    ringP50: r(en.ringP50, aq.ringP50),
    ringP99: r(en.ringP99, aq.ringP99),
    freeP50: r(en.freeP50, aq.freeP50),
    freeP99: r(en.freeP99, aq.freeP99),
    drainPerSec: r(en.drainPerSec, aq.drainPerSec),
    drainOfIdeal: r(en.drainOfIdeal, aq.drainOfIdeal),
    asteriskCpuPer100: r(en.asteriskCpuPer100, aq.asteriskCpuPer100),
    engineCpuPer100: null,
    totalCpuPer100: r(en.totalCpuPer100, aq.totalCpuPer100),
  }
}

export type Ratios = ReturnType<typeof ratios>

const num = (v: number | null, digits: number) => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(digits))
const times = (v: number | null) => (v === null ? '-' : `${v < 0.1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v.toFixed(1)}x`)
const reasons = (f: Record<string, number>) => Object.entries(f).map(([k, v]) => `${k} ${v}`).join(', ')

export function table(aq: PathSummary, en: PathSummary, x: Ratios, idealPerSec: number): string[] {
  const head = ['path', 'completed', 'failed', 'abandoned', 'ring p50 ms', 'ring p99 ms', 'free→ring p50 ms', 'free→ring p99 ms', `drain /s (ideal ${idealPerSec.toFixed(2)})`, 'drain/ideal', 'Asterisk CPU s/100', 'engine CPU s/100', 'total CPU s/100']
  const row = (name: string, s: PathSummary) => [
    name,
    String(s.completed),
    String(s.failed),
    String(s.abandoned),
    num(s.ringP50, 1),
    num(s.ringP99, 1),
    num(s.freeP50, 1),
    num(s.freeP99, 1),
    num(s.drainPerSec, 2),
    num(s.drainOfIdeal, 3),
    num(s.asteriskCpuPer100, 2),
    num(s.engineCpuPer100, 2),
    num(s.totalCpuPer100, 2),
  ]
  const rows = [
    head,
    row('app_queue', aq),
    row('engine', en),
    ['engine/app_queue', times(x.completed), times(x.failed), times(x.abandoned), times(x.ringP50), times(x.ringP99), times(x.freeP50), times(x.freeP99), times(x.drainPerSec), times(x.drainOfIdeal), times(x.asteriskCpuPer100), '-', times(x.totalCpuPer100)],
  ]
  const widths = head.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)]
}

export function headline(x: Ratios): string {
  return `Headline, engine/app_queue: ring latency p50 ${times(x.ringP50)}, p99 ${times(x.ringP99)}; agent-free→next ring p50 ${times(x.freeP50)}, p99 ${times(x.freeP99)}; drain rate ${times(x.drainPerSec)}; Asterisk CPU ${times(x.asteriskCpuPer100)}; Asterisk + engine CPU ${times(x.totalCpuPer100)}`
}

export function scenarioLines(s: LoadScenario, spacingMs: number, waves: number): string[] {
  return [
    `Scenario: ${s.callers} callers in ${waves} wave(s) of ${s.wave} at ${s.rate} calls/s, a wave every ${(spacingMs / 1000).toFixed(1)} s; ${s.agents} agents answering at once, talking ${s.talkS} s (ideal drain ${(s.agents / s.talkS).toFixed(2)} calls/s);`,
    `${Math.round(s.shortShare * 100)}% of callers give up after ${s.shortPatienceS.min}-${s.shortPatienceS.max} s, the rest after ${s.longPatienceS} s; ${STRATEGY_LABEL}; seed ${s.seed}.`,
  ]
}

export function detailLines(aq: PathSummary, en: PathSummary): string[] {
  const out: string[] = []
  for (const [name, s] of [['app_queue', aq], ['engine', en]] as const) {
    const bits = [
      `ring latency over ${s.ringSamples} callers who found an idle agent${s.ringMissed ? ` (${s.ringMissed} left before any ring)` : ''}`,
      `free→ring over ${s.freeSamples} hangups with callers waiting`,
      `callers waited unrung ${num(s.drainSeconds, 1)} s, with ${num(s.drainBusyAgents, 2)} agents on a call on average`,
      `run ${s.wallS.toFixed(0)} s`,
    ]
    if (s.failed) bits.push(`failed: ${reasons(s.failures)}`)
    if (s.doubleBooked) bits.push(`${s.doubleBooked} rings to an agent already on a call`)
    if (name === 'engine') bits.push(`engine log: ${s.engineErrors} errors${s.engineErrorSample ? ` (first: ${s.engineErrorSample})` : ''}, ${s.engineWarnings} warnings${s.engineWarningSample ? ` (first: ${s.engineWarningSample})` : ''}`)
    out.push(`  ${name}: ${bits.join('; ')}`)
  }
  return out
}

export function searchLines(steps: SearchStep[], highest: number | null, o: {seconds: number; talkS: number; headroom: number; patienceS: number; maxRingP99Ms: number}): string[] {
  const out = [
    `Rate search, engine only: ${o.seconds} s of arrivals per rate, talk ${o.talkS} s, agents = ${o.headroom} × rate × talk + 2, patience ${o.patienceS} s;`,
    `sustained = every caller served, none failed, no engine error, ring p99 <= ${o.maxRingP99Ms} ms:`,
  ]
  for (const s of steps) {
    const r = s.run
    const why = [
      r.failed ? `failed: ${reasons(r.failures)}` : '',
      r.completed + r.failed < s.callers ? `${s.callers - r.completed - r.failed} not served` : '',
      r.engineErrors ? `${r.engineErrors} engine errors, first: ${r.engineErrorSample}` : '',
      !(r.ringP99 <= o.maxRingP99Ms) ? `ring p99 ${num(r.ringP99, 0)} ms` : '',
    ]
    const verdict = s.sustained ? 'sustained' : `NOT sustained (${why.filter(Boolean).join('; ')})`
    out.push(
      `  ${String(s.rate).padStart(4)} calls/s: ${s.callers} callers, ${s.agents} agents: completed ${r.completed}, failed ${r.failed}, abandoned ${r.abandoned}; ring p50/p99 ${num(r.ringP50, 1)}/${num(r.ringP99, 1)} ms; CPU s/100 calls: Asterisk ${num(r.asteriskCpuPer100, 2)}, engine ${num(r.engineCpuPer100, 2)} (cores busy: ${num(s.asteriskCores, 2)} / ${num(s.engineCores, 2)}); ${verdict}`,
    )
  }
  out.push(highest === null ? 'Highest rate sustained with zero failed calls: none of the rates tried' : `Highest rate sustained with zero failed calls: ${highest} calls/s`)
  return out
}
