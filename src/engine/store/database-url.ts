// `database` in the config (or CALLCTL_DB) is a SQLite file path, or a PostgreSQL URL.
// The URL may carry a password: it is printed only through maskDatabase.

/** Whether the configured database is PostgreSQL (postgres:// or postgresql://) rather than a SQLite file. */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database)
}

/**
 * The database as it may be shown: a PostgreSQL URL with its password (in the user part
 * or a `password=` parameter) replaced by ***; a file path as it is. Works on text that is
 * not a valid URL too, so a typo is never printed with the secret in it.
 */
export function maskDatabase(database: string): string {
  if (!isPostgresUrl(database)) return database
  const start = database.indexOf('//') + 2
  const end = database.slice(start).search(/[/?#]/)
  const authority = end < 0 ? database.slice(start) : database.slice(start, start + end)
  // The user part ends at the last @ of the authority (a password may hold an unescaped @).
  const at = authority.lastIndexOf('@')
  const colon = at < 0 ? -1 : authority.slice(0, at).indexOf(':')
  const masked = colon < 0 ? authority : `${authority.slice(0, colon)}:***${authority.slice(at)}`
  return (database.slice(0, start) + masked + database.slice(start + authority.length)).replace(/([?&]password=)[^&#]*/gi, '$1***')
}

/** host:port/database of a PostgreSQL URL, for messages about reaching it. */
export function pgTarget(url: string): string {
  try {
    const u = new URL(url)
    const host = u.hostname || decodeURIComponent(u.searchParams.get('host') ?? '') || 'localhost'
    return `${host}:${u.port || '5432'}${u.pathname.length > 1 ? u.pathname : ''}`
  } catch {
    return maskDatabase(url)
  }
}
