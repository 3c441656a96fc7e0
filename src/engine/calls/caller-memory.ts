// What the engine remembers about callers between calls: the agent who last served a
// number (last-agent preference) and the place of a caller who hung up while waiting
// (abandon and resume). Both expire; both are rebuilt from the event log at start.

interface LastAgent {
  agent: string
  at: number
}

interface Place {
  joinedAt: number
  priority: number
  at: number
}

export class CallerMemory {
  private readonly lastAgent = new Map<string, LastAgent>()
  private readonly places = new Map<string, Place>()

  servedBy(number: string, agent: string, at: number): void {
    if (!number) return
    this.lastAgent.delete(number) // keep insertion order = time order for pruning
    this.lastAgent.set(number, {agent, at})
  }

  /** The agent who served this number within the window, if any. */
  lastAgentOf(number: string, now: number, windowMs: number): string | null {
    const l = number ? this.lastAgent.get(number) : undefined
    return l && now - l.at <= windowMs ? l.agent : null
  }

  abandoned(number: string, queue: string, joinedAt: number, priority: number, at: number): void {
    if (!number) return
    const key = `${queue}\u0000${number}`
    this.places.delete(key)
    this.places.set(key, {joinedAt, priority, at})
  }

  /** The place kept for a caller who hung up within the window; taken once. */
  takePlace(number: string, queue: string, now: number, windowMs: number): Place | null {
    const key = `${queue}\u0000${number}`
    const p = this.places.get(key)
    if (!p) return null
    this.places.delete(key)
    return now - p.at <= windowMs ? p : null
  }

  /** Forget what is older than the longest window in use. */
  prune(now: number, maxAgeMs: number): void {
    for (const [k, v] of this.lastAgent) {
      if (now - v.at <= maxAgeMs) break
      this.lastAgent.delete(k)
    }
    for (const [k, v] of this.places) {
      if (now - v.at <= maxAgeMs) break
      this.places.delete(k)
    }
  }
}
