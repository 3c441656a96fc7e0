import {isDataMap} from '../../src/ui/json-contract.js'

// The rules of docs/json.md as a check on any printed JSON. It does not reuse the
// transform's tables of names: it looks at what came out, so a field the tables miss
// (a new epoch-ms time, a duration in ms, a seconds field without _s) is caught here.

/** The agent states people read, on every screen and in every output (PRODUCT.md). */
export const AGENT_STATE_NAMES = ['offline', 'idle', 'ringing', 'on-call', 'wrap-up', 'paused', 'unreachable', 'other-call'] as const

const SNAKE = /^[a-z0-9]+(_[a-z0-9]+)*$/
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?(Z|[+-]\d\d:\d\d)$/
const TIME_NAME = /(^|_)(at|since|until)$/
// A number under one of these words is a duration and must say its unit (_s).
const DURATION_WORD = /(^|_)(timeout|delay|wait|waited|duration|uptime|talk|hold|wrap_up|elapsed|age|window|interval|retry|p90)$|^(after|every)$/
// Synonyms of agent states that the contract names otherwise (available/ready → idle, talking → on-call).
const STATE_SYNONYMS = new Set(['available', 'ready', 'talking', 'oncall', 'on_call', 'wrapup', 'wrap_up', 'busy-agent'])
// An epoch in ms: anything after 2001-09-09 (1e12 ms) that is a whole number.
const EPOCH_MS = 1e12

/** Every breach of the contract in one printed value, as "path: what". */
export function contractBreaches(value: unknown, path: string[] = []): string[] {
  const named = path.filter((p) => p !== '[]')
  const where = named.join('.') || '(top)'
  // '[]' marks an array element, as json-contract.ts does: a record, never a data map.
  if (Array.isArray(value)) return value.flatMap((v) => contractBreaches(v, [...path, '[]']))
  if (typeof value === 'number') return Number.isInteger(value) && value >= EPOCH_MS ? [`${where}: ${value} looks like epoch milliseconds`] : []
  if (typeof value === 'string') {
    if (/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(value) && !ISO.test(value)) return [`${where}: "${value}" is a time but not ISO-8601 with a zone`]
    return []
  }
  if (value === null || typeof value !== 'object') return []
  const out: string[] = []
  const map = isDataMap(path)
  for (const [k, v] of Object.entries(value)) {
    const at = [...named, k].join('.')
    if (!map) {
      if (!SNAKE.test(k)) out.push(`${at}: key is not snake_case`)
      if (/(^|_)ms$/.test(k) || k === 'ts') out.push(`${at}: milliseconds or epoch name`)
      // A time, or a change of one ({from, to}: ticket.updated's changes), in ISO-8601.
      const isoOrNull = (x: unknown) => x === null || (typeof x === 'string' && ISO.test(x))
      const change = typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0 && Object.keys(v).every((c) => c === 'from' || c === 'to')
      if (TIME_NAME.test(k) && v !== null && !(change ? Object.values(v).every(isoOrNull) : isoOrNull(v))) out.push(`${at}: a time must be an ISO-8601 string, got ${JSON.stringify(v)}`)
      if (/_s$/.test(k) && v !== null && !(typeof v === 'number' && Math.round(v * 10) / 10 === v)) out.push(`${at}: seconds to 0.1 s, got ${JSON.stringify(v)}`)
      if (typeof v === 'number' && DURATION_WORD.test(k)) out.push(`${at}: a duration without its unit (_s)`)
      if (STATE_SYNONYMS.has(k)) out.push(`${at}: agent state named "${k}" (use ${AGENT_STATE_NAMES.join(' / ')})`)
      if (k === 'state' && path.some((p) => p === 'agents' || p === 'agent') && !(AGENT_STATE_NAMES as readonly string[]).includes(v as string)) {
        out.push(`${at}: agent state "${String(v)}" is not one of ${AGENT_STATE_NAMES.join(', ')}`)
      }
    }
    if (typeof v === 'string' && STATE_SYNONYMS.has(v) && /(^|_)(state|presence|status)$/.test(k)) out.push(`${at}: state "${v}" (use ${AGENT_STATE_NAMES.join(' / ')})`)
    out.push(...contractBreaches(v, [...path, k]))
  }
  if (map && named[named.length - 1] === 'agents' && named[named.length - 2] === 'header') {
    for (const k of Object.keys(value)) if (!(AGENT_STATE_NAMES as readonly string[]).includes(k)) out.push(`${where}.${k}: not an agent state`)
  }
  return out
}
