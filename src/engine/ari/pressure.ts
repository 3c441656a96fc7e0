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
  // The window's answers as two parallel arrays from `head` on (old ones are skipped, and
  // cut off now and then), with how many of them took lowMs or more and highMs or more.
  // At 350 requests a second the window holds ~1,750 answers: sorting them on every answer
  // to get the p90 took ~70 % of the CPU of a process sending requests back to back, so
  // update() only counts (is the p90 at or above a mark?) and the exact p90 is computed
  // only when a view's p90Ms is read.
  private sampleMs: number[] = []
  private sampleAt: number[] = []
  private head = 0
  private atLeastLow = 0
  private atLeastHigh = 0
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

  /**
   * A request goes out; call the returned function with whether it got a (non-5xx) answer,
   * or null when it never left (the event socket closed under it): no sample, no failure.
   */
  begin(): (answered: boolean | null) => void {
    const id = this.seq++
    const at = this.now()
    this.started.set(id, at)
    this.requests++
    return (answered) => {
      this.started.delete(id)
      if (answered === null) {
        this.requests--
        return
      }
      const now = this.now()
      this.addSample(now, now - at)
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
    this.sampleMs = []
    this.sampleAt = []
    this.head = 0
    this.atLeastLow = 0
    this.atLeastHigh = 0
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
    this.expire(from)
    const failing = this.lastFailureAt > 0 && now - this.lastFailureAt < this.calmMs
    // A request unanswered for twice the threshold says enough by itself (Asterisk stalled).
    const stalled = this.oldestInFlight(now) >= 2 * this.highMs
    const next = this.over
      ? this.p90AtLeast(this.lowMs, this.atLeastLow, now) || failing || stalled
      : (this.p90AtLeast(this.highMs, this.atLeastHigh, now) && this.countNow() >= MIN_SAMPLES) || stalled || this.failuresInRow >= 2
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

  private addSample(at: number, ms: number): void {
    this.sampleAt.push(at)
    this.sampleMs.push(ms)
    if (ms >= this.lowMs) this.atLeastLow++
    if (ms >= this.highMs) this.atLeastHigh++
  }

  /** Forgets the answers that came before `from`. */
  private expire(from: number): void {
    let h = this.head
    while (h < this.sampleAt.length && this.sampleAt[h]! < from) {
      const ms = this.sampleMs[h]!
      if (ms >= this.lowMs) this.atLeastLow--
      if (ms >= this.highMs) this.atLeastHigh--
      h++
    }
    this.head = h
    if (h > 1024 && h * 2 > this.sampleAt.length) {
      this.sampleAt = this.sampleAt.slice(h)
      this.sampleMs = this.sampleMs.slice(h)
      this.head = 0
    }
  }

  private countNow(): number {
    return this.sampleAt.length - this.head + this.started.size
  }

  /**
   * Whether the p90 is at least `mark`, given how many of the window's answers are: the
   * value at the p90 index of the sorted list is at least the mark exactly when at least
   * n - index values are. Same answer as p90(now) >= mark, without sorting.
   */
  private p90AtLeast(mark: number, answersAtLeast: number, now: number): boolean {
    const n = this.countNow()
    if (n === 0) return mark <= 0
    let atLeast = answersAtLeast
    for (const at of this.started.values()) if (now - at >= mark) atLeast++
    return atLeast >= n - Math.min(n - 1, Math.floor(n * 0.9))
  }

  private p90(now: number): number {
    const n = this.countNow()
    if (n === 0) return 0
    const all = new Float64Array(n)
    let i = 0
    for (let k = this.head; k < this.sampleMs.length; k++) all[i++] = this.sampleMs[k]!
    for (const at of this.started.values()) all[i++] = now - at
    all.sort()
    return all[Math.min(n - 1, Math.floor(n * 0.9))]!
  }

  private snapshot(): AriPressureView {
    const now = this.now()
    let p90: number | undefined
    // Read on demand: the engine looks at backoffUntil before every dispatch, the p90 only when it sheds.
    const p90Ms = () => (p90 ??= this.p90(now))
    return {
      overloaded: this.over,
      get p90Ms() {
        return p90Ms()
      },
      backoffUntil: this.backoffUntil > now ? this.backoffUntil : 0,
      requests: this.requests,
      failures: this.failures,
      inFlight: this.started.size,
    }
  }
}
