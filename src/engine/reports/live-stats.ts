import type {QueueSettings} from '../model.js'
import type {NewEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import {EventTally} from './event-tally.js'
import {abandonRate, aht, answerRate, asa, serviceLevel, type SlSettings, type Tally} from './metrics.js'

export interface QueueFigures extends Tally {
  answerRate: number | null
  abandonRate: number | null
  serviceLevel: number | null
  sl: SlSettings
  asaMs: number | null
  ahtMs: number | null
}

export interface LiveStatsView {
  /** Start of the period (midnight UTC). */
  since: number
  queues: Record<string, QueueFigures>
  agents: Record<string, Tally & {ahtMs: number | null; loggedInMs: number; pausedMs: number; missedRings: number}>
}

export function slOf(settings: QueueSettings | undefined): SlSettings {
  return {seconds: settings?.slSeconds ?? 20, formula: settings?.slFormula ?? 'default', shortAbandonSeconds: settings?.shortAbandon ?? 5}
}

/**
 * Today's figures for the dashboard, kept up to date event by event. They come from the
 * log at start (so a restart keeps them) and reset at midnight UTC.
 */
export class LiveStats {
  private tally: EventTally
  private since: number

  constructor(private readonly settings: (queue: string) => QueueSettings | undefined) {
    this.since = 0
    this.tally = this.fresh()
  }

  private fresh(): EventTally {
    return new EventTally((q) => slOf(this.settings(q)))
  }

  async seed(store: Store, now: number): Promise<void> {
    this.since = midnight(now)
    this.tally = this.fresh()
    for await (const e of store.events({since: this.since})) this.tally.apply(e)
  }

  apply(e: NewEvent): void {
    if (e.ts >= this.since + 86_400_000) {
      this.since = midnight(e.ts)
      this.tally = this.fresh()
    }
    this.tally.apply(e)
  }

  view(now: number): LiveStatsView {
    const queues: LiveStatsView['queues'] = {}
    for (const [name, t] of this.tally.queues) {
      const sl = slOf(this.settings(name))
      queues[name] = {...t, answerRate: answerRate(t), abandonRate: abandonRate(t), serviceLevel: serviceLevel(t, sl.formula), sl, asaMs: asa(t), ahtMs: aht(t)}
    }
    const agents: LiveStatsView['agents'] = {}
    for (const [id, t] of this.tally.agents) {
      const times = this.tally.agentTimes.get(id)
      agents[id] = {...t, ahtMs: aht(t), loggedInMs: times?.loggedInMs ?? 0, pausedMs: times?.pausedMs ?? 0, missedRings: times?.missedRings ?? 0}
    }
    void now
    return {since: this.since, queues, agents}
  }
}

function midnight(ms: number): number {
  return ms - (ms % 86_400_000)
}
