import {describe, expect, it} from 'vitest'
import {isHoliday, isOpen, isValidTimezone, localTime, parseDays, parseRanges, type Calendar, type Day} from '../../src/engine/ivr/hours.js'

// Business hours in the calendar's own time zone, checked at UTC instants (the engine's
// clock). 2026-03-02 is a Monday; Europe/London moves to BST at 01:00 UTC on Sunday
// 2026-03-29 and back to GMT at 01:00 UTC on Sunday 2026-10-25.

/** A calendar from the same text a flow file holds. */
function calendar(timezone: string, open: Record<string, string>, o: {closed?: string[]; special?: Record<string, string>} = {}): Calendar {
  const cal: Calendar = {timezone, open: {}, holidays: new Set(o.closed ?? []), special: new Map()}
  for (const [days, ranges] of Object.entries(open)) {
    const ds = parseDays(days)
    const rs = parseRanges(ranges)
    if (!ds || !rs) throw new Error(`bad test calendar ${days}: ${ranges}`)
    for (const d of ds) cal.open[d] = [...(cal.open[d] ?? []), ...rs]
  }
  for (const [date, ranges] of Object.entries(o.special ?? {})) cal.special.set(date, parseRanges(ranges)!)
  return cal
}

const at = (iso: string) => new Date(iso)

describe('parseDays', () => {
  const ALL: Day[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
  it.each<[string, Day[]]>([
    ['mon', ['mon']],
    ['sun', ['sun']],
    ['mon-fri', ['mon', 'tue', 'wed', 'thu', 'fri']],
    ['MON-Fri', ['mon', 'tue', 'wed', 'thu', 'fri']],
    ['  mon - fri  ', ['mon', 'tue', 'wed', 'thu', 'fri']],
    ['sat-mon', ['sat', 'sun', 'mon']],
    ['fri-tue', ['fri', 'sat', 'sun', 'mon', 'tue']],
    ['sun-sat', ALL],
    ['tue-mon', ['tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'mon']],
    ['mon-mon', ['mon']],
    ['mon,wed,fri', ['mon', 'wed', 'fri']],
    ['mon, wed', ['mon', 'wed']],
    ['mon-wed,fri', ['mon', 'tue', 'wed', 'fri']],
    ['sat,sun', ['sat', 'sun']],
    ['daily', ALL],
    ['Daily', ALL],
    ['every day', ALL],
    ['EVERY DAY', ALL],
  ])('%j → %j', (text, days) => {
    expect(parseDays(text)).toEqual(days)
  })

  it.each(['', 'monday', 'mon-', '-fri', 'mon-fry', 'weekdays', 'mon;fri', 'mon,,fri', 'mon,', '1-5', 'mo', 'mon-fri-sat', 'lun-ven', 'mon fri'])('%j is not a day list', (text) => {
    expect(parseDays(text)).toBeNull()
  })
})

describe('parseRanges', () => {
  it.each<[string, [number, number][]]>([
    ['09:00-18:00', [[540, 1080]]],
    ['9:00-18:00', [[540, 1080]]],
    ['0:00-1:00', [[0, 60]]],
    ['09:00 - 18:00', [[540, 1080]]],
    [' 09:00-18:00 ', [[540, 1080]]],
    [
      '09:00-12:00, 13:00-18:00',
      [
        [540, 720],
        [780, 1080],
      ],
    ],
    [
      '09:00-12:00,13:30-18:15',
      [
        [540, 720],
        [810, 1095],
      ],
    ],
    ['00:00-24:00', [[0, 1440]]],
    ['23:59-24:00', [[1439, 1440]]],
    ['08:30-08:31', [[510, 511]]],
    ['closed', []],
    ['  closed ', []],
  ])('%j → %j', (text, ranges) => {
    expect(parseRanges(text)).toEqual(ranges)
  })

  it.each([
    ['18:00-09:00', 'ends before it starts (no overnight ranges)'],
    ['09:00-09:00', 'empty'],
    ['24:00-24:00', 'empty, at midnight'],
    ['24:00-24:30', 'past the end of the day'],
    ['09:00-24:01', 'past the end of the day'],
    ['25:00-26:00', 'hour 25'],
    ['09:60-10:00', 'minute 60'],
    ['9:5-10:00', 'one-digit minutes'],
    ['9-18', 'no minutes'],
    ['09:00', 'no end'],
    ['09:00-18:00,', 'a trailing comma'],
    ['09:00-12:00;13:00-18:00', 'a semicolon'],
    ['09:00–18:00', 'an en dash'],
    ['9am-6pm', 'am/pm'],
    ['', 'empty text'],
    ['open', 'a word'],
    ['Closed', '"closed" is lower case only'],
  ])('%j is malformed (%s)', (text) => {
    expect(parseRanges(text)).toBeNull()
  })
})

describe('isValidTimezone', () => {
  it.each(['UTC', 'Asia/Shanghai', 'Europe/London', 'America/New_York', 'Etc/GMT-8', 'asia/shanghai'])('%s is a zone', (tz) => {
    expect(isValidTimezone(tz)).toBe(true)
  })
  it.each(['', 'Asia/Beijing', 'Mars/Olympus_Mons', 'GMT+8', 'Europe/Lodnon'])('%j is not', (tz) => {
    expect(isValidTimezone(tz)).toBe(false)
  })
})

describe('localTime', () => {
  it.each([
    ['2026-03-02T00:30:00Z', 'Asia/Shanghai', {date: '2026-03-02', day: 'mon', minutes: 510}],
    ['2026-03-02T00:30:00Z', 'America/New_York', {date: '2026-03-01', day: 'sun', minutes: 1170}],
    ['2026-03-06T16:30:00Z', 'Asia/Shanghai', {date: '2026-03-07', day: 'sat', minutes: 30}],
    ['2026-01-01T00:00:00Z', 'Europe/London', {date: '2026-01-01', day: 'thu', minutes: 0}],
    ['2025-12-31T16:00:00Z', 'Asia/Shanghai', {date: '2026-01-01', day: 'thu', minutes: 0}],
    ['2026-03-29T00:59:00Z', 'Europe/London', {date: '2026-03-29', day: 'sun', minutes: 59}],
    ['2026-03-29T01:00:00Z', 'Europe/London', {date: '2026-03-29', day: 'sun', minutes: 120}],
    ['2026-10-25T00:30:00Z', 'Europe/London', {date: '2026-10-25', day: 'sun', minutes: 90}],
    ['2026-10-25T01:30:00Z', 'Europe/London', {date: '2026-10-25', day: 'sun', minutes: 90}],
  ])('%s in %s', (iso, tz, local) => {
    expect(localTime(at(iso), tz)).toEqual(local)
  })
})

describe('isOpen across time zones', () => {
  // 09:00-18:00 in Shanghai (UTC+8, no DST) is 01:00-10:00 UTC.
  const shanghai = calendar('Asia/Shanghai', {'mon-fri': '09:00-18:00', sat: '10:00-14:00'})
  it.each([
    ['2026-03-02T00:59:00Z', false, 'Mon 08:59'],
    ['2026-03-02T01:00:00Z', true, 'Mon 09:00'],
    ['2026-03-02T09:59:00Z', true, 'Mon 17:59'],
    ['2026-03-02T10:00:00Z', false, 'Mon 18:00 (ends are exclusive)'],
    ['2026-03-01T23:00:00Z', false, 'Mon 07:00, though Sunday in UTC'],
    ['2026-03-02T17:00:00Z', false, 'Tue 01:00, though Monday in UTC'],
    ['2026-03-06T09:30:00Z', true, 'Fri 17:30'],
    ['2026-03-06T16:30:00Z', false, 'Sat 00:30, though Friday in UTC'],
    ['2026-03-07T02:00:00Z', true, 'Sat 10:00'],
    ['2026-03-07T06:00:00Z', false, 'Sat 14:00'],
    ['2026-03-08T03:00:00Z', false, 'Sun 11:00: no hours on Sunday'],
  ])('Shanghai office at %s → %s (%s)', (iso, open) => {
    expect(isOpen(shanghai, at(iso))).toBe(open)
  })

  // The same hours in New York: Friday evening there is Saturday in UTC.
  const newYork = calendar('America/New_York', {'mon-fri': '09:00-21:00'})
  it.each([
    ['2026-03-07T01:30:00Z', true, 'Fri 20:30 EST'],
    ['2026-03-07T02:00:00Z', false, 'Fri 21:00 EST'],
    ['2026-03-09T13:00:00Z', true, 'Mon 09:00 EDT (after the US change on 8 March)'],
    ['2026-03-02T13:00:00Z', false, 'Mon 08:00 EST (before it)'],
  ])('New York office at %s → %s (%s)', (iso, open) => {
    expect(isOpen(newYork, at(iso))).toBe(open)
  })

  it('a lunch break splits the day', () => {
    const cal = calendar('UTC', {'mon-fri': '09:00-12:00, 13:00-18:00'})
    expect([at('2026-03-02T11:59:00Z'), at('2026-03-02T12:00:00Z'), at('2026-03-02T12:59:00Z'), at('2026-03-02T13:00:00Z')].map((t) => isOpen(cal, t))).toEqual([true, false, false, true])
  })

  it('open until 24:00 includes the last minute of the day', () => {
    const cal = calendar('Asia/Shanghai', {daily: '00:00-24:00'})
    expect(isOpen(cal, at('2026-03-02T15:59:59Z'))).toBe(true)
    expect(isOpen(cal, at('2026-03-02T16:00:00Z'))).toBe(true)
  })

  it('a day marked closed, or not listed, has no hours', () => {
    const cal = calendar('UTC', {'mon-fri': '09:00-18:00', sat: 'closed'})
    expect(isOpen(cal, at('2026-03-06T10:00:00Z'))).toBe(true) // Friday
    expect(isOpen(cal, at('2026-03-07T10:00:00Z'))).toBe(false) // Saturday: closed
    expect(cal.open.sat).toEqual([])
    expect(isOpen(cal, at('2026-03-08T10:00:00Z'))).toBe(false) // Sunday: not listed
  })
})

describe('isOpen with days that wrap (sat-mon)', () => {
  const weekend = calendar('Europe/London', {'sat-mon': '10:00-16:00'})
  it.each([
    ['2026-03-06T12:00:00Z', false, 'Friday'],
    ['2026-03-07T12:00:00Z', true, 'Saturday'],
    ['2026-03-08T12:00:00Z', true, 'Sunday'],
    ['2026-03-09T12:00:00Z', true, 'Monday'],
    ['2026-03-10T12:00:00Z', false, 'Tuesday'],
    ['2026-03-09T16:00:00Z', false, 'Monday 16:00'],
  ])('%s → %s (%s)', (iso, open) => {
    expect(isOpen(weekend, at(iso))).toBe(open)
  })
})

describe('isOpen around the daylight saving changes (Europe/London)', () => {
  const london = calendar('Europe/London', {daily: '09:00-17:00'})
  it.each([
    // Before the change: GMT = UTC.
    ['2026-03-27T08:59:00Z', false, 'Fri 08:59 GMT'],
    ['2026-03-27T09:00:00Z', true, 'Fri 09:00 GMT'],
    ['2026-03-27T16:59:00Z', true, 'Fri 16:59 GMT'],
    ['2026-03-27T17:00:00Z', false, 'Fri 17:00 GMT'],
    // After: BST = UTC+1, so the same local hours are an hour earlier in UTC.
    ['2026-03-30T07:59:00Z', false, 'Mon 08:59 BST'],
    ['2026-03-30T08:00:00Z', true, 'Mon 09:00 BST'],
    ['2026-03-30T08:30:00Z', true, 'Mon 09:30 BST (08:30 UTC: it would be closed in GMT)'],
    ['2026-03-30T15:59:00Z', true, 'Mon 16:59 BST'],
    ['2026-03-30T16:00:00Z', false, 'Mon 17:00 BST (16:00 UTC: it would be open in GMT)'],
    // And back in October.
    ['2026-10-23T15:30:00Z', true, 'Fri 16:30 BST'],
    ['2026-10-23T16:30:00Z', false, 'Fri 17:30 BST'],
    ['2026-10-26T16:30:00Z', true, 'Mon 16:30 GMT'],
    ['2026-10-26T08:30:00Z', false, 'Mon 08:30 GMT'],
  ])('%s → %s (%s)', (iso, open) => {
    expect(isOpen(london, at(iso))).toBe(open)
  })

  it('on the night of the change, 01:00-02:00 local does not exist in March and happens twice in October', () => {
    const night = calendar('Europe/London', {sun: '01:00-02:00'})
    // 29 March: 00:59 GMT, then 02:00 BST.
    expect(isOpen(night, at('2026-03-29T00:30:00Z'))).toBe(false)
    expect(isOpen(night, at('2026-03-29T01:00:00Z'))).toBe(false)
    expect(isOpen(night, at('2026-03-29T01:30:00Z'))).toBe(false)
    // 25 October: 01:30 BST (00:30 UTC) and 01:30 GMT (01:30 UTC) are both open.
    expect(isOpen(night, at('2026-10-25T00:30:00Z'))).toBe(true)
    expect(isOpen(night, at('2026-10-25T01:30:00Z'))).toBe(true)
    expect(isOpen(night, at('2026-10-25T02:00:00Z'))).toBe(false)
    expect(isOpen(night, at('2026-10-24T23:59:00Z'))).toBe(false) // Sun 00:59 BST
  })
})

describe('holidays and special dates', () => {
  const office = calendar('Asia/Shanghai', {'mon-fri': '09:00-18:00'}, {closed: ['2026-10-01', '2026-10-02'], special: {'2026-09-27': '09:00-12:00', '2026-03-03': 'closed'}})

  it.each([
    ['2026-09-30T15:59:00Z', false, 'Sep 30 23:59 local'],
    ['2026-09-30T16:00:00Z', true, 'Oct 1 00:00 local, though Sep 30 in UTC'],
    ['2026-10-01T12:00:00Z', true, 'Oct 1 20:00 local'],
    ['2026-10-02T15:59:00Z', true, 'Oct 2 23:59 local'],
    ['2026-10-02T16:00:00Z', false, 'Oct 3 00:00 local'],
  ])('isHoliday at %s → %s (%s)', (iso, holiday) => {
    expect(isHoliday(office, at(iso))).toBe(holiday)
  })

  it('is closed all day on a holiday that falls on a working day', () => {
    expect(isOpen(office, at('2026-10-01T02:00:00Z'))).toBe(false) // Thursday 10:00
    expect(isOpen(office, at('2026-10-02T02:00:00Z'))).toBe(false) // Friday 10:00
    expect(isOpen(office, at('2026-09-30T02:00:00Z'))).toBe(true) // Wednesday before
    expect(isOpen(office, at('2026-10-05T02:00:00Z'))).toBe(true) // Monday after
  })

  it('a special date opens a Sunday with its own hours', () => {
    expect(isOpen(office, at('2026-09-27T01:00:00Z'))).toBe(true) // Sun 09:00
    expect(isOpen(office, at('2026-09-27T03:59:00Z'))).toBe(true) // Sun 11:59
    expect(isOpen(office, at('2026-09-27T04:00:00Z'))).toBe(false) // Sun 12:00
    expect(isOpen(office, at('2026-09-20T02:00:00Z'))).toBe(false) // the Sunday before: no hours
    expect(isHoliday(office, at('2026-09-27T02:00:00Z'))).toBe(false)
  })

  it('a special date marked closed shuts a weekday without being a holiday', () => {
    expect(isOpen(office, at('2026-03-03T02:00:00Z'))).toBe(false) // Tuesday
    expect(isHoliday(office, at('2026-03-03T02:00:00Z'))).toBe(false)
    expect(isOpen(office, at('2026-03-04T02:00:00Z'))).toBe(true) // Wednesday
  })

  it('a holiday wins over special hours on the same date', () => {
    const both = calendar('UTC', {daily: '09:00-18:00'}, {closed: ['2026-05-01'], special: {'2026-05-01': '10:00-12:00'}})
    expect(isOpen(both, at('2026-05-01T11:00:00Z'))).toBe(false)
    expect(isHoliday(both, at('2026-05-01T11:00:00Z'))).toBe(true)
  })

  it('holidays follow the daylight saving zone too', () => {
    const london = calendar('Europe/London', {daily: '00:00-24:00'}, {closed: ['2026-08-31']})
    expect(isHoliday(london, at('2026-08-30T23:00:00Z'))).toBe(true) // 00:00 BST on the 31st
    expect(isHoliday(london, at('2026-08-30T22:59:00Z'))).toBe(false)
    expect(isOpen(london, at('2026-08-30T22:59:00Z'))).toBe(true)
    expect(isOpen(london, at('2026-08-31T22:59:00Z'))).toBe(false) // 23:59 BST on the 31st
    expect(isOpen(london, at('2026-08-31T23:00:00Z'))).toBe(true)
  })
})
