import {join} from 'node:path'
import {readSandboxState} from '../sandbox/state.js'
import type {Paths} from '../util/paths.js'

export interface PromptLocation {
  /** Where callctl writes prompt files. */
  hostDir: string
  /** The same directory as Asterisk sees it (inside the sandbox's chroot, or the same path). */
  asteriskDir: string
  /** Where Asterisk's own sounds are, on this machine, if known (for validation). */
  soundsDir: string | null
}

/**
 * With the sandbox, prompts live in its instance directory inside the chroot. With an
 * Asterisk of your own, CALLCTL_PROMPTS_DIR must be a directory Asterisk can read at
 * the same path (or CALLCTL_PROMPTS_ASTERISK_DIR names where it sees it).
 */
export function promptLocation(paths: Paths, env: NodeJS.ProcessEnv = process.env): PromptLocation {
  if (env.CALLCTL_PROMPTS_DIR) {
    return {hostDir: env.CALLCTL_PROMPTS_DIR, asteriskDir: env.CALLCTL_PROMPTS_ASTERISK_DIR || env.CALLCTL_PROMPTS_DIR, soundsDir: env.CALLCTL_SOUNDS_DIR || null}
  }
  const s = readSandboxState(paths)
  if (s) {
    return {hostDir: join(s.root, s.instanceDir, 'prompts'), asteriskDir: `${s.instanceDir}/prompts`, soundsDir: join(s.root, 'usr/share/asterisk/sounds')}
  }
  return {hostDir: join(paths.home, 'prompts'), asteriskDir: join(paths.home, 'prompts'), soundsDir: join(paths.asteriskRoot, 'usr/share/asterisk/sounds')}
}
