import {mkdirSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'
import {UserError} from './errors.js'

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

/**
 * The file that stops `dir` from being a directory: `dir` itself or one of its parents
 * when it is a file (CALLCTL_HOME=/etc/passwd), else null (the directory exists, or can be made).
 */
export function fileInTheWay(dir: string): string | null {
  for (let p = dir; ; p = dirname(p)) {
    try {
      return statSync(p).isDirectory() ? null : p
    } catch {
      // Absent: its parent decides.
    }
    if (dirname(p) === p) return null
  }
}

/** The callctl home must be a directory (or a path where one can be made): said in one line before anything uses it. */
export function checkHome(paths: Paths, env: NodeJS.ProcessEnv = process.env): void {
  const blocker = fileInTheWay(paths.home)
  if (!blocker) return
  const name = env.CALLCTL_HOME ? `CALLCTL_HOME ${paths.home}` : `The callctl home ${paths.home}`
  throw new UserError(`${name} is not a directory: ${blocker === paths.home ? 'it is a file' : `${blocker} is a file`}`, {
    suggestion: env.CALLCTL_HOME ? 'Set CALLCTL_HOME to a directory (callctl makes it if it does not exist), or unset it to use ~/.callctl.' : `Move ${blocker} aside; callctl keeps its state in that directory.`,
    exitCode: 2,
    code: 'bad_home',
  })
}

const MKDIR_REASONS: Record<string, string> = {EACCES: 'permission denied', EPERM: 'permission denied', EROFS: 'the disk is read-only', ENOSPC: 'the disk is full'}

/** mkdir -p for `what` (e.g. "the database X"): a path the user got wrong is one line naming it, not a stack trace. */
export function makeDirectory(dir: string, what: string): void {
  try {
    mkdirSync(dir, {recursive: true})
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    const blocker = code === 'EEXIST' || code === 'ENOTDIR' ? fileInTheWay(dir) : null
    const reason = blocker ? `${blocker} is a file, not a directory` : MKDIR_REASONS[code]
    if (!reason) throw err
    throw new UserError(`Cannot make the directory ${dir} for ${what}: ${reason}`, {suggestion: 'Check the path, or make the directory yourself (mkdir -p) with the right owner.', exitCode: 2, code: 'bad_path'})
  }
}
