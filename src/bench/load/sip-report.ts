import type {PathSummary, Ratios} from './report.js'
import type {SipPathResult} from './sip-paths.js'

// What bench:load --sip prints besides the comparison's table (report.ts): per-path
// details with SIPp's count and the engine's REST requests per call, both ladders rung by
// rung, and the side-by-side summary the issue asks for.

/** One rung of a ladder for one path. */
export interface SipStep {
  path: 'app_queue' | 'engine'
  /** The arrival rate (rate ladder) or the calls at once (concurrency ladder). */
  value: number
  callers: number
  agents: number
  run: PathSummary
  sippFailed: number
  sippErrorSample: string | null
  peakConnected: number
  waitP99Ms: number
  /** CPU seconds per wall second over the run (1 = one core busy). */
  asteriskCores: number
  engineCores: number
  restPerCall: number | null
  ok: boolean
  why: string[]
}

const num = (v: number | null | undefined, digits: number) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits))
const times = (v: number | null) => (v === null || !Number.isFinite(v) ? '-' : `${v.toFixed(2)}x`)

export function sipDetailLines(paths: Array<[string, PathSummary, SipPathResult]>): string[] {
  const out: string[] = []
  for (const [name, s, r] of paths) {
    const bits = [
      `ring latency over ${s.ringSamples} callers who found an idle agent${s.ringMissed ? ` (${s.ringMissed} left before any ring)` : ''}`,
      `free→ring over ${s.freeSamples} hangups with callers waiting`,
      `callers waited unrung ${num(s.drainSeconds, 1)} s with ${num(s.drainBusyAgents, 2)} agents on a call on average`,
      `wait p50/p99 ${num(r.metrics.waitMs.p50, 0)}/${num(r.metrics.waitMs.p99, 0)} ms`,
      `SIPp failed calls ${r.sippFailed}${r.sippErrorSample ? ` (${r.sippErrorSample.slice(0, 160)})` : ''}`,
      `run ${s.wallS.toFixed(0)} s`,
    ]
    if (s.failed) bits.push(`failed: ${Object.entries(s.failures).map(([k, v]) => `${k} ${v}`).join(', ')}`)
    if (s.doubleBooked) bits.push(`${s.doubleBooked} rings to a phone already on a call`)
    if (name === 'engine') bits.push(`engine log: ${s.engineErrors} errors${s.engineErrorSample ? ` (first: ${s.engineErrorSample})` : ''}, ${s.engineWarnings} warnings${s.engineWarningSample ? ` (first: ${s.engineWarningSample})` : ''}`)
    out.push(`  ${name}: ${bits.join('; ')}`)
    if (r.restPerCall) {
      const kinds = Object.entries(r.restPerCall.byKind)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')
      out.push(`  engine REST requests to Asterisk per call (warm-up and measured calls, its start left out): ${r.restPerCall.total.toFixed(2)}: ${kinds}`)
    }
  }
  return out
}

export function sipLadderLines(title: string, unit: string, steps: Record<'app_queue' | 'engine', SipStep[]>, o: {searchSeconds: number; searchTalkS: number; headroom: number; maxRingP99Ms: number; maxWaitS: number; concRate: number; concHoldS: number}): string[] {
  const out = [
    title === 'Rate ladder'
      ? `${title}, both paths in turn: ${o.searchSeconds} s of arrivals per rate, phones talk ${o.searchTalkS} s, phones = ${o.headroom} × rate × talk + 2, 5 unmeasured calls first;`
      : `${title}, both paths in turn: N callers at ${o.concRate} calls/s to N phones, each call held until ${o.concHoldS} s after the last arrival (RTP both ways all along);`,
    `holds = every caller served in full, none failed (CEL, SIPp), no engine error, ring p99 with a free agent <= ${o.maxRingP99Ms} ms, no wait over ${o.maxWaitS} s${title === 'Rate ladder' ? '' : ', all N connected at once'}:`,
  ]
  const rows = [...steps.app_queue, ...steps.engine].sort((a, b) => a.value - b.value || (a.path === 'app_queue' ? -1 : 1))
  for (const s of rows) {
    const r = s.run
    out.push(
      `  ${String(s.value).padStart(4)} ${unit} ${s.path.padEnd(9)}: ${s.callers} callers, ${s.agents} phones: completed ${r.completed}, failed ${r.failed}, SIPp failed ${s.sippFailed}; ring p50/p99 ${num(r.ringP50, 1)}/${num(r.ringP99, 1)} ms; wait p99 ${num(s.waitP99Ms, 0)} ms; most connected at once ${s.peakConnected}; CPU s/100 calls Asterisk ${num(r.asteriskCpuPer100, 2)}, engine ${num(r.engineCpuPer100, 2)} (cores busy ${num(s.asteriskCores, 2)} / ${num(s.engineCores, 2)})${s.restPerCall !== null ? `; REST/call ${s.restPerCall.toFixed(1)}` : ''}; ${s.ok ? 'holds' : `FAILS (${s.why.join('; ')})`}${r.engineErrorSample ? `; first engine error: ${r.engineErrorSample.slice(0, 200)}` : ''}${!s.ok && s.sippErrorSample ? `; SIPp: ${s.sippErrorSample.slice(0, 160)}` : ''}`,
    )
  }
  return out
}

export function sipSummaryLines(aq: PathSummary, en: PathSummary, x: Ratios, highest: {rate: Record<'app_queue' | 'engine', number | null>; concurrency: Record<'app_queue' | 'engine', number | null>}): string[] {
  const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b)
  const rows: string[][] = [
    ['figure', 'app_queue', 'engine', 'engine/app_queue'],
    ['ring latency p50 / p99 ms (free agent)', `${num(aq.ringP50, 1)} / ${num(aq.ringP99, 1)}`, `${num(en.ringP50, 1)} / ${num(en.ringP99, 1)}`, `${times(x.ringP50)} / ${times(x.ringP99)}`],
    ['agent free → next ring p50 / p99 ms', `${num(aq.freeP50, 1)} / ${num(aq.freeP99, 1)}`, `${num(en.freeP50, 1)} / ${num(en.freeP99, 1)}`, `${times(x.freeP50)} / ${times(x.freeP99)}`],
    ['drain rate / ideal (agents ÷ talk)', num(aq.drainOfIdeal, 3), num(en.drainOfIdeal, 3), times(x.drainOfIdeal)],
    ['CPU s per 100 calls: Asterisk', num(aq.asteriskCpuPer100, 2), num(en.asteriskCpuPer100, 2), times(x.asteriskCpuPer100)],
    ['CPU s per 100 calls: engine', '-', num(en.engineCpuPer100, 2), '-'],
    ['CPU s per 100 calls: total', num(aq.totalCpuPer100, 2), num(en.totalCpuPer100, 2), times(x.totalCpuPer100)],
    ['highest sustained arrival rate, calls/s', num(highest.rate.app_queue, 0), num(highest.rate.engine, 0), times(ratio(highest.rate.engine, highest.rate.app_queue))],
    ['most concurrent bridged calls (RTP)', num(highest.concurrency.app_queue, 0), num(highest.concurrency.engine, 0), times(ratio(highest.concurrency.engine, highest.concurrency.app_queue))],
  ]
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')
  return ['Summary (comparison run; ladders: highest rung that held, "-" = none did):', line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)]
}
