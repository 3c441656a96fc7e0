import {parse} from 'csv-parse/sync'
import {stringify} from 'csv-stringify/sync'
import {csvSafe, safeText, withoutEscapeSequences} from '../util/text.js'

// CSV text made ahead of the report. The call summary keeps each call's fixed cells as
// CSV text, encoded once by csv-stringify when the call is summarized; `report calls`
// then adds the few cells that depend on the report (times in its zone, recording files)
// with csvCell, which encodes exactly as csv-stringify does with the report's options
// (test/unit/csv-text.test.ts holds both to the same bytes on hostile cells).

/** One cell of a report: text, a number, or empty. Here, at the bottom, so report-output.ts imports this module and not the other way round. */
export type Cell = string | number | null | undefined

/** Cells as one CSV record, spreadsheet-safe, without the record delimiter: by csv-stringify. */
export function csvCells(cells: readonly Cell[]): string {
  const safe = cells.map((c) => (typeof c === 'string' ? csvSafe(dataText(c)) : c))
  return stringify([safe]).slice(0, -1)
}

/**
 * One cell as csv-stringify writes it (delimiter `,`, quote `"`, record delimiter `\n`):
 * numbers as `'' + n`, null and undefined empty, a text quoted when it holds a quote, a
 * comma or a newline, its quotes doubled. Text is made data (dataText), then spreadsheet-safe
 * (csvSafe).
 */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return '' + value
  const s = csvSafe(dataText(value))
  if (s.includes('"')) return `"${s.replaceAll('"', '""')}"`
  return s.includes(',') || s.includes('\n') ? `"${s}"` : s
}

/**
 * CSV text (whole records) as a terminal may show it: each cell through safeText, so no
 * escape sequence, control or bidi override in it acts, and no line break inside a quoted
 * cell starts what looks like a row of its own. Cells safeText leaves alone are written
 * back as they were (numbers stay numbers: they were not guarded, and need not be); a cell
 * it changed is guarded again, since what is left may now start with =.
 */
export function inertCsvText(text: string): string {
  const records = parse(text, {relax_column_count: true}) as string[][]
  return stringify(records.map((r) => r.map((cell) => {
    const inert = safeText(cell, Infinity)
    return inert === cell ? cell : csvSafe(inert)
  })))
}

// The one rule for every CSV cell, file, pipe or terminal alike: whatever else a report
// keeps, no terminal control. `report calls | cut -d, -f1,7` shows cells raw, and a caller
// named "\e]0;PWNED\a\u202e张" set the reader's window title and reversed the line.
// Escape sequences, C0 controls (but tab, line feed and CR LF, which CSV quoting carries
// as data; other line ends become LF), DEL, C1 and the bidi embeddings, overrides and isolates
// are never a report's data: a name or a note means the same without them. All else stays as
// the caller or agent wrote it (a file is data for other programs: line breaks, zero-width
// joiners and the bidi marks LRM/RLM/ALM, which reorder nothing past a neutral character,
// are kept). On a terminal, safeText then makes each cell one inert line.
const DATA_CONTROL_TEST = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
const DATA_CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u202a-\u202e\u2066-\u2069]/g
// The other line ends: a CR alone goes back to the start of the line, over what was shown;
// as data it ends a line (old Mac text), as VT, FF and NEL do. Each becomes one LF, which a
// terminal shows as the line break it is (and safeText as a space, as it shows them).
const LINE_END = /\r(?!\n)|[\v\f\u0085]/g

/** A CSV cell's text without terminal controls (the rule above); the same string when it has none. */
export function dataText(s: string): string {
  if (!DATA_CONTROL_TEST.test(s)) return s
  return withoutEscapeSequences(s).replace(DATA_CONTROL, '').replace(LINE_END, '\n')
}

/**
 * CSV text (whole records, encoded by an older callctl or elsewhere) with each cell under
 * the rule above: the same text when no cell needs it. A cell it changed is guarded again
 * (removing an override could uncover a leading =); the others are written back as they were.
 */
export function dataCsvText(text: string): string {
  if (dataText(text) === text) return text
  const records = parse(text, {relax_column_count: true, record_delimiter: '\n'}) as string[][]
  return stringify(records.map((r) => r.map((cell) => {
    const data = dataText(cell)
    return data === cell ? cell : csvSafe(data)
  })))
}
