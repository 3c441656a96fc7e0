import {collectProblems, ConfigError} from '../../config/yaml-errors.js'
import type {Calendar} from '../../ivr/hours.js'
import {isValidTimezone} from '../../ivr/hours.js'
import {parseCalendar} from '../../ivr/parse-flow.js'
import {NODE_TYPES as IVR_NODE_TYPES} from '../../ivr/flow.js'
import {parseSkillRequirement} from '../../routing/skills.js'
import {UserError} from '../../util/errors.js'
import {CHAT_NODE_TYPES, ENDS, WAITS, chatTargets, type ChatFlow, type ChatNode, type ChatNodeType, type MenuChoice} from './chat-flow.js'
import {reachableFrom} from '../../util/reachable.js'

// Reads a conversation flow from YAML and checks it whole, as the IVR's flows are checked:
// fields, node types, targets, calendars, reachability, and loops the bot could go round
// without the customer saying anything, each problem as file:line:column. A bad flow fails
// when the engine loads it (or `callctl chat test`), never in a conversation.

type Path = (string | number)[]
type Raw = Record<string, unknown>
type Fail = (path: Path, msg: string, suggestion?: string, onKey?: boolean) => void

const TOP = ['flow', 'timezone', 'start', 'calendars', 'nodes'] as const
const MAX_TEXT = 2000

const FIELDS: Record<ChatNodeType, {required: string[]; optional: string[]}> = {
  message: {required: ['text', 'next'], optional: []},
  menu: {required: ['text', 'choices'], optional: ['otherwise']},
  hours: {required: ['calendar', 'open', 'closed'], optional: []},
  kb: {required: ['helpful', 'notHelpful', 'noMatch'], optional: ['text', 'minScore', 'tag']},
  queue: {required: ['queue'], optional: ['skills', 'priority', 'text']},
  close: {required: [], optional: ['text']},
}

export interface ChatFlowCheck {
  flow: ChatFlow | null
  errors: ConfigError[]
}

export function checkChatFlow(text: string, file: string): ChatFlowCheck {
  const check = collectProblems(text, file)
  if (!('fail' in check)) return {flow: null, errors: check.errors}
  const {errors, fail, root} = check
  if (!isMap(root)) {
    fail([], 'a chat flow is a mapping with flow, start and nodes', 'See: callctl chat test --help')
    return {flow: null, errors}
  }
  // A voice (IVR) flow given for a chat flow is one mistake, not an error per node and key.
  const voice = voiceNode(root.nodes)
  if (voice) {
    fail(['nodes', voice.id, 'type'], `this is an IVR (voice) flow, not a chat flow: node "${voice.id}" is a ${voice.type} node`, `Test a voice flow with: callctl ivr test ${file} (a chat flow's node types: ${CHAT_NODE_TYPES.join(', ')}).`)
    return {flow: null, errors}
  }
  for (const k of Object.keys(root)) if (!(TOP as readonly string[]).includes(k)) fail([k], `unknown key "${k}"`, `Accepted at the top: ${TOP.join(', ')}.`, true)
  const name = typeof root.flow === 'string' && root.flow.trim() ? root.flow.trim() : (fail(['flow'], 'the flow needs a name: flow: NAME'), 'unnamed')
  let timezone = 'UTC'
  if (root.timezone !== undefined) {
    if (typeof root.timezone === 'string' && isValidTimezone(root.timezone)) timezone = root.timezone
    else fail(['timezone'], `unknown time zone ${JSON.stringify(root.timezone)}`, 'Use an IANA zone such as Asia/Shanghai or Europe/London.')
  }
  const calendars = Object.create(null) as Record<string, Calendar>
  if (root.calendars !== undefined) {
    if (!isMap(root.calendars)) fail(['calendars'], 'calendars must map names to {timezone, open, closed, special}')
    else for (const [c, raw] of Object.entries(root.calendars)) {
      const cal = parseCalendar(raw, ['calendars', c], timezone, fail)
      if (cal) calendars[c] = cal
    }
  }
  const nodes = Object.create(null) as Record<string, ChatNode>
  if (!isMap(root.nodes) || Object.keys(root.nodes).length === 0) fail(root.nodes === undefined ? [] : ['nodes'], 'the flow needs nodes: a mapping of node names to nodes')
  else for (const [id, raw] of Object.entries(root.nodes)) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) fail(['nodes', id], `invalid node name "${id}"`, 'Use letters, digits, "_" and "-".', true)
    const n = parseNode(raw, ['nodes', id], fail, calendars)
    if (n) nodes[id] = n
  }
  const start = typeof root.start === 'string' ? root.start : (fail(['start'], 'the flow needs start: NODE'), '')
  if (start && isMap(root.nodes) && !Object.hasOwn(root.nodes, start)) fail(['start'], `start node "${start}" does not exist`, `Nodes: ${Object.keys(root.nodes).join(', ')}`)
  if (errors.length === 0) checkGraph(nodes, start, root.nodes as Raw, fail)
  return errors.length === 0 ? {flow: {name, timezone, start, calendars, nodes}, errors} : {flow: null, errors}
}

/**
 * The first node of a voice flow: one whose type only the IVR has (play, collect...), in
 * nodes none of which has a type only chat flows have. Null for anything else, a chat
 * flow with a mistyped node included.
 */
function voiceNode(nodes: unknown): {id: string; type: string} | null {
  if (!isMap(nodes)) return null
  const types = Object.entries(nodes).map(([id, n]) => ({id, type: isMap(n) && typeof n.type === 'string' ? n.type : ''}))
  const chat = CHAT_NODE_TYPES as readonly string[]
  const ivr = IVR_NODE_TYPES as readonly string[]
  if (types.some((t) => chat.includes(t.type) && !ivr.includes(t.type))) return null
  return types.find((t) => ivr.includes(t.type) && !chat.includes(t.type)) ?? null
}

/** The flow, or a UserError naming the first problem (file:line:column) and how many more. */
export function parseChatFlow(text: string, file: string): ChatFlow {
  const {flow, errors} = checkChatFlow(text, file)
  if (flow) return flow
  throw new ChatFlowInvalidError(errors)
}

export class ChatFlowInvalidError extends UserError {
  constructor(readonly errors: ConfigError[]) {
    super(`${errors[0]?.message ?? 'invalid chat flow'}${errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : ''}`, {
      suggestion: errors[0]?.suggestion,
      exitCode: 2,
      code: 'invalid_flow',
    })
  }
}

function parseNode(raw: unknown, at: Path, fail: Fail, calendars: Record<string, Calendar>): ChatNode | null {
  if (!isMap(raw)) {
    fail(at, `node "${at[1]}" must be a mapping with a type`)
    return null
  }
  const type = raw.type
  if (typeof type !== 'string' || !(CHAT_NODE_TYPES as readonly string[]).includes(type)) {
    fail([...at, 'type'], `unknown node type ${JSON.stringify(type)} in node "${at[1]}"`, `Node types: ${CHAT_NODE_TYPES.join(', ')}.`)
    return null
  }
  const t = type as ChatNodeType
  const spec = FIELDS[t]
  let ok = true
  const bad: Fail = (...args) => {
    ok = false
    fail(...args)
  }
  for (const k of Object.keys(raw)) if (k !== 'type' && !spec.required.includes(k) && !spec.optional.includes(k)) bad([...at, k], `unknown field "${k}" for a ${t} node`, `A ${t} node has: ${[...spec.required, ...spec.optional].join(', ')}.`, true)
  for (const k of spec.required) if (raw[k] === undefined) bad(at, `${t} node "${at[1]}" needs "${k}"`)
  const str = (k: string, max = MAX_TEXT): string => {
    const v = raw[k]
    if (v === undefined) return ''
    if (typeof v !== 'string' || v.trim() === '' || v.length > max) bad([...at, k], `${k} must be text of 1 to ${max} characters`)
    return typeof v === 'string' ? v : ''
  }
  const target = (k: string): string => {
    const v = raw[k]
    if (v === undefined) return ''
    if (typeof v !== 'string' || v === '') bad([...at, k], `${k} must be a node name`)
    return typeof v === 'string' ? v : ''
  }
  const num = (k: string, min: number, max: number, dflt: number, integer = true): number => {
    const v = raw[k]
    if (v === undefined) return dflt
    if (typeof v !== 'number' || (integer && !Number.isInteger(v)) || v < min || v > max) {
      bad([...at, k], `${k} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`)
      return dflt
    }
    return v
  }
  let node: ChatNode
  switch (t) {
    case 'message':
      node = {type: t, text: str('text'), next: target('next')}
      break
    case 'menu':
      node = {type: t, text: str('text'), choices: choices(raw.choices, [...at, 'choices'], bad), otherwise: raw.otherwise === undefined ? null : target('otherwise')}
      break
    case 'hours': {
      const calendar = str('calendar', 64)
      if (calendar && !Object.hasOwn(calendars, calendar)) bad([...at, 'calendar'], `calendar "${calendar}" is not defined`, Object.keys(calendars).length ? `Calendars: ${Object.keys(calendars).join(', ')}` : 'Define it under calendars: at the top.')
      node = {type: t, calendar, open: target('open'), closed: target('closed')}
      break
    }
    case 'kb': {
      const tag = raw.tag === undefined ? null : str('tag', 40)
      node = {type: t, text: raw.text === undefined ? 'What is your question?' : str('text'), minScore: num('minScore', 0, 1, 0.5, false), tag, helpful: target('helpful'), notHelpful: target('notHelpful'), noMatch: target('noMatch')}
      break
    }
    case 'queue': {
      const queue = str('queue', 256)
      let skills: string | null = null
      if (raw.skills !== undefined) {
        try {
          if (typeof raw.skills !== 'string') throw new Error('expected text')
          parseSkillRequirement(raw.skills)
          skills = raw.skills
        } catch (err) {
          bad([...at, 'skills'], `skills: ${err instanceof Error ? err.message : String(err)}`)
        }
      }
      node = {type: t, queue, skills, priority: num('priority', 0, 100, 0), text: raw.text === undefined ? null : str('text')}
      break
    }
    case 'close':
      node = {type: t, text: raw.text === undefined ? null : str('text')}
      break
  }
  return ok ? node : null
}

function choices(v: unknown, at: Path, fail: Fail): MenuChoice[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 20) {
    fail(at, 'choices must be a list of 1 to 20 {key, label, keywords?, next}')
    return []
  }
  const out: MenuChoice[] = []
  const keys = new Set<string>()
  v.forEach((c: unknown, i) => {
    if (!isMap(c)) return fail([...at, i], 'a choice is a mapping {key, label, keywords?, next}')
    for (const k of Object.keys(c)) if (!['key', 'label', 'keywords', 'next'].includes(k)) fail([...at, i, k], `unknown field "${k}" in a choice`, 'A choice has key, label, keywords and next.', true)
    const key = typeof c.key === 'string' || typeof c.key === 'number' ? String(c.key) : ''
    if (!/^[\p{L}\p{N}_.-]{1,32}$/u.test(key)) fail([...at, i, 'key'], 'key must be 1 to 32 letters, digits, "_", "." or "-"')
    else if (keys.has(key)) fail([...at, i, 'key'], `key "${key}" is used twice in this menu`)
    keys.add(key)
    if (typeof c.label !== 'string' || c.label.trim() === '' || c.label.length > 100) fail([...at, i, c.label === undefined ? 'key' : 'label'], 'label must be text of 1 to 100 characters')
    const words = c.keywords === undefined ? [] : Array.isArray(c.keywords) ? c.keywords : [c.keywords]
    if (!words.every((w) => typeof w === 'string' && w.trim() !== '' && w.length <= 50)) fail([...at, i, 'keywords'], 'keywords must be a list of words (each at most 50 characters)')
    if (typeof c.next !== 'string' || c.next === '') fail([...at, i, c.next === undefined ? 'key' : 'next'], 'next must be a node name')
    out.push({key, label: String(c.label ?? ''), keywords: words.map((w) => String(w)), next: String(c.next ?? '')})
  })
  return out
}

function checkGraph(nodes: Record<string, ChatNode>, start: string, raw: Raw, fail: Fail): void {
  for (const [id, n] of Object.entries(nodes)) {
    for (const t of chatTargets(n)) {
      if (Object.hasOwn(nodes, t)) continue
      fail(targetPath(id, n, t, raw), `node "${id}" goes to "${t}", which does not exist`, `Nodes: ${Object.keys(nodes).join(', ')}`)
    }
  }
  if (!Object.hasOwn(nodes, start)) return
  const reachable = reachableFrom(start, nodes, chatTargets)
  for (const id of Object.keys(nodes)) if (!reachable.has(id)) fail(['nodes', id], `node "${id}" is unreachable from start "${start}"`, 'Remove it or lead a node to it.', true)
  // A loop through message and hours nodes only would have the bot talk to itself forever.
  const state = new Map<string, 'open' | 'done'>()
  const visit = (id: string): void => {
    const n = nodes[id]
    if (!n || WAITS.has(n.type) || ENDS.has(n.type) || state.get(id) === 'done') return
    if (state.get(id) === 'open') return void fail(['nodes', id], `node "${id}" is in a loop that never waits for the customer`, 'Put a menu or kb node in the loop, or end it with queue or close.', true)
    state.set(id, 'open')
    for (const t of chatTargets(n)) visit(t)
    state.set(id, 'done')
  }
  for (const id of reachable) visit(id)
}

function targetPath(id: string, n: ChatNode, t: string, raw: Raw): Path {
  const fields = Object.entries(raw[id] as Raw)
  const field = fields.find(([, v]) => v === t)?.[0]
  if (field) return ['nodes', id, field]
  if (n.type === 'menu') {
    const i = n.choices.findIndex((c) => c.next === t)
    if (i >= 0) return ['nodes', id, 'choices', i, 'next']
  }
  return ['nodes', id]
}

function isMap(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
}
