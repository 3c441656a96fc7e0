import type {CallerId} from '../ari/port.js'
import type {TimerHandle} from '../util/clock.js'

export type CallState = 'answering' | 'waiting' | 'connected' | 'ended'

/** One ring of one agent's phone for this call. */
export interface RingAttempt {
  channelId: string
  agentId: string
  endpoint: string
  startedAt: number
  timer: TimerHandle | undefined
  /** Set once the attempt is over; late events for its channel are then only cleanup. */
  outcome: 'answered' | 'no-answer' | 'failed' | 'canceled' | null
}

/**
 * Everything the engine knows about one call: its legs, where it waits, who rang,
 * who answered. The engine drives it from ARI events; the session keeps the facts.
 */
export class CallSession {
  state: CallState = 'answering'
  queue: string | null = null
  enteredQueueAt: number | null = null
  connectedAt: number | null = null
  endedAt: number | null = null
  agentId: string | null = null
  agentChannelId: string | null = null
  bridgeId: string | null = null
  readonly attempts = new Map<string, RingAttempt>()
  private attemptSeq = 0
  /** Who ended a connected call. */
  endedBy: 'caller' | 'agent' | 'system' | null = null

  constructor(
    readonly id: string,
    readonly channelId: string,
    readonly caller: CallerId,
    readonly did: string,
    readonly startedAt: number,
  ) {}

  get ended(): boolean {
    return this.state === 'ended'
  }

  nextAttemptChannelId(): string {
    this.attemptSeq++
    return `${this.id}.r${this.attemptSeq}`
  }

  liveAttempts(): RingAttempt[] {
    return [...this.attempts.values()].filter((a) => a.outcome === null)
  }
}
