import chalk from 'chalk'
import {jsonText} from '../engine/util/json-text.js'
import {safeText} from '../engine/util/text.js'
import {displayWidth} from './text-width.js'

// The one place human output is formatted. Everything printed passes through safeText:
// caller names and other outside text must not reach the terminal as escape sequences.

export interface Column<T> {
  header: string
  get: (row: T) => unknown
  align?: 'left' | 'right'
  max?: number
}

export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => safeText(c.get(r), c.max ?? 60)))
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((row) => width(row[i]!))))
  const line = (values: string[], style: (s: string) => string = (s) => s) =>
    values
      .map((v, i) => {
        const pad = ' '.repeat(widths[i]! - width(v))
        return style(columns[i]!.align === 'right' ? pad + v : v + pad)
      })
      .join('  ')
      .trimEnd()
  const out = [line(columns.map((c) => c.header), (s) => chalk.bold(s)), ...cells.map((row) => line(row))]
  return out.join('\n')
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
