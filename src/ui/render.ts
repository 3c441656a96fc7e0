import chalk from 'chalk'
import {jsonText} from '../engine/util/json-text.js'
import {safeText} from '../engine/util/text.js'
import {cutToWidth, displayWidth} from './text-width.js'

// The one place human output is formatted. Everything printed passes through safeText:
// caller names and other outside text must not reach the terminal as escape sequences.

export interface Column<T> {
  header: string
  get: (row: T) => unknown
  align?: 'left' | 'right'
  max?: number
  /** Never cut to fit the terminal: an id a person copies into the next command. */
  keep?: boolean
  /**
   * Left out on a terminal too narrow for the table even with every column cut to its
   * header (`calls` at 80 columns: ten columns and a whole call id): the last such column
   * goes first. Piped or redirected, every column is there.
   */
  optional?: boolean
}

/** The terminal's width when standard output is one; undefined (no limit) for pipes and files. */
export function terminalColumns(out: NodeJS.WriteStream = process.stdout): number | undefined {
  return out.isTTY && out.columns > 0 ? out.columns : undefined
}

/**
 * Rows under a bold header, each column as wide as its widest cell. On a terminal
 * (`width`) the table fits it: a row longer than the screen wraps, and the column a person
 * reads first (a ticket's subject after a long contact number) lands split on the next
 * line. The widest columns give way first, cut with …, never below their header or a
 * `keep` column at all; piped or redirected, rows are whole.
 */
export function table<T>(rows: readonly T[], all: readonly Column<T>[], opts: {width?: number} = {width: terminalColumns()}): string {
  let columns = all
  let cells = rows.map((r) => columns.map((c) => safeText(c.get(r), c.max ?? 60)))
  let widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((row) => width(row[i]!))))
  if (opts.width) {
    const keep = fitting(columns, widths, opts.width)
    if (keep.length < columns.length) {
      columns = keep.map((i) => all[i]!)
      cells = cells.map((row) => keep.map((i) => row[i]!))
      widths = keep.map((i) => widths[i]!)
    }
    shrinkToFit(widths, columns, opts.width)
  }
  const line = (values: string[], style: (s: string) => string = (s) => s) =>
    values
      .map((v, i) => {
        const fitted = width(v) > widths[i]! ? cutToWidth(v, widths[i]! - 1).text + '…' : v
        const pad = ' '.repeat(Math.max(0, widths[i]! - width(fitted)))
        return style(columns[i]!.align === 'right' ? pad + fitted : fitted + pad)
      })
      .join('  ')
      .trimEnd()
  const out = [line(columns.map((c) => c.header), (s) => chalk.bold(s)), ...cells.map((row) => line(row))]
  return out.join('\n')
}

/** Which columns stay (their indexes): optional ones go from the last while the row, every column at its floor, is wider than `limit`. */
function fitting<T>(columns: readonly Column<T>[], widths: readonly number[], limit: number): number[] {
  const floor = columns.map((c, i) => Math.min(widths[i]!, floorOf(c)))
  let kept = columns.map((_, i) => i)
  const narrowest = () => kept.reduce((n, i) => n + floor[i]!, 0) + 2 * (kept.length - 1)
  for (let i = columns.length - 1; i >= 0 && narrowest() > limit; i--) if (columns[i]!.optional) kept = kept.filter((k) => k !== i)
  return kept
}

/** How narrow shrinkToFit may make a column: a kept one not at all, the others to their header (at least 4). */
function floorOf<T>(c: Column<T>): number {
  return c.keep ? Infinity : Math.max(width(c.header), 4)
}

/** Narrows the widest column that may still give, a column at a time, until the row fits. */
function shrinkToFit<T>(widths: number[], columns: readonly Column<T>[], limit: number): void {
  const floor = columns.map(floorOf)
  let total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1)
  while (total > limit) {
    let widest = -1
    for (let i = 0; i < widths.length; i++) if (widths[i]! > floor[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i
    if (widest < 0) return
    widths[widest]!--
    total--
  }
}

/** Key: value lines, keys aligned. */
export function fields(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj)
  const w = Math.max(...keys.map((k) => k.length))
  return keys.map((k) => `${chalk.dim(k.padEnd(w))}  ${safeText(format(obj[k]), 500)}`).join('\n')
}

function format(v: unknown): string {
  if (v === null || v === undefined) return '-'
  if (Array.isArray(v)) return v.join(', ')
  if (typeof v === 'object') return jsonText(v)
  return String(v)
}

// Measured as Ink measures (string-width): CJK and emoji take two columns, combining marks none.
function width(s: string): number {
  return displayWidth(s)
}

export function stateColor(state: string): string {
  switch (state) {
    case 'idle':
      return chalk.green(state)
    case 'ringing':
      return chalk.yellow(state)
    case 'on-call':
      return chalk.cyan(state)
    case 'wrap-up':
      return chalk.blue(state)
    case 'paused':
      return chalk.magenta(state)
    case 'unreachable':
      return chalk.red(state)
    case 'other-call':
      return chalk.yellow(state)
    default:
      return chalk.dim(state)
  }
}
