import {parse} from 'csv-parse/sync'
import {stringify} from 'csv-stringify/sync'
import {csvSafe, safeText} from '../util/text.js'

// CSV text made ahead of the report. The call summary keeps each call's fixed cells as
// CSV text, encoded once by csv-stringify when the call is summarized; `report calls`
// then adds the few cells that depend on the report (times in its zone, recording files)
// with csvCell, which encodes exactly as csv-stringify does with the report's options
// (test/unit/csv-text.test.ts holds both to the same bytes on hostile cells).

/** One cell of a report: text, a number, or empty. Here, at the bottom, so report-output.ts imports this module and not the other way round. */
export type Cell = string | number | null | undefined

/** Cells as one CSV record, spreadsheet-safe, without the record delimiter: by csv-stringify. */
export function csvCells(cells: readonly Cell[]): string {
  const safe = cells.map((c) => (typeof c === 'string' ? csvSafe(c) : c))
  return stringify([safe]).slice(0, -1)
}

/**
 * One cell as csv-stringify writes it (delimiter `,`, quote `"`, record delimiter `\n`):
 * numbers as `'' + n`, null and undefined empty, a text quoted when it holds a quote, a
 * comma or a newline, its quotes doubled. Text is made spreadsheet-safe first (csvSafe).
 */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return '' + value
  const s = csvSafe(value)
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
