import type {Clock, TimerHandle} from '../../src/engine/util/clock.js'

interface Timer {
  at: number
  fn: () => void
  seq: number
}

/** A clock that only moves when the test says so; timers fire in time order. */
export class FakeClock implements Clock {
  private t: number
  private seq = 0
  private readonly timers = new Map<number, Timer>()

  constructor(start = Date.UTC(2026, 10, 23, 9, 0, 0)) {
    this.t = start
  }

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq
    this.timers.set(id, {at: this.t + Math.max(0, ms), fn, seq: id})
    return {id} as unknown as TimerHandle
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.timers.delete((handle as unknown as {id: number}).id)
  }

  /** Moves time forward, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      let next: [number, Timer] | undefined
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq))) next = entry
      if (!next) break
      this.timers.delete(next[0])
      this.t = next[1].at
      next[1].fn()
    }
    this.t = end
  }

  get pendingTimers(): number {
    return this.timers.size
  }
}
