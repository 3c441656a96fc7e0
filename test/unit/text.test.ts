import {describe, expect, it} from 'vitest'
import {csvSafe, safeText} from '../../src/engine/util/text.js'
import {parseDuration, parseRange} from '../../src/engine/util/duration.js'
import {parseTimeInput} from '../../src/engine/util/time-input.js'

describe('hostile text', () => {
  it('removes terminal escape sequences and control characters', () => {
    expect(safeText('Bob\u001b[2J\u001b[31mRED\u001b[0m')).toBe('BobRED')
    expect(safeText('a\u001b]0;pwned title\u0007b')).toBe('ab')
    expect(safeText('x\u0007\u0008y\nz')).toBe('x  y z')
    expect(safeText('\u009b31mC1')).toBe('31mC1')
    expect(safeText('张伟')).toBe('张伟')
  })
  it('caps long text', () => {
    expect(safeText('x'.repeat(10_000), 20)).toHaveLength(20)
  })
  it('neutralises spreadsheet formulas', () => {
    expect(csvSafe('=HYPERLINK("http://evil")')).toBe(`'=HYPERLINK("http://evil")`)
    for (const s of ['+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(csvSafe(s).startsWith("'")).toBe(true)
    expect(csvSafe('Alice')).toBe('Alice')
  })
})

describe('durations and times', () => {
  it('parses durations and ranges', () => {
    expect(parseDuration('90')).toBe(90_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(() => parseDuration('10 minutes')).toThrow(/Invalid duration/)
    expect(parseRange('5-20')).toEqual({min: 5, max: 20})
    expect(parseRange('7')).toEqual({min: 7, max: 7})
    expect(() => parseRange('20-5')).toThrow(/below/)
  })
  it('parses times relative to now', () => {
    const now = Date.UTC(2026, 10, 23, 12, 0, 0)
    expect(parseTimeInput('10m', now)).toBe(now - 600_000)
    expect(parseTimeInput('today', now)).toBe(Date.UTC(2026, 10, 23))
    expect(parseTimeInput('yesterday', now)).toBe(Date.UTC(2026, 10, 22))
    expect(parseTimeInput('2026-11-01', now)).toBe(Date.UTC(2026, 10, 1))
    expect(() => parseTimeInput('last tuesday', now)).toThrow(/Invalid time/)
  })
})
