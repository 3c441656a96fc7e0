import {IMPLICIT_HANGUP, type Flow, type IvrNode} from './flow.js'
import {isHoliday, isOpen} from './hours.js'

// Walks a validated flow one node at a time. Each node kind is one small step function;
// everything a step does to the call goes through IvrIO, so the same walk serves a live
// call (ARI), `callctl ivr test` (scripted digits) and unit tests. A hangup cancels the
// walk: IvrIO rejects with CallGone and no step swallows it.

export interface CallerContact {
  name: string
  tier: string
  vip: boolean
  language: string
  company: string
  notes: string
}

export interface IvrIO {
  /** Plays prompts; a key pressed during them stops the playback and is kept for the next input. */
  play(prompts: string[], language: string): Promise<void>
  /**
   * Reads up to `max` keys (the kept key first): ends on the terminator, on `max`
   * keys, or when no key comes within the timeout.
   */
  readDigits(o: {max: number; terminator: string | null; timeoutMs: number}): Promise<{digits: string; timedOut: boolean}>
  /** The caller's contact (local directory or CRM), looked up again. */
  lookupContact(): Promise<CallerContact | null>
  now(): Date
}

export class CallGone extends Error {
  constructor() {
    super('the caller hung up')
    this.name = 'CallGone'
  }
}

export interface IvrState {
  caller: {number: string; name: string}
  did: string
  contact: CallerContact | null
  language: string
  vars: Record<string, string>
  priority: number
  tags: string[]
  skills: string | null
}

export type IvrOutcome =
  | {action: 'queue'; queue: string; priority: number; skills: string | null; tags: string[]}
  | {action: 'voicemail'; prompt: string[]}
  | {action: 'transfer'; number: string}
  | {action: 'hangup'; prompt: string[]; reason: string}

/** What the walk reports as it goes: the path, and the key trail. */
export interface IvrTrace {
  node(id: string, node: IvrNode): void
  keys(id: string, keys: string, result: 'choice' | 'collected' | 'invalid'): void
  timeout(id: string): void
}

const MAX_STEPS = 1000

type StepResult = {next: string} | {end: IvrOutcome}
type Step<N extends IvrNode> = (n: N, id: string, env: Env) => Promise<StepResult>

interface Env {
  flow: Flow
  io: IvrIO
  state: IvrState
  trace: IvrTrace
}

export async function runFlow(flow: Flow, io: IvrIO, state: IvrState, trace: IvrTrace): Promise<IvrOutcome> {
  const env: Env = {flow, io, state, trace}
  let id = flow.start
  for (let steps = 0; steps < MAX_STEPS; steps++) {
    if (id === IMPLICIT_HANGUP) return {action: 'hangup', prompt: ['sound:vm-goodbye'], reason: 'no-input'}
    const node = flow.nodes[id]!
    trace.node(id, node)
    const r = await (STEPS[node.type] as Step<IvrNode>)(node, id, env)
    if ('end' in r) return r.end
    id = r.next
  }
  // Validation rules out endless flows; a caller pressing wrong keys forever still ends here.
  return {action: 'hangup', prompt: ['sound:vm-goodbye'], reason: 'too-many-steps'}
}

const STEPS: {[K in IvrNode['type']]: Step<Extract<IvrNode, {type: K}>>} = {
  async play(n, _id, env) {
    await env.io.play(n.prompt, env.state.language)
    return {next: n.next}
  },

  async menu(n, id, env) {
    for (let attempt = 0; attempt <= n.retries; attempt++) {
      await env.io.play(n.prompt, env.state.language)
      const {digits, timedOut} = await env.io.readDigits({max: 1, terminator: null, timeoutMs: n.timeout * 1000})
      if (timedOut || digits === '') {
        env.trace.timeout(id)
        if (attempt === n.retries) return {next: n.onTimeout}
        continue
      }
      const target = n.choices[digits]
      if (target) {
        env.trace.keys(id, digits, 'choice')
        return {next: target}
      }
      env.trace.keys(id, digits, 'invalid')
      if (attempt === n.retries) return {next: n.onInvalid}
      await env.io.play(n.invalidPrompt, env.state.language)
    }
    return {next: n.onTimeout}
  },

  async collect(n, id, env) {
    for (let attempt = 0; attempt <= n.retries; attempt++) {
      await env.io.play(n.prompt, env.state.language)
      const {digits, timedOut} = await env.io.readDigits({max: n.max, terminator: n.terminator, timeoutMs: n.timeout * 1000})
      if (digits === '' && timedOut) {
        env.trace.timeout(id)
        if (attempt === n.retries) return {next: n.onTimeout}
        continue
      }
      if (digits.length >= n.min && digits.length <= n.max && /^[0-9*]+$/.test(digits)) {
        env.trace.keys(id, digits, 'collected')
        // A computed key defines an own property even for "__proto__" (plain assignment would set the prototype).
        env.state.vars = {...env.state.vars, [n.var]: digits}
        return {next: n.next}
      }
      env.trace.keys(id, digits, 'invalid')
      if (attempt === n.retries) return {next: n.onInvalid}
    }
    return {next: n.onTimeout}
  },

  async hours(n, _id, env) {
    return {next: isOpen(env.flow.calendars[n.calendar]!, env.io.now()) ? n.open : n.closed}
  },

  async holiday(n, _id, env) {
    return {next: isHoliday(env.flow.calendars[n.calendar]!, env.io.now()) ? n.holiday : n.next}
  },

  async set(n, _id, env) {
    if (n.priority !== undefined) env.state.priority = Math.max(env.state.priority, n.priority)
    if (n.skills !== undefined) env.state.skills = n.skills
    if (n.language !== undefined) env.state.language = n.language
    for (const t of n.tags) if (!env.state.tags.includes(t)) env.state.tags.push(t)
    env.state.vars = {...env.state.vars, ...n.vars}
    return {next: n.next}
  },

  async lookup(n, _id, env) {
    env.state.contact = (await env.io.lookupContact()) ?? env.state.contact
    return {next: n.next}
  },

  async branch(n, _id, env) {
    const v = valueOf(n.on, env.state)
    // Case aside and normal form aside (NFKC): a flow's 贵宾 or VIP matches the tier a CRM or
    // a full-width input method wrote as 贵宾 in another form or as ＶＩＰ.
    const key = (x: string) => x.normalize('NFKC').toLowerCase()
    return {next: Object.hasOwn(n.cases, v) ? n.cases[v]! : (Object.entries(n.cases).find(([k]) => key(k) === key(v))?.[1] ?? n.default)}
  },

  async queue(n, _id, env) {
    const s = env.state
    return {end: {action: 'queue', queue: n.queue, priority: Math.max(s.priority, n.priority ?? 0), skills: n.skills ?? s.skills, tags: [...s.tags]}}
  },

  async voicemail(n) {
    return {end: {action: 'voicemail', prompt: n.prompt}}
  },

  async transfer(n) {
    return {end: {action: 'transfer', number: n.number}}
  },

  async goto(n) {
    return {next: n.target}
  },

  async hangup(n) {
    return {end: {action: 'hangup', prompt: n.prompt, reason: 'flow'}}
  },
}

function valueOf(on: string, s: IvrState): string {
  if (on.startsWith('var.')) return Object.hasOwn(s.vars, on.slice(4)) ? s.vars[on.slice(4)]! : ''
  switch (on) {
    case 'contact.tier':
      return s.contact?.tier ?? ''
    case 'contact.vip':
      return s.contact?.vip ? 'true' : 'false'
    case 'contact.name':
      return s.contact?.name ?? ''
    case 'contact.language':
      return s.contact?.language ?? ''
    case 'contact.company':
      return s.contact?.company ?? ''
    case 'caller.number':
      return s.caller.number
    case 'caller.name':
      return s.caller.name
    case 'did':
      return s.did
    case 'language':
      return s.language
    default:
      return ''
  }
}
