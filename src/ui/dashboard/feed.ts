import type {EngineSnapshot, Method, ParamsArg, ResultOf} from '../../engine/api/contract.js'
import {errorMessage, isUserError} from '../../engine/util/errors.js'

// Keeps the dashboard's copy of the engine's state: a snapshot every second, sooner
// when the engine reports events, and reconnection on its own when the engine goes
// away. Knows nothing of React or the terminal, so it is tested with a fake engine.
// A token the engine refuses is not a lost engine: retrying it every few seconds would
// only fill the engine's log (one warning per connection), so the feed stops there.

/** What the feed needs of a connection (EngineClient has it). */
export interface FeedConnection {
  request<M extends Method>(method: M, ...args: ParamsArg<M>): Promise<ResultOf<M>>
  onEvent(fn: (event: unknown) => void): () => void
  onClose(fn: () => void): void
  close(): void
}

export interface FeedState {
  /** refused: the engine refused the token (unknown, revoked); the feed has stopped. */
  status: 'connecting' | 'live' | 'unreachable' | 'refused'
  /** The last snapshot received; kept (and shown as stale) while the engine is unreachable. */
  snapshot: EngineSnapshot | null
  /** Why the engine is unreachable, or the engine's words refusing the token. */
  error: string | null
  /** When the next connection attempt is due (ms since the epoch). */
  retryAt: number | null
  /** When the last snapshot arrived, by the dashboard's clock. */
  receivedAt: number | null
  /** Tickets past due and not solved or closed (asked every ticketsPollMs); absent until known. */
  overdueTickets?: number | null
}

export interface FeedOptions {
  pollMs?: number
  /** Soonest a snapshot follows an event, so a burst of events costs one snapshot. */
  eventGapMs?: number
  /**
   * Events bring snapshots forward only while that costs little: the gap after a
   * snapshot is at least this many times what it took (request, parse and render).
   * A big call center's snapshots are slow, so its dashboard stays near 1 Hz.
   */
  costFactor?: number
  /** Waits between connection attempts; the last repeats. */
  retryMs?: readonly number[]
  /** How often the overdue tickets are counted (a query of the store, not of the engine's memory). */
  ticketsPollMs?: number
  now?: () => number
  /** Only these events (an agent's desk reads a few); default every event. */
  eventTypes?: string[]
}

export class EngineFeed {
  private current: FeedState = {status: 'connecting', snapshot: null, error: null, retryAt: null, receivedAt: null}
  private readonly listeners = new Set<() => void>()
  private conn: FeedConnection | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private inFlight = false
  private lastAsked = 0
  private lastCostMs = 0
  private attempts = 0
  private ticketsAsked = -Infinity
  private stopped = false
  private readonly pollMs: number
  private readonly eventGapMs: number
  private readonly costFactor: number
  private readonly retryMs: readonly number[]
  private readonly now: () => number
  private readonly eventTypes: string[] | undefined

  constructor(
    private readonly connect: () => Promise<FeedConnection>,
    private readonly o: FeedOptions = {},
  ) {
    this.pollMs = o.pollMs ?? 1000
    this.eventGapMs = o.eventGapMs ?? 250
    this.costFactor = o.costFactor ?? 20
    this.retryMs = o.retryMs ?? [500, 1000, 2000, 5000]
    this.now = o.now ?? Date.now
    this.eventTypes = o.eventTypes
  }

  get state(): FeedState {
    return this.current
  }

  /** useSyncExternalStore's subscribe. */
  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  getState = (): FeedState => this.current

  start(): void {
    void this.open()
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.conn?.close()
    this.conn = null
  }

  /** A request on the live connection (pause, supervise...). */
  async request<M extends Method>(method: M, ...args: ParamsArg<M>): Promise<ResultOf<M>> {
    if (!this.conn) throw new Error(this.current.error ? `The engine is unreachable: ${this.current.error}` : 'Not connected to the engine yet')
    return this.conn.request(method, ...args)
  }

  /** Asks for a snapshot now (after an action, so its effect shows at once). */
  refresh(delayMs = 0): void {
    if (this.conn) this.schedule(delayMs)
  }

  private async open(): Promise<void> {
    if (this.stopped) return
    let conn: FeedConnection
    try {
      conn = await this.connect()
    } catch (err) {
      return this.lost(errorMessage(err))
    }
    if (this.stopped) return conn.close()
    this.conn = conn
    conn.onClose(() => {
      if (this.conn === conn) this.lost('the engine closed the connection')
    })
    conn.onEvent(() => {
      if (this.inFlight) return
      const gap = Math.min(this.pollMs, Math.max(this.eventGapMs, this.lastCostMs * this.costFactor))
      const due = Math.max(0, this.lastAsked + gap - this.now())
      // Never later than the poll already due.
      if (due < this.pollMs - (this.now() - this.lastAsked)) this.schedule(due)
    })
    // Older engines without events.subscribe still get polled.
    conn.request('events.subscribe', this.eventTypes ? {types: this.eventTypes} : {}).catch(() => undefined)
    await this.poll()
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      void this.poll()
    }, delayMs)
  }

  private async poll(): Promise<void> {
    const conn = this.conn
    if (!conn || this.inFlight || this.stopped) return
    this.inFlight = true
    this.lastAsked = this.now()
    try {
      const snapshot = await conn.request('snapshot')
      if (conn !== this.conn || this.stopped) return
      this.attempts = 0
      // Listeners render synchronously, so this measures the whole update.
      this.set({status: 'live', snapshot, error: null, retryAt: null, receivedAt: this.now(), overdueTickets: this.current.overdueTickets})
      this.lastCostMs = this.now() - this.lastAsked
      this.schedule(this.pollMs)
      this.countOverdue(conn)
    } catch (err) {
      if (conn !== this.conn) return
      if (isUserError(err) && err.code === 'unauthorized') this.refuse(errorMessage(err))
      else this.lost(errorMessage(err))
    } finally {
      this.inFlight = false
    }
  }

  /** The overdue tickets' count, now and then, beside the snapshots (an engine without tickets leaves it unknown). */
  private countOverdue(conn: FeedConnection): void {
    if (this.now() - this.ticketsAsked < (this.o.ticketsPollMs ?? 30_000)) return
    this.ticketsAsked = this.now()
    conn
      .request('ticket.list', {overdue: true, limit: 1})
      .then((r) => {
        if (conn === this.conn && !this.stopped && r.total !== this.current.overdueTickets) this.set({...this.current, overdueTickets: r.total})
      })
      .catch(() => undefined)
  }

  private refuse(error: string): void {
    this.stop()
    this.set({...this.current, status: 'refused', error, retryAt: null})
  }

  private lost(error: string): void {
    if (this.stopped) return
    const conn = this.conn
    this.conn = null
    conn?.close()
    const wait = this.retryMs[Math.min(this.attempts, this.retryMs.length - 1)] ?? 1000
    this.attempts++
    this.set({...this.current, status: 'unreachable', error, retryAt: this.now() + wait})
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      void this.open()
    }, wait)
  }

  private set(s: FeedState): void {
    this.current = s
    for (const l of this.listeners) l()
  }
}
