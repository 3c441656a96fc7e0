import {stringify} from 'csv-stringify'
import {describe, expect, it} from 'vitest'
import {prng} from '../../src/bench/prng.js'
import {csvCell, csvCells} from '../../src/engine/reports/csv-text.js'
import type {Cell} from '../../src/engine/reports/report-output.js'
import {csvSafe} from '../../src/engine/util/text.js'

// The call summary's CSV text (csvCells, csvCell) must be the bytes the streamed path
// writes: csvSafe on text cells, then csv-stringify's stream with the report's options.

const PIECES = ['a', ' ', ',', '"', '""', '\n', '\r', '\r\n', '\t', '=', '+', '-', '@', '＝', '＋', '－', '＠', "'", '张伟', '\u001b[31m', ';', '\\', '0', '1.5', '']

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
    for (const row of rows) csv.write(row.map((c) => (typeof c === 'string' ? csvSafe(c) : c)))
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
})
