import {AriHttp} from '../ari/index.js'
import {isNotFound} from '../ari/port.js'
import {loadEngineConfig} from '../config/engine-config.js'
import {withStore} from '../config/open-store.js'
import {repositoriesOf} from '../store/repositories.js'
import {exportRecordings, purgeRecordings, type AriSource, type ExportedRecording, type PurgeResult} from './recordings.js'

// The recordings commands' work against the configured store and Asterisk, so the
// commands reach Asterisk through the engine and never build an ARI client themselves.

/**
 * Asterisk as configured, opened only when a recording is not in its spool on this
 * machine. With several boxes a recording is on the box where its call's bridge was:
 * each is asked in turn, and the first that has it answers.
 */
function configuredAri(configFile: string | undefined): AriSource {
  return () => {
    const config = loadEngineConfig({file: configFile})
    if (config.boxes.length <= 1) return new AriHttp(config.ari)
    const boxes = config.boxes.map((b) => new AriHttp({url: b.url, user: b.user, password: b.password}))
    // Not found on every box: not found. A box that did not answer says why it may be missing.
    const first = async <T>(fn: (a: AriHttp) => Promise<T>): Promise<T> => {
      const errors: unknown[] = []
      for (const box of boxes) {
        try {
          return await fn(box)
        } catch (err) {
          errors.push(err)
        }
      }
      throw errors.find((e) => !isNotFound(e)) ?? errors[0]
    }
    return {
      downloadStoredRecording: (name: string) => first((a) => a.downloadStoredRecording(name)),
      deleteStoredRecording: (name: string) => first((a) => a.deleteStoredRecording(name)),
    }
  }
}

/** Copies a recording, or every recording of a call, to `out` (a file or an existing directory). */
export function exportConfiguredRecordings(configFile: string | undefined, target: {name?: string; callId?: string}, out: string): Promise<ExportedRecording[]> {
  return withStore(configFile, (store) => exportRecordings(repositoriesOf(store).recordings, target, out, configuredAri(configFile)))
}

/** Deletes recordings that started before `now - olderThanMs`, from Asterisk and the list (or only counts them). */
export function purgeConfiguredRecordings(configFile: string | undefined, o: {olderThanMs: number; now: number; dryRun?: boolean}): Promise<PurgeResult> {
  return withStore(configFile, (store) => purgeRecordings(repositoriesOf(store).recordings, {...o, ari: configuredAri(configFile)}))
}
