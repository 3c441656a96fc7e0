import type {CallerId} from '../ari/port.js'
import type {TimerHandle} from '../util/clock.js'

export type CallState = 'answering' | 'ivr' | 'waiting' | 'callback-pending' | 'calling-customer' | 'connected' | 'transferring' | 'survey' | 'leaving' | 'ended'

/** One step of the caller's key trail: the keys pressed and the IVR node that took them. */
export interface KeyPress {
  node: string
  keys: string
  result: 'choice' | 'collected' | 'invalid'
  at: number
}

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

/** A waiting caller's own activity while in line (music, announcements, callback offer). */
export interface WaitActivity {
  onDtmf(digit: string): void
  onPlaybackFinished(playbackId: string): void
  /** The caller's line was answered late (caller-line.ts): hold music starts now. */
  lineAnswered?(): void
  stop(): void
}

/**
 * Everything the engine knows about one call: its legs, where it waits, who rang,
 * who answered. The engine drives it from ARI events; the session keeps the facts.
 */
export class CallSession {
  state: CallState = 'answering'
  queue: string | null = null
  priority = 0
  /** Skill requirement set for this caller (IVR), replacing the queue's. */
  requiredSkills: string | null = null
  /** Place in line, kept across overflow, resume and callback. */
  joinedAt: number | null = null
  enteredQueueAt: number | null = null
  connectedAt: number | null = null
  endedAt: number | null = null
  agentId: string | null = null
  agentChannelId: string | null = null
  bridgeId: string | null = null
  /** The customer's live channel: the inbound leg, or the callback leg once dialled. */
  customerChannelId: string | null
  /** The inbound leg is gone (the caller hung up after asking for a callback). */
  callerLegGone = false
  /**
   * Asterisk is stopping and hung up one of this call's legs itself (asterisk-stopping.ts):
   * nobody hung up, so a caller in line is system-ended, not abandoned.
   */
  asteriskStopping = false
  /**
   * The inbound leg is not answered yet: a caller going straight to a queue is answered
   * only when it must hear something from us (caller-line.ts), so a caller an idle agent
   * takes at once hears ringing, as with app_queue, and costs no answer and hold music.
   */
  unanswered = false
  /** The caller is a Local channel (the simulator): its far half waits for CALLCTL_CONNECTED. */
  localCaller = false
  wait: WaitActivity | null = null
  readonly attempts = new Map<string, RingAttempt>()
  private attemptSeq = 0
  private playbackSeq = 0
  /** Who ended a connected call. */
  endedBy: 'caller' | 'agent' | 'system' | null = null
  /**
   * Someone asked the engine to hang up (call.hangup): the call's agent (its desk), or a
   * supervisor or script. The customer's leg is hung up for it, so the teardown would
   * otherwise see the customer leave first and record the caller as the one who ended it.
   */
  hangupAskedBy: 'agent' | 'supervisor' | null = null
  /** Virtual hold: the number to call back, and the attempts made so far. */
  callbackNumber: string | null = null
  callbackAttempts = 0
  lastRingMs = 0
  overflowHops = 0
  /** The IVR flow this call runs (kept even if a new version is deployed meanwhile). */
  flow: {name: string; version: number; survey: import('../ivr/flow.js').SurveyConfig | null} | null = null
  readonly keyTrail: KeyPress[] = []
  /** Keys pressed while the call was being answered, before anything listened. */
  readonly earlyKeys: string[] = []
  readonly ivrPath: string[] = []
  tags: string[] = []
  contact: {source: string; name: string; tier: string; vip: boolean; notes: string; language: string; company: string} | null = null
  /** The disposition code chosen while the call is live (desk-work.ts). */
  disposition: string | null = null
  direction: 'inbound' | 'outbound' = 'inbound'
  /** Click-to-call: the customer's number. */
  outboundNumber: string | null = null
  /** On hold since (ms), and hold time so far. */
  heldSince: number | null = null
  holdMs = 0
  /** A blind transfer ringing one agent directly. */
  directChannelId: string | null = null
  private seq = 0
  /** The prompts this call's flow resolves its prompt names with. */
  prompts: import('../prompts/prompt-store.js').PromptBook | null = null
  /** The far end of a transfer to an external number. */
  externalChannelId: string | null = null
  /** Prompts and keys while the engine talks to the caller (IVR, survey). */
  media: import('./call-media.js').CallMedia | null = null

  constructor(
    readonly id: string,
    readonly channelId: string,
    readonly caller: CallerId,
    readonly did: string,
    readonly startedAt: number,
  ) {
    this.customerChannelId = channelId
  }

  get ended(): boolean {
    return this.state === 'ended'
  }

  get isCallback(): boolean {
    return this.callbackNumber !== null
  }

  /** A fresh number for child channel and bridge ids of this call. */
  nextSeq(): number {
    return ++this.seq
  }

  /** After a restart: ids the previous engine gave this call's channels are not handed out again. */
  skipIds(rings: number, seq: number): void {
    this.attemptSeq = Math.max(this.attemptSeq, rings)
    this.seq = Math.max(this.seq, seq)
  }

  nextAttemptChannelId(): string {
    this.attemptSeq++
    return `${this.id}.r${this.attemptSeq}`
  }

  nextPlaybackId(): string {
    this.playbackSeq++
    return `${this.id}.p${this.playbackSeq}`
  }

  liveAttempts(): RingAttempt[] {
    return [...this.attempts.values()].filter((a) => a.outcome === null)
  }
}

/** The call id a playback or ring channel id belongs to (ids are `${callId}.xN`). */
export function callIdOf(childId: string): string {
  const dot = childId.lastIndexOf('.')
  return dot > 0 ? childId.slice(0, dot) : childId
}
