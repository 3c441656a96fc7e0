import {UserError} from './errors.js'
import {parseDuration} from './duration.js'

/**
 * A point in time from the command line: "10m" / "2h" (that long ago), "now",
 * "today" / "yesterday" (midnight UTC unless a zone offset is given in minutes),
 * or an ISO date or date-time.
 */
export function parseTimeInput(text: string, now = Date.now(), what = 'time'): number {
  const t = text.trim()
  if (t === 'now') return now
  if (t === 'today' || t === 'yesterday') {
    const d = new Date(now)
    const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
    return t === 'today' ? midnight : midnight - 86_400_000
  }
  if (/^\d+(\.\d+)?(ms|s|m|h|d|w)/.test(t)) return now - parseDuration(t, what)
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(t) ? t + 'T00:00:00Z' : t)
    if (Number.isFinite(ms)) return ms
  }
  throw new UserError(`Invalid ${what} "${text}"`, {suggestion: 'Use a duration ago (10m, 2h, 1d), today, yesterday, now, or an ISO date/time such as 2026-11-23T08:00:00Z.', exitCode: 2})
}
