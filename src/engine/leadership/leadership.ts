import type {Logger} from '../util/log.js'
import type {Claim, LeaderView, Lease} from './lease.js'

// Standing by and leading, for engines that share a PostgreSQL store (lease.ts holds the
// row). A standby asks for the lead every poll; the leader renews it every renewal and
// may act (ARI requests, store writes) only while its claim is valid on its own monotonic
// clock. That clock is the fence on the Asterisk side: a leader frozen by SIGSTOP wakes
// with its claim expired and refuses every request before its timers can send one, while
// the store refuses its writes by epoch. Local validity is 80 % of the lease, counted from
// when the renewal was sent, so it ends before the database's own expiry does.

export const DEFAULT_LEASE_MS = 3_000
const LOCAL_SHARE = 0.8

export interface StandbyOptions {
  lease: Lease
  log: Logger
  /** The API address clients reach this engine at once it leads. */
  apiUrl: string
  pollMs?: number
  abort?: AbortSignal
  /** Called when the leader seen changes (for the API's standby answer and the log). */
  onLeader?: (view: LeaderView | null) => void
}

/** Stands by until this engine takes the lead; rejects if aborted. */
export async function waitToLead(o: StandbyOptions): Promise<Claim> {
  const pollMs = o.pollMs ?? 250
  let lastSeen = ''
  let lastError = ''
  for (;;) {
    if (o.abort?.aborted) throw new Error('stopped while standing by')
    try {
      const claim = await o.lease.tryAcquire(o.apiUrl)
      if (claim) return claim
      const view = await o.lease.view()
      const seen = view ? `${view.holder} ${view.apiUrl} ${view.epoch}` : ''
      if (seen !== lastSeen) {
        lastSeen = seen
        o.log.info(`standing by: ${view?.holder ?? 'nobody'} leads${view?.apiUrl ? ` (API ${view.apiUrl})` : ''}, epoch ${view?.epoch ?? 0}`)
        o.onLeader?.(view)
      }
      lastError = ''
    } catch (err) {
      // The database away: keep standing by, say so once per kind of failure.
      const text = err instanceof Error ? err.message : String(err)
      if (text !== lastError) o.log.warn('standing by: cannot reach the database to ask for the lead', {error: text})
      lastError = text
    }
    await sleep(pollMs, o.abort)
  }
}

export interface HoldOptions {
  lease: Lease
  claim: Claim
  log: Logger
  apiUrl: string
  leaseMs?: number
  renewMs?: number
}

/** The lead as held: renewed in the background until lost or released. */
export class Leadership {
  private claim: Claim
  private lostReason: string | null = null
  private timer: NodeJS.Timeout | undefined
  private renewing = false
  private reportLost!: (reason: string) => void
  /** Resolves (with why) when this engine stops leading; never on a release. */
  readonly lost = new Promise<string>((r) => (this.reportLost = r))

  constructor(private readonly o: HoldOptions) {
    this.claim = local(o.claim, o.leaseMs ?? DEFAULT_LEASE_MS)
    const every = o.renewMs ?? Math.max(50, Math.floor((o.leaseMs ?? DEFAULT_LEASE_MS) / 6))
    this.timer = setInterval(() => void this.renew(), every)
    this.timer.unref()
  }

  get epoch(): number {
    return this.claim.fence.epoch
  }

  get fence() {
    return this.claim.fence
  }

  /**
   * Why this engine may not act now, or null when it may. Asked before every ARI request:
   * a claim past its local validity is refused even before the renewal that would tell.
   */
  refusal(): string | null {
    if (this.lostReason) return `not the leader (${this.lostReason})`
    if (performance.now() > this.claim.validUntil) {
      // Frozen, or the database slow to answer renewals: ask now, refuse meanwhile.
      void this.renew()
      return 'not the leader (lease not renewed in time)'
    }
    return null
  }

  /** Steps down at once, e.g. when the store refused a write by its fence. */
  lose(reason: string): void {
    if (this.lostReason) return
    this.lostReason = reason
    clearInterval(this.timer)
    this.o.log.warn(`no longer the leader: ${reason}`)
    this.reportLost(reason)
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.lostReason) return
    this.renewing = true
    try {
      const next = await this.o.lease.renew(this.claim, this.o.apiUrl)
      if (!next) return this.lose(`another engine took the lead (epoch ${this.claim.fence.epoch} is over)`)
      this.claim = local(next, this.o.leaseMs ?? DEFAULT_LEASE_MS)
    } catch (err) {
      // A lost lease connection is a lost lead: the standby saw its backend go and may
      // already be taking over.
      this.lose(`the lease's database connection failed (${err instanceof Error ? err.message : String(err)})`)
    } finally {
      this.renewing = false
    }
  }

  /** A clean stop: the lease ends now so a standby takes over without waiting for it to run out. */
  async release(): Promise<void> {
    clearInterval(this.timer)
    if (this.lostReason) return
    this.lostReason = 'released'
    await this.o.lease.release(this.claim).catch((err: unknown) => this.o.log.warn('could not release the lead (a standby takes over when the lease runs out)', {error: String(err)}))
  }
}

function local(claim: Claim, leaseMs: number): Claim {
  // validUntil from the lease counts the whole lease; keep a margin against clock rates.
  const sent = claim.validUntil - leaseMs
  return {fence: claim.fence, validUntil: sent + leaseMs * LOCAL_SHARE}
}

function sleep(ms: number, abort?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      abort?.removeEventListener('abort', done)
      resolve()
    }
    abort?.addEventListener('abort', done, {once: true})
  })
}
