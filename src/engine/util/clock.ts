/** Time source for everything that waits or timestamps; tests swap in a fake one. */
export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle | undefined): void
}

/** Opaque: only the clock that made it can read it. */
export type TimerHandle = {readonly __timer: true}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    return setTimeout(fn, ms) as unknown as TimerHandle
  },
  clearTimeout(handle) {
    if (handle) clearTimeout(handle as unknown as NodeJS.Timeout)
  },
}
