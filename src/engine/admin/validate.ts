import {STRATEGIES, type QueueSettings} from '../model.js'
import {UserError} from '../util/errors.js'

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

export function checkName(kind: 'queue' | 'agent', name: string): string {
  if (!NAME.test(name)) {
    throw new UserError(`Invalid ${kind} name "${name}"`, {
      suggestion: `Use 1-64 letters, digits, "_", "." or "-", starting with a letter or digit.`,
      exitCode: 2,
      code: 'invalid_name',
    })
  }
  return name
}

/** Asterisk dial strings: TECH/resource, e.g. PJSIP/1001, Local/1001@agents, PJSIP/0123@trunk. */
export function checkEndpoint(endpoint: string): string {
  if (!/^[A-Za-z0-9]+\/[^\s,|]+$/.test(endpoint)) {
    throw new UserError(`Invalid endpoint "${endpoint}"`, {
      suggestion: 'Use an Asterisk dial string such as PJSIP/1001 or Local/1001@agents.',
      exitCode: 2,
      code: 'invalid_endpoint',
    })
  }
  return endpoint
}

type Field<T> = {key: keyof QueueSettings; check: (v: unknown) => T | undefined; accepted: string}

const FIELDS: Field<unknown>[] = [
  {key: 'strategy', check: (v) => (STRATEGIES as readonly unknown[]).includes(v) ? v : undefined, accepted: STRATEGIES.join(', ')},
  {key: 'ringTimeout', check: (v) => numberIn(v, 1, 600), accepted: 'seconds from 1 to 600'},
  {key: 'wrapUp', check: (v) => numberIn(v, 0, 3600), accepted: 'seconds from 0 to 3600'},
  {key: 'musicClass', check: (v) => (typeof v === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(v) ? v : undefined), accepted: 'a music-on-hold class name'},
  {
    key: 'dids',
    check: (v) => (Array.isArray(v) && v.every((d) => typeof d === 'string' && /^[0-9A-Za-z+*#]{1,32}$/.test(d)) ? v : undefined),
    accepted: 'a list of dialled numbers (digits, letters, + * #)',
  },
]

/** Checks each given setting; the error names the field and lists what it accepts. */
export function checkQueueSettings(input: Record<string, unknown>): Partial<QueueSettings> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue
    const field = FIELDS.find((f) => f.key === key)
    if (!field) {
      throw new UserError(`Unknown queue setting "${key}"`, {suggestion: `Queue settings: ${FIELDS.map((f) => f.key).join(', ')}.`, exitCode: 2, code: 'invalid_queue'})
    }
    const ok = field.check(value)
    if (ok === undefined) {
      throw new UserError(`Invalid ${key} ${JSON.stringify(value)} for a queue`, {suggestion: `${key} accepts: ${field.accepted}.`, exitCode: 2, code: 'invalid_queue'})
    }
    out[key] = ok
  }
  return out as Partial<QueueSettings>
}

function numberIn(v: unknown, min: number, max: number): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
  return typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max ? n : undefined
}
