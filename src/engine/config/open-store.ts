import {SqliteStore} from '../store/sqlite-store.js'
import {loadEngineConfig} from './engine-config.js'

/** The configured store, for admin commands that only read or edit configuration. */
export function openConfiguredStore(configFile?: string): SqliteStore {
  return new SqliteStore(loadEngineConfig({file: configFile, requireAri: false}).database)
}

/** Runs fn with the configured store and closes it afterwards. */
export async function withStore<T>(configFile: string | undefined, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = openConfiguredStore(configFile)
  try {
    return await fn(store)
  } finally {
    await store.close()
  }
}
