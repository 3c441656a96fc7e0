// Business hours and holidays, evaluated in the calendar's own time zone (the engine
// and its clock run in UTC).

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
export type Day = (typeof DAYS)[number]

export interface Calendar {
  timezone: string
  /** Day → open ranges in minutes since midnight [start, end). */
  open: Partial<Record<Day, [number, number][]>>
  /** Dates (YYYY-MM-DD, local) closed all day. */
  holidays: Set<string>
  /** Dates open with their own hours, overriding the week (e.g. a working Saturday). */
  special: Map<string, [number, number][]>
}

export interface LocalTime {
  date: string
  day: Day
  minutes: number
}

export function localTime(at: Date, timezone: string): LocalTime {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
    hourCycle: 'h23',
  }).formatToParts(at)
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? ''
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    day: get('weekday').toLowerCase().slice(0, 3) as Day,
    minutes: Number(get('hour')) * 60 + Number(get('minute')),
  }
}

export function isHoliday(cal: Calendar, at: Date): boolean {
  return cal.holidays.has(localTime(at, cal.timezone).date)
}

export function isOpen(cal: Calendar, at: Date): boolean {
  const t = localTime(at, cal.timezone)
  if (cal.holidays.has(t.date)) return false
  const ranges = cal.special.get(t.date) ?? cal.open[t.day] ?? []
  return ranges.some(([s, e]) => t.minutes >= s && t.minutes < e)
}

export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', {timeZone: tz})
    return true
  } catch {
    return false
  }
}

/** "09:00-12:00, 13:00-18:00" → ranges; null when malformed. "closed" → []. */
export function parseRanges(text: string): [number, number][] | null {
  const t = text.trim()
  if (t === 'closed') return []
  const out: [number, number][] = []
  for (const part of t.split(',')) {
    const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(part)
    if (!m) return null
    const s = Number(m[1]) * 60 + Number(m[2])
    const e = Number(m[3]) * 60 + Number(m[4])
    if (Number(m[1]) > 24 || Number(m[3]) > 24 || Number(m[2]) > 59 || Number(m[4]) > 59 || e <= s || e > 24 * 60) return null
    out.push([s, e])
  }
  return out
}

/** "mon-fri", "sat", "mon,wed,fri", "daily" → days; null when malformed. */
export function parseDays(text: string): Day[] | null {
  const t = text.trim().toLowerCase()
  if (t === 'daily' || t === 'every day') return [...DAYS]
  const out: Day[] = []
  for (const part of t.split(',')) {
    const m = /^\s*([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s*$/.exec(part)
    if (!m) return null
    const a = DAYS.indexOf(m[1] as Day)
    const b = m[2] ? DAYS.indexOf(m[2] as Day) : a
    if (a < 0 || b < 0) return null
    for (let i = a; ; i = (i + 1) % 7) {
      out.push(DAYS[i]!)
      if (i === b) break
    }
  }
  return out
}
