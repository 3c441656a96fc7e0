import {spawn} from 'node:child_process'
import {accessSync, chmodSync, closeSync, constants, existsSync, openSync, readdirSync} from 'node:fs'
import {delimiter, join} from 'node:path'
import {parse} from 'pg-connection-string'
import {UserError} from '../../util/errors.js'
import {maskDatabase, pgTarget, withoutPassword} from '../database-url.js'

// `callctl db backup` of a PostgreSQL store: pg_dump, PostgreSQL's own consistent online
// dump (one snapshot, while engines write), in its custom format (compressed; pg_restore
// restores all or part of it). Wrapped rather than reimplemented: a dump must restore into
// whatever PostgreSQL the operator runs, which only pg_dump knows how to promise. The
// password never goes on pg_dump's command line (every user of the machine can read that
// in ps): it goes in PGPASSWORD, and the URL pg_dump sees has none.

/** Debian's server and client packages keep their binaries here, versioned, besides the /usr/bin wrappers. */
const DEBIAN_ROOT = '/usr/lib/postgresql'

export interface PgDumpTool {
  path: string
  version: string
}

export interface PgDumpOptions {
  env?: NodeJS.ProcessEnv
  /** Where versioned installs are looked for after PATH (default Debian's). */
  installRoot?: string
}

/** pg_dump on PATH, else the newest under /usr/lib/postgresql/N/bin; a UserError saying how to get it when there is none. */
export async function findPgDump(o: PgDumpOptions = {}): Promise<PgDumpTool> {
  const env = o.env ?? process.env
  const root = o.installRoot ?? DEBIAN_ROOT
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((d) => join(d, 'pg_dump'))
  const debian = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => join(root, v, 'bin', 'pg_dump'))
    : []
  const path = [...onPath, ...debian].find(executable)
  if (!path) {
    throw new UserError('pg_dump is not installed: a PostgreSQL store is backed up with it', {
      suggestion: 'Install the PostgreSQL client of your server\'s version (Debian: apt install postgresql-client-15), or put pg_dump on PATH.',
      exitCode: 2,
      code: 'no_pg_dump',
    })
  }
  const {code, stdout, stderr} = await run(path, ['--version'], env)
  if (code !== 0) throw new UserError(`${path} does not run: ${lastLine(stderr) || `exit ${code}`}`, {suggestion: 'Reinstall the PostgreSQL client.', exitCode: 2, code: 'no_pg_dump'})
  return {path, version: stdout.trim().replace(/^pg_dump \(PostgreSQL\)\s*/, '')}
}

/** The URL without its password, and the password (from the user part or a password= parameter). */
export function splitPassword(url: string): {url: string; password: string | null} {
  // Read as node-postgres reads it (a Unix-socket URL too, which new URL() refused: a TypeError, exit 70).
  const password = parse(url).password
  if (!password) return {url, password: null}
  return {url: withoutPassword(url), password}
}

/**
 * Dumps the database into `file` (custom format). Returns the tool used. A failure is a
 * UserError with pg_dump's own reason (unreachable, refused, a server newer than pg_dump).
 */
export async function pgDump(url: string, file: string, o: PgDumpOptions = {}): Promise<PgDumpTool> {
  const env = o.env ?? process.env
  const tool = await findPgDump(o)
  const {url: bare, password} = splitPassword(url)
  const childEnv: NodeJS.ProcessEnv = {...env, ...(password !== null ? {PGPASSWORD: password} : {})}
  // The dump holds callers' numbers and names: created 0640 (as the SQLite store is), pg_dump keeps the mode.
  closeSync(openSync(file, 'w', 0o640))
  chmodSync(file, 0o640)
  // Never ask on a terminal: a cron job would hang.
  const {code, stderr} = await run(tool.path, ['--format=custom', '--no-password', `--file=${file}`, `--dbname=${bare}`], childEnv)
  if (code !== 0) {
    const why = lastLine(stderr).replace(/^pg_dump:\s*(error:\s*)?/, '')
    const hidden = password ? why.split(password).join('***') : why
    throw new UserError(`pg_dump could not back up ${pgTarget(url)}: ${hidden || `exit ${code}`}`, {
      suggestion: /version mismatch/i.test(why)
        ? 'Install the PostgreSQL client of the server\'s version (or newer) and put its pg_dump first on PATH.'
        : `Check that PostgreSQL runs and accepts this user, and the URL in database: (${maskDatabase(url)}).`,
      exitCode: 1,
      code: 'backup',
    })
  }
  return tool
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? 1, stdout, stderr}))
  })
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1)?.trim() ?? ''
}
