// How the engine's writers ride out a store that fails (PostgreSQL stopped, SQLite locked or
// full): the event log and the recorder's held rows retry on one backoff and report an
// outage the same way, loudly once, then at most once a minute, then when it ends. One
// copy, so a change to the pace or the reporting reaches both.

/** Wait before the next try after `failures` failures in a row: 100 ms doubling to 5 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(5000, 100 * 2 ** failures)
}

const STILL_FAILING_EVERY_MS = 60_000

/** Counts the failures of one outage and says when each deserves a log line. */
export class OutageReport {
  /** Failures in a row; 0 while the store works. */
  failures = 0
  private outage: {since: number; reported: number} | null = null

  constructor(private readonly now: () => number) {}

  /**
   * A failed try. `first` on the outage's first failure, `again` (with its length in
   * seconds) once a minute after; null when there is nothing new to say.
   */
  failed(): {first: true} | {again: true; forS: number} | null {
    this.failures++
    const now = this.now()
    if (!this.outage) {
      this.outage = {since: now, reported: now}
      return {first: true}
    }
    if (now - this.outage.reported < STILL_FAILING_EVERY_MS) return null
    this.outage.reported = now
    return {again: true, forS: seconds(now - this.outage.since)}
  }

  /** A try that worked: the outage it ends ({attempts, lastedS}), or null when there was none. */
  recovered(): {attempts: number; lastedS: number | null} | null {
    const ended = this.failures > 0 ? {attempts: this.failures, lastedS: this.outage ? seconds(this.now() - this.outage.since) : null} : null
    this.failures = 0
    this.outage = null
    return ended
  }
}

function seconds(ms: number): number {
  return Math.round(ms / 1000)
}
