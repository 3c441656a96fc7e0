import {existsSync, readFileSync} from 'node:fs'
import {errorAt, parseYaml} from '../../engine/config/yaml-errors.js'
import {UserError} from '../../engine/util/errors.js'

// When a figure on the wallboard turns yellow (warn) or red (alert). Every call center
// sets its own targets, so each threshold can be changed in a file or by a flag.

export const METRICS = ['serviceLevel', 'answerRate', 'abandonRate', 'longestWait', 'waiting', 'asa', 'aht'] as const
export type Metric = (typeof METRICS)[number]
export type Level = 'ok' | 'warn' | 'alert' | 'none'

/** In the metric's unit (see SPEC); null switches colouring off for that figure. */
export type Thresholds = Record<Metric, {warn: number; alert: number} | null>

interface Spec {
  /** SL and answer rate get worse as they fall; the others as they rise. */
  worse: 'lower' | 'higher'
  unit: '%' | 's' | 'callers'
  text: string
}

const SPEC: Record<Metric, Spec> = {
  serviceLevel: {worse: 'lower', unit: '%', text: "today's service level (each queue's T and formula)"},
  answerRate: {worse: 'lower', unit: '%', text: 'answered / finished calls today (callers still waiting and system-ended ones apart)'},
  abandonRate: {worse: 'higher', unit: '%', text: '(abandoned − short) / (finished calls − short) today'},
  longestWait: {worse: 'higher', unit: 's', text: 'the longest wait of a caller in line now'},
  waiting: {worse: 'higher', unit: 'callers', text: 'callers in line now, per queue'},
  asa: {worse: 'higher', unit: 's', text: 'average speed of answer today'},
  aht: {worse: 'higher', unit: 's', text: 'average handle time today (talk + hold + wrap-up)'},
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  serviceLevel: {warn: 80, alert: 60},
  answerRate: {warn: 90, alert: 80},
  abandonRate: {warn: 5, alert: 10},
  longestWait: {warn: 30, alert: 60},
  waiting: {warn: 5, alert: 10},
  asa: {warn: 20, alert: 40},
  aht: {warn: 360, alert: 600},
}

/**
 * The level of a figure given in the engine's units: ratios 0-1, times in ms, callers
 * as a count. A threshold is where its level starts: SL 80 warns below 80 %, a longest
 * wait of 30 s warns from 30 s on.
 */
export function levelOf(metric: Metric, value: number | null | undefined, t: Thresholds): Level {
  const th = t[metric]
  if (value === null || value === undefined || !Number.isFinite(value)) return 'none'
  if (!th) return 'none'
  const spec = SPEC[metric]
  const v = spec.unit === '%' ? value * 100 : spec.unit === 's' ? value / 1000 : value
  if (spec.worse === 'lower') return v < th.alert ? 'alert' : v < th.warn ? 'warn' : 'ok'
  return v >= th.alert ? 'alert' : v >= th.warn ? 'warn' : 'ok'
}

export function worst(levels: readonly Level[]): Level {
  for (const l of ['alert', 'warn', 'ok'] as const) if (levels.includes(l)) return l
  return 'none'
}

/** The defaults, one line each, for --help and the README. */
export function describeThresholds(t: Thresholds = DEFAULT_THRESHOLDS): string[] {
  return METRICS.map((m) => {
    const th = t[m]
    const s = SPEC[m]
    const unit = s.unit === '%' ? '%' : ` ${s.unit}`
    const dir = s.worse === 'lower' ? 'below' : 'from'
    return `${m.padEnd(12)} ${th ? `warn ${dir} ${th.warn}${unit}, alert ${dir} ${th.alert}${unit}` : 'off'} (${s.text})`
  })
}

/** The defaults in one sentence, for --help. */
export function summarizeThresholds(t: Thresholds = DEFAULT_THRESHOLDS): string {
  const one = (m: Metric) => {
    const th = t[m]
    const unit = SPEC[m].unit === '%' ? ' %' : ` ${SPEC[m].unit}`
    return `${m} ${th ? `${th.warn}/${th.alert}${unit}` : 'off'}`
  }
  const lower = METRICS.filter((m) => SPEC[m].worse === 'lower')
  const higher = METRICS.filter((m) => SPEC[m].worse === 'higher')
  return `${lower.map(one).join(', ')} (worse below); ${higher.map(one).join(', ')} (worse from)`
}

/**
 * Defaults, then the thresholds file (--thresholds FILE, else dashboard.yaml in the
 * callctl home when it exists), then --threshold NAME=WARN,ALERT flags.
 */
export function loadThresholds(o: {file?: string; defaultFile: string; flags?: readonly string[]}): Thresholds {
  const t: Thresholds = {...DEFAULT_THRESHOLDS}
  const file = o.file ?? (existsSync(o.defaultFile) ? o.defaultFile : undefined)
  if (file) Object.assign(t, readThresholdsFile(file))
  for (const f of o.flags ?? []) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(f.trim())
    if (!m) throw new UserError(`Invalid --threshold "${f}"`, {suggestion: 'Use NAME=WARN,ALERT or NAME=off, e.g. --threshold serviceLevel=85,70', exitCode: 2})
    const metric = metricName(m[1]!)
    if (!metric) throw new UserError(`Unknown threshold "${m[1]}"`, {suggestion: `Thresholds: ${METRICS.join(', ')}`, exitCode: 2})
    const value = m[2]!.trim()
    if (value === 'off') {
      t[metric] = null
      continue
    }
    const [warn, alert, ...extra] = value.split(',').map((x) => Number(x.trim()))
    const problem = extra.length === 0 ? thresholdProblem(metric, warn, alert) : 'needs two numbers'
    if (problem) throw new UserError(`--threshold ${metric}: ${problem}`, {suggestion: `Use ${metric}=WARN,ALERT, e.g. ${metric}=${DEFAULT_THRESHOLDS[metric]!.warn},${DEFAULT_THRESHOLDS[metric]!.alert}`, exitCode: 2})
    t[metric] = {warn: warn!, alert: alert!}
  }
  return t
}

function readThresholdsFile(file: string): Partial<Thresholds> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UserError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {exitCode: 2})
  }
  const d = parseYaml(text, file)
  const root = d.doc.toJS() as unknown
  if (root === null || root === undefined) return {}
  if (typeof root !== 'object' || Array.isArray(root) || Object.keys(root).some((k) => k !== 'thresholds')) {
    throw errorAt(d, [], 'the dashboard file has one section, thresholds', 'Example:\nthresholds:\n  serviceLevel: {warn: 85, alert: 70}')
  }
  const section = (root as {thresholds?: unknown}).thresholds
  if (section === null || section === undefined) return {}
  if (typeof section !== 'object' || Array.isArray(section)) throw errorAt(d, ['thresholds'], 'thresholds must be a mapping of NAME: {warn, alert}')
  const out: Partial<Thresholds> = {}
  for (const [name, v] of Object.entries(section as Record<string, unknown>)) {
    const metric = metricName(name)
    if (!metric) throw errorAt(d, ['thresholds', name], `unknown threshold "${name}"`, `Thresholds: ${METRICS.join(', ')}`, true)
    if (v === 'off' || v === false || v === null) {
      out[metric] = null
      continue
    }
    const o = v as Record<string, unknown>
    const problem = typeof v !== 'object' || Array.isArray(v) || Object.keys(o).some((k) => k !== 'warn' && k !== 'alert') ? 'must be {warn: N, alert: N} or off' : thresholdProblem(metric, o.warn, o.alert)
    if (problem) throw errorAt(d, ['thresholds', name], `${name} ${problem}`, `Example: ${name}: {warn: ${DEFAULT_THRESHOLDS[metric]!.warn}, alert: ${DEFAULT_THRESHOLDS[metric]!.alert}}`)
    out[metric] = {warn: o.warn as number, alert: o.alert as number}
  }
  return out
}

function metricName(name: string): Metric | undefined {
  return METRICS.find((m) => m.toLowerCase() === name.toLowerCase())
}

function thresholdProblem(metric: Metric, warn: unknown, alert: unknown): string | null {
  if (typeof warn !== 'number' || typeof alert !== 'number' || !Number.isFinite(warn) || !Number.isFinite(alert) || warn < 0 || alert < 0) return 'needs two numbers, warn and alert, both 0 or more'
  const s = SPEC[metric]
  if (s.unit === '%' && (warn > 100 || alert > 100)) return 'is in percent: 0 to 100'
  if (s.worse === 'lower' && alert > warn) return `alert (${alert}) must not be above warn (${warn}): lower is worse`
  if (s.worse === 'higher' && alert < warn) return `alert (${alert}) must not be below warn (${warn}): higher is worse`
  return null
}
