import type {Logger} from '../util/log.js'
import {isPostgresUrl} from './database-url.js'
import {PgStore} from './pg/pg-store.js'
import {SqliteStore} from './sqlite-store.js'

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
