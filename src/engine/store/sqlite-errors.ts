import {UserError} from '../util/errors.js'

/**
 * SQLite failures that come from the file, the disk or another process, not from callctl:
 * a read-only or full disk, a lock held past the wait, a file that is not (or no longer)
 * a database. Each becomes one line naming the database and what to check, exit 2. Any
 * other SQLite error (SQLITE_ERROR: bad SQL, SQLITE_CONSTRAINT, SQLITE_MISUSE…) is
 * callctl's own mistake and keeps its stack.
 *
 * better-sqlite3 gives extended codes (SQLITE_READONLY_DBMOVED, SQLITE_IOERR_WRITE,
 * SQLITE_BUSY_SNAPSHOT…): matched on their primary code.
 */
const CONDITIONS: Record<string, {code: string; what: (file: string) => string; suggestion: (file: string) => string}> = {
  SQLITE_READONLY: {
    code: 'database_read_only',
    what: (f) => `The database ${f} is read-only`,
    suggestion: (f) => `Check the permissions and attributes of ${f}, its -wal and -shm files and its directory (ls -l, lsattr), and that the disk is not mounted read-only.`,
  },
  SQLITE_FULL: {
    code: 'database_disk_full',
    what: (f) => `The disk holding the database ${f} is full`,
    suggestion: (f) => `Free some space (df -h ${f}), then run the command again.`,
  },
  SQLITE_BUSY: {
    code: 'database_busy',
    what: (f) => `The database ${f} stayed locked by another process longer than callctl waits`,
    suggestion: (f) => `Run the command again; if it keeps happening, see which process holds it (fuser ${f}).`,
  },
  SQLITE_LOCKED: {
    code: 'database_busy',
    what: (f) => `The database ${f} is locked`,
    suggestion: () => 'Run the command again.',
  },
  SQLITE_IOERR: {
    code: 'database_io_error',
    what: (f) => `The database ${f} could not be read or written`,
    suggestion: () => 'Check that the file was not removed or moved while in use (a running engine restores its own within seconds) and the disk (dmesg); then run the command again.',
  },
  SQLITE_NOTADB: {
    code: 'not_a_database',
    what: (f) => `${f} is not a callctl database`,
    suggestion: () => 'Check the path (database: in the config, CALLCTL_DB, CALLCTL_HOME); callctl makes its database itself when the file does not exist.',
  },
  SQLITE_CORRUPT: {
    code: 'database_damaged',
    what: (f) => `The database ${f} is damaged`,
    suggestion: () => 'Restore it from a backup (callctl db backup makes them), or move it aside to start a new one.',
  },
  SQLITE_CANTOPEN: {
    code: 'database_cannot_open',
    what: (f) => `Cannot open the database ${f}`,
    suggestion: () => 'Check that the path names a file in an existing directory you may read and write (database: in the config, CALLCTL_DB).',
  },
  SQLITE_PERM: {
    code: 'database_cannot_open',
    what: (f) => `No permission to use the database ${f}`,
    suggestion: (f) => `Check the permissions of ${f} and its directory (ls -l).`,
  },
}

/** The SQLite error code (primary, e.g. SQLITE_READONLY) of a better-sqlite3 error, else undefined. */
function primaryCode(err: unknown): string | undefined {
  const code = (err as {code?: unknown} | null)?.code
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined
  const second = code.indexOf('_', 'SQLITE_'.length)
  return second < 0 ? code : code.slice(0, second)
}

/**
 * The user-fixable condition behind a SQLite error, as a UserError naming the database
 * file(s); undefined for anything else (a bug, which keeps its stack).
 */
export function sqliteUserError(err: unknown, files: string | readonly string[]): UserError | undefined {
  const primary = primaryCode(err)
  const c = primary ? CONDITIONS[primary] : undefined
  if (!c) return undefined
  const names = (typeof files === 'string' ? [files] : files).filter((f) => f !== ':memory:')
  const file = names.length > 0 ? names.join(', ') : 'in use'
  return new UserError(`${c.what(file)} (SQLite: ${(err as Error).message})`, {suggestion: c.suggestion(file), exitCode: 2, code: c.code})
}

/**
 * Every SQLite file this process opened, so an error raised later by a write (which
 * carries no path) can name its database. Here, not in sqlite-store.ts: the CLI's error
 * boundary reads it without loading SQLite's native module for every command.
 */
const OPENED = new Set<string>()

export function rememberOpened(file: string): void {
  OPENED.add(file)
}

/** A SQLite error thrown after the store was opened (read-only, full, locked…) as the user's condition naming the file(s); undefined for a bug. */
export function sqliteFailure(err: unknown): UserError | undefined {
  return sqliteUserError(err, [...OPENED])
}
