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

  refused(conn: {id: number; remote: string}, method: unknown): void {
    this.total++
    const n = (this.perConnection.get(conn) ?? 0) + 1
    this.perConnection.set(conn, n)
    const now = this.now()
    this.budget = Math.min(this.rate * 60_000, this.budget + Math.max(0, now - this.last) * this.rate)
    this.last = now
    if (n > 1 || this.budget < 60_000) {
      this.unlogged++
      return
    }
    this.budget -= 60_000
    this.log.warn('API request refused: missing or wrong token (further ones on this connection are counted, not logged)', {
      conn: conn.id,
      remote: conn.remote,
      method: typeof method === 'string' ? method.slice(0, 40) : null,
      refusedTotal: this.total,
      ...(this.unlogged ? {notLogged: this.unlogged} : {}),
    })
    this.unlogged = 0
  }
}
