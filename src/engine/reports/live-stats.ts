import type {QueueSettings} from '../model.js'
import type {NewEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import {EventTally} from './event-tally.js'
import {LastHour, type LastHourView} from './last-hour.js'
import {abandonRate, aht, answerRate, asa, occupancy, serviceLevel, type SlSettings, type Tally, emptyTally} from './metrics.js'

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
  /** loggedInMs, pausedMs and wrapUpMs count the spans still open up to now. */
  agents: Record<string, Tally & {ahtMs: number | null; loggedInMs: number; pausedMs: number; missedRings: number; talkTodayMs: number; occupancy: number | null}>
  /** Callers offered per queue over the last hour, in 5-minute buckets (the wallboard's sparklines). */
  lastHour?: LastHourView
}

/** An agent logged in (and maybe paused) when the engine starts, as its presence says. */
export interface PresenceAtStart {
  agent: string
  loggedIn: boolean
  pausedReason: string | null
  /** Presence since (ms since the epoch). */
  since: number
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
  private readonly lastHour = new LastHour()

  constructor(private readonly settings: (queue: string) => QueueSettings | undefined) {
    this.since = 0
    this.tally = this.fresh()
  }

  private fresh(): EventTally {
    return new EventTally((q) => slOf(this.settings(q)))
  }

  /**
   * Today's events, and the last hour's for the sparklines (before 01:00 it began
   * yesterday). Agents logged in or paused since before midnight have no login or pause
   * event today: `presence` opens their spans at midnight, or the day's figures would
   * count them neither logged in nor paused.
   */
  async seed(store: Store, now: number, presence: readonly PresenceAtStart[] = []): Promise<void> {
    this.since = midnight(now)
    this.tally = this.fresh()
    // Presence unchanged since before midnight has no event today: open it at midnight
    // before today's events, so the work they record is counted as done logged in.
    for (const p of presence) {
      if (p.since <= this.since && (p.loggedIn || p.pausedReason !== null)) this.tally.openAt(p.agent, this.since, {loggedIn: p.loggedIn, pausedReason: p.pausedReason})
    }
    for await (const e of store.events({since: Math.min(this.since, now - 3_600_000)})) {
      if (e.ts >= this.since) this.tally.apply(e)
      this.noteRecent(e)
    }
    for (const p of presence) {
      const open = this.tally.openSpans(p.agent)
      const loggedIn = p.loggedIn && (open?.loginAt ?? null) === null
      const pausedReason = open?.pauseAt == null ? p.pausedReason : null
      if (loggedIn || pausedReason !== null) this.tally.openAt(p.agent, Math.max(this.since, Math.min(p.since, now)), {loggedIn, pausedReason})
    }
  }

  apply(e: NewEvent): void {
    if (e.ts >= this.since + 86_400_000) {
      this.since = midnight(e.ts)
      // Agents logged in across midnight stay logged in: their open spans carry over.
      this.tally = this.tally.split(this.since)
    }
    this.tally.apply(e)
    this.noteRecent(e)
  }

  private noteRecent(e: Pick<NewEvent, 'type' | 'ts' | 'queue'>): void {
    if (e.type === 'queue.entered' && e.queue) this.lastHour.offered(e.queue, e.ts)
  }

  /**
   * `inCallMs`: how long each agent has been on its current call, which no event has
   * counted yet; it is part of today's talk (occupancy times the call from its connect,
   * as the report does, and only while logged in and not paused). `only`: that agent's figures
   * alone (an agent's desk asks every second; the whole center's are hundreds of objects).
   */
  view(now: number, inCallMs: Readonly<Record<string, number>> = {}, only?: string): LiveStatsView {
    const queues: LiveStatsView['queues'] = {}
    for (const [name, t] of this.tally.queues) {
      const sl = slOf(this.settings(name))
      queues[name] = {...t, answerRate: answerRate(t), abandonRate: abandonRate(t), serviceLevel: serviceLevel(t, sl.formula), sl, asaMs: asa(t), ahtMs: aht(t)}
    }
    const agents: LiveStatsView['agents'] = {}
    const ids = only === undefined ? new Set([...this.tally.agents.keys(), ...this.tally.agentTimes.keys(), ...this.tally.openAgents(), ...Object.keys(inCallMs)]) : this.counted(only, inCallMs) ? [only] : []
    for (const id of ids) {
      const t = this.tally.agents.get(id) ?? emptyTally()
      const times = this.tally.agentTimes.get(id)
      const open = this.tally.openSpans(id)
      const upToNow = (from: number | null | undefined) => (from == null ? 0 : Math.max(0, now - from))
      const loggedInMs = (times?.loggedInMs ?? 0) + upToNow(open?.loginAt)
      const pausedMs = (times?.pausedMs ?? 0) + upToNow(open?.pauseAt)
      const wrapUpMs = t.wrapUpMs + upToNow(open?.wrapAt)
      const inCall = Math.max(0, inCallMs[id] ?? 0)
      // The report's occupancy (agents-report.ts): work while logged in and not paused, measured.
      const {workMs} = this.tally.dutyUpTo(id, now)
      agents[id] = {
        ...t,
        wrapUpMs,
        ahtMs: aht(t),
        loggedInMs,
        pausedMs,
        missedRings: times?.missedRings ?? 0,
        talkTodayMs: t.talkMs + inCall,
        occupancy: occupancy(workMs, loggedInMs, pausedMs),
      }
    }
    return {since: this.since, queues, agents, lastHour: this.lastHour.view(now)}
  }

  /** Whether the whole view has figures for this agent (see view's ids). */
  private counted(agent: string, inCallMs: Readonly<Record<string, number>>): boolean {
    return this.tally.agents.has(agent) || this.tally.agentTimes.has(agent) || this.tally.hasOpenSpan(agent) || Object.hasOwn(inCallMs, agent)
  }
}

function midnight(ms: number): number {
  return ms - (ms % 86_400_000)
}
