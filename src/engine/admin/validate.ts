import {checkOutboundRule, OUTBOUND_RULE_HINT} from '../calls/outbound-policy.js'
import {STRATEGIES, type DispositionCode, type OverflowAction, type QueueSettings, type SkillStep} from '../model.js'
import {parseSkillRequirement, SkillExpressionError} from '../routing/skills.js'
import {UserError} from '../util/errors.js'
import {canonicalName, IDENTIFIER_PART, IDENTIFIER_START, nameProblem, shownName} from '../util/names.js'
import {SL_FORMULAS, SL_FORMULA_TEXT} from '../reports/metrics.js'

// Agent ids stay ASCII: they are phone-like ids that go into dial strings (Local/…-ID@…)
// and queue_log's agent field; the agent's name (--name) is free text in any script.
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
// Queue names, pause reasons: any script (客服, 午饭); no spaces or the separators
// ":" (QUEUE:PENALTY, queue:NAME) and "|" (queue_log).
const NAME = new RegExp(`^[${IDENTIFIER_START}][${IDENTIFIER_PART}]*$`, 'u')
const NAME_MAX = 64

/** Whether a typed string has the shape of an agent id (ASCII; a person's name goes in --name). */
export function isAgentId(s: string): boolean {
  return AGENT_ID.test(s)
}

/** The name in its stored form (NFC), or a UserError saying what is wrong with it. */
export function checkName(kind: 'queue' | 'agent', name: string): string {
  if (kind === 'agent') {
    if (!AGENT_ID.test(name)) {
      throw new UserError(`Invalid agent id "${name}"`, {
        suggestion: `Use 1-64 ASCII letters, digits, "_", "." or "-" (e.g. 1001); give the person's name in any script with --name.`,
        exitCode: 2,
        code: 'invalid_name',
      })
    }
    return name
  }
  return checkWord('queue name', name, NAME_MAX, 'invalid_name')
}

/** A pause reason: a short word in any script (lunch, 午饭). */
export function checkPauseReason(reason: string): string {
  return checkWord('pause reason', reason, 32, 'invalid_reason', 'Use a short word such as break, lunch, 午饭, training.')
}

/**
 * The reason a user of the agent role pauses with: one of the center's (desk.pauseReasons,
 * the first when none is given), so the pause report counts a few known reasons.
 * Supervisors and admins may write any (checked as a word by pauseAgent).
 */
export function allowedPauseReason(role: string, reason: string | undefined, reasons: readonly string[]): string {
  if (role !== 'agent' || reasons.length === 0) return reason ?? 'break'
  const r = reason ?? reasons[0]!
  if (!reasons.includes(r)) throw new UserError(`Pause reason ${JSON.stringify(r)} is not one of the center's: ${reasons.join(', ')}`, {suggestion: 'Pick one of them (desk.pauseReasons in the config lists them).', exitCode: 2, code: 'bad_reason'})
  return r
}

function checkWord(kind: string, raw: string, max: number, code: string, example = `Use up to ${max} letters (any script), digits, "_", "." or "-", e.g. sales or 客服.`): string {
  const problem = nameProblem(raw, max)
  const name = canonicalName(raw)
  if (problem || !NAME.test(name)) {
    throw new UserError(`Invalid ${kind} "${shownName(raw)}"`, {
      suggestion: problem ? `The ${kind} ${problem}. ${example}` : `${example} Spaces, ":" and "|" are not allowed.`,
      exitCode: 2,
      code,
    })
  }
  return name
}

/** Free text a person reads (an agent's display name): any script, nothing hidden. */
export function checkLabel(kind: string, raw: string, max: number): string {
  const problem = nameProblem(raw, max)
  if (problem) throw new UserError(`Invalid ${kind} "${shownName(raw)}"`, {suggestion: `The ${kind} ${problem}. Use up to ${max} visible characters.`, exitCode: 2, code: 'invalid_name'})
  return canonicalName(raw)
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

/** A queue setting that is wrong; `path` locates it (e.g. ["overflow", "queue"]) for file:line messages. */
export class QueueSettingError extends UserError {
  constructor(
    readonly path: (string | number)[],
    message: string,
    suggestion: string,
  ) {
    super(message, {suggestion, exitCode: 2, code: 'invalid_queue'})
    this.name = 'QueueSettingError'
  }
}

type Check = (v: unknown, path?: (string | number)[]) => unknown
interface Field {
  check: Check
  accepted: string
}

const OVERFLOW_ACTIONS = ['hangup', 'queue', 'voicemail', 'callback', 'message'] as const
const PROMPT = /^[A-Za-z0-9_/-]{1,128}$/
const DISPOSITIONS_HINT = 'a list of {code, label, key}, e.g. [{code: resolved, label: 已解决, key: "1"}]; code: 1-32 ASCII letters, digits, _ . -; key: one of 1-9, a-z; codes and keys unique'

const FIELDS: Record<keyof QueueSettings, Field> = {
  strategy: {check: (v) => ((STRATEGIES as readonly unknown[]).includes(v) ? v : undefined), accepted: STRATEGIES.join(', ')},
  ringTimeout: {check: num(1, 600), accepted: 'seconds from 1 to 600'},
  wrapUp: {check: num(0, 3600), accepted: 'seconds from 0 to 3600'},
  musicClass: {check: (v) => (typeof v === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(v) ? v : undefined), accepted: 'a music-on-hold class name'},
  dids: {
    check: (v) => (Array.isArray(v) && v.every((d) => typeof d === 'string' && /^[0-9A-Za-z+*#]{1,32}$/.test(d)) ? v : undefined),
    accepted: 'a list of dialled numbers (digits, letters, + * #)',
  },
  requiredSkills: {check: skillExpression, accepted: 'a skill expression such as billing>=2 & (english | mandarin) & !trainee, or empty'},
  skillSteps: {check: skillSteps, accepted: 'a list of {after: SECONDS, require: SKILLS}, e.g. [{after: 30, require: "billing"}, {after: 60, require: ""}]'},
  maxCallers: {check: num(0, 100_000, true), accepted: 'a whole number of callers, 0 for no limit'},
  maxWait: {check: num(0, 86_400), accepted: 'seconds from 0 (no limit) to 86400'},
  joinEmpty: {check: bool, accepted: 'true or false'},
  leaveWhenEmpty: {check: bool, accepted: 'true or false'},
  overflow: {check: overflow, accepted: `an action: ${OVERFLOW_ACTIONS.join(', ')} (queue needs a queue name, message a prompt)`},
  announceEvery: {check: (v) => {
    const n = num(0, 3600)(v)
    return n === 0 || (typeof n === 'number' && n >= 5) ? n : undefined
  }, accepted: 'seconds between announcements: 0 (none) or 5 to 3600'},
  announcePosition: {check: bool, accepted: 'true or false'},
  announceWait: {check: bool, accepted: 'true or false'},
  callbackKey: {check: (v) => (v === '' || (typeof v === 'string' && /^[0-9*#]$/.test(v)) ? v : undefined), accepted: 'one key 0-9, * or #, or empty for no callback offer'},
  callbackAttempts: {check: num(1, 10, true), accepted: 'a whole number from 1 to 10'},
  callbackRetryDelay: {check: num(5, 86_400), accepted: 'seconds from 5 to 86400'},
  autoPauseAfter: {check: num(0, 100, true), accepted: 'missed rings in a row, 0 to never pause'},
  autoPauseBusy: {check: bool, accepted: 'true or false'},
  outboundAllow: {check: (v) => (Array.isArray(v) && v.every((r) => checkOutboundRule(r) === null) ? v : undefined), accepted: OUTBOUND_RULE_HINT},
  autoPauseUnavailable: {check: bool, accepted: 'true or false'},
  lastAgentWindow: {check: num(0, 30 * 86_400), accepted: 'seconds from 0 (off) to 2592000 (30 days)'},
  lastAgentWait: {check: num(0, 600), accepted: 'seconds from 0 to 600'},
  resumeWindow: {check: num(0, 86_400), accepted: 'seconds from 0 (off) to 86400'},
  defaultHandleTime: {check: num(1, 7200), accepted: 'seconds from 1 to 7200'},
  record: {check: bool, accepted: 'true or false'},
  slSeconds: {check: num(1, 3600), accepted: 'seconds (T in "answered within T"), 1 to 3600'},
  slFormula: {check: (v) => ((SL_FORMULAS as readonly unknown[]).includes(v) ? v : undefined), accepted: SL_FORMULAS.map((f) => `${f} (${SL_FORMULA_TEXT[f]})`).join('; ')},
  shortAbandon: {check: num(0, 600), accepted: 'seconds under which a hang-up is a short abandon, 0 to 600'},
  dispositions: {check: dispositions, accepted: DISPOSITIONS_HINT},
}

export const QUEUE_SETTING_NAMES = Object.keys(FIELDS) as (keyof QueueSettings)[]

/** Checks each given setting; the error names the field and lists what it accepts. */
export function checkQueueSettings(input: Record<string, unknown>): Partial<QueueSettings> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue
    // Own keys only: "toString" or "__proto__" must not find Object's members.
    const field = Object.hasOwn(FIELDS, key) ? FIELDS[key as keyof QueueSettings] : undefined
    if (!field) throw new QueueSettingError([key], `Unknown queue setting "${key}"`, `Queue settings: ${QUEUE_SETTING_NAMES.join(', ')}.`)
    let ok: unknown
    try {
      ok = field.check(value, [key])
    } catch (err) {
      if (err instanceof QueueSettingError) throw err
      if (err instanceof SkillExpressionError) {
        throw new QueueSettingError([key], `Invalid ${key}: ${err.message.replace(/^Invalid skill expression /, 'expression ')}`, `${key} accepts: ${field.accepted}.`)
      }
      throw err
    }
    if (ok === undefined) throw new QueueSettingError([key], `Invalid ${key} ${JSON.stringify(value)} for a queue`, `${key} accepts: ${field.accepted}.`)
    out[key] = ok
  }
  return out as Partial<QueueSettings>
}

function num(min: number, max: number, integer = false): Check {
  return (v) => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
    return typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n)) ? n : undefined
  }
}

function bool(v: unknown): boolean | undefined {
  if (v === true || v === 'true' || v === 'yes') return true
  if (v === false || v === 'false' || v === 'no') return false
  return undefined
}

function skillExpression(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined
  parseSkillRequirement(v)
  return v.trim()
}

function skillSteps(v: unknown, path: (string | number)[] = []): SkillStep[] | undefined {
  if (!Array.isArray(v)) return undefined
  return v.map((s, i) => {
    const at = [...path, i]
    if (typeof s !== 'object' || s === null) throw new QueueSettingError(at, `Invalid skillSteps[${i}]: expected {after, require}`, FIELDS.skillSteps.accepted)
    const {after, require, ...rest} = s as Record<string, unknown>
    const extra = Object.keys(rest)[0]
    if (extra) throw new QueueSettingError([...at, extra], `Unknown key "${extra}" in skillSteps[${i}]`, 'A skill step has only after and require.')
    const a = num(0, 86_400)(after)
    if (a === undefined) throw new QueueSettingError([...at, 'after'], `Invalid skillSteps[${i}].after ${JSON.stringify(after)}`, 'after accepts: seconds from 0 to 86400.')
    const r = require ?? ''
    try {
      if (typeof r !== 'string') throw new SkillExpressionError(String(r), 1, 'expected text')
      parseSkillRequirement(r)
    } catch (err) {
      if (err instanceof SkillExpressionError) {
        throw new QueueSettingError([...at, 'require'], `Invalid skillSteps[${i}].require: ${err.message.replace(/^Invalid skill expression /, 'expression ')}`, FIELDS.requiredSkills.accepted + '.')
      }
      throw err
    }
    return {after: a as number, require: (r as string).trim()}
  })
}

function overflow(v: unknown, path: (string | number)[] = []): OverflowAction | undefined {
  if (typeof v === 'string') return overflow(parseOverflowSpec(v), path)
  if (typeof v !== 'object' || v === null) return undefined
  const {action, queue, prompt, ...rest} = v as Record<string, unknown>
  const extra = Object.keys(rest)[0]
  if (extra) throw new QueueSettingError([...path, extra], `Unknown key "${extra}" in overflow`, 'overflow has action, queue and prompt.')
  if (!(OVERFLOW_ACTIONS as readonly unknown[]).includes(action)) {
    throw new QueueSettingError([...path, 'action'], `Invalid overflow action ${JSON.stringify(action)}`, `overflow.action accepts: ${OVERFLOW_ACTIONS.join(', ')}.`)
  }
  const out: OverflowAction = {action: action as OverflowAction['action']}
  if (action === 'queue') {
    if (typeof queue !== 'string' || nameProblem(queue, NAME_MAX) || !NAME.test(canonicalName(queue))) throw new QueueSettingError([...path, 'queue'], 'overflow to a queue needs the queue name', 'Example: {action: queue, queue: sales}, or --overflow queue:sales')
    out.queue = canonicalName(queue)
  }
  if (prompt !== undefined) {
    if (typeof prompt !== 'string' || !PROMPT.test(prompt)) throw new QueueSettingError([...path, 'prompt'], `Invalid overflow prompt ${JSON.stringify(prompt)}`, 'A prompt is an Asterisk sound name such as vm-nobodyavail.')
    out.prompt = prompt
  }
  if (action === 'message' && !out.prompt) throw new QueueSettingError([...path, 'prompt'], 'overflow "message" needs a prompt', 'Example: message:vm-nobodyavail')
  return out
}

/** "queue:sales", "message:vm-nobodyavail", "voicemail", "callback", "hangup" → an action. */
export function parseOverflowSpec(spec: string): Record<string, unknown> {
  const [action, arg] = spec.split(':', 2)
  if (action === 'queue') return {action, queue: arg}
  if (arg !== undefined) return {action, prompt: arg}
  return {action}
}

const DISPOSITION_CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/
const DISPOSITION_KEY = /^[1-9a-z]$/
const MAX_DISPOSITIONS = 35

/** A queue's disposition codes; "code:label:key" strings (the command line) are taken too. */
function dispositions(v: unknown, path: (string | number)[] = []): DispositionCode[] | undefined {
  if (!Array.isArray(v) || v.length > MAX_DISPOSITIONS) return undefined
  const codes = new Set<string>()
  const keys = new Set<string>()
  return v.map((raw, i) => {
    const at = [...path, i]
    const entry = typeof raw === 'string' ? parseDispositionSpec(raw) : raw
    if (typeof entry !== 'object' || entry === null) throw new QueueSettingError(at, `Invalid dispositions[${i}]: expected {code, label, key}`, DISPOSITIONS_HINT)
    const {code, label, key, ...rest} = entry as Record<string, unknown>
    const extra = Object.keys(rest)[0]
    if (extra) throw new QueueSettingError([...at, extra], `Unknown key "${extra}" in dispositions[${i}]`, 'A disposition has code, label and key.')
    const k = typeof key === 'number' ? String(key) : key
    if (typeof code !== 'string' || !DISPOSITION_CODE.test(code)) throw new QueueSettingError([...at, 'code'], `Invalid dispositions[${i}].code ${JSON.stringify(code ?? null)}`, DISPOSITIONS_HINT)
    if (typeof k !== 'string' || !DISPOSITION_KEY.test(k)) throw new QueueSettingError([...at, 'key'], `Invalid dispositions[${i}].key ${JSON.stringify(key ?? null)}`, DISPOSITIONS_HINT)
    const l = label === undefined ? code : label
    if (typeof l !== 'string' || nameProblem(l, 64)) throw new QueueSettingError([...at, 'label'], `Invalid dispositions[${i}].label: it ${typeof l === 'string' ? nameProblem(l, 64) : 'is not text'}`, 'A label is up to 64 visible characters, e.g. 已解决.')
    if (codes.has(code)) throw new QueueSettingError([...at, 'code'], `Disposition code "${code}" is listed twice`, 'Each code once.')
    if (keys.has(k)) throw new QueueSettingError([...at, 'key'], `Disposition key "${k}" is used twice`, 'Each key picks one code.')
    codes.add(code)
    keys.add(k)
    return {code, label: canonicalName(l), key: k}
  })
}

/** "resolved:已解决:1" → {code, label, key}; the label may hold ":" (the key is the last field). */
function parseDispositionSpec(spec: string): Record<string, unknown> {
  const first = spec.indexOf(':')
  const last = spec.lastIndexOf(':')
  if (first < 0 || first === last) return {code: spec}
  return {code: spec.slice(0, first), label: spec.slice(first + 1, last), key: spec.slice(last + 1)}
}
