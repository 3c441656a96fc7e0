import {parse} from 'pg-connection-string'

// `database` in the config (or CALLCTL_DB) is a SQLite file path, or a PostgreSQL URL.
// The URL may carry a password: it is printed only through maskDatabase.

/** Whether the configured database is PostgreSQL (postgres:// or postgresql://) rather than a SQLite file. */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database)
}

/**
 * The database as it may be shown: a PostgreSQL URL with its password (in the user part
 * or a `password=` parameter) replaced by ***; a file path as it is. Works on text that is
 * not a valid URL too (a password with an unescaped @, / or ?): everything between the
 * first : of the user part and the last @ is masked, so a typo is never printed with the
 * secret in it, at worst with more masked than needed.
 */
export function maskDatabase(database: string): string {
  if (!isPostgresUrl(database)) return database
  return passwordReplaced(database, ':***').replace(/([?&]password=)[^&#]*/gi, '$1***')
}

/**
 * The URL with no password at all (the user part's, or a password= parameter), as text: the
 * WHATWG URL parser refuses a Unix-socket URL (postgres://u:pw@/db?host=/dir), which
 * node-postgres reads. pg_dump gets the password apart, in PGPASSWORD.
 */
export function withoutPassword(database: string): string {
  return passwordReplaced(database, '')
    .replace(/([?&])password=[^&#]*&?/gi, '$1')
    .replace(/[?&](?=#|$)/, '')
}

/** The user part's password (between its first : and the last @) replaced, as maskDatabase and withoutPassword need. */
function passwordReplaced(database: string, replacement: string): string {
  const start = database.indexOf('//') + 2
  const rest = database.slice(start)
  const at = rest.lastIndexOf('@')
  const colon = at < 0 ? -1 : rest.slice(0, at).indexOf(':')
  return database.slice(0, start) + (colon < 0 ? rest : `${rest.slice(0, colon)}${replacement}${rest.slice(at)}`)
}

/**
 * host:port/database of a PostgreSQL URL, for messages about reaching it; for a Unix socket
 * (?host=/var/run/postgresql, or the host percent-encoded) the socket's path and the
 * database. Read as node-postgres reads the URL, never with the password.
 */
export function pgTarget(url: string): string {
  try {
    const c = parse(url)
    const host = c.host || 'localhost'
    const port = c.port || '5432'
    if (host.startsWith('/')) return `${host.replace(/\/+$/, '')}/.s.PGSQL.${port}${c.database ? ` (database ${c.database})` : ''}`
    return `${host}:${port}${c.database ? `/${c.database}` : ''}`
  } catch {
    return maskDatabase(url)
  }
}
