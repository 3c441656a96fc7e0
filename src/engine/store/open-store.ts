import {UserError} from '../util/errors.js'
import type {Logger} from '../util/log.js'
import {isPostgresUrl, maskDatabase} from './database-url.js'
import {PgStore} from './pg/pg-store.js'
import {SqliteStore} from './sqlite-store.js'
import type {Store} from './store.js'

export interface OpenStoreOptions {
  /** SQLite: how long a write waits for another process's (default 5 s). */
  busyTimeoutMs?: number
  /** SQLite: open without writing (no migration). */
  readonly?: boolean
  /** PostgreSQL: connections at most. */
  poolSize?: number
  /** PostgreSQL: where a lost connection is reported. */
  log?: Logger
  /** PostgreSQL: the pool's name in pg_stat_activity (an engine names itself, so an operator can tell engines apart). */
  applicationName?: string
}

/**
 * The configured store: `database` is a SQLite file (or :memory:), or a postgres:// /
 * postgresql:// URL. Either is migrated to the newest schema before it is returned.
 */
export async function openStore(database: string, o: OpenStoreOptions = {}): Promise<SqliteStore | PgStore> {
  if (isPostgresUrl(database)) return PgStore.open(database, {poolSize: o.poolSize, log: o.log, applicationName: o.applicationName})
  return new SqliteStore(database, {readonly: o.readonly, busyTimeoutMs: o.busyTimeoutMs})
}

/**
 * The store as SQLite, for what exists only there yet (repositories, reports, backup): on
 * PostgreSQL a UserError naming `what`, never a crash on a missing `.db`.
 */
export function sqliteOnly(store: Store, what: string): SqliteStore {
  if (store instanceof SqliteStore) return store
  throw notOnPostgres(what, store instanceof PgStore ? store.url : undefined)
}

/** "Not yet available on PostgreSQL: <what>", with the masked URL and what to do instead. */
export function notOnPostgres(what: string, database?: string): UserError {
  return new UserError(`Not yet available on PostgreSQL: ${what}${database ? ` (database ${maskDatabase(database)})` : ''}`, {
    suggestion: 'Use a SQLite database (a file path in database: or CALLCTL_DB) for this until it is ported to PostgreSQL.',
    exitCode: 2,
    code: 'not_on_postgres',
  })
}
