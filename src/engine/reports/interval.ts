import {UserError} from '../util/errors.js'
import type {Period} from './period.js'

/** A report interval: a whole number of minutes that divides a day (15m, 30m, 1h, 1d...). */
export interface Interval {
  label: string
  minutes: number
}

export function parseInterval(text: string): Interval {
  const m = /^(\d+)(m|h|d)$/.exec(text.trim())
  const minutes = m ? Number(m[1]) * (m[2] === 'm' ? 1 : m[2] === 'h' ? 60 : 1440) : NaN
  if (!m || minutes <= 0 || minutes > 1440 || 1440 % minutes !== 0) {
    throw new UserError(`Invalid --interval "${text}"`, {suggestion: 'Use a part of a day: 15m, 30m, 1h, 2h, 1d.', exitCode: 2, code: 'bad_interval'})
  }
  return {label: text.trim(), minutes}
}

export interface Bucket {
  start: number
  end: number
}

/**
 * Cuts a period into intervals on the wall clock of the report's zone: 1h buckets
 * start on the local hour, 1d buckets at local midnight (23 or 25 hours long on a
 * daylight-saving day). Without an interval the whole period is one bucket. Buckets
 * are clipped to the period.
 *
 * Intervals of an hour or less are that long in real time, also when the clocks go back:
 * the repeated hour is two rows (02:00+02:00 and 02:00+01:00 in Berlin), not one row two
 * hours long whose per-hour figures read double (misuse report 21). Zones change their
 * offset on such a boundary, so only the wall time of the start is looked up.
 */
export class Buckets {
  constructor(
    private readonly period: Period,
    readonly interval: Interval | null,
  ) {}

  at(ts: number): Bucket {
    const {from, to, zone} = this.period
    if (!this.interval) return {start: from, end: to}
    const n = this.interval.minutes
    const w = zone.wall(ts)
    const startMin = Math.floor((w.hour * 60 + w.minute) / n) * n
    if (n <= 60) {
      // How far into its bucket ts is on the wall clock is how far in real time.
      const into = ((w.hour * 60 + w.minute - startMin) * 60 + w.second) * 1000 + (((ts % 1000) + 1000) % 1000)
      return {start: Math.max(from, ts - into), end: Math.min(to, ts - into + n * 60_000)}
    }
    const start = zone.toUtc({year: w.year, month: w.month, day: w.day, hour: Math.floor(startMin / 60), minute: startMin % 60, second: 0})
    const endMin = startMin + n
    const end =
      endMin >= 1440
        ? zone.startOfDay(ts, 1)
        : zone.toUtc({year: w.year, month: w.month, day: w.day, hour: Math.floor(endMin / 60), minute: endMin % 60, second: 0})
    // A bucket that the wall clock makes empty or backwards (a DST change) falls back to a plain span.
    const s = Math.max(from, Math.min(start, ts))
    const e = Math.min(to, end > ts ? end : ts + n * 60_000)
    return {start: s, end: e}
  }

  first(): Bucket {
    return this.at(this.period.from)
  }

  /** The bucket after `b`, or null at the end of the period. */
  next(b: Bucket): Bucket | null {
    return b.end >= this.period.to ? null : this.at(b.end)
  }
}
