import {AriHttp} from '../ari/index.js'
import {loadEngineConfig} from '../config/engine-config.js'
import {withStore} from '../config/open-store.js'
import {repositoriesOf} from '../store/repositories.js'
import {exportRecordings, purgeRecordings, type AriSource, type ExportedRecording, type PurgeResult} from './recordings.js'

// The recordings commands' work against the configured store and Asterisk, so the
// commands reach Asterisk through the engine and never build an ARI client themselves.

/** Asterisk as configured, opened only when a recording is not in its spool on this machine. */
function configuredAri(configFile: string | undefined): AriSource {
  return () => new AriHttp(loadEngineConfig({file: configFile}).ari)
}

/** Copies a recording, or every recording of a call, to `out` (a file or an existing directory). */
export function exportConfiguredRecordings(configFile: string | undefined, target: {name?: string; callId?: string}, out: string): Promise<ExportedRecording[]> {
  return withStore(configFile, (store) => exportRecordings(repositoriesOf(store).recordings, target, out, configuredAri(configFile)))
}

/** Deletes recordings that started before `now - olderThanMs`, from Asterisk and the list (or only counts them). */
export function purgeConfiguredRecordings(configFile: string | undefined, o: {olderThanMs: number; now: number; dryRun?: boolean}): Promise<PurgeResult> {
  return withStore(configFile, (store) => purgeRecordings(repositoriesOf(store).recordings, {...o, ari: configuredAri(configFile)}))
}
