import {Box, Text} from 'ink'
import type {QueueRow} from './board.js'
import {fit} from './cells.js'

// The last hour per queue drawn large, in the lines a tall screen would leave blank:
// callers offered per 5 minutes as bars several lines high, one block of lines per
// queue (most urgent first, as in the queues pane), on one scale for every queue.

const EIGHTHS = ' ▁▂▃▄▅▆▇█'
const LABEL = 12
/** Lines of bars per queue at most: taller bars say no more, and a few callers would fill a screen. */
const MAX_ROWS = 8

/** Bars `rows` lines high, top line first, one character per value (eighths of a line). */
export function barRows(values: readonly number[], peak: number, rows: number): string[] {
  const levels = values.map((v) => (peak > 0 && v > 0 ? Math.max(1, Math.round((v / peak) * rows * 8)) : 0))
  return Array.from({length: rows}, (_, i) => {
    const floor = (rows - 1 - i) * 8
    return levels.map((l) => EIGHTHS[Math.max(0, Math.min(8, l - floor))]).join('')
  })
}

export function ChartPane(p: {queues: readonly QueueRow[]; peak: number; bucketMinutes: number; width: number; height: number}) {
  const series = p.queues.filter((q) => q.recentOffered !== null)
  const total = (q: QueueRow) => q.recentOffered!.reduce((n, v) => n + v, 0)
  const buckets = series[0]?.recentOffered?.length ?? 12
  // Title and time axis take two lines; a queue nobody called takes one, the others share the rest.
  const room = p.height - 2
  const quiet = series.filter((q) => total(q) === 0).length
  const rows = Math.max(1, Math.min(MAX_ROWS, Math.floor((room - quiet) / Math.max(1, series.length - quiet))))
  const step = Math.max(2, Math.floor((p.width - LABEL - 8) / buckets))
  const widen = (line: string) => [...line].map((c) => c.repeat(step - 1) + ' ').join('')
  const lines: string[] = []
  for (const q of series) {
    const values = q.recentOffered!
    const bars = barRows(values, p.peak, total(q) === 0 ? 1 : rows)
    if (lines.length + bars.length > room) break
    bars.forEach((b, i) => {
      const last = i === bars.length - 1
      lines.push(`${fit(last ? q.name : '', LABEL)} ${widen(b)}${last ? ` ${total(q)}` : ''}`.trimEnd())
    })
  }
  const axisStart = `-${buckets * p.bucketMinutes} min`
  const axis = `${' '.repeat(LABEL + 1)}${axisStart}${' '.repeat(Math.max(1, buckets * step - axisStart.length - 4))}now`
  return (
    <Box flexDirection="column" height={p.height} width={p.width}>
      <Text wrap="truncate-end">
        <Text bold>{' LAST HOUR '}</Text>
        <Text dimColor>{` callers offered per ${p.bucketMinutes} minutes, and in the hour`}</Text>
      </Text>
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate-end">
          {l}
        </Text>
      ))}
      <Text dimColor wrap="truncate-end">
        {axis}
      </Text>
    </Box>
  )
}
