import type {Logger} from '../util/log.js'

export interface RefusalLogOptions {
  /** Lines a minute across all connections (a burst may use them at once). */
  linesPerMinute?: number
  now?: () => number
}

/**
 * Log lines for unauthorized requests. One line per connection (its first refusal), and
 * at most `linesPerMinute` of those across connections: an unauthenticated client, or a
 * thousand of them, must not be able to fill the log. Every refusal is still counted,
 * and the next line written says how many went unlogged.
 */
export class RefusalLog {
  /** Unauthorized requests refused since the server started. */
  total = 0
  private unlogged = 0
  /** Lines available, in 1/60000ths of a line (whole numbers: the refill is exact). */
  private budget: number
  private last: number
  private readonly perConnection = new WeakMap<object, number>()
  private readonly rate: number
  private readonly now: () => number

  constructor(
    private readonly log: Logger,
    o: RefusalLogOptions = {},
  ) {
    this.rate = o.linesPerMinute ?? 10
    this.now = o.now ?? Date.now
    this.budget = this.rate * 60_000
    this.last = this.now()
  }

  /**
   * Counts one refusal; when it gets a log line, says how many before it went unlogged
   * (the auth.failed event is written for the same ones: the log and the event log are
   * bounded alike), else null.
   */
  refused(conn: {id: number; remote: string}, method: unknown, reason?: string): {notLogged: number} | null {
    this.total++
    const n = (this.perConnection.get(conn) ?? 0) + 1
    this.perConnection.set(conn, n)
    const now = this.now()
    this.budget = Math.min(this.rate * 60_000, this.budget + Math.max(0, now - this.last) * this.rate)
    this.last = now
    if (n > 1 || this.budget < 60_000) {
      this.unlogged++
      return null
    }
    this.budget -= 60_000
    this.log.warn('API request refused: missing or wrong token (further ones on this connection are counted, not logged)', {
      conn: conn.id,
      remote: conn.remote,
      method: typeof method === 'string' ? method.slice(0, 40) : null,
      ...(reason ? {reason} : {}),
      refusedTotal: this.total,
      ...(this.unlogged ? {notLogged: this.unlogged} : {}),
    })
    const notLogged = this.unlogged
    this.unlogged = 0
    return {notLogged}
  }
}

/**
 * A budget of audit events per key (a user): each refusal is an event until a key has
 * used `perMinute` in a minute; the rest are counted, and the next event written says
 * how many it stands for. A user hammering a forbidden method must not be able to fill
 * the event log.
 */
export class EventBudget {
  private readonly keys = new Map<string, {budget: number; last: number; skipped: number}>()

  constructor(
    private readonly perMinute = 60,
    private readonly now: () => number = Date.now,
  ) {}

  /** Null when this one is not to be written; else how many were skipped before it. */
  take(key: string): {skipped: number} | null {
    const now = this.now()
    const full = this.perMinute * 60_000
    const k = this.keys.get(key) ?? {budget: full, last: now, skipped: 0}
    k.budget = Math.min(full, k.budget + Math.max(0, now - k.last) * this.perMinute)
    k.last = now
    if (this.keys.size > 10_000 && !this.keys.has(key)) this.keys.clear()
    this.keys.set(key, k)
    if (k.budget < 60_000) {
      k.skipped++
      return null
    }
    k.budget -= 60_000
    const skipped = k.skipped
    k.skipped = 0
    return {skipped}
  }
}
