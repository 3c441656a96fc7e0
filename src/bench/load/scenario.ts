import {prng} from '../prng.js'

// The traffic both paths get: callers arrive at `rate` per second in waves of `wave`
// callers, a pause after each wave long enough for the line to drain and the agents to
// finish. Each wave so starts with every agent idle (samples of ring latency with an
// idle agent) and then piles up a line (samples of agent-free → next ring, and a drain).

export interface LoadScenario {
  callers: number
  agents: number
  /** Seconds each simulated agent talks; their phones answer at once (ring 0). */
  talkS: number
  /** Callers per second within a wave. */
  rate: number
  /** Callers per wave; >= callers for one wave. */
  wave: number
  /** Share of callers with short patience (they abandon if the line is long). */
  shortShare: number
  shortPatienceS: {min: number; max: number}
  longPatienceS: number
  seed: number
}

export interface PlannedCaller {
  index: number
  /** Milliseconds after the run starts. */
  atMs: number
  wave: number
  patienceS: number
}

/** Calls per second the agents can take if they are rung the moment they hang up. */
export function idealRate(agents: number, talkS: number): number {
  return agents / talkS
}

/**
 * The pause from one wave's start to the next: its arrivals, or serving its line at 1.15×
 * the ideal time (app_queue re-rings slower), whichever is longer, then the last talk.
 */
export function waveSpacingMs(s: Pick<LoadScenario, 'agents' | 'talkS' | 'rate' | 'wave'>): number {
  const arrivals = s.wave / s.rate
  const serve = (1.15 * Math.max(0, s.wave - s.agents)) / idealRate(s.agents, s.talkS)
  return Math.ceil((Math.max(arrivals, serve) + s.talkS + 1.5) * 1000)
}

export function planCallers(s: LoadScenario): PlannedCaller[] {
  const random = prng(s.seed)
  const spacing = waveSpacingMs(s)
  const out: PlannedCaller[] = []
  for (let i = 0; i < s.callers; i++) {
    const wave = Math.floor(i / s.wave)
    const inWave = i - wave * s.wave
    const short = random() < s.shortShare
    const patienceS = short ? Math.round((s.shortPatienceS.min + (s.shortPatienceS.max - s.shortPatienceS.min) * random()) * 10) / 10 : s.longPatienceS
    out.push({index: i, atMs: wave * spacing + Math.round((inWave / s.rate) * 1000), wave, patienceS})
  }
  return out
}
