import {FencedError} from '../store/fencing.js'
import type {NewEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import type {Clock} from '../util/clock.js'
import {errorMessage} from '../util/errors.js'
import type {Logger} from '../util/log.js'
import {OutageReport, retryDelayMs} from '../util/store-outage.js'

export type EventListener = (e: NewEvent) => void


/**
 * The engine's write path into the event log. Appends are synchronous for the call
 * logic (no await between a decision and its record) and reach the store in small
 * batches. When the store fails (disk full, locked, PostgreSQL stopped) events stay
 * buffered and are retried with backoff while calls keep flowing. The failure is logged
 * loudly once, then at most once a minute while it lasts (a stopped PostgreSQL gave an
 * error line per retry: 21 in 86 s), then once more when the store takes events again.
 */
export class EventLog {
  private buffer: NewEvent[] = []
  private flushing: Promise<void> | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  /** The store's current outage, if any: failures in a row and when to say so (util/store-outage.ts). */
  private readonly outage = new OutageReport(() => this.clock.now())
  private closing = false
  private readonly listeners = new Set<EventListener>()

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    readonly origin: string,
  ) {}

  append(e: Omit<NewEvent, 'ts' | 'origin'> & {ts?: number}): NewEvent {
    const event: NewEvent = {...e, ts: e.ts ?? this.clock.now(), origin: this.origin}
    this.buffer.push(event)
    for (const l of this.listeners) {
      try {
        l(event)
      } catch (err) {
        this.log.error('event listener failed', {error: String(err)})
      }
    }
    this.schedule(this.outage.failures === 0 ? 20 : retryDelayMs(this.outage.failures))
    return event
  }

  /** Tells the listeners (API subscriptions) of something passing that is no record: never written to the log (a customer typing). */
  notify(e: Omit<NewEvent, 'ts' | 'origin'> & {ts?: number}): void {
    const event: NewEvent = {...e, ts: e.ts ?? this.clock.now(), origin: this.origin}
    for (const l of this.listeners) {
      try {
        l(event)
      } catch (err) {
        this.log.error('event listener failed', {error: String(err)})
      }
    }
  }

  subscribe(l: EventListener): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  get pending(): number {
    return this.buffer.length
  }

  private schedule(ms: number): void {
    if (this.timer || this.flushing || this.closing) return
    this.timer = setTimeout(() => {
      this.timer = null
      void this.flush()
    }, ms)
  }

  async flush(): Promise<void> {
    if (this.flushing) await this.flushing
    if (this.buffer.length === 0) return
    const batch = this.buffer
    this.buffer = []
    this.flushing = (async () => {
      try {
        await this.store.appendEvents(batch)
        const ended = this.outage.recovered()
        if (ended) this.log.warn('event log writable again', {written: batch.length, attempts: ended.attempts, ...(ended.lastedS !== null ? {unreachableFor: `${ended.lastedS}s`} : {})})
      } catch (err) {
        this.buffer = batch.concat(this.buffer)
        // Refused by the fence: this engine lost the lead and is stepping down (leadership.ts), no failure of the store.
        if (err instanceof FencedError) {
          this.outage.failures++
          return void this.log.warn('events refused: another engine leads now', {buffered: this.buffer.length})
        }
        const report = this.outage.failed()
        const error = errorMessage(err)
        if (report && 'first' in report) {
          this.log.error('EVENT LOG WRITE FAILED: events are held in memory and retried; reported again once a minute while it lasts', {error, buffered: this.buffer.length})
        } else if (report) {
          this.log.error(`event log still unreachable for ${report.forS}s, ${this.buffer.length} events held`, {error, attempts: this.outage.failures})
        }
      } finally {
        this.flushing = null
      }
    })()
    await this.flushing
    if (this.buffer.length > 0) this.schedule(this.outage.failures === 0 ? 0 : retryDelayMs(this.outage.failures))
  }

  /**
   * Writes what is buffered and stops retrying in the background: a stopped engine
   * wrote to a store it had already closed, every 5 s, for as long as it was left
   * running. Tries for at most `withinMs`; what could not be written stays for
   * `takeUnwritten()` (the engine spills it to a file the next start replays).
   */
  async close(withinMs = 5_000): Promise<void> {
    this.closing = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const deadline = Date.now() + withinMs
    for (let attempt = 0; ; attempt++) {
      await this.flush()
      if (this.buffer.length === 0 || Date.now() >= deadline) return
      await new Promise((r) => setTimeout(r, Math.min(500, 50 * 2 ** attempt, Math.max(0, deadline - Date.now()))))
    }
  }

  /** The events close() could not write, handed over once. */
  takeUnwritten(): NewEvent[] {
    const left = this.buffer
    this.buffer = []
    return left
  }
}
