import {PassThrough} from 'node:stream'
import {parse} from 'csv-parse/sync'
import {describe, expect, it} from 'vitest'
import {dataText, inertCsvText} from '../../src/engine/reports/csv-text.js'
import {csvCells} from '../../src/engine/reports/csv-text.js'
import {csvSafe} from '../../src/engine/util/text.js'
import {StdoutSink, writeReport, type Cell, type Report, type Sink} from '../../src/engine/reports/report-output.js'
import {HOSTILE_STRINGS, rawForbidden} from '../fixtures/hostile-strings.js'

// A report written to a terminal (stdout is one) shows caller text inert; the same report
// to a file or a pipe keeps the cells' text but not its terminal controls (csv-text.ts
// dataText: a pipe often ends on a terminal, `| cut`), then the formula guard.

const names = HOSTILE_STRINGS.map((h) => h.text)

function collect(terminal: boolean): Sink & {text: () => string} {
  let text = ''
  return {file: null, terminal, write: async (t) => void (text += t), commit: async () => {}, abort: () => {}, text: () => text}
}

const table = (csvText = false): Report => ({
  kind: 'table',
  type: 'calls',
  columns: ['name', 'number', 'n'],
  meta: {note: 'x\u202e'},
  rows: names.map((n, i): Cell[] => [n, `+1555${i}`, -i]),
  // The call summary keeps its rows as CSV text: the same cells, encoded ahead.
  ...(csvText ? {csv: [{text: names.map((n, i) => csvCells([n, `+1555${i}`, -i]) + '\n').join(''), rows: names.length}]} : {}),
})

describe('reports written to a terminal', () => {
  it('a StdoutSink on a TTY says so; on a pipe it does not', () => {
    const tty = Object.assign(new PassThrough(), {isTTY: true}) as unknown as NodeJS.WriteStream
    expect(new StdoutSink(tty).terminal).toBe(true)
    expect(new StdoutSink(new PassThrough() as unknown as NodeJS.WriteStream).terminal).toBe(false)
  })

  for (const csvText of [false, true]) {
    it(`CSV ${csvText ? 'kept as text by the call summary' : 'encoded as it streams'}: inert cells to a terminal, cells without terminal controls (then the formula guard) to a file`, async () => {
      const tty = collect(true)
      await writeReport(table(csvText), tty, {format: 'csv', bom: false, terminal: true})
      expect(rawForbidden(tty.text())).toEqual([])
      expect(tty.text()).not.toContain('\r')
      const shown = parse(tty.text(), {columns: true}) as {name: string; n: string}[]
      // One record per caller: no line break inside a cell starts a row of its own on screen.
      expect(tty.text().trimEnd().split('\n')).toHaveLength(names.length + 1)
      HOSTILE_STRINGS.forEach((h, i) => {
        const guarded = /^[=@]/.test(h.shows) ? `'${h.shows}` : h.shows
        if (h.text.length > 2000) expect(shown[i]!.name!.startsWith(h.shows), h.id).toBe(true)
        else expect(shown[i]!.name, h.id).toBe(h.benign ? h.text : guarded)
        if (h.hides) expect(shown[i]!.name, h.id).not.toContain(h.hides)
        expect(shown[i]!.n).toBe(String(-i))
      })

      const file = collect(false)
      await writeReport(table(csvText), file, {format: 'csv', bom: false})
      expect(file.text()).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/)
      const kept = parse(file.text(), {columns: true}) as Record<string, string>[]
      // Lone surrogates cannot be written as UTF-8 at all: U+FFFD, as in any file Node writes.
      const asUtf8 = (n: string) => n.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
      expect(kept.map((r) => r.name)).toEqual(names.map((n) => asUtf8(csvSafe(dataText(n)))))
    })
  }

  it('JSON escapes controls and bidi characters wherever it goes, and parses back to the cells', async () => {
    for (const terminal of [false, true]) {
      const sink = collect(terminal)
      await writeReport(table(), sink, {format: 'json', bom: false, terminal})
      expect(rawForbidden(sink.text())).toEqual([])
      const parsed = JSON.parse(sink.text()) as {meta: unknown; rows: {name: string}[]}
      expect(parsed.meta).toEqual({note: 'x\u202e'})
      expect(parsed.rows.map((r) => r.name)).toEqual(names)
    }
  })

  it("queue_log lines to a terminal are inert; to a file they keep the caller's text", async () => {
    const lines = (): Report => ({kind: 'lines', type: 'queue-log', lines: names.map((n, i) => `1700000000|c${i}|sales|NONE|ENTERQUEUE||${n.replace(/[|\r\n]/g, '_')}|1`)})
    const tty = collect(true)
    await writeReport(lines(), tty, {format: 'csv', bom: false, terminal: true})
    expect(rawForbidden(tty.text())).toEqual([])
    expect(tty.text().split('\n')).toHaveLength(names.length + 1)
    expect(tty.text()).toContain('|Wiped|1\n')
    // An unterminated OSC in the caller ID ends with its field: the position after it stays.
    expect(tty.text()).toContain('|Clip|1\n')
    for (const line of tty.text().trimEnd().split('\n')) expect(line.split('|')).toHaveLength(8)
    const file = collect(false)
    await writeReport(lines(), file, {format: 'csv', bom: false})
    expect(file.text()).toContain('\u001b[2J')
  })

  it('inertCsvText leaves clean CSV text byte for byte as it was', () => {
    const clean = csvCells(['王小明', '+8613800000001', -5, null, 'a,"b"', "'=x"]) + '\n'
    expect(inertCsvText(clean)).toBe(clean)
  })
})
