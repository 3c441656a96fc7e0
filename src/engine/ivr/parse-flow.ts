import {collectProblems, ConfigError} from '../config/yaml-errors.js'
import {parseSkillRequirement} from '../routing/skills.js'
import {UserError} from '../util/errors.js'
import {ANY_PROMPT, IMPLICIT_HANGUP, NODE_TYPES, TERMINAL, targets, type Flow, type IvrNode, type NodeType, type PromptCatalog} from './flow.js'
import {isValidTimezone, parseDays, parseRanges, type Calendar} from './hours.js'
import {reachableFrom} from '../util/reachable.js'

// Reads an IVR flow from YAML and checks it whole: field types, node types, targets,
// reachability, loops with no way out and prompts, each problem reported as
// file:line:column. A bad flow fails here, at deploy time, never during a call.

type Path = (string | number)[]
type Raw = Record<string, unknown>

const TOP = ['flow', 'language', 'timezone', 'start', 'calendars', 'survey', 'nodes'] as const

interface FieldSpec {
  kind: 'target' | 'prompt' | 'int' | 'string' | 'digits' | 'choices' | 'cases' | 'tags' | 'vars' | 'skills' | 'number' | 'key'
  required?: boolean
  min?: number
  max?: number
}

const COMMON_MENU = {prompt: {kind: 'prompt', required: true}, timeout: {kind: 'int', min: 1, max: 60}, retries: {kind: 'int', min: 0, max: 10}, onTimeout: {kind: 'target'}, onInvalid: {kind: 'target'}} as const

const NODE_FIELDS: Record<NodeType, Record<string, FieldSpec>> = {
  play: {prompt: {kind: 'prompt', required: true}, next: {kind: 'target', required: true}},
  menu: {...COMMON_MENU, choices: {kind: 'choices', required: true}, invalidPrompt: {kind: 'prompt'}},
  collect: {
    ...COMMON_MENU,
    min: {kind: 'int', min: 1, max: 32},
    max: {kind: 'int', min: 1, max: 32},
    terminator: {kind: 'key'},
    var: {kind: 'string', required: true},
    next: {kind: 'target', required: true},
  },
  hours: {calendar: {kind: 'string', required: true}, open: {kind: 'target', required: true}, closed: {kind: 'target', required: true}},
  holiday: {calendar: {kind: 'string', required: true}, holiday: {kind: 'target', required: true}, next: {kind: 'target', required: true}},
  set: {priority: {kind: 'int', min: 0, max: 100}, tag: {kind: 'tags'}, tags: {kind: 'tags'}, skills: {kind: 'skills'}, language: {kind: 'string'}, vars: {kind: 'vars'}, next: {kind: 'target', required: true}},
  lookup: {next: {kind: 'target', required: true}},
  branch: {on: {kind: 'string', required: true}, cases: {kind: 'cases', required: true}, default: {kind: 'target', required: true}},
  queue: {queue: {kind: 'string', required: true}, priority: {kind: 'int', min: 0, max: 100}, skills: {kind: 'skills'}},
  voicemail: {prompt: {kind: 'prompt'}},
  transfer: {number: {kind: 'number', required: true}},
  goto: {target: {kind: 'target', required: true}},
  hangup: {prompt: {kind: 'prompt'}},
}

const BRANCH_ON = /^(contact\.(tier|vip|name|language|company)|caller\.(number|name)|did|language|var\.[A-Za-z_][A-Za-z0-9_]*)$/

export interface FlowCheck {
  flow: Flow | null
  errors: ConfigError[]
}

/** All problems in the flow (empty when it is valid), and the flow itself when usable. */
export function checkFlow(text: string, file: string, catalog: PromptCatalog = ANY_PROMPT): FlowCheck {
  const check = collectProblems(text, file)
  if (!('fail' in check)) return {flow: null, errors: check.errors}
  const {errors, fail, root} = check
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    fail([], 'a flow is a mapping with flow, start and nodes', 'See: callctl ivr validate --help')
    return {flow: null, errors}
  }
  const r = root as Raw
  for (const k of Object.keys(r)) if (!(TOP as readonly string[]).includes(k)) fail([k], `unknown key "${k}"`, `Accepted at the top: ${TOP.join(', ')}.`, true)

  const name = typeof r.flow === 'string' && r.flow.trim() ? r.flow.trim() : (fail(['flow'], 'the flow needs a name: flow: NAME'), 'unnamed')
  const language = typeof r.language === 'string' ? r.language : r.language === undefined ? 'en' : (fail(['language'], 'language must be a code such as en or zh'), 'en')
  let timezone = 'UTC'
  if (r.timezone !== undefined) {
    if (typeof r.timezone === 'string' && isValidTimezone(r.timezone)) timezone = r.timezone
    else fail(['timezone'], `unknown time zone ${JSON.stringify(r.timezone)}`, 'Use an IANA zone such as Asia/Shanghai or Europe/London.')
  }

  // Null-prototype maps: a node or calendar may be named __proto__ or constructor like any other.
  const calendars: Record<string, Calendar> = Object.create(null) as Record<string, Calendar>
  if (r.calendars !== undefined) {
    if (!isMap(r.calendars)) fail(['calendars'], 'calendars must map names to {timezone, open, closed, special}')
    else for (const [cname, c] of Object.entries(r.calendars)) {
      const cal = parseCalendar(c, ['calendars', cname], timezone, fail)
      if (cal) calendars[cname] = cal
    }
  }

  const nodes: Record<string, IvrNode> = Object.create(null) as Record<string, IvrNode>
  if (!isMap(r.nodes) || Object.keys(r.nodes).length === 0) fail(r.nodes === undefined ? [] : ['nodes'], 'the flow needs nodes: a mapping of node names to nodes')
  else {
    for (const [id, raw] of Object.entries(r.nodes)) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) fail(['nodes', id], `invalid node name "${id}"`, 'Use letters, digits, "_" and "-".', true)
      const node = parseNode(raw, ['nodes', id], fail, catalog, language, calendars)
      if (node) nodes[id] = node
    }
  }

  const start = typeof r.start === 'string' ? r.start : (fail(['start'], 'the flow needs start: NODE'), '')
  if (start && Object.keys(nodes).length > 0 && !Object.hasOwn(nodes, start) && isMap(r.nodes) && !Object.hasOwn(r.nodes, start)) {
    fail(['start'], `start node "${start}" does not exist`, `Nodes: ${Object.keys(r.nodes).join(', ')}`)
  }

  let survey: Flow['survey'] = null
  if (r.survey !== undefined) {
    if (!isMap(r.survey)) fail(['survey'], 'survey must be a mapping {prompt, thanks, timeout}')
    else {
      const s = r.survey
      const prompt = checkPrompt(s.prompt, ['survey', 'prompt'], fail, catalog, language, true)
      const thanks = s.thanks === undefined ? ['sound:auth-thankyou'] : checkPrompt(s.thanks, ['survey', 'thanks'], fail, catalog, language, true)
      const timeout = s.timeout === undefined ? 6 : int(s.timeout, 1, 30)
      if (timeout === null) fail(['survey', 'timeout'], 'survey.timeout must be seconds from 1 to 30')
      for (const k of Object.keys(s)) if (!['prompt', 'thanks', 'timeout'].includes(k)) fail(['survey', k], `unknown key "${k}" in survey`, 'survey has prompt, thanks and timeout.', true)
      survey = {prompt, thanks, timeout: timeout ?? 6}
    }
  }

  if (errors.length === 0) checkGraph(nodes, start, isMap(r.nodes) ? r.nodes : {}, fail)
  const flow: Flow = {name, language, timezone, start, calendars, nodes, survey}
  return {flow: errors.length === 0 ? flow : null, errors}
}

/** The flow, or a UserError listing every problem (first one in the message). */
export function parseFlow(text: string, file: string, catalog?: PromptCatalog): Flow {
  const {flow, errors} = checkFlow(text, file, catalog)
  if (flow) return flow
  throw new FlowInvalidError(errors)
}

export class FlowInvalidError extends UserError {
  constructor(readonly errors: ConfigError[]) {
    super(`${errors[0]?.message ?? 'invalid flow'}${errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''}: see callctl ivr validate)` : ''}`, {
      suggestion: errors[0]?.suggestion,
      exitCode: 2,
      code: 'invalid_flow',
    })
  }
}

function parseNode(raw: unknown, path: Path, fail: FailFn, catalog: PromptCatalog, language: string, calendars: Record<string, Calendar>): IvrNode | null {
  if (!isMap(raw)) {
    fail(path, `node "${path[1]}" must be a mapping with a type`)
    return null
  }
  const type = raw.type
  if (typeof type !== 'string' || !(NODE_TYPES as readonly string[]).includes(type)) {
    fail([...path, 'type'], `unknown node type ${JSON.stringify(type)} in node "${path[1]}"`, `Node types: ${NODE_TYPES.join(', ')}.`)
    return null
  }
  const spec = NODE_FIELDS[type as NodeType]
  const out: Raw = {type}
  for (const k of Object.keys(raw)) {
    if (k !== 'type' && !Object.hasOwn(spec, k)) fail([...path, k], `unknown field "${k}" for a ${type} node`, `A ${type} node has: ${Object.keys(spec).join(', ')}.`, true)
  }
  for (const [field, f] of Object.entries(spec)) {
    const v = raw[field]
    const at = [...path, field]
    if (v === undefined) {
      if (f.required) fail(path, `${type} node "${path[1]}" needs "${field}"`)
      continue
    }
    switch (f.kind) {
      case 'target':
      case 'string':
        if (typeof v !== 'string' || !v) fail(at, `${field} must be ${f.kind === 'target' ? 'a node name' : 'text'}`)
        else out[field] = v
        break
      case 'prompt':
        out[field] = checkPrompt(v, at, fail, catalog, language, false)
        break
      case 'int': {
        const n = int(v, f.min ?? 0, f.max ?? 1e9)
        if (n === null) fail(at, `${field} must be a whole number from ${f.min} to ${f.max}`)
        else out[field] = n
        break
      }
      case 'key':
        if (typeof v !== 'string' || !/^[0-9*#]$/.test(v)) fail(at, `${field} must be one key: 0-9, * or #`)
        else out[field] = v
        break
      case 'number':
        if (typeof v !== 'string' || !/^\+?[0-9]{3,20}$/.test(v)) fail(at, `${field} must be a phone number (digits, optional +)`)
        else out[field] = v
        break
      case 'skills':
        try {
          if (typeof v !== 'string') throw new Error('expected text')
          parseSkillRequirement(v)
          out[field] = v
        } catch (err) {
          fail(at, `skills: ${err instanceof Error ? err.message : String(err)}`)
        }
        break
      case 'tags': {
        const list = typeof v === 'string' ? [v] : v
        if (!Array.isArray(list) || !list.every((t) => typeof t === 'string' && /^[\p{L}\p{N}_-]{1,32}$/u.test(t))) fail(at, `${field} must be a tag or a list of tags`)
        else out.tags = [...((out.tags as string[] | undefined) ?? []), ...list]
        break
      }
      case 'vars':
        if (!isMap(v) || !Object.entries(v).every(([k, x]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && ['string', 'number', 'boolean'].includes(typeof x))) fail(at, 'vars must map names to values')
        else out.vars = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]))
        break
      case 'choices':
        if (!isMap(v) || Object.keys(v).length === 0) fail(at, 'choices must map keys to node names, e.g. {"1": sales}')
        else {
          for (const [key, target] of Object.entries(v)) {
            if (!/^[0-9*#]$/.test(key)) fail([...at, key], `choice key "${key}" must be one key: 0-9, * or #`, undefined, true)
            if (typeof target !== 'string') fail([...at, key], `choice "${key}" must name a node`)
          }
          out[field] = v
        }
        break
      case 'cases':
        if (!isMap(v)) fail(at, 'cases must map values to node names')
        else {
          for (const [key, target] of Object.entries(v)) if (typeof target !== 'string') fail([...at, key], `case "${key}" must name a node`)
          out[field] = v
        }
        break
    }
  }
  switch (type) {
    case 'menu':
    case 'collect':
      out.timeout ??= 5
      out.retries ??= 2
      out.onTimeout ??= IMPLICIT_HANGUP
      out.onInvalid ??= IMPLICIT_HANGUP
      if (type === 'menu') out.invalidPrompt ??= ['sound:pbx-invalid']
      if (type === 'collect') {
        out.min ??= 1
        out.max ??= 16
        out.terminator ??= '#'
        if ((out.min as number) > (out.max as number)) fail([...path, 'min'], 'min is larger than max')
      }
      break
    case 'set':
      out.tags ??= []
      out.vars ??= {}
      break
    case 'branch':
      if (typeof out.on === 'string' && !BRANCH_ON.test(out.on)) {
        fail([...path, 'on'], `cannot branch on "${out.on}"`, 'Branch on contact.tier, contact.vip, contact.name, contact.language, caller.number, caller.name, did, language or var.NAME.')
      }
      break
    case 'hours':
    case 'holiday':
      if (typeof out.calendar === 'string' && !Object.hasOwn(calendars, out.calendar)) {
        fail([...path, 'calendar'], `calendar "${out.calendar}" is not defined`, `Define it under calendars:${Object.keys(calendars).length ? ` (defined: ${Object.keys(calendars).join(', ')})` : ''}.`)
      }
      break
    case 'voicemail':
      out.prompt ??= ['sound:vm-intro']
      break
    case 'hangup':
      out.prompt ??= []
      break
  }
  return out as unknown as IvrNode
}

export type FailFn = (path: Path, msg: string, suggestion?: string, onKey?: boolean) => void

function checkPrompt(v: unknown, at: Path, fail: FailFn, catalog: PromptCatalog, language: string, required: boolean): string[] {
  const list = typeof v === 'string' ? [v] : v
  if (!Array.isArray(list) || (required && list.length === 0) || !list.every((p) => typeof p === 'string')) {
    fail(at, 'a prompt is a name (or a list of names): our prompts by name, Asterisk sounds as sound:NAME')
    return []
  }
  list.forEach((p: string, i) => {
    const where = Array.isArray(v) ? [...at, i] : at
    if (/^(digits|number):[0-9]{1,20}$/.test(p)) return // ARI says these itself
    // No leading slash: a flow must not make Asterisk play any file on the server.
    if (!/^(sound:)?[A-Za-z0-9_-][A-Za-z0-9_/-]{0,127}$/.test(p) || p.includes('..')) fail(where, `invalid prompt name "${p}"`, 'A prompt is a name of ours, sound:NAME (Asterisk), digits:123 or number:42.')
    else if (!catalog.has(p, language)) {
      fail(where, `prompt "${p}" does not exist`, p.startsWith('sound:') ? 'Check the Asterisk sound name (callctl prompt list --sounds).' : `Add it with: callctl prompt add ${p} FILE, or callctl prompt tts ${p} --lang ${language} TEXT`)
    }
  })
  return list as string[]
}

/** One calendar of a flow (IVR or chat), its problems reported through `fail`. */
export function parseCalendar(c: unknown, at: Path, defaultTz: string, fail: FailFn): Calendar | null {
  if (!isMap(c)) {
    fail(at, 'a calendar is a mapping {timezone, open, closed, special}')
    return null
  }
  const cal: Calendar = {timezone: defaultTz, open: {}, holidays: new Set(), special: new Map()}
  for (const k of Object.keys(c)) if (!['timezone', 'open', 'closed', 'special'].includes(k)) fail([...at, k], `unknown key "${k}" in a calendar`, 'A calendar has timezone, open, closed (holidays) and special (dates with their own hours).', true)
  if (c.timezone !== undefined) {
    if (typeof c.timezone === 'string' && isValidTimezone(c.timezone)) cal.timezone = c.timezone
    else fail([...at, 'timezone'], `unknown time zone ${JSON.stringify(c.timezone)}`, 'Use an IANA zone such as Asia/Shanghai.')
  }
  if (!isMap(c.open)) fail(c.open === undefined ? at : [...at, 'open'], 'a calendar needs open: {mon-fri: "09:00-18:00", sat: "10:00-14:00"}')
  else {
    for (const [days, ranges] of Object.entries(c.open)) {
      const ds = parseDays(days)
      if (!ds) fail([...at, 'open', days], `"${days}" is not a day or day range`, 'Use mon, tue, … sun, ranges like mon-fri, lists like mon,wed, or daily.', true)
      const rs = typeof ranges === 'string' ? parseRanges(ranges) : null
      if (!rs) fail([...at, 'open', days], `"${String(ranges)}" is not a list of hours`, 'Use "09:00-18:00" or "09:00-12:00, 13:00-18:00" or "closed".')
      // "closed" closes the day even if an earlier line opened it; hours otherwise add up.
      if (ds && rs) for (const d of ds) cal.open[d] = rs.length === 0 ? [] : [...(cal.open[d] ?? []), ...rs]
    }
  }
  if (c.closed !== undefined) {
    if (!Array.isArray(c.closed)) fail([...at, 'closed'], 'closed must be a list of dates (YYYY-MM-DD)')
    else c.closed.forEach((x, i) => {
      const s = x instanceof Date ? x.toISOString().slice(0, 10) : String(x)
      if (!isDate(s)) fail([...at, 'closed', i], `"${s}" is not a date (YYYY-MM-DD)`)
      else cal.holidays.add(s)
    })
  }
  if (c.special !== undefined) {
    if (!isMap(c.special)) fail([...at, 'special'], 'special must map dates to hours')
    else for (const [date, ranges] of Object.entries(c.special)) {
      const rs = typeof ranges === 'string' ? parseRanges(ranges) : null
      if (!isDate(date) || !rs) fail([...at, 'special', date], `special dates map YYYY-MM-DD to hours like "09:00-12:00"`)
      else cal.special.set(date, rs)
    }
  }
  return cal
}

function checkGraph(nodes: Record<string, IvrNode>, start: string, raw: Raw, fail: FailFn): void {
  const exists = (t: string) => t === IMPLICIT_HANGUP || Object.hasOwn(nodes, t)
  for (const [id, n] of Object.entries(nodes)) {
    const fields = Object.entries(raw[id] as Raw)
    for (const t of targets(n)) {
      if (exists(t)) continue
      // Point at the field that names the missing node.
      const field = fields.find(([, v]) => v === t)?.[0]
      const inMap = fields.find(([, v]) => isMap(v) && Object.values(v).includes(t))
      const path: Path = field ? ['nodes', id, field] : inMap ? ['nodes', id, inMap[0], Object.entries(inMap[1] as Raw).find(([, v]) => v === t)![0]] : ['nodes', id]
      fail(path, `node "${id}" goes to "${t}", which does not exist`, `Nodes: ${Object.keys(nodes).join(', ')}`)
    }
  }
  if (!Object.hasOwn(nodes, start)) return
  const reachable = reachableFrom(start, nodes, targets)
  for (const id of Object.keys(nodes)) if (!reachable.has(id)) fail(['nodes', id], `node "${id}" is unreachable from start "${start}"`, 'Remove it or lead a node to it.', true)
  // Nodes from which the call can end: terminals, the implicit hangup, and whatever leads to them.
  const canEnd = new Set<string>()
  let changed = true
  while (changed) {
    changed = false
    for (const [id, n] of Object.entries(nodes)) {
      if (canEnd.has(id)) continue
      // A missing target is reported on its own; it is not also a loop.
      if (TERMINAL.has(n.type) || targets(n).some((t) => t === IMPLICIT_HANGUP || canEnd.has(t) || !exists(t))) {
        canEnd.add(id)
        changed = true
      }
    }
  }
  for (const id of reachable) {
    if (!canEnd.has(id)) fail(['nodes', id], `node "${id}" is in a loop with no way out: the call can never reach a queue, voicemail, transfer or hangup from it`, 'Give the loop an exit (a menu timeout, a branch default, a hangup).', true)
  }
}

/** A real calendar date: 2026-02-30 and 2026-13-01 are not. */
function isDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`)
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s
}

function isMap(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
}

function int(v: unknown, min: number, max: number): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : null
}
