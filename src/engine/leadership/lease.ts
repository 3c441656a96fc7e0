import pg from 'pg'
import type {Fence} from '../store/fencing.js'

// Who leads, held in PostgreSQL: one row of the leadership table per Stasis app, with an
// epoch raised at every takeover (the fence every write of the leader carries, checked by
// the store), the holder, its API address (clients find the leader there), and a lease
// that the leader renews.
//
// Why a lease row and not a session advisory lock: a lock lasts as long as its connection,
// and the connection of a leader frozen by SIGSTOP (or stuck in a long GC, or on the far
// side of a partition that keeps its TCP session half-open) stays open: the standby would
// wait forever. Why not the lease's expiry alone: a database that was away (restarted, cut
// off) lets every lease expire meanwhile, though the leader is alive and about to renew;
// a standby taking over then would re-adopt calls from a log missing the leader's last
// events, which the leader could then never write. So a standby decides on what it saw
// itself (leadership.ts): no renewal for a whole lease while it was connected, or the
// holder's lease session gone from pg_stat_activity while the server kept running (a dead
// process, not a restart). It then takes over by compare-and-set on the epoch and the
// renewal it saw, so a renewal that lands meanwhile wins. Backends are matched by pid *and*
// application name, so a recycled pid is no false sign of life.

export interface LeaseOptions {
  url: string
  /** The leadership row's key: the Stasis app, so engines of different apps do not contend. */
  key: string
  /** This engine, e.g. host:pid; also its connection's application_name. */
  holder: string
  /** How long a lease lasts without renewal. */
  leaseMs: number
}

export interface LeaderView {
  key: string
  epoch: number
  holder: string | null
  apiUrl: string | null
  /** The lease is held and not expired. */
  live: boolean
  expiresInMs: number | null
  /** The last renewal, as the database wrote it (compared, never parsed); null: released. */
  renewed: string | null
  /** The holder's lease session is not in pg_stat_activity... */
  backendGone: boolean
  /** ...and the server started after the last renewal (so that says nothing of the holder). */
  restartedSince: boolean
}

/** The leader's claim as held: its fence, and until when (this process's monotonic clock) it may act on it. */
export interface Claim {
  fence: Fence
  /** performance.now() after which this engine must assume it no longer leads. */
  validUntil: number
}

/** The lease's connection name in pg_stat_activity (PostgreSQL keeps 63 bytes; holders are ASCII). */
export function leaseApplicationName(holder: string): string {
  return `callctl-lease:${holder}`.slice(0, 63)
}

/** This engine's name as a holder: host and pid, ASCII only (it is matched in SQL). */
export function holderName(host: string, pid: number): string {
  return `${host.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40)}:${pid}`
}

const INSERT_FIRST = `
  INSERT INTO leadership (key, epoch, holder, api_url, backend_pid, renewed_at, expires_at)
  VALUES ($1, 1, $2, $3, pg_backend_pid(), now(), now() + make_interval(secs => $4::float8 / 1000))
  ON CONFLICT (key) DO NOTHING
  RETURNING epoch`

const TAKE_OVER = `
  UPDATE leadership SET epoch = epoch + 1, holder = $2, api_url = $3, backend_pid = pg_backend_pid(),
    renewed_at = now(), expires_at = now() + make_interval(secs => $4::float8 / 1000)
  WHERE key = $1 AND epoch = $5 AND renewed_at::text IS NOT DISTINCT FROM $6::text
  RETURNING epoch`

// The epoch alone says whether this engine still leads. A lease connection that was lost
// and made again (a database restart) renews from its new backend, which the row then names.
const RENEW = `
  UPDATE leadership SET renewed_at = now(), expires_at = now() + make_interval(secs => $3::float8 / 1000), api_url = COALESCE($4, api_url), backend_pid = pg_backend_pid()
  WHERE key = $1 AND epoch = $2
  RETURNING epoch`

const VIEW = `
  SELECT l.epoch, l.holder, l.api_url, l.renewed_at::text AS renewed,
         (l.renewed_at IS NOT NULL AND l.expires_at > now()) AS live,
         NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.backend_pid AND a.application_name = left('callctl-lease:' || l.holder, 63)) AS backend_gone,
         COALESCE(pg_postmaster_start_time() > l.renewed_at, true) AS restarted_since,
         EXTRACT(EPOCH FROM (l.expires_at - now())) * 1000 AS expires_in_ms
  FROM leadership l WHERE l.key = $1`

/**
 * One engine's side of the leadership: a connection of its own (so a busy store pool
 * never delays a renewal), attempts to take the lead, renewals, and a release on a clean
 * stop so a standby takes over at once.
 */
export class Lease {
  private client: pg.Client | null = null

  constructor(private readonly o: LeaseOptions) {}

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client
    const c = new pg.Client({connectionString: this.o.url, application_name: leaseApplicationName(this.o.holder), connectionTimeoutMillis: 5_000, keepAlive: true})
    // A connection killed under us (pg_terminate_backend, a restart) fails its next query;
    // unhandled, its error event would end the process.
    c.on('error', () => {
      if (this.client === c) this.client = null
    })
    c.on('end', () => {
      if (this.client === c) this.client = null
    })
    await c.connect()
    this.client = c
    return c
  }

  /** Takes the lead if nobody ever held it (no row yet): the claim, or null. */
  async tryFirst(apiUrl: string | null): Promise<Claim | null> {
    const c = await this.connection()
    const sent = performance.now()
    const r = await c.query<{epoch: number | string}>(INSERT_FIRST, [this.o.key, this.o.holder, apiUrl, this.o.leaseMs])
    return r.rows.length === 0 ? null : {fence: {key: this.o.key, epoch: Number(r.rows[0]!.epoch)}, validUntil: sent + this.o.leaseMs}
  }

  /** Takes over from the leader seen in `seen`, unless it renewed (or another took over) meanwhile. */
  async takeOver(seen: LeaderView, apiUrl: string | null): Promise<Claim | null> {
    const c = await this.connection()
    const sent = performance.now()
    const r = await c.query<{epoch: number | string}>(TAKE_OVER, [this.o.key, this.o.holder, apiUrl, this.o.leaseMs, seen.epoch, seen.renewed])
    return r.rows.length === 0 ? null : {fence: {key: this.o.key, epoch: Number(r.rows[0]!.epoch)}, validUntil: sent + this.o.leaseMs}
  }

  /**
   * Extends the claim; null when it is lost (another engine took over). Validity counts
   * from when the renewal was sent, not answered: a slow answer shortens it, never lengthens it.
   */
  async renew(claim: Claim, apiUrl: string | null = null): Promise<Claim | null> {
    const c = await this.connection()
    const sent = performance.now()
    const r = await c.query(RENEW, [claim.fence.key, claim.fence.epoch, this.o.leaseMs, apiUrl])
    if (r.rows.length === 0) return null
    return {fence: claim.fence, validUntil: sent + this.o.leaseMs}
  }

  /** A clean stop: the lease ends now, so a standby need not wait for it to run out. */
  async release(claim: Claim): Promise<void> {
    const c = await this.connection()
    await c.query('UPDATE leadership SET renewed_at = NULL, expires_at = now() WHERE key = $1 AND epoch = $2', [claim.fence.key, claim.fence.epoch])
  }

  async view(): Promise<LeaderView | null> {
    const c = await this.connection()
    const r = await c.query<{epoch: number | string; holder: string | null; api_url: string | null; renewed: string | null; live: boolean | null; backend_gone: boolean | null; restarted_since: boolean | null; expires_in_ms: number | string | null}>(VIEW, [this.o.key])
    const row = r.rows[0]
    if (!row) return null
    return {
      key: this.o.key,
      epoch: Number(row.epoch),
      holder: row.holder,
      apiUrl: row.api_url,
      live: row.live === true,
      expiresInMs: row.expires_in_ms === null ? null : Number(row.expires_in_ms),
      renewed: row.renewed,
      backendGone: row.backend_gone === true,
      restartedSince: row.restarted_since === true,
    }
  }

  async close(): Promise<void> {
    const c = this.client
    this.client = null
    await c?.end().catch(() => undefined)
  }
}

/** The leader as a client sees it, with a short-lived connection (CLI, dashboard). */
export async function findLeader(url: string, key: string): Promise<LeaderView | null> {
  const lease = new Lease({url, key, holder: `client:${process.pid}`, leaseMs: 0})
  try {
    return await lease.view()
  } finally {
    await lease.close()
  }
}
