import {shareOf, tenthsOfSecond} from '../engine/reports/rounding.js'

// The one shape of every --json output (docs/json.md). Commands and the engine's API
// keep their own camelCase results with epoch-ms times and ms durations; people's
// scripts get this instead: snake_case keys, durations in seconds named *_s, times as
// ISO-8601 UTC strings named at / *_at / *_since / *_until, ratios 0-1. It is applied
// once, where command.ts prints JSON, so no command can print its own dialect.
//
// The rules are declared by field name, not guessed from values: a number under a
// name the tables below do not know passes through unchanged, and
// test/integration/json-contract.test.ts fails when such a field looks like a time or
// a duration (an epoch-ms number, a name ending in ms, a duration word without _s).

/** How a field's value is written, chosen by its name. */
type Unit = 'ms' | 'seconds' | 'epoch' | 'ratio'

/** Name endings with a unit, in the order they are tried: `waitMs` → wait_s, `startedAt` → started_at. */
const SUFFIXES: readonly {ending: RegExp; unit: Unit; name: (base: string) => string}[] = [
  {ending: /Ms$/, unit: 'ms', name: (b) => `${b}_s`},
  {ending: /(Seconds|Secs|S)$/, unit: 'seconds', name: (b) => `${b}_s`},
  {ending: /At$/, unit: 'epoch', name: (b) => `${b}_at`},
  // Event data names a moment *Ts (ticket.created's dueTs, sip.blocked's untilTs): an _at too.
  {ending: /Ts$/, unit: 'epoch', name: (b) => `${b}_at`},
  {ending: /Since$/, unit: 'epoch', name: (b) => `${b}_since`},
  {ending: /Until$/, unit: 'epoch', name: (b) => `${b}_until`},
  {ending: /Rate$/, unit: 'ratio', name: (b) => `${b}_rate`},
]

/** Whole names with a unit. `ts` (an event's time) is written as `at`, like every other moment. */
const WHOLE_NAMES: Readonly<Record<string, {unit: Unit; name: string}>> = {
  at: {unit: 'epoch', name: 'at'},
  ts: {unit: 'epoch', name: 'at'},
  since: {unit: 'epoch', name: 'since'},
  until: {unit: 'epoch', name: 'until'},
  cutoff: {unit: 'epoch', name: 'cutoff_at'}, // recordings purge: started before this
  serviceLevel: {unit: 'ratio', name: 'service_level'},
  occupancy: {unit: 'ratio', name: 'occupancy'},
}

/**
 * Fields in seconds whose names carry no unit, by the object they sit in: a queue's
 * settings (as `queue add` flags and queue files name them) and its skill steps.
 */
const SECONDS_IN: Readonly<Record<string, readonly string[]>> = {
  settings: ['ringTimeout', 'wrapUp', 'maxWait', 'announceEvery', 'callbackRetryDelay', 'lastAgentWindow', 'lastAgentWait', 'resumeWindow', 'defaultHandleTime', 'shortAbandon'],
  skillSteps: ['after'],
}

/**
 * Objects whose keys are data (queue names, agent ids, skill names, agent states), not
 * field names: their keys are printed as they are. Given as the path of field names
 * that leads to them; a path matches when it ends so. An element of an array is never
 * one (`queues: [...]` of queue list holds records; `queues: {...}` of an agent is a map).
 */
const DATA_MAPS: readonly string[] = [
  'queues', // agent → queue → penalty; the engine's figures per queue
  'skills', // skill → level
  'stats.agents', // agent id → figures
  'header.agents', // agent state → how many
  // report --format json (written by the report itself, already in this contract):
  'meta.columns', // column → what it means
  'meta.notes', // column → what it means
  'meta.pause_reasons', // column → the pause reason it sums
  'meta.service_level', // queue → its SL threshold and formula
]

/** snake_case of a camelCase (or kebab-case) field name: callId → call_id, SL2 stays sl2. */
export function snakeName(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase()
}

/** Marks an array element in a path: its objects are records, whatever the array's name. */
const ELEMENT = '[]'

/**
 * An epoch-ms moment as ISO-8601 UTC. A string is a time written elsewhere (engine status,
 * Asterisk's "2026-12-07T02:31:37.498+0000"): the same moment, written the same way.
 */
function isoTime(v: unknown): unknown {
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v).toISOString()
  if (typeof v === 'string') {
    const t = Date.parse(v)
    if (Number.isFinite(t)) return new Date(t).toISOString()
  }
  return v
}

function convert(unit: Unit, v: unknown): unknown {
  if (v === null || v === undefined) return v
  // A field's change as events write it ({from, to}, ticket.updated's changes) has the field's unit.
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k === 'from' || k === 'to')) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, convert(unit, x)]))
  }
  if (unit === 'epoch') return isoTime(v)
  if (typeof v !== 'number') return v
  if (!Number.isFinite(v)) return null
  // The one rounding rule (reports/rounding.ts): seconds to 0.1, shares to 4 places, half up.
  if (unit === 'ms') return tenthsOfSecond(v)
  if (unit === 'seconds') return tenthsOfSecond(v * 1000)
  return shareOf(v)
}

/** The contract's name and value for one field of a record. */
function field(key: string, value: unknown, parent: string | undefined): [string, Unit | null] {
  const whole = WHOLE_NAMES[key]
  if (whole) return [whole.name, whole.unit]
  if (parent && SECONDS_IN[parent]?.includes(key)) return [`${snakeName(key)}_s`, 'seconds']
  for (const s of SUFFIXES) {
    if (!s.ending.test(key)) continue
    const base = key.replace(s.ending, '')
    // A name that is all unit (`S`, `At`) has no base to keep: leave it to snakeName.
    if (base === '' || /[^a-zA-Z0-9]$/.test(base)) break
    return [s.name(snakeName(base)), s.unit]
  }
  return [snakeName(key), null]
}

/** Whether the object at this path (field names as the command returns them) is keyed by data. */
export function isDataMap(path: readonly string[]): boolean {
  if (path[path.length - 1] === ELEMENT) return false
  const joined = path.filter((p) => p !== ELEMENT).join('.')
  return DATA_MAPS.some((m) => joined === m || joined.endsWith(`.${m}`))
}

/** A command's result as people's scripts read it (docs/json.md). */
export function toJsonContract(value: unknown, path: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => toJsonContract(v, [...path, ELEMENT]))
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Date) return value.toISOString()
  const out: Record<string, unknown> = {}
  if (isDataMap(path)) {
    for (const [k, v] of Object.entries(value)) out[k] = toJsonContract(v, [...path, k])
    return out
  }
  const parent = path.filter((p) => p !== ELEMENT).pop()
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue
    const [name, unit] = field(k, v, parent)
    out[name] = unit ? convert(unit, v) : toJsonContract(v, [...path, k])
  }
  return out
}
