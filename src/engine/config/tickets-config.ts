import {join} from 'node:path'
import {DEFAULT_SLA, TICKET_PRIORITIES, type Sla} from '../tickets/ticket.js'
import {parseDuration} from '../util/duration.js'
import type {Paths} from '../util/paths.js'
import {errorAt, type LocatedDoc} from './yaml-errors.js'

// The config's tickets: section: the due time per priority (SLA) and the webhook an
// outside system gets every ticket change on.
//
//   tickets:
//     sla: {urgent: 4h, high: 1d, normal: 3d, low: 7d}
//     webhook:
//       url: https://helpdesk.example.com/hooks/callctl
//       secretFile: /etc/callctl/ticket-webhook.secret   # 0600; default secrets/ticket-webhook

export const TICKETS_KEYS = ['sla', 'webhook'] as const
const WEBHOOK_KEYS = ['url', 'secretFile', 'timeoutMs'] as const
const SLA_RANGE = [60_000, 365 * 86_400_000] as const

export interface TicketWebhookSettings {
  url: string
  /** HMAC-SHA256 key, read from this 0600 file (created with a random key when missing). */
  secretFile: string
  timeoutMs: number
}

export interface TicketsSettings {
  sla: Sla
  webhook: TicketWebhookSettings | null
}

export interface RawTickets {
  sla?: Partial<Record<string, string | number>>
  webhook?: {url?: string; secretFile?: string; timeoutMs?: number} | null
}

type CheckKeys = (d: LocatedDoc, path: string[], o: Record<string, unknown>, keys: readonly string[]) => void

export function validateTicketsSettings(d: LocatedDoc, r: Record<string, unknown>, checkKeys: CheckKeys): void {
  if (r.tickets === undefined || r.tickets === null) return
  if (typeof r.tickets !== 'object' || Array.isArray(r.tickets)) throw errorAt(d, ['tickets'], 'tickets must be a mapping', `Accepted keys: ${TICKETS_KEYS.join(', ')}.`)
  const t = r.tickets as Record<string, unknown>
  checkKeys(d, ['tickets'], t, TICKETS_KEYS)
  if (t.sla !== undefined) {
    if (typeof t.sla !== 'object' || t.sla === null || Array.isArray(t.sla)) throw errorAt(d, ['tickets', 'sla'], 'tickets.sla must map priorities to due times', 'Example: sla: {urgent: 4h, high: 1d, normal: 3d, low: 7d}')
    const sla = t.sla as Record<string, unknown>
    checkKeys(d, ['tickets', 'sla'], sla, TICKET_PRIORITIES)
    for (const [k, v] of Object.entries(sla)) {
      const ms = slaMs(v)
      if (ms === null) throw errorAt(d, ['tickets', 'sla', k], `tickets.sla.${k} must be a duration from 1m to 365d, got ${JSON.stringify(v)}`, 'Example: 4h, 1d, 3d (a bare number is seconds).')
    }
  }
  if (t.webhook === undefined || t.webhook === null) return
  if (typeof t.webhook !== 'object' || Array.isArray(t.webhook)) throw errorAt(d, ['tickets', 'webhook'], 'tickets.webhook must be a mapping', `Accepted keys: ${WEBHOOK_KEYS.join(', ')}.`)
  const w = t.webhook as Record<string, unknown>
  checkKeys(d, ['tickets', 'webhook'], w, WEBHOOK_KEYS)
  if (typeof w.url !== 'string' || !/^https?:\/\/[^/\s]+\S*$/.test(w.url)) throw errorAt(d, ['tickets', 'webhook', 'url'], `tickets.webhook.url must be an http(s) URL, got ${JSON.stringify(w.url ?? null)}`, 'Example: url: https://helpdesk.example.com/hooks/callctl')
  if (w.secretFile !== undefined && (typeof w.secretFile !== 'string' || w.secretFile === '')) throw errorAt(d, ['tickets', 'webhook', 'secretFile'], 'tickets.webhook.secretFile must be a file path')
  if (w.timeoutMs !== undefined && (!Number.isInteger(w.timeoutMs) || (w.timeoutMs as number) < 100 || (w.timeoutMs as number) > 60_000)) {
    throw errorAt(d, ['tickets', 'webhook', 'timeoutMs'], `tickets.webhook.timeoutMs must be an integer from 100 to 60000, got ${JSON.stringify(w.timeoutMs)}`)
  }
}

function slaMs(v: unknown): number | null {
  let ms: number
  try {
    ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? parseDuration(v) : NaN
  } catch {
    return null
  }
  return Number.isFinite(ms) && ms >= SLA_RANGE[0] && ms <= SLA_RANGE[1] ? ms : null
}

/** The settings, defaults filled in. CALLCTL_TICKET_WEBHOOK_URL sets (or, empty, clears) the URL for one run. */
export function ticketsSettings(raw: RawTickets | undefined, paths: Paths, env: NodeJS.ProcessEnv): TicketsSettings {
  const sla = {...DEFAULT_SLA}
  for (const p of TICKET_PRIORITIES) {
    const v = raw?.sla?.[p]
    const ms = v === undefined ? null : slaMs(v)
    if (ms !== null) sla[p] = ms
  }
  const url = env.CALLCTL_TICKET_WEBHOOK_URL ?? raw?.webhook?.url ?? ''
  const webhook = url
    ? {url, secretFile: env.CALLCTL_TICKET_WEBHOOK_SECRET_FILE || raw?.webhook?.secretFile || join(paths.secretsDir, 'ticket-webhook'), timeoutMs: raw?.webhook?.timeoutMs ?? 5000}
    : null
  return {sla, webhook}
}
