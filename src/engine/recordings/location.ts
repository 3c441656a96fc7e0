import {join} from 'node:path'
import {boxesOf, readSandboxState} from '../sandbox/state.js'
import type {Paths} from '../util/paths.js'

/**
 * Where Asterisk's recordings are on this machine, or null when they are not (then
 * files are only fetched over ARI). CALLCTL_RECORDINGS_DIR names Asterisk's
 * recording spool when it runs on this machine; with the sandbox it is inside the
 * chroot, but only if the engine talks to that sandbox (the same ARI URL).
 */
export function recordingDir(paths: Paths, ariUrl: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.CALLCTL_RECORDINGS_DIR) return env.CALLCTL_RECORDINGS_DIR
  const s = readSandboxState(paths)
  // With several boxes each records into its own instance directory: the one at this URL.
  const box = s ? boxesOf(s).find((b) => sameUrl(b.ariUrl, ariUrl)) : undefined
  if (s && box) return join(s.root, box.instanceDir, 'spool', 'recording')
  return null
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '')
}
