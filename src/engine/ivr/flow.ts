import type {Calendar} from './hours.js'

// An IVR flow is data: a graph of small nodes, each one step of what the caller hears
// and does, checked as a whole before any call runs it.

export interface PlayNode {
  type: 'play'
  prompt: string[]
  next: string
}

export interface MenuNode {
  type: 'menu'
  prompt: string[]
  choices: Record<string, string>
  /** Seconds to wait for a key after the prompt. */
  timeout: number
  /** Extra tries after a timeout or a wrong key. */
  retries: number
  invalidPrompt: string[]
  /** Where to go when the tries run out: after no key at all, after wrong keys. */
  onTimeout: string
  onInvalid: string
}

export interface CollectNode {
  type: 'collect'
  prompt: string[]
  min: number
  max: number
  terminator: string
  timeout: number
  retries: number
  /** Variable that receives the digits (var.NAME in branch). */
  var: string
  next: string
  onTimeout: string
  onInvalid: string
}

export interface HoursNode {
  type: 'hours'
  calendar: string
  open: string
  closed: string
}

export interface HolidayNode {
  type: 'holiday'
  calendar: string
  holiday: string
  next: string
}

export interface SetNode {
  type: 'set'
  priority?: number
  tags: string[]
  skills?: string
  language?: string
  vars: Record<string, string>
  next: string
}

export interface LookupNode {
  type: 'lookup'
  next: string
}

export interface BranchNode {
  type: 'branch'
  /** contact.tier, contact.vip, contact.name, caller.number, caller.name, did, language, var.NAME */
  on: string
  cases: Record<string, string>
  default: string
}

export interface QueueNode {
  type: 'queue'
  queue: string
  priority?: number
  skills?: string
}

export interface VoicemailNode {
  type: 'voicemail'
  prompt: string[]
}

export interface TransferNode {
  type: 'transfer'
  number: string
}

export interface GotoNode {
  type: 'goto'
  target: string
}

export interface HangupNode {
  type: 'hangup'
  prompt: string[]
}

export type IvrNode =
  | PlayNode
  | MenuNode
  | CollectNode
  | HoursNode
  | HolidayNode
  | SetNode
  | LookupNode
  | BranchNode
  | QueueNode
  | VoicemailNode
  | TransferNode
  | GotoNode
  | HangupNode

export type NodeType = IvrNode['type']

export const NODE_TYPES: readonly NodeType[] = ['play', 'menu', 'collect', 'hours', 'holiday', 'set', 'lookup', 'branch', 'queue', 'voicemail', 'transfer', 'goto', 'hangup']

/** Nodes that end the flow: the call leaves the IVR there. */
export const TERMINAL: ReadonlySet<NodeType> = new Set(['queue', 'voicemail', 'transfer', 'hangup'])

export interface SurveyConfig {
  prompt: string[]
  thanks: string[]
  timeout: number
}

export interface Flow {
  name: string
  language: string
  timezone: string
  start: string
  calendars: Record<string, Calendar>
  nodes: Record<string, IvrNode>
  survey: SurveyConfig | null
}

/** The nodes a node can lead to. */
export function targets(n: IvrNode): string[] {
  switch (n.type) {
    case 'play':
    case 'set':
    case 'lookup':
      return [n.next]
    case 'menu':
      return [...Object.values(n.choices), n.onTimeout, n.onInvalid]
    case 'collect':
      return [n.next, n.onTimeout, n.onInvalid]
    case 'hours':
      return [n.open, n.closed]
    case 'holiday':
      return [n.holiday, n.next]
    case 'branch':
      return [...Object.values(n.cases), n.default]
    case 'goto':
      return [n.target]
    default:
      return []
  }
}

/** A prompt name is one of ours (callctl prompt add/tts) or an Asterisk sound ("sound:NAME"). */
export interface PromptCatalog {
  has(prompt: string, language: string): boolean
}

export const ANY_PROMPT: PromptCatalog = {has: () => true}

/** Built-in targets every flow may use without defining them. */
export const IMPLICIT_HANGUP = '$hangup'
