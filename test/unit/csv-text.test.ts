import {stringify} from 'csv-stringify'
import {describe, expect, it} from 'vitest'
import {prng} from '../../src/bench/prng.js'
import {csvCell, csvCells, dataCsvText, dataText} from '../../src/engine/reports/csv-text.js'
import type {Cell} from '../../src/engine/reports/report-output.js'
import {csvSafe} from '../../src/engine/util/text.js'

// The call summary's CSV text (csvCells, csvCell) must be the bytes the streamed path
// writes: dataText then csvSafe on text cells, then csv-stringify's stream with the report's options.

const PIECES = ['a', ' ', ',', '"', '""', '\n', '\r', '\r\n', '\t', '=', '+', '-', '@', '＝', '＋', '－', '＠', "'", '张伟', '\u001b[31m', '\u001b]0;t\u0007', '\u202e', '\u009b', '\u0000', ';', '\\', '0', '1.5', '']

function hostileCell(random: () => number): Cell {
  const r = random()
  if (r < 0.1) return null
  if (r < 0.2) return Math.round((random() - 0.3) * 1e6) / 100
  if (r < 0.25) return Math.floor(random() * 10)
  let s = ''
  const n = Math.floor(random() * 6)
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(random() * PIECES.length)]
  return s
}

function streamed(rows: Cell[][]): Promise<string> {
  return new Promise((resolve, reject) => {
    const csv = stringify()
    let out = ''
    csv.on('data', (c: Buffer) => (out += c.toString()))
    csv.on('end', () => resolve(out))
    csv.on('error', reject)
    for (const row of rows) csv.write(row.map((c) => (typeof c === 'string' ? csvSafe(dataText(c)) : c)))
    csv.end()
  })
}

describe('CSV text kept ahead of the report', () => {
  it('csvCell and csvCells write what csv-stringify writes, on 5,000 hostile rows', async () => {
    const random = prng(11)
    const rows = Array.from({length: 5000}, () => Array.from({length: 1 + Math.floor(random() * 6)}, () => hostileCell(random)))
    const expected = await streamed(rows)
    expect(rows.map((row) => csvCells(row) + '\n').join('')).toBe(expected)
    expect(rows.map((row) => row.map(csvCell).join(',') + '\n').join('')).toBe(expected)
  })

  it('neutralises formulas, quotes what needs quoting', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`)
    expect(csvCell('＝1+1')).toBe("'＝1+1")
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('two\nlines')).toBe('"two\nlines"')
    expect(csvCell(-1.5)).toBe('-1.5')
    expect(csvCell(null)).toBe('')
    expect(csvCells(['+86138', 3, null, ''])).toBe("'+86138,3,,")
  })

  it('keeps no terminal control in any cell (file or pipe alike), and guards the formula one hid', () => {
    // report calls | cut -d, -f1,7: this name set the pane title and reversed the line.
    expect(csvCell('\u001b]0;PWNED\u0007=1+2\u202e张')).toBe("'=1+2张")
    expect(csvCells(['\u001b[2J\u001b[H清屏', '\u009b31m红', 'a\u0000b\u007fc', 'x\u2066y\u2069'])).toBe('清屏,红,abc,xy')
    // Line ends a terminal acts on (CR alone rewinds the line) are line breaks in the data.
    expect(csvCells(['a\rb', 'c\u0085d\ve\ff'])).toBe('"a\nb","c\nd\ne\nf"')
    // Data stays data: line breaks (LF, CR LF), tabs, Arabic with its marks, joined emoji.
    expect(dataText('line 1\r\nline 2\n\tend')).toBe('line 1\r\nline 2\n\tend')
    expect(dataText('مرحبا\u200f 👩‍💻')).toBe('مرحبا\u200f 👩‍💻')
  })

  it('cleans CSV text encoded earlier cell by cell, and leaves clean text the same string', () => {
    const clean = 'c1,"two\r\nlines",\'=1,3\n'
    expect(dataCsvText(clean)).toBe(clean)
    // Stored before this rule: an unterminated OSC must not swallow the cells after it.
    expect(dataCsvText('c1,\u001b]0;X,\u202e=cmd,7\nc2,"a\u001b[31m,b",8\n')).toBe("c1,,'=cmd,7\nc2,\"a,b\",8\n")
  })
})
