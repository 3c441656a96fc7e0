import type {ConnectionState} from './ari/port.js'
import type {Logger} from './util/log.js'

/** The engine's link to Asterisk as clients see it (snapshot, `engine status`, the dashboard's banner). */
export interface AsteriskLinkView {
  state: 'connecting' | 'connected' | 'unreachable' | 'closed'
  /** Epoch ms the link entered this state (for "down for 3 min"). */
  since: number
  /** Connection attempts in the current outage (0 while connected). */
  attempts: number
  /** Why the last attempt failed, while not connected. */
  error?: string
  url: string
}

/** How often a long outage is logged again: once when it starts, then every minute. */
const REPEAT_MS = 60_000

/**
 * Follows the ARI port's connection states and keeps one view of the link. An outage
 * is logged once when it starts and then once a minute with the attempts so far (a
 * reconnect a second would otherwise write 3,600 lines an hour), and its end with how
 * long it lasted; `onOutage` and `onBack` let the engine record events.
 */
export class AsteriskLink {
  private view: AsteriskLinkView
  private lastLogAt = 0
  private outageStartedAt: number | null = null

  constructor(
    private readonly o: {url: string; log: Logger; now?: () => number; onOutage?: (error: string) => void; onBack?: (downMs: number) => void},
  ) {
    this.view = {state: 'connecting', since: this.now(), attempts: 0, url: o.url}
  }

  private now(): number {
    return this.o.now?.() ?? Date.now()
  }

  get current(): AsteriskLinkView {
    return {...this.view}
  }

  update(s: ConnectionState): void {
    const now = this.now()
    switch (s.state) {
      case 'connecting':
        // Attempts count across the outage; the state stays "unreachable" between tries.
        this.view = {...this.view, attempts: s.attempt, ...(this.view.state === 'closed' ? {state: 'connecting', since: now} : {})}
        return
      case 'unreachable': {
        const first = this.outageStartedAt === null
        if (first) this.outageStartedAt = now
        if (this.view.state !== 'unreachable') this.view = {state: 'unreachable', since: this.outageStartedAt ?? now, attempts: s.attempt, error: s.error, url: this.o.url}
        else this.view = {...this.view, attempts: s.attempt, error: s.error}
        if (first || now - this.lastLogAt >= REPEAT_MS) {
          this.lastLogAt = now
          const down = Math.round((now - this.outageStartedAt!) / 1000)
          this.o.log.warn(
            first ? `Asterisk at ${this.o.url} is unreachable (${s.error}); retrying every second or so` : `Asterisk at ${this.o.url} still unreachable after ${down} s (${s.error})`,
            {attempt: s.attempt},
          )
        }
        if (first) this.o.onOutage?.(s.error)
        return
      }
      case 'connected': {
        const downMs = this.outageStartedAt === null ? null : now - this.outageStartedAt
        this.o.log.info(downMs === null ? `connected to Asterisk at ${this.o.url}` : `Asterisk at ${this.o.url} is back after ${(downMs / 1000).toFixed(1)} s (${this.view.attempts} attempts)`)
        this.view = {state: 'connected', since: now, attempts: 0, url: this.o.url}
        this.outageStartedAt = null
        this.lastLogAt = 0
        if (downMs !== null) this.o.onBack?.(downMs)
        return
      }
      case 'failed':
        this.o.log.error(`lost Asterisk for good: ${s.error}`)
        this.view = {state: 'unreachable', since: now, attempts: this.view.attempts, error: s.error, url: this.o.url}
        return
      case 'closed':
        this.view = {state: 'closed', since: now, attempts: 0, url: this.o.url}
        return
    }
  }
}
