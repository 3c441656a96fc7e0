import {isPostgresUrl} from '../store/database-url.js'
import {notOnPostgres, openStore} from '../store/open-store.js'
import type {PgStore} from '../store/pg/pg-store.js'
import {SqliteStore} from '../store/sqlite-store.js'
import type {Store} from '../store/store.js'
import {loadEngineConfig} from './engine-config.js'

/** The configured store (SQLite or PostgreSQL), for admin commands that only read or edit configuration. */
export function openConfiguredStore(configFile?: string): Promise<SqliteStore | PgStore> {
  return openStore(loadEngineConfig({file: configFile, requireAri: false}).database)
}

/**
 * The configured store when it is SQLite, for what only SQLite has yet (contacts,
 * knowledge base, flows, prompts, recordings, phones, blacklist, call summary, backup):
 * on PostgreSQL a UserError naming `what`, before any connection is made.
 */
export async function openConfiguredSqliteStore(configFile: string | undefined, what: string): Promise<SqliteStore> {
  const database = loadEngineConfig({file: configFile, requireAri: false}).database
  if (isPostgresUrl(database)) throw notOnPostgres(what, database)
  return new SqliteStore(database)
}

/** Runs fn with the configured store and closes it afterwards. */
export async function withStore<T>(configFile: string | undefined, fn: (store: Store) => Promise<T>): Promise<T> {
  return using(await openConfiguredStore(configFile), fn)
}

/** withStore for what only the SQLite store has yet (see openConfiguredSqliteStore). */
export async function withSqliteStore<T>(configFile: string | undefined, what: string, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  return using(await openConfiguredSqliteStore(configFile, what), fn)
}

async function using<S extends Store, T>(store: S, fn: (store: S) => Promise<T>): Promise<T> {
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}
