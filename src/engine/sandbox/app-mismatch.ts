import type {Paths} from '../util/paths.js'
import {readSandboxState} from './state.js'

// The sandbox's dialplan hands every call to one Stasis app (sandbox up --app, "callctl"
// by default). An engine serving another app on it (CALLCTL_ARI_APP, ari.app) gets no
// call at all, and nothing said so: the engine says it at start, simulate when none of
// its callers arrived.

/** How to bring the two together: the engine onto the sandbox's app, or the sandbox onto the engine's. */
export function appMismatchFix(sandboxApp: string, engineApp: string): string {
  return `Start the engine without CALLCTL_ARI_APP (or ari.app: ${sandboxApp}), or bring the sandbox up for "${engineApp}": stop the engine, then callctl sandbox down and callctl sandbox up --app ${engineApp}`
}

/**
 * One warning line when an engine that serves the home's sandbox (its ARI settings come
 * from the sandbox) serves another app than the one the sandbox sends calls to; else null.
 */
export function sandboxAppMismatch(config: {ariSource: string; ari: {app: string}; paths: Paths}): string | null {
  if (!config.ariSource.startsWith('sandbox')) return null
  const sandboxApp = readSandboxState(config.paths)?.app
  if (!sandboxApp || sandboxApp === config.ari.app) return null
  return `The sandbox sends calls to app "${sandboxApp}" and this engine serves "${config.ari.app}": no call from the sandbox reaches it. Try: ${appMismatchFix(sandboxApp, config.ari.app)}`
}
