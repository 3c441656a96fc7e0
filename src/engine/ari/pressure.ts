// How hard Asterisk is pressed, seen from its REST answers: a moving p90 of the time it
// takes to answer, the requests still waiting, and a back-off after every request that
// got no answer or a 5xx. Under the issue-12 overload Asterisk went from answering in
// milliseconds to not answering within 10 s, and the engine kept sending: these figures
// let the engine stop adding work (no new rings during the back-off, new callers shed
// while overloaded) until the answers come back quickly.

export interface AriPressureView {
  /** Slower than the threshold (or failing): the engine sheds new callers. */
  overloaded: boolean
  /** p90 of the answer time over the recent window, in-flight requests counted at their age. */
  p90Ms: number
  /** No new work (rings) before this time, after a request that failed; 0 when none. */
  backoffUntil: number
  /** Requests sent and requests that got no answer (or a 5xx), since the start. */
  requests: number
  failures: number
  inFlight: number
}

export interface PressureOptions {
  now?: () => number
  random?: () => number
  /** p90 at or above this turns overload on ... */
  highMs?: number
  /** ... and below this (with no failure for calmMs) turns it off again. */
  lowMs?: number
  windowMs?: number
  calmMs?: number
}

const FIRST_BACKOFF_MS = 250
const MAX_BACKOFF_MS = 10_000
// Fewer answers than this in the window say nothing about a trend (one slow playback start).
const MIN_SAMPLES = 5

export class AriPressure {
  private readonly now: () => number
  private readonly random: () => number
  private readonly highMs: number
  private readonly lowMs: number
  private readonly windowMs: number
  private readonly calmMs: number
  private samples: {at: number; ms: number}[] = []
  private readonly started = new Map<number, number>()
  private seq = 0
  private failuresInRow = 0
  private lastFailureAt = 0
  private over = false
  private backoffUntil = 0
  requests = 0
  failures = 0
  private readonly listeners = new Set<(v: AriPressureView) => void>()

  constructor(o: PressureOptions = {}) {
    this.now = o.now ?? Date.now
    this.random = o.random ?? Math.random
    this.highMs = o.highMs ?? 1000
    this.lowMs = o.lowMs ?? 300
    this.windowMs = o.windowMs ?? 5000
    this.calmMs = o.calmMs ?? 5000
  }

  /** A request goes out; call the returned function with whether it got a (non-5xx) answer. */
  begin(): (answered: boolean) => void {
    const id = this.seq++
    const at = this.now()
    this.started.set(id, at)
    this.requests++
    return (answered) => {
      this.started.delete(id)
      const now = this.now()
      this.samples.push({at: now, ms: now - at})
      if (answered) this.failuresInRow = 0
      else {
        this.failures++
        this.failuresInRow++
        this.lastFailureAt = now
        const base = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(16, this.failuresInRow - 1))
        this.backoffUntil = Math.max(this.backoffUntil, now + Math.round(base * (0.5 + this.random())))
      }
      this.update()
    }
  }

  /**
   * Forgets the past: the link to Asterisk is new (reconnected after an outage). The
   * outage's refused connections say Asterisk was away, not slow; counted as pressure
   * they kept new callers shed and rings held back for up to 30 s after its return.
   */
  reset(): void {
    this.samples = []
    this.failuresInRow = 0
    this.lastFailureAt = 0
    this.backoffUntil = 0
    if (this.over) {
      this.over = false
      const v = this.snapshot()
      for (const fn of this.listeners) fn(v)
    }
  }

  onChange(fn: (v: AriPressureView) => void): () => void {
    this.listeners.add(fn)
    return () => void this.listeners.delete(fn)
  }

  view(): AriPressureView {
    this.update()
    return this.snapshot()
  }

  /** Re-evaluates overload (answers that never come must turn it on too: call it on a timer). */
  update(): void {
    const now = this.now()
    const from = now - this.windowMs
    let drop = 0
    while (drop < this.samples.length && this.samples[drop]!.at < from) drop++
    if (drop) this.samples = this.samples.slice(drop)
    const p90 = this.p90(now)
    const failing = this.lastFailureAt > 0 && now - this.lastFailureAt < this.calmMs
    // A request unanswered for twice the threshold says enough by itself (Asterisk stalled).
    const stalled = this.oldestInFlight(now) >= 2 * this.highMs
    const next = this.over ? p90 >= this.lowMs || failing || stalled : (p90 >= this.highMs && this.countNow() >= MIN_SAMPLES) || stalled || this.failuresInRow >= 2
    if (next !== this.over) {
      this.over = next
      const v = this.snapshot()
      for (const fn of this.listeners) fn(v)
    }
  }

  private oldestInFlight(now: number): number {
    let oldest = 0
    for (const at of this.started.values()) oldest = Math.max(oldest, now - at)
    return oldest
  }

  private countNow(): number {
    return this.samples.length + this.started.size
  }

  private p90(now: number): number {
    const all = this.samples.map((s) => s.ms)
    for (const at of this.started.values()) all.push(now - at)
    if (all.length === 0) return 0
    all.sort((a, b) => a - b)
    return all[Math.min(all.length - 1, Math.floor(all.length * 0.9))]!
  }

  private snapshot(): AriPressureView {
    const now = this.now()
    return {
      overloaded: this.over,
      p90Ms: this.p90(now),
      backoffUntil: this.backoffUntil > now ? this.backoffUntil : 0,
      requests: this.requests,
      failures: this.failures,
      inFlight: this.started.size,
    }
  }
}
