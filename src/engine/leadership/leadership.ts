import {errorMessage} from '../util/errors.js'
import type {Logger} from '../util/log.js'
import type {Claim, LeaderView, Lease} from './lease.js'

// Standing by and leading, for engines that share a PostgreSQL store (lease.ts holds the
// row). A standby asks for the lead every poll; the leader renews it every sixth of the
// lease and may act (ARI requests, store writes) only while its claim is valid on its own
// monotonic clock. That clock is the fence on the Asterisk side: a leader frozen by
// SIGSTOP wakes with its claim expired and refuses every request until a renewal answers,
// which tells it another engine leads; the store refuses its writes by epoch meanwhile.
// Local validity is 80 % of the lease, counted from when the renewal was sent, so it ends
// before the database's own expiry does.
//
// The database away is not another engine leading. A leader whose renewals fail for want
// of a connection leads on (its events wait in memory, as on SQLite with the file
// locked): with the database down for everyone nobody can take over, and calls should not
// stop with it. If only this engine lost the database (a partition) and a standby takes
// over, the standby registers the Stasis app and Asterisk tells this engine so at once
// (ApplicationReplaced): it stops then. Once the database answers again, a renewal either
// extends the claim (nobody took over) or tells it to stand by.

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
  /** Called when the database stops answering this standby's polls (why) and when it answers again (null). */
  onDatabase?: (error: string | null) => void
}

/**
 * Stands by until this engine takes the lead; rejects if aborted. It takes over when the
 * leader released the lead (a clean stop), when it saw no renewal for a whole lease while
 * itself connected (a frozen or cut-off leader), or when the leader's lease session is gone
 * while the server ran on and this standby had been watching for a lease (a dead leader).
 * Never on the lease's expiry alone: see lease.ts.
 */
export async function waitToLead(o: StandbyOptions & {leaseMs?: number}): Promise<Claim> {
  const pollMs = o.pollMs ?? 250
  const leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS
  let lastSeen = ''
  let lastError = ''
  /** Since when this standby's polls have all succeeded (null: the last one failed). */
  let connectedSince: number | null = null
  /** The renewal last seen and when it was first seen (this standby's clock). */
  let renewal: {epoch: number; renewed: string | null; since: number} | null = null
  for (;;) {
    if (o.abort?.aborted) throw new Error('stopped while standing by')
    try {
      const view = await o.lease.view()
      const now = performance.now()
      connectedSince ??= now
      if (!view) {
        const first = await o.lease.tryFirst(o.apiUrl)
        if (first) return first
      } else {
        if (!renewal || renewal.epoch !== view.epoch || renewal.renewed !== view.renewed) renewal = {epoch: view.epoch, renewed: view.renewed, since: now}
        const watched = now - connectedSince >= leaseMs
        const released = view.renewed === null
        const silent = now - renewal.since >= leaseMs
        const dead = view.backendGone && !view.restartedSince && watched
        if (released || silent || dead) {
          const claim = await o.lease.takeOver(view, o.apiUrl)
          if (claim) {
            o.log.info(`taking the lead from ${view.holder ?? 'nobody'} (epoch ${view.epoch}): ${released ? 'it released it' : dead ? 'its lease session is gone' : `no renewal for ${Math.round(now - renewal.since)} ms`}`)
            return claim
          }
        }
        const seen = `${view.holder} ${view.apiUrl} ${view.epoch}`
        if (seen !== lastSeen) {
          lastSeen = seen
          o.log.info(`standing by: ${view.holder ?? 'nobody'} leads${view.apiUrl ? ` (API ${view.apiUrl})` : ''}, epoch ${view.epoch}`)
          o.onLeader?.(view)
        }
      }
      if (lastError) o.onDatabase?.(null)
      lastError = ''
    } catch (err) {
      // The database away: keep standing by, say so once per kind of failure; what was
      // watched before it went counts for nothing after.
      connectedSince = null
      renewal = null
      const text = errorMessage(err)
      if (text !== lastError) {
        o.log.warn('standing by: cannot reach the database to ask for the lead', {error: text})
        o.onDatabase?.(text)
      }
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
  /** performance.now() when renewals started failing for want of the database; null while it answers. */
  private unreachableSince: number | null = null
  /** The same outage for engine status: since when (epoch ms) and why. */
  private outage: {since: number; error: string} | null = null
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

  /** Since when (epoch ms) and why the database does not answer this leader's renewals; null while it does. */
  get databaseDown(): {since: number; error: string} | null {
    return this.outage
  }

  /**
   * Why this engine may not act now, or null when it may. Asked before every ARI request:
   * a claim past its local validity is refused even before the renewal that would tell.
   */
  refusal(): string | null {
    if (this.lostReason) return `not the leader (${this.lostReason})`
    if (performance.now() > this.claim.validUntil && this.unreachableSince === null) {
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
      if (this.unreachableSince !== null) this.o.log.info(`the database answers again after ${Math.round((performance.now() - this.unreachableSince) / 1000)} s: still the leader (epoch ${this.claim.fence.epoch})`)
      this.unreachableSince = null
      this.outage = null
    } catch (err) {
      // Unreachable is not overtaken (see the top): lead on until a renewal or Asterisk says otherwise.
      if (this.unreachableSince === null) {
        this.unreachableSince = performance.now()
        const error = errorMessage(err)
        this.outage = {since: Date.now(), error}
        this.o.log.warn('cannot renew the lead: the database does not answer; leading on until it does, or until Asterisk says another engine took the app', {error})
      }
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
