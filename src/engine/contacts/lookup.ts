import {errorMessage} from '../util/errors.js'
import type {Logger} from '../util/log.js'
import {safeText} from '../util/text.js'
import type {Contact, ContactDirectory} from './contact-store.js'
import {tierKey} from './import.js'
import {normaliseNumber} from './phone-number.js'

// Screen pop runs while the caller waits: the CRM gets a short, fixed time, its answer
// is outside text like any caller ID, and nothing it does can stop the call.

export const DEFAULT_CRM_TIMEOUT_MS = 800
export const DEFAULT_VIP_TIERS: readonly string[] = ['VIP']

/** What is attached to the call. */
export interface CallerContact {
  number: string
  name: string
  tier: string
  language: string
  company: string
  notes: string
  vip: boolean
  lastTickets?: string[]
}

export interface CallerLookup {
  source: 'crm' | 'local' | 'none'
  /** The caller number in E.164, or null when it is not a phone number (anonymous, short codes). */
  number: string | null
  contact?: CallerContact
  /** Why the CRM's answer was not used; the local contacts were used instead. */
  crmError?: string
  /** The local directory failed (e.g. the database is locked); the CRM answer, if any, stands. */
  localError?: string
}

export interface CrmSettings {
  /** {number} is replaced by the URL-encoded E.164 number; without it, ?number= is appended. */
  url: string
  timeoutMs?: number
}

export interface LookupOptions {
  directory: ContactDirectory
  crm?: CrmSettings | null
  defaultCountry: string
  /** Tiers (compared without regard to case) that make a caller a VIP. */
  vipTiers?: readonly string[]
  log?: Logger
}

const MAX_BODY_BYTES = 64 * 1024
const CAPS = {name: 100, tier: 32, language: 16, company: 200, notes: 1000} as const
const MAX_TICKETS = 10
const MAX_TICKET_CHARS = 200

type CrmFields = Partial<Pick<CallerContact, 'name' | 'tier' | 'language' | 'company' | 'notes' | 'lastTickets'>>

class CrmFailure extends Error {}

/**
 * Who is calling: the CRM's answer when one is configured and answers in time (local
 * contact fields fill what it leaves out), else the local contact. Never throws.
 */
export async function lookupCaller(rawNumber: string, opts: LookupOptions): Promise<CallerLookup> {
  const number = normaliseNumber(rawNumber, opts.defaultCountry)
  if (!number) return {source: 'none', number: null}
  const result: CallerLookup = {source: 'none', number}
  let crm: CrmFields | undefined
  if (opts.crm?.url) {
    try {
      crm = await askCrm(opts.crm, number)
    } catch (e) {
      result.crmError = e instanceof CrmFailure ? e.message : `CRM lookup failed: ${safeText(errorMessage(e), 200)}`
      opts.log?.warn('CRM lookup failed; using local contacts', {number, error: result.crmError})
    }
  }
  let local: Contact | undefined
  try {
    local = await opts.directory.get(number)
  } catch (e) {
    result.localError = safeText(errorMessage(e), 200)
    opts.log?.warn('local contact lookup failed', {number, error: result.localError})
  }
  if (!crm && !local) return result
  const merged = {
    name: local?.name ?? '',
    tier: local?.tier ?? '',
    language: local?.language ?? '',
    company: local?.company ?? '',
    notes: local?.notes ?? '',
    ...crm,
  }
  const vipTiers = (opts.vipTiers ?? DEFAULT_VIP_TIERS).map(tierKey)
  result.source = crm ? 'crm' : 'local'
  result.contact = {number, ...merged, vip: merged.tier !== '' && vipTiers.includes(tierKey(merged.tier))}
  return result
}

/** The CRM's fields for the number; undefined when it does not know the caller. */
async function askCrm(crm: CrmSettings, number: string): Promise<CrmFields | undefined> {
  const timeoutMs = crm.timeoutMs ?? DEFAULT_CRM_TIMEOUT_MS
  const url = crmUrl(crm.url, number)
  let res: Response
  let text: string
  try {
    res = await fetch(url, {headers: {accept: 'application/json'}, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow'})
    if (res.status === 404 || res.status === 204) {
      await res.body?.cancel()
      return undefined
    }
    if (!res.ok) {
      await res.body?.cancel()
      throw new CrmFailure(`CRM answered HTTP ${res.status}`)
    }
    text = await readCapped(res, MAX_BODY_BYTES)
  } catch (e) {
    if (e instanceof CrmFailure) throw e
    if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) throw new CrmFailure(`CRM did not answer within ${timeoutMs} ms`)
    const cause = (e as {cause?: {code?: string; message?: string}}).cause
    throw new CrmFailure(`CRM unreachable: ${safeText(cause?.code ?? cause?.message ?? errorMessage(e), 120)}`)
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    const type = safeText(res.headers.get('content-type') ?? 'no content type', 60)
    throw new CrmFailure(`CRM answer is not JSON (${type})`)
  }
  return crmFields(body)
}

function crmUrl(template: string, number: string): URL {
  const encoded = encodeURIComponent(number)
  let url: URL
  try {
    url = new URL(template.includes('{number}') ? template.replaceAll('{number}', encoded) : template)
  } catch {
    throw new CrmFailure('CRM lookup URL is not a valid URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CrmFailure('CRM lookup URL must be http or https')
  if (!template.includes('{number}')) url.searchParams.set('number', number)
  return url
}

async function readCapped(res: Response, cap: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'))
  if (declared > cap) {
    await res.body?.cancel()
    throw new CrmFailure(`CRM answer is larger than ${cap / 1024} KB`)
  }
  const reader = res.body?.getReader()
  if (!reader) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const {done, value} = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > cap) {
      await reader.cancel().catch(() => {})
      throw new CrmFailure(`CRM answer is larger than ${cap / 1024} KB`)
    }
    chunks.push(value)
  }
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(Buffer.concat(chunks))
  } catch {
    throw new CrmFailure('CRM answer is not UTF-8 text')
  }
}

/**
 * Accepted: {"name": "...", "tier": "...", "language": "...", "company": "...", "notes": "...",
 * "lastTickets": ["...", ...]}. Other keys are ignored; {} or {"found": false} means unknown.
 */
function crmFields(body: unknown): CrmFields | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CrmFailure('CRM answer is not a JSON object')
  const b = body as Record<string, unknown>
  if (b.found === false) return undefined
  const out: CrmFields = {}
  let typed = false
  for (const k of Object.keys(CAPS) as (keyof typeof CAPS)[]) {
    const v = b[k]
    if (typeof v !== 'string') continue
    typed = true
    // An empty CRM field says nothing; the local contact's value stays.
    const c = clean(v, CAPS[k])
    if (c !== '') out[k] = c
  }
  if (Array.isArray(b.lastTickets)) {
    typed = true
    out.lastTickets = b.lastTickets
      .filter((t): t is string => typeof t === 'string')
      .slice(0, MAX_TICKETS)
      .map((t) => clean(t, MAX_TICKET_CHARS))
      .filter((t) => t !== '')
  }
  if (typed) return out
  const known = [...Object.keys(CAPS), 'lastTickets'].filter((k) => k in b)
  if (known.length > 0) throw new CrmFailure(`CRM answer has no usable fields (${known.join(', ')}: wrong type)`)
  return undefined
}

// safeText removes escape sequences and control characters; runs of spaces and line
// breaks are layout.
function clean(s: string, max: number): string {
  const t = safeText(s, s.length + 1).replace(/\s+/g, ' ').trim()
  if (t.length <= max) return t
  // Never cut a surrogate pair in half.
  return t.slice(0, /[\ud800-\udbff]/.test(t[max - 1]!) ? max - 1 : max)
}
