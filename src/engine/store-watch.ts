import {existsSync, mkdirSync, renameSync, statSync} from 'node:fs'
import {dirname} from 'node:path'
import type {SqliteStore} from './store/sqlite-store.js'
import type {Logger} from './util/log.js'

// An SQLite file removed under a running engine does not fail a single write: the
// engine goes on writing to the unlinked file, every CLI command creates a new empty
// database at the path, and everything the engine wrote is gone when it stops. The
// watch notices (the path no longer names the file the store opened), and the store's
// content is saved back to the path from the open handle before the handle closes.

const EVERY_MS = 2_000

export type StoreLoss = 'removed' | 'replaced'

export interface StoreWatch {
  /** Resolves when the file is lost; the engine then restarts on the saved copy. */
  readonly lost: Promise<StoreLoss>
  /** Saves the open store back to its path (removed) or beside it (replaced), before the store closes. */
  saveIfLost(): Promise<string | null>
  stop(): void
}

export function watchStore(store: SqliteStore, log: Logger): StoreWatch {
  const file = store.file
  const opened = statSync(file)
  let loss: StoreLoss | null = null
  let report: (l: StoreLoss) => void = () => {}
  const lost = new Promise<StoreLoss>((r) => (report = r))
  const timer = setInterval(() => {
    if (loss) return
    let now: ReturnType<typeof statSync> | null = null
    try {
      now = statSync(file)
    } catch {
      now = null
    }
    if (now && now.ino === opened.ino && now.dev === opened.dev) return
    loss = now ? 'replaced' : 'removed'
    log.error(`THE DATABASE FILE ${file} WAS ${loss.toUpperCase()} under the running engine: saving what the engine holds and restarting on it`)
    report(loss)
  }, EVERY_MS)
  timer.unref()
  return {
    lost,
    async saveIfLost() {
      if (!loss) return null
      // A file that took its place (a CLI command run meanwhile makes an empty one) is
      // moved aside, not lost: the engine's database, with every event, goes back.
      let aside: string | null = null
      if (existsSync(file)) {
        aside = `${file}.replaced-${Date.now()}`
        renameSync(file, aside)
        for (const ext of ['-wal', '-shm']) if (existsSync(file + ext)) renameSync(file + ext, aside + ext)
      }
      // The whole directory may have gone with it (rm -rf of the callctl home).
      mkdirSync(dirname(file), {recursive: true, mode: 0o700})
      await store.backup(file)
      log.error(`saved the engine's database back to ${file}${aside ? `; the file that had taken its place is now ${aside}` : ''}`)
      return file
    },
    stop: () => clearInterval(timer),
  }
}
