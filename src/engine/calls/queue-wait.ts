import type {AriRest} from '../ari/port.js'
import {isNotFound} from '../ari/port.js'
import type {QueueSettings} from '../model.js'
import type {Clock, TimerHandle} from '../util/clock.js'
import type {Logger} from '../util/log.js'
import type {CallSession, WaitActivity} from './call-session.js'
import type {EventLog} from './event-log.js'

export interface WaitHooks {
  ari: AriRest
  clock: Clock
  log: Logger
  events: EventLog
  position(callId: string): number
  /** Expected remaining wait in ms, or null when nobody serves the queue. */
  expectedWait(callId: string): number | null
  /** The caller waited the queue's maximum. */
  maxWaitReached(s: CallSession): void
  /** The caller confirmed a number to be called back on. */
  callbackConfirmed(s: CallSession, number: string): void
  /** Whether the center may call this number back (outbound-policy.ts); a caller ID spoofed to a premium number is not. */
  outboundAllowed(s: CallSession, number: string): boolean
}

const DIALOG_TIMEOUT_MS = 10_000
const DIGIT_TIMEOUT_MS = 5_000

type Dialog =
  | {step: 'offer'; number: string}
  | {step: 'entering'; digits: string}
  | {step: 'confirm'; number: string}
  | {step: 'thanks'}

/**
 * A caller's time in line: music on hold, periodic position and expected-wait
 * announcements, the maximum wait, and the callback offer (press a key, confirm or
 * key another number). DTMF and hangup cancel whatever is playing.
 */
export class QueueWait implements WaitActivity {
  private announceTimer: TimerHandle | undefined
  private maxWaitTimer: TimerHandle | undefined
  private dialogTimer: TimerHandle | undefined
  private playing: string | null = null
  private playingKind: 'announcement' | 'dialog' | null = null
  private dialog: Dialog | null = null
  private stopped = false
  private announced: {position: number; waitMs: number | null; at: number} | null = null

  constructor(
    private readonly s: CallSession,
    private readonly settings: QueueSettings,
    private readonly h: WaitHooks,
    private readonly musicOn: boolean,
  ) {}

  start(): void {
    if (this.settings.announceEvery > 0 && (this.settings.announcePosition || this.settings.announceWait)) this.scheduleAnnouncement()
    if (this.settings.maxWait > 0) {
      const waited = this.h.clock.now() - (this.s.enteredQueueAt ?? this.h.clock.now())
      this.maxWaitTimer = this.h.clock.setTimeout(() => !this.stopped && this.h.maxWaitReached(this.s), Math.max(0, this.settings.maxWait * 1000 - waited))
    }
    // A caller not answered yet (caller-line.ts) hears ringing: music once answered.
    if (!this.musicOn && !this.s.unanswered) void this.music(true)
  }

  lineAnswered(): void {
    if (!this.stopped && !this.playing) void this.music(true)
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.h.clock.clearTimeout(this.announceTimer)
    this.h.clock.clearTimeout(this.maxWaitTimer)
    this.h.clock.clearTimeout(this.dialogTimer)
    if (this.playing) void this.h.ari.stopPlayback(this.playing).catch(() => undefined)
    this.playing = null
  }

  /** The callback offer keeps the caller in line; only the max-wait timer stops. */
  stopMaxWait(): void {
    this.h.clock.clearTimeout(this.maxWaitTimer)
  }

  onDtmf(digit: string): void {
    if (this.stopped || !/^[0-9*#A-D]$/.test(digit)) return
    if (this.dialog) return this.dialogDigit(digit)
    if (this.settings.callbackKey && digit === this.settings.callbackKey) this.offerCallback()
  }

  onPlaybackFinished(id: string): void {
    if (id !== this.playing) return
    const kind = this.playingKind
    this.playing = null
    this.playingKind = null
    if (this.stopped) return
    if (kind === 'announcement') {
      if (this.announced) {
        this.h.events.append({
          type: 'queue.announced',
          callId: this.s.id,
          queue: this.s.queue,
          data: {position: this.announced.position, expectedWaitMs: this.announced.waitMs, estimatedAt: this.announced.at, playback: id},
        })
      }
      void this.music(true)
      this.scheduleAnnouncement()
    } else if (this.dialog?.step === 'thanks') {
      void this.h.ari.hangup(this.s.channelId).catch(() => undefined)
    }
  }

  // ---- announcements ---------------------------------------------------------

  private scheduleAnnouncement(): void {
    this.h.clock.clearTimeout(this.announceTimer)
    this.announceTimer = this.h.clock.setTimeout(() => void this.announce(), this.settings.announceEvery * 1000)
  }

  private async announce(): Promise<void> {
    if (this.stopped || this.dialog || this.playing) return
    // Still ringing an agent, unanswered: nothing to announce over ringing; try next time.
    if (this.s.unanswered) return this.scheduleAnnouncement()
    const position = this.h.position(this.s.id)
    const waitMs = this.h.expectedWait(this.s.id)
    const media: string[] = []
    if (this.settings.announcePosition) {
      if (position <= 1) media.push('sound:queue-youarenext')
      else media.push('sound:queue-thereare', `number:${position}`, 'sound:queue-callswaiting')
    }
    if (this.settings.announceWait && waitMs !== null && position > 1) {
      const minutes = Math.ceil(waitMs / 60_000)
      media.push('sound:queue-holdtime')
      if (minutes <= 1) media.push('sound:queue-less-than', 'number:1', 'sound:queue-minute')
      else media.push(`number:${minutes}`, 'sound:queue-minutes')
    }
    this.announced = {position, waitMs, at: this.h.clock.now()}
    await this.play(media, 'announcement')
  }

  // ---- callback offer --------------------------------------------------------

  private offerCallback(): void {
    const number = normaliseNumber(this.s.caller.number)
    if (number) {
      this.dialog = {step: 'offer', number}
      void this.play(['sound:to-call-this-number', `digits:${number}`, 'sound:if-correct-press', 'digits:1', 'sound:vm-enter-num-to-call', 'sound:vm-then-pound'], 'dialog')
    } else {
      this.dialog = {step: 'entering', digits: ''}
      void this.play(['sound:vm-enter-num-to-call', 'sound:vm-then-pound'], 'dialog')
    }
    this.h.events.append({type: 'callback.offered', callId: this.s.id, queue: this.s.queue, data: {number}})
    this.armDialogTimeout(DIALOG_TIMEOUT_MS)
  }

  private dialogDigit(digit: string): void {
    const d = this.dialog!
    if (this.playing && this.playingKind === 'dialog') {
      void this.h.ari.stopPlayback(this.playing).catch(() => undefined)
      this.playing = null
    }
    if (d.step === 'offer' || d.step === 'confirm') {
      if (digit === '1') return this.confirm(d.number)
      if (d.step === 'offer' && /[0-9]/.test(digit)) {
        this.dialog = {step: 'entering', digits: digit}
        return this.armDialogTimeout(DIGIT_TIMEOUT_MS)
      }
      return this.cancelDialog('declined')
    }
    if (d.step === 'entering') {
      if (digit === '#') {
        const number = normaliseNumber(d.digits)
        if (!number) return this.cancelDialog('invalid-number')
        this.dialog = {step: 'confirm', number}
        void this.play(['sound:you-entered', `digits:${number}`, 'sound:if-correct-press', 'digits:1'], 'dialog')
        return this.armDialogTimeout(DIALOG_TIMEOUT_MS)
      }
      if (/[0-9]/.test(digit) && d.digits.length < 20) d.digits += digit
      this.armDialogTimeout(DIGIT_TIMEOUT_MS)
    }
  }

  private confirm(number: string): void {
    if (!this.h.outboundAllowed(this.s, number)) return this.cancelDialog('number-not-allowed')
    this.h.clock.clearTimeout(this.dialogTimer)
    this.h.clock.clearTimeout(this.announceTimer)
    this.stopMaxWait()
    this.dialog = {step: 'thanks'}
    this.h.callbackConfirmed(this.s, number)
    void this.play(['sound:auth-thankyou', 'sound:vm-goodbye'], 'dialog')
  }

  private cancelDialog(reason: string): void {
    this.h.clock.clearTimeout(this.dialogTimer)
    this.dialog = null
    this.h.events.append({type: 'callback.declined', callId: this.s.id, queue: this.s.queue, data: {reason}})
    void this.music(true)
    if (this.settings.announceEvery > 0) this.scheduleAnnouncement()
  }

  private armDialogTimeout(ms: number): void {
    this.h.clock.clearTimeout(this.dialogTimer)
    this.dialogTimer = this.h.clock.setTimeout(() => {
      const d = this.dialog
      if (!d || d.step === 'thanks' || this.stopped) return
      // A number typed without the closing # is taken as complete.
      if (d.step === 'entering' && normaliseNumber(d.digits)) return this.dialogDigit('#')
      this.cancelDialog('timeout')
    }, ms)
  }

  // ---- media -----------------------------------------------------------------

  private async play(media: string[], kind: 'announcement' | 'dialog'): Promise<void> {
    if (this.stopped || media.length === 0) return
    const id = this.s.nextPlaybackId()
    this.playing = id
    this.playingKind = kind
    try {
      await this.music(false)
      await this.h.ari.playOnChannel(this.s.channelId, media, id)
    } catch (err) {
      if (this.playing === id) this.playing = null
      if (!isNotFound(err)) this.h.log.warn('could not play to a waiting caller', {call: this.s.id, error: String(err)})
    }
  }

  private async music(on: boolean): Promise<void> {
    if (this.stopped && on) return
    try {
      if (on) await this.h.ari.startMoh(this.s.channelId, this.settings.musicClass)
      else await this.h.ari.stopMoh(this.s.channelId)
    } catch (err) {
      if (!isNotFound(err)) this.h.log.warn('music on hold failed', {call: this.s.id, error: String(err)})
    }
  }
}

/** Digits (and a leading +) only, 3 to 20 of them; anything else is not a callable number. */
export function normaliseNumber(raw: string): string | null {
  const n = raw.replace(/[\s().-]/g, '')
  return /^\+?[0-9]{3,20}$/.test(n) ? n : null
}
