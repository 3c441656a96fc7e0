import type {ChannelKind} from '../chat/channel.js'
import {CHANNELS, type CapacityRule, type ChatLimits} from '../routing/capacity.js'
import {parseDuration} from '../util/duration.js'
import {errorAt, type LocatedDoc} from './yaml-errors.js'

// The config's chat: section: routing, the capacity rule across voice and chat, timers and
// flows. Where the channels listen and their secrets are the channels: section's.
//
//   chat:
//     queue: support                  # where a chat goes without a flow (default: defaultQueue)
//     flow: /etc/callctl/chat.yaml    # conversation flow for every channel; flows: {wechat: FILE} per channel
//     capacity: {mode: call-counts-as, slots: 2}   # or {mode: call-blocks-chats} (the default)
//     limits: {web: 3, wechat: 3, webhook: 3, total: 4}
//     agents: {alice: {web: 5, total: 5}}        # per-agent limits, over the defaults
//     autoAccept: false
//     acceptTimeout: 30s              # an offer not accepted in time goes to another agent
//     silence: {closeAfter: 10m, message: "..."}
//     positionEvery: 60s              # "you are number N in line", at most this often
//     rating: true                    # ask for a 1-5 rating when a conversation with an agent ends

export const CHAT_KEYS = ['queue', 'flow', 'flows', 'capacity', 'limits', 'agents', 'autoAccept', 'acceptTimeout', 'silence', 'positionEvery', 'rating'] as const
const LIMIT_KEYS = [...CHANNELS, 'total'] as const

export interface ChatSettings {
  queue: string | null
  /** Flow file per channel (null: straight to the queue). */
  flows: Record<ChannelKind, string | null>
  capacity: CapacityRule
  limits: ChatLimits
  agentLimits: Record<string, ChatLimits>
  autoAccept: boolean
  acceptTimeoutMs: number
  silenceCloseMs: number
  silenceMessage: string
  positionEveryMs: number
  rating: boolean
}

export interface RawChat {
  queue?: string
  flow?: string
  flows?: Partial<Record<string, string>>
  capacity?: {mode?: string; slots?: number}
  limits?: Partial<Record<string, number>>
  agents?: Record<string, Partial<Record<string, number>>>
  autoAccept?: boolean
  acceptTimeout?: string | number
  silence?: {closeAfter?: string | number; message?: string}
  positionEvery?: string | number
  rating?: boolean
}

export const DEFAULT_CHAT_LIMITS: ChatLimits = {web: 3, wechat: 3, webhook: 3, total: 4}
export const DEFAULT_SILENCE_MESSAGE = 'We have not heard from you for a while, so this conversation is closed. Write again any time.'

type CheckKeys = (d: LocatedDoc, path: string[], o: Record<string, unknown>, keys: readonly string[]) => void

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function validateChatSettings(d: LocatedDoc, r: Record<string, unknown>, checkKeys: CheckKeys): void {
  if (r.chat === undefined || r.chat === null) return
  if (!isMapping(r.chat)) throw errorAt(d, ['chat'], 'chat must be a mapping', `Accepted keys: ${CHAT_KEYS.join(', ')}.`)
  const c = r.chat
  checkKeys(d, ['chat'], c, CHAT_KEYS)
  for (const k of ['queue', 'flow'] as const) if (c[k] !== undefined && (typeof c[k] !== 'string' || c[k] === '')) throw errorAt(d, ['chat', k], `chat.${k} must be ${k === 'queue' ? 'a queue name' : 'a flow file'}`)
  if (c.flows !== undefined) {
    if (!isMapping(c.flows)) throw errorAt(d, ['chat', 'flows'], 'chat.flows must map channels to flow files', 'Example: flows: {wechat: /etc/callctl/wechat-flow.yaml}')
    checkKeys(d, ['chat', 'flows'], c.flows, CHANNELS)
    for (const [k, v] of Object.entries(c.flows)) if (typeof v !== 'string' || v === '') throw errorAt(d, ['chat', 'flows', k], `chat.flows.${k} must be a flow file`)
  }
  if (c.capacity !== undefined) {
    if (!isMapping(c.capacity)) throw errorAt(d, ['chat', 'capacity'], 'chat.capacity must be a mapping', 'Example: capacity: {mode: call-counts-as, slots: 2}')
    checkKeys(d, ['chat', 'capacity'], c.capacity, ['mode', 'slots'])
    const mode = c.capacity.mode
    if (mode !== 'call-blocks-chats' && mode !== 'call-counts-as') {
      throw errorAt(d, ['chat', 'capacity', 'mode'], `chat.capacity.mode must be call-blocks-chats or call-counts-as, got ${JSON.stringify(mode ?? null)}`, 'call-blocks-chats: a call stops new chats; call-counts-as: a call takes slots of the chat limit.')
    }
    const slots = c.capacity.slots
    if (mode === 'call-counts-as' && (!Number.isInteger(slots) || (slots as number) < 1 || (slots as number) > 20)) {
      throw errorAt(d, ['chat', 'capacity', mode === 'call-counts-as' && slots === undefined ? 'mode' : 'slots'], `chat.capacity.slots must be a whole number from 1 to 20 with call-counts-as, got ${JSON.stringify(slots ?? null)}`, 'Example: capacity: {mode: call-counts-as, slots: 2}')
    }
    if (mode === 'call-blocks-chats' && slots !== undefined) throw errorAt(d, ['chat', 'capacity', 'slots'], 'chat.capacity.slots goes with mode call-counts-as only')
  }
  if (c.limits !== undefined) checkLimits(d, ['chat', 'limits'], c.limits, checkKeys)
  if (c.agents !== undefined) {
    if (!isMapping(c.agents)) throw errorAt(d, ['chat', 'agents'], 'chat.agents must map agent ids to limits', 'Example: agents: {alice: {web: 5, total: 5}}')
    for (const [agent, l] of Object.entries(c.agents)) checkLimits(d, ['chat', 'agents', agent], l, checkKeys)
  }
  if (c.autoAccept !== undefined && typeof c.autoAccept !== 'boolean') throw errorAt(d, ['chat', 'autoAccept'], 'chat.autoAccept must be true or false')
  if (c.rating !== undefined && typeof c.rating !== 'boolean') throw errorAt(d, ['chat', 'rating'], 'chat.rating must be true or false')
  checkDuration(d, ['chat', 'acceptTimeout'], c.acceptTimeout, 5_000, 3_600_000)
  checkDuration(d, ['chat', 'positionEvery'], c.positionEvery, 5_000, 3_600_000)
  if (c.silence !== undefined) {
    if (!isMapping(c.silence)) throw errorAt(d, ['chat', 'silence'], 'chat.silence must be a mapping', 'Example: silence: {closeAfter: 10m, message: "..."}')
    checkKeys(d, ['chat', 'silence'], c.silence, ['closeAfter', 'message'])
    checkDuration(d, ['chat', 'silence', 'closeAfter'], c.silence.closeAfter, 10_000, 7 * 86_400_000)
    if (c.silence.message !== undefined && (typeof c.silence.message !== 'string' || c.silence.message.length > 1000)) throw errorAt(d, ['chat', 'silence', 'message'], 'chat.silence.message must be text of at most 1000 characters')
  }
}

function checkLimits(d: LocatedDoc, at: string[], v: unknown, checkKeys: CheckKeys): void {
  if (!isMapping(v)) throw errorAt(d, at, `${at.join('.')} must be a mapping of channels to numbers`, 'Example: {web: 3, wechat: 3, webhook: 3, total: 4}')
  checkKeys(d, at, v, LIMIT_KEYS)
  for (const [k, n] of Object.entries(v)) {
    if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > 100) throw errorAt(d, [...at, k], `${at.join('.')}.${k} must be a whole number from 0 to 100, got ${JSON.stringify(n)}`)
  }
}

function checkDuration(d: LocatedDoc, at: string[], v: unknown, min: number, max: number): void {
  if (v === undefined) return
  const ms = durationMs(v)
  if (ms === null || ms < min || ms > max) throw errorAt(d, at, `${at.join('.')} must be a duration from ${min / 1000}s to ${max / 1000}s, got ${JSON.stringify(v)}`, 'Example: 30s, 10m (a bare number is seconds).')
}

function durationMs(v: unknown): number | null {
  try {
    const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? parseDuration(v) : NaN
    return Number.isFinite(ms) ? ms : null
  } catch {
    return null
  }
}

function limitsOver(base: ChatLimits, raw: Partial<Record<string, number>> | undefined): ChatLimits {
  const out = {...base}
  for (const k of LIMIT_KEYS) if (typeof raw?.[k] === 'number') out[k] = raw[k]
  // Without its own total, an agent holds at most the sum of its channel limits, or the default's.
  if (typeof raw?.total !== 'number') out.total = Math.max(base.total, 0)
  return out
}

/** The settings, defaults filled in (the file was checked by validateChatSettings). */
export function chatSettings(raw: RawChat | undefined, defaultQueue: string | null): ChatSettings {
  const limits = limitsOver(DEFAULT_CHAT_LIMITS, raw?.limits)
  const capacity: CapacityRule = raw?.capacity?.mode === 'call-counts-as' ? {mode: 'call-counts-as', slots: raw.capacity.slots ?? 1} : {mode: 'call-blocks-chats'}
  const flow = raw?.flow ?? null
  return {
    queue: raw?.queue ?? defaultQueue,
    flows: {web: raw?.flows?.web ?? flow, wechat: raw?.flows?.wechat ?? flow, webhook: raw?.flows?.webhook ?? flow},
    capacity,
    limits,
    agentLimits: Object.fromEntries(Object.entries(raw?.agents ?? {}).map(([a, l]) => [a, limitsOver(limits, l)])),
    autoAccept: raw?.autoAccept ?? false,
    acceptTimeoutMs: durationMs(raw?.acceptTimeout) ?? 30_000,
    silenceCloseMs: durationMs(raw?.silence?.closeAfter) ?? 600_000,
    silenceMessage: raw?.silence?.message ?? DEFAULT_SILENCE_MESSAGE,
    positionEveryMs: durationMs(raw?.positionEvery) ?? 60_000,
    rating: raw?.rating ?? true,
  }
}
