import {UserError} from '../util/errors.js'
import {parseDuration} from '../util/duration.js'
import {parseTimeInput} from '../util/time-input.js'

const LAST = Date.UTC(10000, 0, 1)
const HINT = 'Give a duration from now (30d, 12w, 1y) or a future ISO date/time such as 2027-01-01T00:00:00Z.'

/**
 * `blacklist add --until`: a duration from now (90s, 30d, 1y: calendar years, as
 * `recordings purge --older-than` takes them) or an ISO date/time, in the future.
 * Anything else is the user's to fix: exit 2, whichever way it is wrong.
 */
export function parseUntil(text: string, now: number): number {
  const t = text.trim()
  let until: number
  const years = /^(\d{1,3})y$/.exec(t)
  if (years) {
    const d = new Date(now)
    d.setUTCFullYear(d.getUTCFullYear() + Number(years[1]))
    until = d.getTime()
  } else {
    try {
      until = /^\d{4}-/.test(t) ? parseTimeInput(t, now, '--until') : now + parseDuration(t, '--until')
    } catch {
      throw new UserError(`Invalid --until "${text}"`, {suggestion: HINT, exitCode: 2, code: 'bad_request'})
    }
  }
  if (until <= now) throw new UserError(`--until "${text}" is not in the future`, {suggestion: HINT, exitCode: 2, code: 'bad_request'})
  // Past the year 9999 a date has no ISO form to show or store.
  if (until >= LAST) throw new UserError(`--until "${text}" is too far ahead`, {suggestion: 'Leave --until out to list the number for good.', exitCode: 2, code: 'bad_request'})
  return until
}
