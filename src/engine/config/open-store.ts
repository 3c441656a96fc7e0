import {openStore} from '../store/open-store.js'
import type {PgStore} from '../store/pg/pg-store.js'
import type {SqliteStore} from '../store/sqlite-store.js'
import type {Store} from '../store/store.js'
import {loadEngineConfig} from './engine-config.js'

/** The configured store (SQLite or PostgreSQL), for admin commands. */
export function openConfiguredStore(configFile?: string): Promise<SqliteStore | PgStore> {
  return openStore(loadEngineConfig({file: configFile, requireAri: false}).database)
}

/** Runs fn with the configured store and closes it afterwards. */
export async function withStore<T>(configFile: string | undefined, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openConfiguredStore(configFile)
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}
