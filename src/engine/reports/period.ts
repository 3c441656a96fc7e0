import {parseDuration} from '../util/duration.js'
import {UserError} from '../util/errors.js'
import {zone, type Zone} from './zone.js'

/** A report's time span [from, to) in UTC ms, and the zone it is shown and bucketed in. */
export interface Period {
  from: number
  to: number
  zone: Zone
}

const HINT = 'Use today, yesterday, now, a duration ago (2h, 7d), an ISO date (2026-11-23) or date-time (2026-11-23T08:00, 2026-11-23T00:00:00Z).'

/**
 * A point in time for a report. today / yesterday and dates or date-times written
 * without an offset are wall-clock times in the report's zone; a trailing Z or
 * +08:00 makes a time absolute.
 */
export function parseReportTime(text: string, z: Zone, now: number, what: string): number {
  const t = text.trim()
  if (t === 'now') return now
  if (t === 'today') return z.startOfDay(now)
  if (t === 'yesterday') return z.startOfDay(now, -1)
  if (t === 'tomorrow') return z.startOfDay(now, 1)
  if (/^\d+(\.\d+)?(ms|s|m|h|d|w)/.test(t)) return now - parseDuration(t, what)
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(t)
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', offset] = m
    const w = {year: Number(y), month: Number(mo), day: Number(d), hour: Number(h), minute: Number(mi), second: Number(s)}
    const probe = new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second))
    const valid = probe.getUTCMonth() === w.month - 1 && probe.getUTCDate() === w.day && w.hour < 24 && w.minute < 60 && w.second < 60
    if (valid) {
      if (!offset) {
        const utc = z.toUtc(w)
        // A written time the clocks skip (02:30 on a spring-forward night) is no time there:
        // taken as the instant after the gap it made --from 02:30 --to 03:30 one empty period.
        const shown = z.wall(utc)
        if (m[4] !== undefined && (shown.hour !== w.hour || shown.minute !== w.minute)) {
          throw new UserError(`${what} ${t} does not exist in ${z.name}: the clocks go forward over it`, {
            suggestion: `Give a time after the change (${z.format(utc)}) or an offset, e.g. ${t.replace(' ', 'T')}${z.format(utc - 3_600_000).slice(19)}.`,
            exitCode: 2,
            code: 'bad_time',
          })
        }
        return utc
      }
      const ms = Date.parse(t.replace(' ', 'T'))
      if (Number.isFinite(ms)) return ms
    }
  }
  throw new UserError(`Invalid ${what} "${text}"`, {suggestion: HINT, exitCode: 2, code: 'bad_time'})
}

export function reportPeriod(o: {from: string; to: string; tz?: string; now?: number}): Period {
  const z = zone(o.tz)
  const now = o.now ?? Date.now()
  const from = parseReportTime(o.from, z, now, '--from')
  const to = parseReportTime(o.to, z, now, '--to')
  if (from >= to) {
    throw new UserError(`--from ${z.format(from)} is ${from === to ? 'the same as' : 'after'} --to ${z.format(to)}`, {
      suggestion: 'The period is [--from, --to): give a --from before --to, e.g. --from yesterday --to today.',
      exitCode: 2,
      code: 'bad_period',
    })
  }
  return {from, to, zone: z}
}
