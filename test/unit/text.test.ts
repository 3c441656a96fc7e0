import {describe, expect, it} from 'vitest'
import {csvSafe, safeText} from '../../src/engine/util/text.js'
import {HOSTILE_STRINGS, rawForbidden} from '../fixtures/hostile-strings.js'
import {parseDuration, parseRange} from '../../src/engine/util/duration.js'
import {parseTimeInput} from '../../src/engine/util/time-input.js'

describe('hostile text', () => {
  it('removes terminal escape sequences and control characters', () => {
    expect(safeText('Bob\u001b[2J\u001b[31mRED\u001b[0m')).toBe('BobRED')
    expect(safeText('a\u001b]0;pwned title\u0007b')).toBe('ab')
    // Controls that only beep or move the cursor back are dropped; line breaks become a space.
    expect(safeText('x\u0007\u0008y\nz')).toBe('xy z')
    expect(safeText('\u009b31mC1')).toBe('C1')
    expect(safeText('张伟')).toBe('张伟')
  })
  it('shows each string of the hostile corpus as its printable text only', () => {
    for (const h of HOSTILE_STRINGS) {
      const out = safeText(h.text, 10_000)
      expect(rawForbidden(out), h.id).toEqual([])
      if (h.benign) expect(out, h.id).toBe(h.text)
      else expect(out, h.id).toBe(h.text.length > 2000 ? h.shows + 'L'.repeat(2990) : h.shows)
    }
  })
  it('removes DCS, SOS, PM and APC strings with their payload, and 8-bit string introducers', () => {
    expect(safeText('a\u001bP1$r0m\u001b\\b')).toBe('ab')
    expect(safeText('a\u0090payload\u009cb')).toBe('ab')
    expect(safeText('a\u009fapc\u009cb\u0098sos\u001b\\c')).toBe('abc')
    // Unterminated: swallowed to the end, as the terminal would.
    expect(safeText('name\u001bPq#0;2;0;0;0')).toBe('name')
  })
  it('removes bidi overrides, embeddings, isolates and marks (an RLO no longer reverses the rest)', () => {
    expect(safeText('\u202eevil')).toBe('evil')
    for (const c of ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c']) expect(safeText(`a${c}b`)).toBe('ab')
  })
  it('drops zero-width characters, but keeps ZWJ in emoji sequences and ZWJ/ZWNJ in Arabic-script and Indic words', () => {
    expect(safeText('pay\u200bpal\u2060\ufeff')).toBe('paypal')
    expect(safeText('Al\u200dice Bo\u200cb')).toBe('Alice Bob')
    expect(safeText('\u200dlead')).toBe('lead')
    expect(safeText('👨\u200d👩\u200d👧')).toBe('👨\u200d👩\u200d👧')
    expect(safeText('👩🏽\u200d💻 🏳️\u200d🌈')).toBe('👩🏽\u200d💻 🏳️\u200d🌈')
    expect(safeText('👨\u200dx')).toBe('👨x')
    expect(safeText('می\u200cخواهم')).toBe('می\u200cخواهم')
    expect(safeText('क्\u200dष')).toBe('क्\u200dष')
  })
  it('removes nF and two-byte escapes, and the rest of C0 and C1', () => {
    expect(safeText('a\u001b#8b\u001b(0c\u001bcd\u001b7e')).toBe('abcde')
    expect(safeText('a\u0000b\u007fc\u0085d\u0099e')).toBe('abc de')
  })
  it('cuts long text between characters, never inside an emoji', () => {
    expect(safeText('ab😀😀', 4)).toBe('ab…')
    expect(safeText('a👨\u200d👩\u200d👧', 5)).toBe('a…')
    expect(safeText('张'.repeat(300))).toHaveLength(200)
    // A flag is two regional indicators, é may be e and a combining accent: kept whole or left out.
    expect(safeText('x'.repeat(18) + '🇨🇳🇨🇳', 21)).toBe('x'.repeat(18) + '…')
    expect(safeText('e\u0301'.repeat(20), 10)).toBe('e\u0301'.repeat(4) + '…')
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
