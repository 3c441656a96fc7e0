import pg from 'pg'
import {parse} from 'pg-connection-string'
import {UserError} from '../../util/errors.js'
import type {Logger} from '../../util/log.js'
import {maskDatabase, pgTarget} from '../database-url.js'

export interface PgPoolOptions {
  /** Connections at most (node-postgres' default is 10). */
  poolSize?: number
  /** Shown in pg_stat_activity, so an operator can tell callctl's sessions apart. */
  applicationName?: string
  log?: Logger
}

/** A connection attempt that hangs (a firewall dropping packets) fails after this long instead. */
const CONNECT_TIMEOUT_MS = 10_000

/**
 * A pool for the URL. BIGINT (ids, epoch ms) comes back as a number, not node-postgres'
 * string: every value callctl keeps is far below 2^53. The override is the pool's own,
 * so other users of `pg` in the process keep the default.
 */
export function createPgPool(url: string, o: PgPoolOptions = {}): pg.Pool {
  try {
    // node-postgres' own reading: a Unix socket (postgres://USER@/DATABASE?host=/var/run/postgresql) too, which WHATWG URL refuses.
    parse(url)
  } catch {
    throw new UserError(`Invalid PostgreSQL URL ${maskDatabase(url)}`, {
      suggestion: 'Write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE (percent-encode special characters in the password), or for a Unix socket postgres://USER@/DATABASE?host=/var/run/postgresql.',
      exitCode: 2,
      code: 'database_url',
    })
  }
  const types = new pg.TypeOverrides()
  types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v))
  const pool = new pg.Pool({
    connectionString: url,
    max: o.poolSize ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: o.applicationName ?? 'callctl',
    types,
  })
  // An idle connection that dies (server restart, pg_terminate_backend) is dropped by the
  // pool and replaced on the next query; unhandled, its error would end the process.
  pool.on('error', (err) => o.log?.warn('a PostgreSQL connection was lost', {database: pgTarget(url), error: describeError(err)}))
  // The pool listens only on idle connections. One checked out (a write, a report's query)
  // that dies emits 'error' too, and with no listener that was an uncaught exception: the
  // engine ended when PostgreSQL stopped under a write. Its query fails anyway (the engine
  // holds the events and retries); this listener is only there so the process lives on.
  pool.on('connect', (client) => {
    client.on('error', (err) => o.log?.warn('a PostgreSQL connection in use was lost', {database: pgTarget(url), error: describeError(err)}))
  })
  return pool
}

// SQLSTATE classes that are the operator's to fix: 08 connection, 28 authorization,
// 3D no such database, 42501 no privilege, 53 resources (too many connections), 57 shutdown.
const USER_SQLSTATE = /^(08|28|3D|53|57)|^42501$/

/** Network errors of a connection attempt. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE'])

/**
 * An error while opening the store, as the user should see it: one line naming
 * host:port/database (never the password) and PostgreSQL's own reason, exit 2, when it is
 * theirs to fix (unreachable, refused, no such database, no privilege); anything else as is.
 */
export function pgOpenError(err: unknown, url: string): unknown {
  const code = (err as {code?: unknown}).code
  const message = describeError(err)
  const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null
  const network = sqlstate === null && ((typeof code === 'string' && NETWORK_CODES.has(code)) || /timeout|terminated|connect/i.test(message))
  // node-postgres' own refusals before the server answers (no password given for SCRAM).
  const auth = sqlstate === null && /SASL|password/i.test(message)
  if (network || auth || (sqlstate !== null && USER_SQLSTATE.test(sqlstate))) {
    return new UserError(`Cannot ${network ? 'reach' : 'use'} PostgreSQL at ${pgTarget(url)}: ${message}`, {
      suggestion: 'Check that PostgreSQL runs and accepts this user, and the URL in database: (or CALLCTL_DB).',
      exitCode: 2,
      code: 'database_unreachable',
    })
  }
  return err
}

/** An error's text; Node's AggregateError of a refused dual-stack connect has an empty message. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  if (err.message) return err.message
  const inner = (err as Error & {errors?: unknown[]}).errors
  if (Array.isArray(inner) && inner.length) return inner.map((e) => describeError(e)).join('; ')
  return String((err as {code?: unknown}).code ?? err.name)
}
