import {homedir} from 'node:os'
import {join} from 'node:path'

/**
 * Where callctl keeps its state. One directory (CALLCTL_HOME, default ~/.callctl) holds
 * the config, the secrets (0600), the database and the sandbox's run state, so a test
 * can point at a temporary one. The Asterisk root is large and slow to build, so it
 * lives in a shared cache (CALLCTL_CACHE, default ~/.cache/callctl).
 */
export interface Paths {
  home: string
  configFile: string
  secretsDir: string
  ariPasswordFile: string
  apiTokenFile: string
  database: string
  sandboxDir: string
  cacheDir: string
  asteriskRoot: string
}

export function callctlPaths(env: NodeJS.ProcessEnv = process.env): Paths {
  const home = env.CALLCTL_HOME || join(homedir(), '.callctl')
  const cacheDir = env.CALLCTL_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'callctl')
  const secretsDir = join(home, 'secrets')
  return {
    home,
    configFile: env.CALLCTL_CONFIG || join(home, 'config.yaml'),
    secretsDir,
    ariPasswordFile: join(secretsDir, 'ari-password'),
    apiTokenFile: join(secretsDir, 'api-token'),
    database: env.CALLCTL_DB || join(home, 'callctl.db'),
    sandboxDir: join(home, 'sandbox'),
    cacheDir,
    asteriskRoot: env.CALLCTL_ASTERISK_ROOT || join(cacheDir, 'asterisk-root'),
  }
}

/**
 * A path as help and messages show it: under the user's home as ~/…, so the default reads
 * as it always did, while CALLCTL_HOME=/srv/callctl shows /srv/callctl/… — the file callctl
 * will really use, not the default it won't.
 */
export function displayPath(path: string): string {
  const home = homedir()
  return home && home !== '/' && path.startsWith(home + '/') ? '~' + path.slice(home.length) : path
}

/**
 * Paths in help text, written as tokens and filled in when help is shown. Help comes from
 * oclif's manifest, built once at build time: a path computed when the command file loads
 * would name the build machine's home, not the CALLCTL_HOME of the person asking.
 */
export const HELP_PATH = {home: '{callctl-home}', config: '{callctl-config}', asteriskRoot: '{callctl-asterisk-root}'} as const

/** Help text with its path tokens replaced by the paths callctl will really use now. */
export function expandHelpPaths(text: string, env: NodeJS.ProcessEnv = process.env): string {
  const p = callctlPaths(env)
  return text
    .replaceAll(HELP_PATH.home, displayPath(p.home))
    .replaceAll(HELP_PATH.config, displayPath(p.configFile))
    .replaceAll(HELP_PATH.asteriskRoot, displayPath(p.asteriskRoot))
}
