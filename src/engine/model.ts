// Domain records shared by the store, the engine and the commands. Names follow the
// call center's own words: queue, agent, skill, wrap-up, presence.

export const STRATEGIES = [
  'ring-all',
  'round-robin',
  'linear',
  'longest-idle',
  'fewest-calls',
  'least-talk',
  'random',
  'weighted-random',
] as const
export type Strategy = (typeof STRATEGIES)[number]

/** What happens to a caller who leaves a queue without an agent (timeout, full, empty). */
export interface OverflowAction {
  action: 'hangup' | 'queue' | 'voicemail' | 'callback' | 'message'
  /** For action "queue": the queue to move to (the caller keeps its place in time). */
  queue?: string
  /** For "message" (played, then hangup) and "voicemail" (played before the beep). */
  prompt?: string
}

export interface SkillStep {
  /** Seconds after joining the queue. */
  after: number
  /** The requirement from then on ('' accepts any agent of the queue). */
  require: string
}

export interface QueueSettings {
  strategy: Strategy
  /** Seconds an agent's phone rings before the next agent is tried. */
  ringTimeout: number
  /** Seconds of after-call work before the agent is offered another call. */
  wrapUp: number
  /** Asterisk music-on-hold class played while waiting. */
  musicClass: string
  /** Dialled numbers that land in this queue (the queue's own name always does). */
  dids: string[]
  /** Skill requirement for this queue's callers, e.g. "billing>=2 & english". */
  requiredSkills: string
  /** Widen (or change) the requirement as callers wait. */
  skillSteps: SkillStep[]
  /** Most callers waiting at once; 0 = no limit. */
  maxCallers: number
  /** Seconds a caller may wait before overflow; 0 = no limit. */
  maxWait: number
  /** Let callers in when no agent is logged in to the queue. */
  joinEmpty: boolean
  /** Send waiting callers to overflow when the last agent logs out. */
  leaveWhenEmpty: boolean
  overflow: OverflowAction
  /** Seconds between position / expected-wait announcements; 0 = none. */
  announceEvery: number
  announcePosition: boolean
  announceWait: boolean
  /** Key a waiting caller presses to be called back instead; '' = no offer. */
  callbackKey: string
  /** Attempts to reach a callback customer, and seconds between them (doubling). */
  callbackAttempts: number
  callbackRetryDelay: number
  /** Missed rings in a row before an agent is paused with reason "no-answer"; 0 = never. */
  autoPauseAfter: number
  /** Pause an agent whose phone answered a ring with busy (app_queue's autopausebusy). */
  /** Rules for the numbers calls of this queue may go out to (transfers, callbacks); empty: the config's outbound.allow (outbound-policy.ts). */
  outboundAllow: string[]
  autoPauseBusy: boolean
  /** Pause an agent whose phone could not be reached for a ring (app_queue's autopauseunavail). */
  autoPauseUnavailable: boolean
  /** A caller who called within this many seconds is offered to its last agent first; 0 = off. */
  lastAgentWindow: number
  /** Seconds to hold such a caller for that agent before normal routing. */
  lastAgentWait: number
  /** A caller who hung up while waiting and calls back within this many seconds keeps its place; 0 = off. */
  resumeWindow: number
  /** Handle time assumed for the wait estimate before the queue has history (seconds). */
  defaultHandleTime: number
  /** Record every agent call of this queue. */
  record: boolean
  /** Service level threshold T (seconds) and formula, and the short-abandon threshold, for reports. */
  slSeconds: number
  slFormula: 'default' | 'answered' | 'sl2' | 'answered-abandoned'
  shortAbandon: number
  /**
   * The outcome codes of this queue's calls, each with the key that picks it on the desk.
   * When the list is not empty, an agent chooses one after each call before it is ready
   * again (wrap-up is held until then); empty: no disposition asked.
   */
  dispositions: DispositionCode[]
}

export interface DispositionCode {
  code: string
  label: string
  key: string
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  strategy: 'longest-idle',
  ringTimeout: 15,
  wrapUp: 5,
  musicClass: 'default',
  dids: [],
  requiredSkills: '',
  skillSteps: [],
  maxCallers: 0,
  maxWait: 0,
  joinEmpty: true,
  leaveWhenEmpty: false,
  overflow: {action: 'hangup'},
  announceEvery: 0,
  announcePosition: true,
  announceWait: true,
  callbackKey: '',
  callbackAttempts: 3,
  callbackRetryDelay: 60,
  autoPauseAfter: 3,
  outboundAllow: [],
  autoPauseBusy: false,
  autoPauseUnavailable: false,
  lastAgentWindow: 0,
  lastAgentWait: 20,
  resumeWindow: 0,
  defaultHandleTime: 180,
  record: true,
  slSeconds: 20,
  slFormula: 'default',
  shortAbandon: 5,
  dispositions: [],
}

export interface QueueRecord {
  name: string
  settings: QueueSettings
  createdAt: number
}

export interface AgentRecord {
  id: string
  name: string
  /** Asterisk dial string: PJSIP/1001, Local/...; simulated and real agents look alike. */
  endpoint: string
  /** Skill name → proficiency (1 = basic, higher = better). */
  skills: Record<string, number>
  /** Queue name → penalty (lower tiers are tried first). */
  queues: Record<string, number>
  createdAt: number
}

export type PresenceStatus = 'offline' | 'available' | 'paused'

export interface Presence {
  agent: string
  status: PresenceStatus
  reason: string | null
  since: number
}

/** What an agent is doing, as shown to supervisors. */
/**
 * unreachable: logged in, but the phone is not registered or does not answer qualify
 * pings; other-call: the phone is busy on a call the engine did not place. Neither is
 * offered a call.
 */
export type AgentState = 'offline' | 'idle' | 'ringing' | 'on-call' | 'wrap-up' | 'paused' | 'unreachable' | 'other-call'
