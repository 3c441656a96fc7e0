import {CONFIGURE, storeUser, type StoreUse} from '../api/store-access.js'
import {openStore} from '../store/open-store.js'
import type {PgStore} from '../store/pg/pg-store.js'
import type {SqliteStore} from '../store/sqlite-store.js'
import type {Store} from '../store/store.js'
import type {Principal} from '../users/roles.js'
import {loadEngineConfig} from './engine-config.js'

/**
 * The configured store (SQLite or PostgreSQL), for admin commands, with the user they act
 * as: with CALLCTL_TOKEN that token's user, checked for `use` (api/store-access.ts);
 * without, the local admin. Every command that opens the store comes through here.
 */
export async function openConfiguredStore(configFile?: string, use: StoreUse = CONFIGURE): Promise<SqliteStore | PgStore> {
  return (await openAs(configFile, use)).store
}

/** Runs fn with the configured store and the user the command acts as (the `by` of what it writes), and closes the store afterwards. */
export async function withStore<T>(configFile: string | undefined, fn: (store: Store, who: Principal) => Promise<T>, use: StoreUse = CONFIGURE): Promise<T> {
  const {store, who} = await openAs(configFile, use)
  try {
    return await fn(store, who)
  } finally {
    await store.close()
  }
}

async function openAs(configFile: string | undefined, use: StoreUse): Promise<{store: SqliteStore | PgStore; who: Principal}> {
  const config = loadEngineConfig({file: configFile, requireAri: false})
  const store = await openStore(config.database)
  try {
    return {store, who: await storeUser(store, config.paths, use)}
  } catch (err) {
    await store.close()
    throw err
  }
}
