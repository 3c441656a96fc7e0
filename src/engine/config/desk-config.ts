import {errorAt, type LocatedDoc} from './yaml-errors.js'

// What an agent's desk (callctl desk) offers, set once for the center in the engine's
// config and served to every desk by the engine (desk.settings): the pause reasons an
// agent may pick, the disposition codes of each queue with their keys, the CRM page a
// pop links to, and the quick replies.

export interface DispositionCode {
  code: string
  label: string
  /** The key that picks it in wrap-up (1-9, a-z). */
  key: string
}

export interface DeskSettings {
  pauseReasons: string[]
  /** Codes of queues not listed in byQueue, and of calls without a queue (outbound). */
  dispositions: DispositionCode[]
  byQueue: Record<string, DispositionCode[]>
  /** {number}, {contact} and {call} are replaced (URL-encoded); null: no CRM link. */
  crmLink: string | null
  quickReplies: string[]
  /** How far back the customer's history is read. */
  historyDays: number
}

export const DEFAULT_PAUSE_REASONS = ['break', 'lunch', 'meeting', 'training', 'coaching']

export const DEFAULT_DISPOSITIONS: DispositionCode[] = [
  {code: 'resolved', label: 'Resolved', key: '1'},
  {code: 'follow-up', label: 'Needs follow-up', key: '2'},
  {code: 'escalated', label: 'Escalated', key: '3'},
  {code: 'info', label: 'Information given', key: '4'},
  {code: 'wrong-number', label: 'Wrong number', key: '5'},
]

const DESK_KEYS = ['pauseReasons', 'dispositions', 'crmLink', 'quickReplies', 'historyDays'] as const
const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/
const KEY = /^[1-9a-z]$/

export interface RawDesk {
  pauseReasons?: string[]
  dispositions?: unknown
  crmLink?: string | null
  quickReplies?: string[]
  historyDays?: number
}

export function deskSettings(raw: RawDesk | undefined, env: NodeJS.ProcessEnv = process.env): DeskSettings {
  const d = raw?.dispositions
  const {all, byQueue} = splitDispositions(d)
  return {
    pauseReasons: raw?.pauseReasons ?? [...DEFAULT_PAUSE_REASONS],
    dispositions: all ?? DEFAULT_DISPOSITIONS.map((c) => ({...c})),
    byQueue,
    crmLink: env.CALLCTL_CRM_LINK !== undefined ? env.CALLCTL_CRM_LINK || null : (raw?.crmLink ?? null),
    quickReplies: raw?.quickReplies ?? [],
    historyDays: raw?.historyDays ?? 180,
  }
}

/**
 * `dispositions:` is either one list for every queue, or a mapping with `default:` and
 * a list per queue name. An entry is "code", "code: Label" or {code, label, key}; keys
 * not given are 1, 2, 3... in order.
 */
function splitDispositions(d: unknown): {all: DispositionCode[] | null; byQueue: Record<string, DispositionCode[]>} {
  if (d === undefined || d === null) return {all: null, byQueue: {}}
  if (Array.isArray(d)) return {all: codes(d), byQueue: {}}
  const m = d as Record<string, unknown[]>
  const byQueue: Record<string, DispositionCode[]> = {}
  for (const [q, list] of Object.entries(m)) if (q !== 'default') byQueue[q] = codes(list)
  return {all: m.default ? codes(m.default) : null, byQueue}
}

function codes(list: unknown[]): DispositionCode[] {
  return list.map((e, i) => {
    const fallbackKey = i < 9 ? String(i + 1) : String.fromCharCode(97 + i - 9)
    if (typeof e === 'string') {
      const [code, ...label] = e.split(':')
      return {code: code!.trim(), label: label.join(':').trim() || code!.trim(), key: fallbackKey}
    }
    const o = e as {code: string; label?: string; key?: string | number}
    return {code: o.code, label: o.label ?? o.code, key: o.key !== undefined ? String(o.key) : fallbackKey}
  })
}

/** The codes a call of this queue is closed with. */
export function dispositionsFor(s: Pick<DeskSettings, 'dispositions' | 'byQueue'>, queue: string | null): DispositionCode[] {
  return (queue !== null && s.byQueue[queue]) || s.dispositions
}

type CheckKeys = (d: LocatedDoc, path: (string | number)[], obj: Record<string, unknown>, accepted: readonly string[]) => void

export function validateDeskSettings(d: LocatedDoc, r: Record<string, unknown>, checkKeys: CheckKeys): void {
  if (r.desk === undefined || r.desk === null) return
  if (typeof r.desk !== 'object' || Array.isArray(r.desk)) throw errorAt(d, ['desk'], 'desk must be a mapping', `Accepted keys: ${DESK_KEYS.join(', ')}.`)
  const k = r.desk as Record<string, unknown>
  checkKeys(d, ['desk'], k, DESK_KEYS)
  const words = (name: 'pauseReasons' | 'quickReplies', max: number, pattern: RegExp | null, example: string) => {
    const v = k[name]
    if (v === undefined) return
    if (!Array.isArray(v) || v.length === 0) throw errorAt(d, ['desk', name], `desk.${name} must be a non-empty list`, example)
    v.forEach((x, i) => {
      if (typeof x !== 'string' || x.trim() === '' || x.length > max || (pattern && !pattern.test(x))) {
        throw errorAt(d, ['desk', name, i], `desk.${name}[${i}] must be ${pattern ? 'a code of letters, digits, _ . -' : 'text'} of 1 to ${max} characters`, example)
      }
    })
  }
  words('pauseReasons', 32, CODE, 'Example: pauseReasons: [break, lunch, training]')
  words('quickReplies', 500, null, 'Example: quickReplies: ["Thank you for calling, how can I help?"]')
  if (k.crmLink !== undefined && k.crmLink !== null) {
    if (typeof k.crmLink !== 'string' || !/^https?:\/\/[^/\s]+\S*$/.test(k.crmLink)) {
      throw errorAt(d, ['desk', 'crmLink'], 'desk.crmLink must be an http(s) URL', 'Example: https://crm.example.com/customers?phone={number}')
    }
  }
  if (k.historyDays !== undefined && (!Number.isInteger(k.historyDays) || (k.historyDays as number) < 1 || (k.historyDays as number) > 3650)) {
    throw errorAt(d, ['desk', 'historyDays'], `desk.historyDays must be an integer from 1 to 3650, got ${JSON.stringify(k.historyDays)}`)
  }
  const disp = k.dispositions
  if (disp === undefined || disp === null) return
  const checkList = (list: unknown, path: (string | number)[]) => {
    if (!Array.isArray(list) || list.length === 0 || list.length > 35) throw errorAt(d, path, `${path.join('.')} must be a list of 1 to 35 codes`, 'Example: [resolved, "follow-up: Needs follow-up", {code: sale, label: Sale, key: s}]')
    const keys = new Set<string>()
    const seen = new Set<string>()
    for (const [i, c] of codes(list).entries()) {
      const e = list[i] as unknown
      if (typeof e !== 'string' && (typeof e !== 'object' || e === null || Array.isArray(e))) throw errorAt(d, [...path, i], 'a code is "code", "code: Label" or {code, label, key}')
      if (typeof e === 'object') checkKeys(d, [...path, i], e as Record<string, unknown>, ['code', 'label', 'key'])
      if (typeof c.code !== 'string' || !CODE.test(c.code)) throw errorAt(d, [...path, i], `${path.join('.')}[${i}]: the code must be 1 to 32 letters, digits, _ . -`)
      if (typeof c.label !== 'string' || c.label.length > 60) throw errorAt(d, [...path, i], `${path.join('.')}[${i}]: the label must be text of at most 60 characters`)
      if (!KEY.test(c.key)) throw errorAt(d, [...path, i], `${path.join('.')}[${i}]: the key must be one of 1-9 or a-z`)
      if (keys.has(c.key)) throw errorAt(d, [...path, i], `${path.join('.')}[${i}]: key ${c.key} is taken by an earlier code`)
      if (seen.has(c.code)) throw errorAt(d, [...path, i], `${path.join('.')}[${i}]: code ${c.code} is listed twice`)
      keys.add(c.key)
      seen.add(c.code)
    }
  }
  if (Array.isArray(disp)) return checkList(disp, ['desk', 'dispositions'])
  if (typeof disp !== 'object') throw errorAt(d, ['desk', 'dispositions'], 'desk.dispositions must be a list of codes, or a mapping of queue name (or default) to a list')
  for (const [q, list] of Object.entries(disp as Record<string, unknown>)) checkList(list, ['desk', 'dispositions', q])
}
