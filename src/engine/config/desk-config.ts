import {checkPauseReason} from '../admin/validate.js'
import {errorAt, type LocatedDoc} from './yaml-errors.js'

// What an agent's desk (callctl desk) offers, set once for the center in the engine's
// config and served to every desk by the engine (desk.settings): the pause reasons an
// agent may pick, the CRM page a pop links to, the quick replies, and how far back the
// customer's history is read. Disposition codes are each queue's own (queue settings).

export interface DeskSettings {
  pauseReasons: string[]
  /** {number}, {contact} and {call} are replaced (URL-encoded); null: no CRM link. */
  crmLink: string | null
  quickReplies: string[]
  /** How far back the customer's history is read. */
  historyDays: number
}

export const DEFAULT_PAUSE_REASONS = ['break', 'lunch', 'meeting', 'training', 'coaching']

const DESK_KEYS = ['pauseReasons', 'crmLink', 'quickReplies', 'historyDays'] as const

export interface RawDesk {
  pauseReasons?: string[]
  crmLink?: string | null
  quickReplies?: string[]
  historyDays?: number
}

/** CALLCTL_CRM_LINK sets (or, empty, clears) the CRM link for one run. */
export function deskSettings(raw: RawDesk | undefined, env: NodeJS.ProcessEnv = process.env): DeskSettings {
  return {
    pauseReasons: raw?.pauseReasons ?? [...DEFAULT_PAUSE_REASONS],
    crmLink: env.CALLCTL_CRM_LINK !== undefined ? env.CALLCTL_CRM_LINK || null : (raw?.crmLink ?? null),
    quickReplies: raw?.quickReplies ?? [],
    historyDays: raw?.historyDays ?? 180,
  }
}

type CheckKeys = (d: LocatedDoc, path: (string | number)[], obj: Record<string, unknown>, accepted: readonly string[]) => void

export function validateDeskSettings(d: LocatedDoc, r: Record<string, unknown>, checkKeys: CheckKeys): void {
  if (r.desk === undefined || r.desk === null) return
  if (typeof r.desk !== 'object' || Array.isArray(r.desk)) throw errorAt(d, ['desk'], 'desk must be a mapping', `Accepted keys: ${DESK_KEYS.join(', ')}.`)
  const k = r.desk as Record<string, unknown>
  checkKeys(d, ['desk'], k, DESK_KEYS)
  const words = (name: 'pauseReasons' | 'quickReplies', max: number, word: boolean, example: string) => {
    const v = k[name]
    if (v === undefined) return
    if (!Array.isArray(v) || v.length === 0 || v.length > 35) throw errorAt(d, ['desk', name], `desk.${name} must be a list of 1 to 35 entries`, example)
    v.forEach((x, i) => {
      if (typeof x !== 'string' || x.trim() === '' || x.length > max || (word && !isPauseReason(x))) {
        throw errorAt(d, ['desk', name, i], `desk.${name}[${i}] must be ${word ? 'a word (letters of any script, digits, _ . -)' : 'text'} of 1 to ${max} characters`, example)
      }
    })
  }
  words('pauseReasons', 32, true, 'Example: pauseReasons: [break, lunch, 午饭, training]')
  words('quickReplies', 500, false, 'Example: quickReplies: ["Thank you for calling, how can I help?"]')
  if (k.crmLink !== undefined && k.crmLink !== null) {
    if (typeof k.crmLink !== 'string' || !/^https?:\/\/[^/\s]+\S*$/.test(k.crmLink)) {
      throw errorAt(d, ['desk', 'crmLink'], 'desk.crmLink must be an http(s) URL', 'Example: https://crm.example.com/customers?phone={number}')
    }
  }
  if (k.historyDays !== undefined && (!Number.isInteger(k.historyDays) || (k.historyDays as number) < 1 || (k.historyDays as number) > 3650)) {
    throw errorAt(d, ['desk', 'historyDays'], `desk.historyDays must be an integer from 1 to 3650, got ${JSON.stringify(k.historyDays)}`)
  }
}

/** A reason agent pause would take (the same check). */
function isPauseReason(reason: string): boolean {
  try {
    return checkPauseReason(reason) === reason
  } catch {
    return false
  }
}
