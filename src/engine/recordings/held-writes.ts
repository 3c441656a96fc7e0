import {FencedError} from '../store/fencing.js'
import {errorMessage} from '../util/errors.js'
import type {Logger} from '../util/log.js'
import {OutageReport, retryDelayMs} from '../util/store-outage.js'

/** One write to the recordings table (or a settling that reads and writes it), run until it succeeds. */
export interface HeldWrite {
  what: string
  run: () => Promise<unknown>
}

export interface HeldWritesOptions {
  log: Logger
  now: () => number
  /** Runs `fn` after `ms`. */
  later: (fn: () => void, ms: number) => void
}


/**
 * The recorder's writes to the recordings table, held in memory while the store fails
 * (PostgreSQL stopped, SQLite locked or full) and retried as the event log retries its
 * held events: the same backoff, the failure logged loudly once, then at most once a
 * minute, then once more when the store takes them again. Recording a call never waits
 * for the store: Asterisk records, the row follows.
 *
 * Row writes run in order (a row's insert before its end); settlings of open recordings
 * run after them, each on its own, so one that keeps failing holds up no row.
 */
export class HeldWrites {
  private queue: HeldWrite[] = []
  private settlings: HeldWrite[] = []
  private running: Promise<void> | null = null
  private scheduled = false
  private readonly outage: OutageReport
  private stopped = false

  constructor(private readonly o: HeldWritesOptions) {
    this.outage = new OutageReport(o.now)
  }

  /** A row write, after every write held before it. */
  write(w: HeldWrite): void {
    this.queue.push(w)
    this.kick()
  }

  /** A settling owed (the store did not answer it): tried again with the writes, until it succeeds. */
  retry(w: HeldWrite): void {
    this.settlings.push(w)
    this.kick()
  }

  get pending(): number {
    return this.queue.length + this.settlings.length
  }

  /** Tries everything held now; resolves when this round is over (what failed stays held). */
  async flush(): Promise<void> {
    while (this.running) await this.running
    if (this.pending === 0) return
    this.running = this.round().finally(() => (this.running = null))
    await this.running
  }

  /** No more retries (the engine stops); what is held stays countable in `pending`. */
  stop(): void {
    this.stopped = true
  }

  /** While the store takes writes, at once; during an outage, at the next retry. */
  private kick(): void {
    if (this.stopped) return
    if (this.outage.failures === 0) void this.flush()
    else this.schedule()
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return
    this.scheduled = true
    this.o.later(() => {
      this.scheduled = false
      if (!this.stopped) void this.flush()
    }, retryDelayMs(this.outage.failures))
  }

  private async round(): Promise<void> {
    let failed: unknown
    let what = ''
    try {
      while (this.queue.length > 0) {
        what = this.queue[0]!.what
        await this.queue[0]!.run()
        this.queue.shift()
      }
      for (const w of this.settlings.splice(0)) {
        try {
          await w.run()
        } catch (err) {
          this.settlings.push(w)
          if (failed === undefined) [failed, what] = [err, w.what]
        }
      }
    } catch (err) {
      failed = err
    }
    if (failed === undefined) return this.recovered()
    // Refused by the fence: this engine lost the lead; the new leader settles what is open.
    if (failed instanceof FencedError) {
      this.o.log.warn('recording rows refused: another engine leads now', {dropped: this.pending})
      this.queue = []
      this.settlings = []
      return
    }
    // Stopping: the recorder says once what stayed unwritten.
    if (this.stopped) return
    const report = this.outage.failed()
    const error = errorMessage(failed)
    if (report && 'first' in report) {
      this.o.log.error('RECORDING ROWS NOT SAVED: calls are still recorded; the rows are held in memory and retried, reported again once a minute while it lasts', {error, failing: what, held: this.pending})
    } else if (report) {
      this.o.log.error(`recording rows still not saved after ${report.forS}s, ${this.pending} held`, {error, failing: what, attempts: this.outage.failures})
    }
    this.schedule()
  }

  private recovered(): void {
    const ended = this.outage.recovered()
    if (ended) this.o.log.warn('recording rows saved again', {attempts: ended.attempts, ...(ended.lastedS !== null ? {unsavedFor: `${ended.lastedS}s`} : {})})
  }
}
