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
//     maxWait: 5m                     # longest wait in a queue for an agent (default: no limit)
//     onMaxWait: {overflow: sales}    # then: {overflow: QUEUE}, leaveMessage, close or {close: "text"}
//     onNoAgents: leaveMessage        # no agent of the queue able to take chats (logged in, not paused, a chat limit above 0),
//                                     # at join and as soon as the last one goes: wait (the default) or one of the above
//     offHours: leaveMessage          # the flow's business hours said closed: close (the flow's own end) or leaveMessage
//     leaveMessage: {ask: "...", thanks: "..."}   # what the customer is told; the message becomes a ticket (category chat)
//     queues: {vip: {maxWait: 1m, onMaxWait: {overflow: support}, onNoAgents: {overflow: support}}}   # per queue, over the above
//     queues: {billing: {leaveMessage: {ask: "..."}}}   # a queue's own texts; each one not given is the global one
//     uploadsRetention: 90d           # web widget images are deleted this old (0: kept forever), at start and daily

export const CHAT_KEYS = ['queue', 'flow', 'flows', 'capacity', 'limits', 'agents', 'autoAccept', 'acceptTimeout', 'silence', 'positionEvery', 'rating', 'maxWait', 'onMaxWait', 'onNoAgents', 'offHours', 'leaveMessage', 'queues', 'uploadsRetention'] as const
const QUEUE_WAIT_KEYS = ['maxWait', 'onMaxWait', 'onNoAgents', 'leaveMessage'] as const
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
  /** The default wait rules, and each queue's over them (chat/wait-limits.ts). */
  wait: QueueWaitRules
  waitByQueue: Record<string, QueueWaitRules>
  offHours: 'close' | 'leaveMessage'
  leaveMessage: LeaveMessageTexts
  /** A queue's own texts over leaveMessage (each given one; leaveMessageTexts reads them). */
  leaveMessageByQueue: Record<string, Partial<LeaveMessageTexts>>
  /** Web widget uploads older than this are deleted; 0 keeps them. */
  uploadsRetentionMs: number
}

/** What a customer asked to leave a message is told: the ask, then the thanks once it is recorded. */
export interface LeaveMessageTexts {
  ask: string
  thanks: string
}

/** The texts for a message left in the queue: the queue's own where it has them, else the global ones. */
export function leaveMessageTexts(s: Pick<ChatSettings, 'leaveMessage' | 'leaveMessageByQueue'>, queue: string | null): LeaveMessageTexts {
  const own = queue !== null && Object.hasOwn(s.leaveMessageByQueue, queue) ? s.leaveMessageByQueue[queue] : undefined
  return {ask: own?.ask ?? s.leaveMessage.ask, thanks: own?.thanks ?? s.leaveMessage.thanks}
}

/** What happens to a conversation waiting for an agent: at maxWait, and when nobody of its queue is logged in. */
export type WaitAction = {kind: 'overflow'; queue: string} | {kind: 'leaveMessage'} | {kind: 'close'; message: string}

export interface QueueWaitRules {
  /** 0: no limit. */
  maxWaitMs: number
  onMaxWait: WaitAction
  /** null: the conversation waits (keeps its place) until an agent logs in. */
  onNoAgents: WaitAction | null
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
  maxWait?: string | number
  onMaxWait?: RawWaitAction
  onNoAgents?: RawWaitAction
  offHours?: string
  leaveMessage?: {ask?: string; thanks?: string}
  queues?: Record<string, {maxWait?: string | number; onMaxWait?: RawWaitAction; onNoAgents?: RawWaitAction; leaveMessage?: {ask?: string; thanks?: string}}>
  uploadsRetention?: string | number
}

type RawWaitAction = string | {overflow?: string; close?: string}

export const DEFAULT_CHAT_LIMITS: ChatLimits = {web: 3, wechat: 3, webhook: 3, total: 4}
export const DEFAULT_CLOSE_MESSAGE = 'Sorry, no one is free to answer now. Please write again later.'
export const DEFAULT_LEAVE_MESSAGE = {
  ask: 'Sorry, no one is free to answer now. Please leave your message here (one message, with how to reach you), and we will get back to you.',
  thanks: 'Thank you: your message is recorded and we will get back to you.',
}
const DEFAULT_UPLOADS_RETENTION_MS = 90 * 86_400_000
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
  checkWaitRules(d, ['chat'], c)
  if (c.offHours !== undefined && c.offHours !== 'close' && c.offHours !== 'leaveMessage') {
    throw errorAt(d, ['chat', 'offHours'], `chat.offHours must be close or leaveMessage, got ${JSON.stringify(c.offHours)}`, 'close: the flow ends the conversation as it says; leaveMessage: then the customer may leave a message (a ticket).')
  }
  checkLeaveMessage(d, ['chat', 'leaveMessage'], c.leaveMessage, checkKeys)
  if (c.queues !== undefined) {
    if (!isMapping(c.queues)) throw errorAt(d, ['chat', 'queues'], 'chat.queues must map queue names to wait rules', 'Example: queues: {vip: {maxWait: 1m, onMaxWait: {overflow: support}}}')
    for (const [q, rules] of Object.entries(c.queues)) {
      if (!isMapping(rules)) throw errorAt(d, ['chat', 'queues', q], `chat.queues.${q} must be a mapping`, `Accepted keys: ${QUEUE_WAIT_KEYS.join(', ')}.`)
      checkKeys(d, ['chat', 'queues', q], rules, QUEUE_WAIT_KEYS)
      checkWaitRules(d, ['chat', 'queues', q], rules)
      checkLeaveMessage(d, ['chat', 'queues', q, 'leaveMessage'], rules.leaveMessage, checkKeys)
      for (const k of ['onMaxWait', 'onNoAgents'] as const) {
        const a = rules[k]
        if (isMapping(a) && a.overflow === q) throw errorAt(d, ['chat', 'queues', q, k, 'overflow'], `chat.queues.${q}.${k} overflows to the queue itself`, 'Name another queue, or use leaveMessage or close.')
      }
    }
  }
  if (c.uploadsRetention !== undefined) {
    const ms = durationMs(c.uploadsRetention)
    if (ms === null || (ms !== 0 && (ms < 86_400_000 || ms > 10 * 365 * 86_400_000))) {
      throw errorAt(d, ['chat', 'uploadsRetention'], `chat.uploadsRetention must be a duration from 1d to 3650d, or 0 to keep uploads forever, got ${JSON.stringify(c.uploadsRetention)}`, 'Example: uploadsRetention: 90d')
    }
  }
}

/** leaveMessage: {ask, thanks}, in chat: or under one of chat.queues (either text may be left out). */
function checkLeaveMessage(d: LocatedDoc, at: string[], v: unknown, checkKeys: CheckKeys): void {
  if (v === undefined) return
  if (!isMapping(v)) throw errorAt(d, at, `${at.join('.')} must be a mapping`, 'Example: leaveMessage: {ask: "Leave us a message", thanks: "Thank you"}')
  checkKeys(d, at, v, ['ask', 'thanks'])
  for (const k of ['ask', 'thanks'] as const) checkText(d, [...at, k], v[k])
}

function checkText(d: LocatedDoc, at: string[], v: unknown): void {
  if (v !== undefined && (typeof v !== 'string' || v.trim() === '' || v.length > 1000)) throw errorAt(d, at, `${at.join('.')} must be text of at most 1000 characters`)
}

/** maxWait, onMaxWait and onNoAgents, in chat: or under one of chat.queues. */
function checkWaitRules(d: LocatedDoc, at: string[], o: Record<string, unknown>): void {
  checkDuration(d, [...at, 'maxWait'], o.maxWait, 0, 86_400_000)
  for (const k of ['onMaxWait', 'onNoAgents'] as const) {
    const v = o[k]
    if (v === undefined) continue
    const path = [...at, k]
    const example = 'Example: {overflow: sales}, leaveMessage, close or {close: "Sorry, ..."}' + (k === 'onNoAgents' ? ', or wait' : '')
    if (typeof v === 'string') {
      if (v === 'leaveMessage' || v === 'close' || (k === 'onNoAgents' && v === 'wait')) continue
      throw errorAt(d, path, `${path.join('.')} must be ${k === 'onNoAgents' ? 'wait, ' : ''}{overflow: QUEUE}, leaveMessage or close, got ${JSON.stringify(v)}`, example)
    }
    if (!isMapping(v) || Object.keys(v).length !== 1 || !('overflow' in v || 'close' in v)) throw errorAt(d, path, `${path.join('.')} must be one action: {overflow: QUEUE}, leaveMessage, close or {close: TEXT}`, example)
    if ('overflow' in v && (typeof v.overflow !== 'string' || v.overflow === '')) throw errorAt(d, [...path, 'overflow'], `${path.join('.')}.overflow must be a queue name`, 'Example: {overflow: sales}')
    if ('close' in v) checkText(d, [...path, 'close'], v.close)
  }
  if (o.maxWait !== undefined && o.onMaxWait === undefined && at.length === 1) {
    throw errorAt(d, [...at, 'maxWait'], `${[...at, 'maxWait'].join('.')} needs onMaxWait: what happens to a customer who waited that long`, 'Example: onMaxWait: {overflow: sales} (or leaveMessage, or close)')
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
  if (ms === null || ms < min || ms > max) throw errorAt(d, at, `${at.join('.')} must be a duration from ${min / 1000}s to ${max / 1000}s, got ${JSON.stringify(v)}`, `Example: 30s, 10m (a bare number is seconds)${min === 0 ? '; 0 is no limit' : ''}.`)
}

function waitAction(v: RawWaitAction | undefined): WaitAction | null | undefined {
  if (v === undefined) return undefined
  if (v === 'wait') return null
  if (v === 'leaveMessage') return {kind: 'leaveMessage'}
  if (v === 'close') return {kind: 'close', message: DEFAULT_CLOSE_MESSAGE}
  if (typeof v === 'object' && typeof v.overflow === 'string') return {kind: 'overflow', queue: v.overflow}
  if (typeof v === 'object' && typeof v.close === 'string') return {kind: 'close', message: v.close}
  return undefined
}

function waitRules(raw: {maxWait?: string | number; onMaxWait?: RawWaitAction; onNoAgents?: RawWaitAction} | undefined, base: QueueWaitRules): QueueWaitRules {
  const onNoAgents = waitAction(raw?.onNoAgents)
  return {
    maxWaitMs: durationMs(raw?.maxWait) ?? base.maxWaitMs,
    onMaxWait: waitAction(raw?.onMaxWait) ?? base.onMaxWait,
    onNoAgents: onNoAgents === undefined ? base.onNoAgents : onNoAgents,
  }
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
    ...waitSettings(raw),
  }
}

function waitSettings(raw: RawChat | undefined): Pick<ChatSettings, 'wait' | 'waitByQueue' | 'offHours' | 'leaveMessage' | 'leaveMessageByQueue' | 'uploadsRetentionMs'> {
  const wait = waitRules(raw, {maxWaitMs: 0, onMaxWait: {kind: 'close', message: DEFAULT_CLOSE_MESSAGE}, onNoAgents: null})
  return {
    wait,
    waitByQueue: Object.fromEntries(Object.entries(raw?.queues ?? {}).map(([q, r]) => [q, waitRules(r, wait)])),
    offHours: raw?.offHours === 'leaveMessage' ? 'leaveMessage' : 'close',
    leaveMessage: {ask: raw?.leaveMessage?.ask ?? DEFAULT_LEAVE_MESSAGE.ask, thanks: raw?.leaveMessage?.thanks ?? DEFAULT_LEAVE_MESSAGE.thanks},
    leaveMessageByQueue: Object.fromEntries(
      Object.entries(raw?.queues ?? {})
        .filter(([, r]) => r.leaveMessage !== undefined)
        .map(([q, r]) => [q, {...(r.leaveMessage?.ask !== undefined ? {ask: r.leaveMessage.ask} : {}), ...(r.leaveMessage?.thanks !== undefined ? {thanks: r.leaveMessage.thanks} : {})}]),
    ),
    uploadsRetentionMs: durationMs(raw?.uploadsRetention) ?? DEFAULT_UPLOADS_RETENTION_MS,
  }
}
