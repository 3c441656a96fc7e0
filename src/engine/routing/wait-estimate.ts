// Expected wait, said honestly: instead of "position × average wait" (what app_queue
// announces, and why its estimates drift), simulate who frees up when. Each agent now
// serving the queue frees up after its current work: idle → now; talking → the rest of
// an average call (never less than a few seconds) plus wrap-up; in wrap-up → the rest
// of it. Callers ahead are served in line, each occupying the first agent to free up
// for one average handle time (talk + wrap-up). The caller's estimate is when its own
// turn comes. Handle times come from the queue's recent answered calls.

export interface ServingAgent {
  state: 'idle' | 'ringing' | 'on-call' | 'wrap-up'
  /** Milliseconds in the current state. */
  elapsedMs: number
}

export interface WaitInputs {
  /** 1-based place in line. */
  position: number
  agents: ServingAgent[]
  /** Average talk of recent answered calls, ms. */
  talkMs: number
  /** The queue's wrap-up, ms. */
  wrapUpMs: number
  /** Average ring before answer, ms. */
  ringMs: number
}

/** Milliseconds until the caller at `position` is connected, or null when no agent serves the queue. */
export function estimateWait(i: WaitInputs): number | null {
  if (i.agents.length === 0 || i.position < 1) return null
  const handle = i.talkMs + i.wrapUpMs + i.ringMs
  // A call already longer than average is expected to end soon, not at once.
  const minRest = Math.min(5000, i.talkMs / 4)
  const free: number[] = i.agents.map((a) => {
    switch (a.state) {
      case 'idle':
        return 0
      case 'ringing':
        return Math.max(0, i.ringMs - a.elapsedMs) + i.talkMs + i.wrapUpMs
      case 'on-call':
        return Math.max(minRest, i.talkMs - a.elapsedMs) + i.wrapUpMs
      case 'wrap-up':
        return Math.max(0, i.wrapUpMs - a.elapsedMs)
    }
  })
  free.sort((a, b) => a - b)
  // Serve the callers ahead one by one on the agent that frees up first.
  for (let k = 1; ; k++) {
    const t = free.shift()!
    if (k === i.position) return t + i.ringMs
    insertSorted(free, t + handle)
  }
}

function insertSorted(arr: number[], v: number): void {
  let lo = 0
  let hi = arr.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (arr[mid]! < v) lo = mid + 1
    else hi = mid
  }
  arr.splice(lo, 0, v)
}

/** Rolling averages of a queue's recent answered calls. */
export class HandleTimes {
  private readonly talk: number[] = []
  private readonly ring: number[] = []
  constructor(private readonly keep = 20) {}

  add(talkMs: number, ringMs: number): void {
    this.talk.push(talkMs)
    this.ring.push(ringMs)
    if (this.talk.length > this.keep) this.talk.shift()
    if (this.ring.length > this.keep) this.ring.shift()
  }

  get samples(): number {
    return this.talk.length
  }

  averageTalkMs(fallbackMs: number): number {
    return this.talk.length ? this.talk.reduce((a, b) => a + b, 0) / this.talk.length : fallbackMs
  }

  averageRingMs(): number {
    return this.ring.length ? this.ring.reduce((a, b) => a + b, 0) / this.ring.length : 0
  }
}
