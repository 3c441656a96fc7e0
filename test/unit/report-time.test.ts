import {describe, expect, it} from 'vitest'
import {Buckets, parseInterval} from '../../src/engine/reports/interval.js'
import {parseReportTime, reportPeriod} from '../../src/engine/reports/period.js'
import {zone} from '../../src/engine/reports/zone.js'
import {UserError} from '../../src/engine/util/errors.js'

// 2026-11-23 20:00 UTC is already 04:00 on the 24th in Shanghai.
const NOW = Date.UTC(2026, 10, 23, 20, 0, 0)

describe('report dates and zones', () => {
  it('today and yesterday are midnights in the report zone', () => {
    const sh = zone('Asia/Shanghai')
    expect(new Date(parseReportTime('today', sh, NOW, '--from')).toISOString()).toBe('2026-11-23T16:00:00.000Z')
    expect(new Date(parseReportTime('yesterday', sh, NOW, '--from')).toISOString()).toBe('2026-11-22T16:00:00.000Z')
    expect(new Date(parseReportTime('today', zone('UTC'), NOW, '--from')).toISOString()).toBe('2026-11-23T00:00:00.000Z')
  })

  it('ISO dates and times without an offset are wall-clock times in the zone; with Z or an offset they are absolute', () => {
    const sh = zone('Asia/Shanghai')
    const iso = (t: string) => new Date(parseReportTime(t, sh, NOW, '--from')).toISOString()
    expect(iso('2026-11-23')).toBe('2026-11-22T16:00:00.000Z')
    expect(iso('2026-11-23T08:30')).toBe('2026-11-23T00:30:00.000Z')
    expect(iso('2026-11-23 08:30:15')).toBe('2026-11-23T00:30:15.000Z')
    expect(iso('2026-11-23T08:30:00Z')).toBe('2026-11-23T08:30:00.000Z')
    expect(iso('2026-11-23T08:30:00-05:00')).toBe('2026-11-23T13:30:00.000Z')
    expect(parseReportTime('now', sh, NOW, '--to')).toBe(NOW)
    expect(parseReportTime('2h', sh, NOW, '--from')).toBe(NOW - 7_200_000)
  })

  it('refuses impossible dates, unknown words and zones, and a --from not before --to, in one line each', () => {
    const err = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        expect(e).toBeInstanceOf(UserError)
        return (e as UserError).message
      }
      throw new Error('no error')
    }
    expect(err(() => parseReportTime('2026-02-30', zone('UTC'), NOW, '--from'))).toBe('Invalid --from "2026-02-30"')
    expect(err(() => parseReportTime('last week', zone('UTC'), NOW, '--to'))).toBe('Invalid --to "last week"')
    expect(err(() => zone('Mars/Olympus'))).toBe('Unknown time zone "Mars/Olympus"')
    // A wall time the clocks skip is said to be one, not taken for the hour after (misuse report 21).
    expect(err(() => parseReportTime('2026-03-08T02:30', zone('America/New_York'), NOW, '--from'))).toBe('--from 2026-03-08T02:30 does not exist in America/New_York: the clocks go forward over it')
    expect(new Date(parseReportTime('2026-03-08T02:30-05:00', zone('America/New_York'), NOW, '--from')).toISOString()).toBe('2026-03-08T07:30:00.000Z')
    expect(new Date(parseReportTime('2026-03-08', zone('America/New_York'), NOW, '--from')).toISOString()).toBe('2026-03-08T05:00:00.000Z')
    expect(err(() => reportPeriod({from: 'today', to: 'yesterday', now: NOW}))).toBe('--from 2026-11-23T00:00:00Z is after --to 2026-11-22T00:00:00Z')
    expect(err(() => reportPeriod({from: 'today', to: 'today', now: NOW, tz: 'Asia/Shanghai'}))).toBe('--from 2026-11-24T00:00:00+08:00 is the same as --to 2026-11-24T00:00:00+08:00')
  })

  it('formats times with their offset, half-hour zones included', () => {
    expect(zone('Asia/Shanghai').format(Date.UTC(2026, 10, 23, 0, 0, 0))).toBe('2026-11-23T08:00:00+08:00')
    expect(zone('Asia/Kolkata').format(Date.UTC(2026, 10, 23, 0, 0, 0))).toBe('2026-11-23T05:30:00+05:30')
    expect(zone('America/New_York').format(Date.UTC(2026, 6, 1, 12, 0, 0))).toBe('2026-07-01T08:00:00-04:00')
    expect(zone(undefined).format(Date.UTC(2026, 10, 23, 0, 0, 0))).toBe('2026-11-23T00:00:00Z')
  })
})

describe('report intervals', () => {
  it('accepts parts of a day only', () => {
    expect(parseInterval('15m').minutes).toBe(15)
    expect(parseInterval('1h').minutes).toBe(60)
    expect(parseInterval('1d').minutes).toBe(1440)
    for (const bad of ['7m', '2d', '0m', 'hourly', '1.5h']) expect(() => parseInterval(bad)).toThrow(`Invalid --interval "${bad}"`)
  })

  it('follows the local wall clock: a daylight-saving day has 23 hourly buckets and one 23-hour day', () => {
    const period = reportPeriod({from: '2026-03-29', to: '2026-03-30', tz: 'Europe/Berlin'})
    const list = (b: Buckets) => {
      const out: {start: number; end: number}[] = []
      for (let x: ReturnType<Buckets['first']> | null = b.first(); x; x = b.next(x)) out.push(x)
      return out
    }
    const hours = list(new Buckets(period, parseInterval('1h')))
    expect(hours).toHaveLength(23)
    expect(hours.map((h) => period.zone.format(h.start)).slice(1, 3)).toEqual(['2026-03-29T01:00:00+01:00', '2026-03-29T03:00:00+02:00'])
    const days = list(new Buckets(period, parseInterval('1d')))
    expect(days.map((d) => (d.end - d.start) / 3_600_000)).toEqual([23])
    // Clocks back (misuse report 21): 25 hourly rows, the repeated 02:00 twice, every row an hour long.
    const back = reportPeriod({from: '2026-10-25', to: '2026-10-26', tz: 'Europe/Berlin'})
    const backHours = list(new Buckets(back, parseInterval('1h')))
    expect(backHours).toHaveLength(25)
    expect(backHours.every((h) => h.end - h.start === 3_600_000)).toBe(true)
    expect(backHours.map((h) => back.zone.format(h.start)).slice(1, 5)).toEqual(['2026-10-25T01:00:00+02:00', '2026-10-25T02:00:00+02:00', '2026-10-25T02:00:00+01:00', '2026-10-25T03:00:00+01:00'])
    expect(list(new Buckets(back, parseInterval('15m')))).toHaveLength(100)
    expect(list(new Buckets(back, parseInterval('1d'))).map((d) => (d.end - d.start) / 3_600_000)).toEqual([25])
    // An event in the second 02:30 falls in the second 02:00 row.
    const secondHalf = Date.UTC(2026, 9, 25, 1, 30)
    expect(back.zone.format(new Buckets(back, parseInterval('1h')).at(secondHalf).start)).toBe('2026-10-25T02:00:00+01:00')
    const quarters = list(new Buckets(reportPeriod({from: '2026-11-23T09:05Z', to: '2026-11-23T10:00Z'}), parseInterval('15m')))
    // Clipped to the period at the start, then on the quarter hours.
    expect(quarters.map((q) => new Date(q.start).toISOString().slice(11, 16))).toEqual(['09:05', '09:15', '09:30', '09:45'])
  })
})
