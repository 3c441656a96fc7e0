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
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  strategy: 'longest-idle',
  ringTimeout: 15,
  wrapUp: 5,
  musicClass: 'default',
  dids: [],
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
export type AgentState = 'offline' | 'idle' | 'ringing' | 'on-call' | 'wrap-up' | 'paused'
