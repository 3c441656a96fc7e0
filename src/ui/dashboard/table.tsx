// Hand-written, not ink-table (on the design card). ink-table 3.1 sizes each column to its
// longest value by String.length (客服 is 2 there, 4 on screen), never to the terminal,
// draws a ruled line between rows, renders every row and hashes each (sha1) on every
// frame. A pane needs the opposite: fit the width by dropping and cutting columns, cut by
// display width, show only the rows that fit its height around the selection, colour a
// cell by its threshold, one Text line per row so 1,000 agents stay cheap. ~100 lines.
import chalk, {type ForegroundColorName} from 'chalk'
import {Box, Text} from 'ink'
import {fit} from './cells.js'
import {marked, useColour} from './color.js'
import type {Level} from './thresholds.js'

export interface Cell {
  text: string
  level?: Level
  color?: string
  dim?: boolean
}

export interface Column<R> {
  header: string
  width: number
  /** Takes a share of the width left over once every shown column has its own, up to `max`. */
  grow?: boolean
  max?: number
  align?: 'left' | 'right'
  /** Narrow terminals drop columns with the highest number first; 0 is never dropped. */
  drop?: number
  cell: (row: R) => string | Cell
}

export const LEVEL_COLOR: Record<Level, string | undefined> = {ok: 'green', warn: 'yellow', alert: 'red', none: undefined}

/** The columns that fit `width`, with their final widths (one space between columns). */
export function fitColumns<R>(columns: readonly Column<R>[], width: number): {column: Column<R>; width: number}[] {
  let shown = [...columns]
  const need = (cs: readonly Column<R>[]) => cs.reduce((n, c) => n + c.width, 0) + Math.max(0, cs.length - 1)
  while (need(shown) > width && shown.some((c) => (c.drop ?? 0) > 0)) {
    const victim = shown.reduce((a, b) => ((b.drop ?? 0) >= (a.drop ?? 0) ? b : a))
    shown = shown.filter((c) => c !== victim)
  }
  const widths = new Map(shown.map((c) => [c, c.width]))
  // Hand out the spare width a column at a time, so a capped column leaves its share to the others.
  let spare = Math.max(0, width - need(shown))
  let growers = shown.filter((c) => c.grow)
  while (spare > 0 && growers.length > 0) {
    const share = Math.max(1, Math.floor(spare / growers.length))
    for (const c of growers) {
      const add = Math.min(share, spare, (c.max ?? Infinity) - widths.get(c)!)
      widths.set(c, widths.get(c)! + add)
      spare -= add
    }
    growers = growers.filter((c) => widths.get(c)! < (c.max ?? Infinity))
  }
  return shown.map((c) => ({column: c, width: widths.get(c)!}))
}

/** First and last (exclusive) row shown, keeping the selected row in view. */
export function visibleWindow(count: number, height: number, selected: number | null): {start: number; end: number} {
  const h = Math.max(0, height)
  const start = selected === null ? 0 : Math.min(Math.max(0, selected - h + 1), Math.max(0, count - h))
  return {start, end: Math.min(count, start + h)}
}

/** A cell as styled text: chalk directly, as Ink's Text would, without an element per cell. */
function paint(c: Cell, text: string): string {
  const color = c.color ?? (c.level ? LEVEL_COLOR[c.level] : undefined)
  let out = text
  if (color) out = chalk[color as ForegroundColorName](out)
  if (c.dim) out = chalk.dim(out)
  if (c.level === 'alert') out = chalk.bold(out)
  return out
}

export function Table<R>(p: {columns: readonly Column<R>[]; rows: readonly R[]; width: number; height: number; selected: number | null; empty?: string}) {
  // Without colour the selection cannot be inverse: a "> " gutter points at it instead.
  const colour = useColour()
  const gutter = p.selected !== null && !colour ? 2 : 0
  const cols = fitColumns(p.columns, p.width - gutter)
  const {start, end} = visibleWindow(p.rows.length, p.height, p.selected)
  const lines = []
  for (let i = start; i < end; i++) {
    const row = p.rows[i]!
    let line = gutter ? (i === p.selected ? '> ' : '  ') : ''
    cols.forEach(({column, width}, j) => {
      const v = column.cell(row)
      const c: Cell = typeof v === 'string' ? {text: v} : v
      line += paint(c, fit(marked(c.text, c.level, colour), width, column.align)) + (j < cols.length - 1 ? ' ' : '')
    })
    lines.push(
      <Text key={i} wrap="truncate-end">
        {i === p.selected && !gutter ? chalk.inverse(line) : line.trimEnd()}
      </Text>,
    )
  }
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {' '.repeat(gutter) + cols.map(({column, width}, j) => fit(column.header, width, column.align) + (j < cols.length - 1 ? ' ' : '')).join('').trimEnd()}
      </Text>
      {/* Rows that do not fit are not "no rows": a pane too short for one says so. */}
      {lines.length ? (
        lines
      ) : (
        <Text dimColor wrap="truncate-end">
          {p.rows.length ? `+${p.rows.length} more (no room to show them)` : (p.empty ?? '(none)')}
        </Text>
      )}
    </Box>
  )
}
