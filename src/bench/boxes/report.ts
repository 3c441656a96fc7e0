import {GOAL_MS, MAX_RING_P99_MS, MAX_WAIT_S, type BoxesStep} from './measure.js'
import {ratio, type CapacityModel} from './model.js'
import {NEW_CALL_GOAL_S, type BoxLossFigures, type Outcome} from './box-loss.js'
import type {SetupFigures} from './cel-boxes.js'

// What bench:boxes prints: both setups' ladders rung by rung, a table of the figures with
// their ratio against the one-box baseline of the same run, the cost of crossing boxes
// against the issue's goal, and the measured capacity model. No I/O.

export interface SetupResult {
  /** "one box", "2 boxes + proxy". */
  label: string
  boxes: string[]
  proxy: boolean
  asterisk: string
  /** Every phone the setup registered, by box. */
  phonesByBox: Record<string, number>
  ladder: BoxesStep[]
  /** The highest rate that held (null: none). */
  highest: number | null
  /** The call-setup run: phones all on the last box, callers spread over the boxes. */
  cross: BoxesStep
  /** The box-loss run (several boxes only; null when not run). */
  boxLoss: BoxLossFigures | {error: string} | null
  model: {rate: number; model: CapacityModel} | null
  loadavgBefore: number[]
  loadavgAfter: number[]
}

export interface ReportInput {
  command: string
  machine: {cpus: number; model: string; node: string; loadavgBefore: number[]; loadavgAfter: number[]}
  settings: {searchSeconds: number; talkS: number; headroom: number; crossCallers: number; crossRate: number; crossPhones: number; touch: boolean; boxLoss?: {rate: number; seconds: number; killAtS: number; phones: number; talkS: number} | null}
  base: SetupResult
  other: SetupResult
  commonRate: number | null
  seconds: number
  problems: string[]
}

const num = (v: number | null | undefined, digits: number) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits))
const times = (v: number | null) => (v === null || !Number.isFinite(v) ? '-' : `${v.toFixed(2)}x`)
const pair = (a: number | null | undefined, b: number | null | undefined, digits = 1) => `${num(a, digits)} / ${num(b, digits)}`
const byBox = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')

/** A text table: first column left, the others right. */
export function textTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)))
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd()
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)]
}

/** Share of the connected calls that crossed boxes. */
function crossShare(s: BoxesStep): number | null {
  const n = s.setup.same.calls + s.setup.cross.calls
  return n > 0 ? s.setup.cross.calls / n : null
}

export function ladderLines(setups: SetupResult[], o: ReportInput['settings']): string[] {
  const out = [
    `Rate ladder, bench:load --sip's: ${o.searchSeconds} s of arrivals per rate, phones talk ${o.talkS} s, phones = ${o.headroom} × rate × talk + 2, 5 unmeasured calls first;`,
    `holds = every caller served in full, none failed (CEL, SIPp), no engine error, ring p99 with a free agent <= ${MAX_RING_P99_MS} ms, no wait over ${MAX_WAIT_S} s:`,
  ]
  const width = Math.max(...setups.map((s) => s.label.length))
  const rows = setups.flatMap((s) => s.ladder.map((step) => ({s, step}))).sort((a, b) => a.step.value - b.step.value || setups.indexOf(a.s) - setups.indexOf(b.s))
  for (const {s, step} of rows) {
    const r = step.run
    const c = step.cpuPer100
    const several = s.boxes.length > 1
    const cpu = [...Object.entries(c.boxes).map(([b, v]) => `${b} ${num(v, 2)}`), ...(c.proxy !== null ? [`proxy ${num(c.proxy, 2)}`] : []), `engine ${num(c.engine, 2)}`].join(', ')
    const share = crossShare(step)
    out.push(
      `  ${String(step.value).padStart(4)} calls/s ${s.label.padEnd(width)}: ${step.callers} callers${several ? ` (${byBox(step.callsByBox)})` : ''}, ${step.agents} phones${several ? ` (${byBox(step.phonesByBox)}), ${share === null ? '-' : `${Math.round(share * 100)}%`} of calls cross-box` : ''}: completed ${r.completed}, failed ${r.failed}, SIPp failed ${step.sippFailed}; ring p50/p99 ${num(r.ringP50, 1)}/${num(r.ringP99, 1)} ms; wait p99 ${num(step.waitP99Ms, 0)} ms; CPU s/100 calls ${cpu}${step.ringsRefused ? `; ${step.ringsRefused} rings refused` : ''}; ${step.ok ? 'holds' : `FAILS (${step.why.join('; ')})`}${r.engineErrorSample ? `; first engine error: ${r.engineErrorSample.slice(0, 200)}` : ''}${!step.ok && step.sippErrorSample ? `; SIPp: ${step.sippErrorSample.slice(0, 160)}` : ''}`,
    )
  }
  return out
}

/** The figures of both setups side by side, with the second's ratio against the first (the one-box baseline). */
export function summaryLines(base: SetupResult, other: SetupResult, rate: number | null): string[] {
  const at = (s: SetupResult) => s.ladder.find((x) => x.value === rate) ?? null
  const a = at(base)
  const b = at(other)
  const boxes = [...new Set([...base.boxes, ...other.boxes])]
  const rows: string[][] = [['figure', base.label, other.label, `${other.label} / ${base.label}`]]
  rows.push(['highest sustained arrival rate, calls/s', num(base.highest, 0), num(other.highest, 0), times(ratio(base.highest, other.highest))])
  rows.push([`ring latency p50 / p99 ms (free agent)`, pair(a?.run.ringP50, a?.run.ringP99), pair(b?.run.ringP50, b?.run.ringP99), `${times(ratio(a?.run.ringP50, b?.run.ringP50))} / ${times(ratio(a?.run.ringP99, b?.run.ringP99))}`])
  rows.push(['CPU s per 100 calls: Asterisk, all boxes', num(a?.cpuPer100.asterisk, 2), num(b?.cpuPer100.asterisk, 2), times(ratio(a?.cpuPer100.asterisk, b?.cpuPer100.asterisk))])
  for (const box of boxes) rows.push([`CPU s per 100 calls: Asterisk ${box}`, num(a?.cpuPer100.boxes[box], 2), num(b?.cpuPer100.boxes[box], 2), times(ratio(a?.cpuPer100.boxes[box], b?.cpuPer100.boxes[box]))])
  rows.push(['CPU s per 100 calls: proxy (Kamailio)', num(a?.cpuPer100.proxy, 2), num(b?.cpuPer100.proxy, 2), times(ratio(a?.cpuPer100.proxy, b?.cpuPer100.proxy))])
  rows.push(['CPU s per 100 calls: engine', num(a?.cpuPer100.engine, 2), num(b?.cpuPer100.engine, 2), times(ratio(a?.cpuPer100.engine, b?.cpuPer100.engine))])
  rows.push(['CPU s per 100 calls: total', num(a?.cpuPer100.total, 2), num(b?.cpuPer100.total, 2), times(ratio(a?.cpuPer100.total, b?.cpuPer100.total))])
  const setup = (s: SetupFigures) => pair(s.bridgedMs.p50, s.bridgedMs.p99)
  rows.push(['call setup p50 / p99 ms, same box', setup(base.cross.setup.same), setup(other.cross.setup.same), `${times(ratio(base.cross.setup.same.bridgedMs.p50, other.cross.setup.same.bridgedMs.p50))} / ${times(ratio(base.cross.setup.same.bridgedMs.p99, other.cross.setup.same.bridgedMs.p99))}`])
  rows.push(['call setup p50 / p99 ms, cross box', setup(base.cross.setup.cross), setup(other.cross.setup.cross), `${times(ratio(base.cross.setup.same.bridgedMs.p50, other.cross.setup.cross.bridgedMs.p50))} / ${times(ratio(base.cross.setup.same.bridgedMs.p99, other.cross.setup.cross.bridgedMs.p99))}`])
  const extra = other.cross.setup.extraP50Ms
  rows.push([`cross-box − same-box call setup at p50, ms (goal <= ${GOAL_MS})`, '-', Number.isFinite(extra) ? `${extra >= 0 ? '+' : ''}${extra.toFixed(1)}` : '-', Number.isFinite(extra) ? (extra <= GOAL_MS ? 'met' : 'MISSED') : '-'])
  return [
    `Summary (ratio = ${other.label} over ${base.label}, measured in the same run; ring latency and CPU ${rate === null ? 'not comparable: no rate tried on both' : `at ${rate} calls/s, the highest rate both held (else the lowest both tried)`}; call setup from the call-setup run, cross box against one box's calls):`,
    ...textTable(rows),
  ]
}

export function crossLines(base: SetupResult, other: SetupResult, o: ReportInput['settings']): string[] {
  const target = other.boxes.at(-1)
  const row = (label: string, f: SetupFigures) => [label, String(f.calls), pair(f.ringMs.p50, f.ringMs.p99), pair(f.answeredMs.p50, f.answeredMs.p99), pair(f.bridgedMs.p50, f.bridgedMs.p99)]
  const rows = [
    ['ms after the caller entered (Stasis)', 'calls', 'ring p50 / p99', 'answered p50 / p99', 'bridged p50 / p99'],
    row(`${base.label}`, base.cross.setup.same),
    row(`${other.label}, same box`, other.cross.setup.same),
    row(`${other.label}, cross box`, other.cross.setup.cross),
  ]
  const x = other.cross.setup
  const verdict = !Number.isFinite(x.extraP50Ms) ? 'NOT MEASURED' : x.extraP50Ms <= GOAL_MS ? 'met' : 'MISSED'
  const failed = [base, other].filter((s) => !s.cross.ok).map((s) => `${s.label}: ${s.cross.why.join('; ')}`)
  return [
    `Call setup, same box against cross box: ${o.crossCallers} callers at ${o.crossRate} calls/s to ${o.crossPhones} phones all registered on ${target} (talk ${o.talkS} s: agents to spare, nobody waits), the callers spread over the boxes by the proxy:`,
    'those arriving on the phones\' box are same-box calls, the others cross-box (the engine rings the phone over the trunk between boxes).',
    'ring = the phone\'s channel starts on its box; answered = the agent\'s leg on the caller\'s box answered (over the trunk for a cross-box call); bridged = caller and agent leg in one bridge.',
    ...textTable(rows),
    `Cross-box cost: ${Number.isFinite(x.extraP50Ms) ? `${x.extraP50Ms >= 0 ? '+' : ''}${x.extraP50Ms.toFixed(1)} ms` : '-'} at p50 (bridged; ${Number.isFinite(x.extraP99Ms) ? `${x.extraP99Ms >= 0 ? '+' : ''}${x.extraP99Ms.toFixed(1)} ms` : '-'} at p99) against the goal of at most ${GOAL_MS} ms more at p50: ${verdict}.${failed.length ? ` The call-setup run did not hold: ${failed.join(' | ')}` : ''}`,
  ]
}

export function modelLines(setups: SetupResult[], cores: number): string[] {
  const models = setups.map((s) => s.model)
  const head = ['', ...setups.map((s, i) => `${s.label}${models[i] ? ` (${models[i]!.rate}/s)` : ''}`)]
  const boxes = [...new Set(setups.flatMap((s) => s.boxes))]
  const cell = (f: (m: CapacityModel) => number | null | undefined, digits: number) => models.map((m) => (m ? num(f(m.model), digits) : '-'))
  const rows = [
    head,
    ['Asterisk CPU ms per call, all boxes', ...cell((m) => m.perCallMs.asterisk, 1)],
    ...boxes.map((b) => [`  per call arriving on ${b}`, ...cell((m) => m.perBoxCallMs[b], 1)]),
    ['proxy CPU ms per call', ...cell((m) => m.perCallMs.proxy, 1)],
    ['engine CPU ms per call', ...cell((m) => m.perCallMs.engine, 1)],
    ['calls/s per core: Asterisk', ...cell((m) => m.callsPerCore.asterisk, 0)],
    ['calls/s per core: proxy', ...cell((m) => m.callsPerCore.proxy, 0)],
    ['calls/s per core: engine', ...cell((m) => m.callsPerCore.engine, 0)],
    [`calls/s this machine's ${cores} cores carry, every part on them`, ...cell((m) => m.machineCallsPerS, 0)],
    ['measured highest sustained rate (ladder)', ...setups.map((s) => num(s.highest, 0))],
  ]
  const many = setups.find((s) => s.boxes.length > 1)?.model?.model
  const implied: string[] = []
  if (many) {
    const perBox = Object.values(many.perBoxCallMs).filter(Number.isFinite)
    const boxCost = perBox.length ? Math.max(...perBox) : NaN
    implied.push(
      `Implied: each box carries about ${num(1000 / boxCost, 0)} calls/s per core of its own (its CPU per call arriving on it, crossing included); N boxes on cores of their own carry N times that,`,
      `until the engine (one process: ${num(many.callsPerCore.engine, 0)} calls/s per core it gets) or the proxy (${num(many.callsPerCore.proxy, 0)} calls/s per core) is the limit.`,
      `Here every part shares the same ${cores} cores with SIPp's callers and phones, so a second box adds Asterisk and proxy work on those cores rather than cores: the rate cannot double.`,
    )
  }
  return [
    `Measured model (CPU per call at the highest rate each setup held; per-box figures per call arriving on that box; calls/s per core = 1000 ÷ CPU ms per call; SIPp's own CPU not counted):`,
    ...textTable(rows),
    ...implied,
  ]
}

export function boxLossLines(s: SetupResult, o: ReportInput['settings']): string[] {
  const f = s.boxLoss
  const l = o.boxLoss
  if (!f || !l) return []
  if ('error' in f) return [`Losing a box (${s.label}): the run failed: ${f.error}`]
  const lost = (x: Outcome) => `${x.callers - x.completed} of ${x.callers} lost${x.failed ? ` (${Object.entries(x.failures).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`
  const yes = (ok: boolean) => (ok ? 'yes' : 'NO')
  return [
    `Losing a box (${s.label}): ${l.rate} calls/s for ${l.seconds} s through the proxy to ${l.phones} phones talking ${l.talkS} s; ${f.dead} killed (SIGKILL, as a crash) ${l.killAtS} s in, under traffic:`,
    `  calls in progress on ${f.dead} (the dead box): ${f.onDead}, gone with it; the engine closed ${f.endedByCause['box-lost'] ?? 0} calls as box-lost`,
    `  calls in progress on the boxes still up: ${lost(f.onLive)}; lost only on the dead box: ${yes(f.ok.lostOnlyOnDead)}`,
    `  calls in progress on the boxes still up whose agent's phone was on ${f.dead} (rung over the trunk): ${lost(f.crossingIntoDead)}${f.crossingEndS.n ? `; their callers' channels ended p50 ${num(f.crossingEndS.p50, 1)} s, last ${num(f.crossingEndS.max, 1)} s after the kill${f.crossingHungUpBy ? ` (hung up by ${f.crossingHungUpBy})` : ''}` : ''}`,
    `  the engine: ${f.engineSawLoss ? `said the box is lost` : 'did NOT say the box is lost'}; calls ended by cause: ${Object.entries(f.endedByCause).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}; ${f.engineErrors} errors${f.engineErrorSample ? ` (first: ${f.engineErrorSample})` : ''}`,
    `  phones of ${f.dead} online on another box: ${f.phonesBack} of ${f.phonesOnDead}, p50 ${num(f.backMs.p50 / 1000, 1)} s, last ${num(f.backMs.max / 1000, 1)} s after the kill; within one registration interval (${f.registrationS} s): ${yes(f.ok.agentsBack)}`,
    `  new calls (sent after the kill): ${f.newCalls.completed} of ${f.newCalls.callers} served${f.newCalls.failed ? ` (${Object.entries(f.newCalls.failures).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}; sending → bridged p50 ${num(f.newServedMs.p50 / 1000, 2)} s, slowest ${num(f.newServedMs.max / 1000, 2)} s; the first served ${num(f.firstNewServedMs === null ? null : f.firstNewServedMs / 1000, 2)} s after the kill; all within ${NEW_CALL_GOAL_S} s: ${yes(f.ok.newCallsServed)}`,
  ]
}

export function reportLines(r: ReportInput): string[] {
  const m = r.machine
  const touch = r.settings.touch ? 'each phone gets a short call on its own box after the engine starts (see run.ts: the box router does not keep where a phone is registered when it reads its state at start)' : 'no call to each phone after the engine starts (--no-touch)'
  return [
    `Several boxes: the same SIPp load through ${r.base.label} and through ${r.other.label} (Kamailio), each driven by the engine; Asterisk ${r.base.asterisk}; ${m.cpus} × ${m.model}, node ${m.node}`,
    `Load average (the machine is shared): before ${m.loadavgBefore.join(' ')}; ${r.base.label} ${r.base.loadavgBefore.join(' ')} → ${r.base.loadavgAfter.join(' ')}; ${r.other.label} ${r.other.loadavgBefore.join(' ')} → ${r.other.loadavgAfter.join(' ')}; after ${m.loadavgAfter.join(' ')}`,
    `Command: ${r.command}`,
    `One setup at a time on a sandbox of its own (CEL on). SIPp callers with RTP both ways from the carrier's address (to the box; to the proxy's carrier port, which spreads them over the boxes); agents' phones = SIPp registered through the box or the proxy (pinned to a box by a hash of their user), registering again every 6 s on both; ${touch}.`,
    'Times from every box\'s CEL (one clock); CPU from /proc: each Asterisk, every Kamailio process, the engine (`callctl engine start`, its own process on a fresh store per run).',
    '',
    ...ladderLines([r.base, r.other], r.settings),
    '',
    ...summaryLines(r.base, r.other, r.commonRate),
    '',
    ...crossLines(r.base, r.other, r.settings),
    '',
    ...modelLines([r.base, r.other], m.cpus),
    '',
    ...(r.other.boxLoss ? [...boxLossLines(r.other, r.settings), ''] : []),
    `Whole bench: ${Math.floor(Math.round(r.seconds) / 60)} min ${Math.round(r.seconds) % 60} s${r.problems.length > 0 ? `; PROBLEMS: ${r.problems.join('; ')}` : ''}`,
  ]
}
