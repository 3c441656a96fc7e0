import {UserError} from '../util/errors.js'

/** Calendar fields of a wall-clock time (month 1-12). */
export interface Wall {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

// Every real zone changes its offset at a multiple of 15 minutes UTC, so an offset found
// for one 15-minute slot holds for the whole slot: reports format millions of times.
const SLOT_MS = 15 * 60_000
// Slots remembered. A call's start and end often fall in different slots, and rows come in
// start order: one remembered slot was recomputed (formatToParts, microseconds) every
// time a call crossed a slot boundary. A week is 672 slots.
const SLOTS_KEPT = 4096

/**
 * Wall-clock time in an IANA zone (Asia/Shanghai, Europe/Berlin, UTC). Times are stored
 * in UTC; reports show and bucket them in the zone the user asked for.
 */
export class Zone {
  private readonly fmt: Intl.DateTimeFormat | null
  private readonly slots = new Map<number, number>()

  constructor(readonly name: string) {
    this.fmt =
      name === 'UTC'
        ? null
        : new Intl.DateTimeFormat('en-US', {timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric'})
  }

  /** Milliseconds to add to UTC to get the wall clock at `ms`. */
  offsetAt(ms: number): number {
    if (!this.fmt) return 0
    const slot = Math.floor(ms / SLOT_MS)
    const known = this.slots.get(slot)
    if (known !== undefined) return known
    const start = slot * SLOT_MS
    const p: Record<string, number> = {}
    for (const part of this.fmt.formatToParts(start)) if (part.type !== 'literal') p[part.type] = Number(part.value)
    const offset = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - start
    if (this.slots.size >= SLOTS_KEPT) this.slots.clear()
    this.slots.set(slot, offset)
    return offset
  }

  wall(ms: number): Wall {
    const d = new Date(ms + this.offsetAt(ms))
    return {year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds()}
  }

  /**
   * The UTC instant of a wall-clock time. In a spring-forward gap (a time that does not
   * exist) it is the instant just after the gap; in a fall-back overlap, the first one.
   */
  toUtc(w: Wall): number {
    const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
    const first = asUtc - this.offsetAt(asUtc - this.offsetAt(asUtc))
    const later = asUtc - this.offsetAt(asUtc + 86_400_000)
    const earlier = asUtc - this.offsetAt(asUtc - 86_400_000)
    // Both candidates that map back to the wall time are valid: take the earlier one.
    const valid = [earlier, first, later].filter((t) => t + this.offsetAt(t) === asUtc).sort((a, b) => a - b)
    if (valid.length > 0) return valid[0]!
    return Math.max(earlier, later)
  }

  /** Local midnight of the day `ms` falls in, plus `days`. */
  startOfDay(ms: number, days = 0): number {
    const w = this.wall(ms)
    const d = new Date(Date.UTC(w.year, w.month - 1, w.day + days))
    return this.toUtc({year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 0, minute: 0, second: 0})
  }

  /** 2026-11-23T08:00:00+08:00: the wall clock with its offset, to the second. */
  format(ms: number): string {
    const off = this.offsetAt(ms)
    const local = ms + off
    // A report formats a few times per row: the date part and the offset are reused.
    const day = Math.floor(local / 86_400_000)
    if (day !== this.day || off !== this.dayOffset) {
      this.day = day
      this.dayOffset = off
      this.datePart = new Date(day * 86_400_000).toISOString().slice(0, 11)
      const m = Math.abs(off) / 60_000
      this.offsetPart = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${two(Math.floor(m / 60))}:${two(m % 60)}`
    }
    const s = Math.floor((local - day * 86_400_000) / 1000)
    return `${this.datePart}${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}${this.offsetPart}`
  }

  private day = Number.NaN
  private dayOffset = 0
  private datePart = ''
  private offsetPart = ''
}

/** The zone, or a user error naming the bad one. */
export function zone(name: string | undefined): Zone {
  const n = name?.trim() || 'UTC'
  if (n.toUpperCase() === 'UTC' || n === 'Z') return new Zone('UTC')
  try {
    new Intl.DateTimeFormat('en-US', {timeZone: n})
  } catch {
    throw new UserError(`Unknown time zone "${name}"`, {suggestion: 'Use an IANA zone name such as Asia/Shanghai, Europe/Berlin, America/New_York or UTC.', exitCode: 2, code: 'bad_tz'})
  }
  return new Zone(n)
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}
