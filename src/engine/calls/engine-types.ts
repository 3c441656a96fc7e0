import type {AsteriskLinkView} from '../asterisk-link.js'
import type {AriPort, AriRest, RecordingEvent} from '../ari/port.js'
import {type AgentView, type QueueView} from '../routing/acd.js'
import type {Store} from '../store/store.js'
import {type Clock} from '../util/clock.js'
import type {Logger} from '../util/log.js'
import type {Blacklist} from '../blacklist/blacklist.js'
import type {CallerContact} from '../ivr/interpreter.js'
import type {FlowRepository} from '../ivr/flow-store.js'
import {PromptBook} from '../prompts/prompt-store.js'
import {type LiveStatsView} from '../reports/live-stats.js'
import type {SupervisionView} from './supervision.js'
import type {ChatSettings} from '../config/chat-config.js'
import type {ChatsView} from '../chat/chat-core.js'
import type {ChannelKind} from '../chat/channel.js'
import type {ChatFlow} from '../chat/flows/chat-flow.js'
import type {KnowledgeBase} from '../kb/knowledge-base.js'

export interface EngineOptions {
  ari: AriPort
  store: Store
  log: Logger
  clock?: Clock
  /** Queue for calls whose dialled number matches no queue; null rejects them. */
  defaultQueue?: string | null
  /** How often admin changes written by other processes are picked up. */
  syncIntervalMs?: number
  /** Dial string for customers (callbacks, outbound); {number} is replaced. */
  dialString?: string
  /** Caller ID shown to customers we call. */
  outboundCallerId?: string
  /** Seconds a customer's phone rings on a callback before the attempt fails. */
  customerRingTimeout?: number
  /** The front door: blacklist, IVR flows and prompts, contact lookup. All optional. */
  frontDoor?: FrontDoor
  /** Records connected calls (see recordings/). */
  recorder?: CallRecorder
  random?: () => number
  /** Which numbers calls may go out to (outbound-policy.ts); absent: any. */
  outbound?: {allow: readonly string[]; defaultCountry: string}
  /** Phones callctl provisions (phones/): pushed to Asterisk whenever the engine connects, and watched for presence. */
  phones?: PhoneBook
  /** Chats: settings (config chat:), the loaded flow per channel, the knowledge base the flows answer from. */
  chat?: {settings: ChatSettings; flows?: Partial<Record<ChannelKind, ChatFlow | null>>; kb?: () => KnowledgeBase | null}
}

/** The store's phones as the engine needs them, given by run.ts. */
export interface PhoneBook {
  ids(): Promise<string[]>
  /** Pushes every phone (or only `only`) into Asterisk, idempotently: converges after an Asterisk restart or wipe. */
  apply(rest: AriRest, only?: string): Promise<{applied: number; failed: {id: string; error: string}[]}>
}

export interface ContactLookup {
  source: string
  contact: (CallerContact & {number?: string}) | null
  error?: string
}

export interface FrontDoor {
  blacklist?: Blacklist
  /** 'message' answers and plays a refusal; 'busy' does not answer and signals busy. */
  blacklistMode?: 'message' | 'busy'
  flows?: FlowRepository
  /** Current prompts (re-read when a flow is deployed). */
  prompts?: () => Promise<PromptBook>
  lookupContact?: (number: string) => Promise<ContactLookup>
  /** Queue priority given to VIP contacts. */
  vipPriority?: number
}

/** What the engine tells a call recorder. Implementations never throw into the engine. */
export interface CallRecorder {
  /** Caller and agent are bridged in `bridgeId` (the queue's `record` setting is on). */
  callConnected(c: {callId: string; bridgeId: string; queue: string | null; agent: string | null; number: string}): void
  callEnded(callId: string): void
  /** A RecordingFinished or RecordingFailed (of a call's recording, or a voicemail's file). */
  onRecordingEvent(e: RecordingEvent): void
  /** After a restart: recordings still open whose call is not in `live` are closed from what Asterisk has. */
  reconcile?(live: ReadonlySet<string>): Promise<void>
}

export interface CallView {
  id: string
  state: string
  caller: {number: string; name: string}
  did: string
  queue: string | null
  priority: number
  agent: string | null
  startedAt: number
  joinedAt: number | null
  enteredQueueAt: number | null
  connectedAt: number | null
  ringing: string[]
  callbackNumber: string | null
  keyTrail: string[]
  contact: {name: string; tier: string; vip: boolean} | null
  /** On hold since (the caller hears music, out of the agent's bridge); null when not held. */
  heldSince: number | null
  /** Time on hold so far in this call, the hold in progress counted to now. */
  holdMs: number
  /** The agent is consulting a colleague or a number while the caller waits on hold. */
  consulting: boolean
}

/** Load shedding as clients see it (calls/overload.ts keeps it). */
export interface OverloadView {
  overloaded: boolean
  since: number | null
  p90Ms: number
  /** Callers refused since this engine started. */
  shed: number
  /** Requests sent to Asterisk, and those that got no answer or a 5xx, since the engine started. */
  requests: number
  failures: number
}

export interface EngineSnapshot {
  at: number
  queues: QueueView[]
  agents: AgentView[]
  calls: CallView[]
  /** Today's figures per queue and agent (metrics.ts definitions). */
  stats: LiveStatsView
  /** Supervisions in progress (the wallboard marks the agents they listen to). */
  supervisions?: SupervisionView[]
  /** Load shedding: overloaded while Asterisk answers slowly (the dashboard's banner), callers shed. */
  overload?: OverloadView
  /** The engine's link to Asterisk (added by the engine's API; absent in an engine without one). */
  link?: AsteriskLinkView
  /** Several Asterisk boxes (added by the engine's API): each and whether it serves. */
  boxes?: {name: string; up: boolean; downSince: number | null}[]
  /** Chats waiting and active, and each agent's chat load (chat-core.ts). */
  chats?: ChatsView
}

// Extra seconds Asterisk's own originate timeout gets beyond ours: ours decides, its is a backstop.
export const ORIGINATE_GRACE_S = 5
export const CUSTOMER_RING_S = 30
export const VOICEMAIL_MAX_S = 120
export const CONFIG_EVENTS = new Set([
  'queue.added',
  'queue.updated',
  'queue.removed',
  'agent.added',
  'agent.updated',
  'agent.removed',
  'agent.member_added',
  'agent.member_removed',
  'agent.login',
  'agent.logout',
  'agent.paused',
  'agent.unpaused',
  'phone.added',
  'phone.updated',
  'phone.removed',
  'phone.secret_reset',
])

export type ExitReason = 'timeout' | 'full' | 'empty'

/**
 * The headless call engine: takes calls from the Stasis app, queues them, rings agents,
 * bridges, tears down, and records every step in the event log.
 */
