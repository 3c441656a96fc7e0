import type {AriRest} from '../ari/port.js'
import {isNotFound} from '../ari/port.js'
import {CallGone, type IvrIO} from '../ivr/interpreter.js'
import type {Clock, TimerHandle} from '../util/clock.js'

/** Turns a prompt name from a flow into ARI media URIs for a language. */
export type PromptResolver = (prompt: string, language: string) => string

interface DigitWaiter {
  resolve(): void
  timer: TimerHandle | undefined
}

/**
 * A caller's ears and keypad while the engine talks to it (IVR, survey): plays prompts
 * that a key interrupts, collects keys with timeouts, and keeps keys typed ahead for
 * the next question. When the caller hangs up every wait rejects with CallGone.
 */
export class CallMedia implements Pick<IvrIO, 'play' | 'readDigits'> {
  private readonly buffer: string[] = []
  private playing: {id: string; done(): void} | null = null
  private digitWaiter: DigitWaiter | null = null
  private gone = false
  private readonly goneWaiters = new Set<(e: Error) => void>()

  constructor(
    private readonly ari: AriRest,
    private readonly channelId: string,
    private readonly nextPlaybackId: () => string,
    private readonly resolve: PromptResolver,
    private readonly clock: Clock,
  ) {}

  onDtmf(digit: string): void {
    if (!/^[0-9*#A-D]$/.test(digit)) return
    this.buffer.push(digit)
    if (this.playing) {
      const p = this.playing
      this.playing = null
      void this.ari.stopPlayback(p.id).catch(() => undefined)
      p.done()
    }
    const w = this.digitWaiter
    if (w) {
      this.digitWaiter = null
      this.clock.clearTimeout(w.timer)
      w.resolve()
    }
  }

  onPlaybackFinished(id: string): void {
    if (this.playing?.id !== id) return
    const p = this.playing
    this.playing = null
    p.done()
  }

  /** The caller hung up: every pending wait fails. */
  hangup(): void {
    if (this.gone) return
    this.gone = true
    for (const reject of this.goneWaiters) reject(new CallGone())
    this.goneWaiters.clear()
  }

  async play(prompts: string[], language: string): Promise<void> {
    this.check()
    if (this.buffer.length > 0 || prompts.length === 0) return
    const id = this.nextPlaybackId()
    await this.untilGone(
      new Promise<void>((resolve, reject) => {
        this.playing = {id, done: resolve}
        this.ari.playOnChannel(this.channelId, prompts.map((p) => this.resolve(p, language)), id).catch((err: unknown) => {
          if (this.playing?.id === id) this.playing = null
          if (isNotFound(err)) reject(new CallGone())
          else resolve() // a prompt that cannot play is skipped, the call goes on
        })
      }),
    )
  }

  async readDigits(o: {max: number; terminator: string | null; timeoutMs: number}): Promise<{digits: string; timedOut: boolean}> {
    let digits = ''
    for (;;) {
      this.check()
      while (this.buffer.length > 0) {
        const d = this.buffer.shift()!
        if (o.terminator && d === o.terminator) return {digits, timedOut: false}
        digits += d
        if (digits.length >= o.max) return {digits, timedOut: false}
      }
      const got = await this.untilGone(
        new Promise<boolean>((resolve) => {
          const timer = this.clock.setTimeout(() => {
            this.digitWaiter = null
            resolve(false)
          }, o.timeoutMs)
          this.digitWaiter = {resolve: () => resolve(true), timer}
        }),
      )
      if (!got) return {digits, timedOut: true}
    }
  }

  private check(): void {
    if (this.gone) throw new CallGone()
  }

  private untilGone<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.goneWaiters.add(reject)
      p.then(
        (v) => {
          this.goneWaiters.delete(reject)
          resolve(v)
        },
        (e: unknown) => {
          this.goneWaiters.delete(reject)
          reject(e)
        },
      )
    })
  }
}
