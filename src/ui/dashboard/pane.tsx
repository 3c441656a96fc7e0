import {Box, Text} from 'ink'
import type {ReactNode} from 'react'
import {useColour} from './color.js'
import {Table, visibleWindow, type Column} from './table.js'

/** A pane's title line: its name, how many rows pass the filter, and which are shown. */
export function Pane(p: {title: string; focused: boolean; count: number; total: number; height: number; selected: number | null; width: number; children: ReactNode}) {
  const colour = useColour()
  const rows = Math.max(0, p.height - 2)
  const {start, end} = visibleWindow(p.count, rows, p.selected)
  // A range only when some rows show: with no room for one it read "2-1".
  const counts = `${p.count === p.total ? p.count : `${p.count} of ${p.total}`}${p.count > end - start && end > start ? ` · ${start + 1}-${end}` : ''}`
  return (
    <Box flexDirection="column" height={p.height} width={p.width}>
      <Text wrap="truncate-end">
        <Text inverse={p.focused} bold color={p.focused ? 'cyan' : undefined}>
          {/* Without colour, brackets tell the focused pane. */}
          {p.focused && !colour ? `[${p.title}]` : ` ${p.title} `}
        </Text>
        <Text dimColor>{` ${counts}`}</Text>
      </Text>
      {p.children}
    </Box>
  )
}

/** What the dashboard gives each of its panes. */
export interface PaneProps<R> {
  rows: R[]
  total: number
  width: number
  height: number
  focused: boolean
  selected: number
}

/** A pane holding a table of its rows; the selection shows only while it has the focus. */
export function TablePane<R>(p: PaneProps<R> & {title: string; columns: readonly Column<R>[]; empty: string}) {
  const selected = p.focused ? p.selected : null
  return (
    <Pane title={p.title} focused={p.focused} count={p.rows.length} total={p.total} height={p.height} width={p.width} selected={selected}>
      <Table columns={p.columns} rows={p.rows} width={p.width} height={p.height - 2} selected={selected} empty={p.empty} />
    </Pane>
  )
}
