import {resolve} from 'node:path'
import {callctlPaths} from '../util/paths.js'
import type {Logger} from '../util/log.js'
import {isPostgresUrl} from './database-url.js'
import {PgStore} from './pg/pg-store.js'
import {SqliteStore} from './sqlite-store.js'

export interface OpenStoreOptions {
  /** SQLite: how long a write waits for another process's (default 5 s). */
  busyTimeoutMs?: number
  /** SQLite: open without writing (no migration). */
  readonly?: boolean
  /**
   * SQLite: make the file's directory when it is missing. Default: only for the home's own
   * database (CALLCTL_HOME/callctl.db), made on first use; a file named by CALLCTL_DB or
   * the config's `database:` must be in a directory that exists, so a mistyped path is
   * said (the store refuses) instead of a new empty database, and its parents, appearing
   * wherever the typo points, created by whichever command ran first, a listing included.
   */
  createDirectory?: boolean
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
  const createDirectory = o.createDirectory ?? resolve(database) === resolve(callctlPaths().home, 'callctl.db')
  return new SqliteStore(database, {readonly: o.readonly, busyTimeoutMs: o.busyTimeoutMs, createDirectory})
}
