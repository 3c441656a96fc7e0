import {Box, Text} from 'ink'
import type {ReactNode} from 'react'
import {visibleWindow} from './table.js'

/** A pane's title line: its name, how many rows pass the filter, and which are shown. */
export function Pane(p: {title: string; focused: boolean; count: number; total: number; height: number; selected: number | null; width: number; children: ReactNode}) {
  const rows = Math.max(0, p.height - 2)
  const {start, end} = visibleWindow(p.count, rows, p.selected)
  const counts = `${p.count === p.total ? p.count : `${p.count} of ${p.total}`}${p.count > end - start ? ` · ${start + 1}-${end}` : ''}`
  return (
    <Box flexDirection="column" height={p.height} width={p.width}>
      <Text wrap="truncate-end">
        <Text inverse={p.focused} bold color={p.focused ? 'cyan' : undefined}>
          {` ${p.title} `}
        </Text>
        <Text dimColor>{` ${counts}`}</Text>
      </Text>
      {p.children}
    </Box>
  )
}
