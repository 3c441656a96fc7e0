import {isPgDatabase} from '../store/pg/repo-access.js'
import {SqliteStore} from '../store/sqlite-store.js'
import type {Store} from '../store/store.js'

// How far the ticket webhook has told the log, kept in the projections table beside the
// call summary's checkpoint: an engine that restarts, or a standby that takes over, goes
// on from there, so a change made while no engine ran (a CLI edit) or told by an engine
// that died before the receiver answered is told (again): at least once.

export interface Checkpoint {
  /** The last event id told, or null when the webhook never ran on this store. */
  load(): Promise<number | null>
  save(id: number): Promise<void>
}

const NAME = 'ticket-webhook'

export function storeCheckpoint(store: Store): Checkpoint | null {
  if (store instanceof SqliteStore) {
    return {
      load: async () => (store.db.prepare('SELECT checkpoint FROM projections WHERE name = ?').get(NAME) as {checkpoint: number} | undefined)?.checkpoint ?? null,
      save: async (id) =>
        void store.db
          .prepare('INSERT INTO projections (name, checkpoint, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET checkpoint = MAX(checkpoint, excluded.checkpoint), updated_at = excluded.updated_at')
          .run(NAME, id, Date.now()),
    }
  }
  if (isPgDatabase(store)) {
    return {
      load: async () => {
        const {rows} = await store.pool.query<{checkpoint: number | string}>('SELECT checkpoint FROM projections WHERE name = $1', [NAME])
        return rows[0] ? Number(rows[0].checkpoint) : null
      },
      // Through the fenced write: an engine that no longer leads does not move it.
      save: (id) =>
        store.write(async ({client}) => {
          await client.query(
            `INSERT INTO projections (name, checkpoint, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET checkpoint = GREATEST(projections.checkpoint, excluded.checkpoint), updated_at = excluded.updated_at`,
            [NAME, id, Date.now()],
          )
        }),
    }
  }
  return null
}
