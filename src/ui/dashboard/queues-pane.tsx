import type {Board, QueueRow} from './board.js'
import {useColour} from './color.js'
import {duration, percent} from './format.js'
import {TablePane, type PaneProps} from './pane.js'
import type {Column} from './table.js'

const BARS = '▁▂▃▄▅▆▇█'

/** A series as one character per value, scaled to `peak`; nobody offered shows as a dot. */
export function sparkline(values: readonly number[], peak: number): string {
  return values.map((v) => (v <= 0 || peak <= 0 ? '·' : BARS[Math.min(BARS.length - 1, Math.ceil((v / peak) * BARS.length) - 1)])).join('')
}

// Without colour a figure past its threshold carries a mark (!! alert): its column has room for it.
const columns = (peak: number, mark: number): Column<QueueRow>[] => [
  {header: 'QUEUE', width: 8, grow: true, max: 24, cell: (q) => q.name},
  {header: 'WAITING', width: 7, align: 'right', cell: (q) => ({text: String(q.waiting), level: q.levels.waiting})},
  {header: 'LONGEST', width: 7, align: 'right', cell: (q) => ({text: duration(q.longestWaitMs), level: q.levels.longestWait})},
  {header: 'IDLE', width: 5, align: 'right', cell: (q) => String(q.idle)},
  {header: 'BUSY', width: 4, align: 'right', cell: (q) => String(q.busy)},
  {header: 'PAUSED', width: 6, align: 'right', drop: 3, cell: (q) => String(q.paused)},
  {header: 'OFFERED', width: 7, align: 'right', cell: (q) => String(q.offered)},
  {header: 'ANSWERED', width: 8, align: 'right', drop: 2, cell: (q) => String(q.answered)},
  {header: 'ABANDONED', width: 9, align: 'right', drop: 2, cell: (q) => String(q.abandoned)},
  {header: 'ABAND%', width: 6, align: 'right', drop: 1, cell: (q) => ({text: percent(q.abandonRate), level: q.levels.abandonRate})},
  {header: 'SL (T)', width: 10 + mark, align: 'right', cell: (q) => ({text: `${percent(q.serviceLevel)} (${q.slSeconds}s)`, level: q.levels.serviceLevel})},
  {header: 'ASA', width: 5 + mark, align: 'right', drop: 1, cell: (q) => ({text: duration(q.asaMs), level: q.levels.asa})},
  {header: 'AHT', width: 5 + mark, align: 'right', drop: 2, cell: (q) => ({text: duration(q.ahtMs), level: q.levels.aht})},
  {header: 'CALLBACKS', width: 9, align: 'right', drop: 5, cell: (q) => String(q.callbacksPending)},
  // Callers offered per 5 minutes over the last hour, on one scale for every queue.
  {header: 'LAST HOUR', width: 12, drop: 4, cell: (q) => (q.recentOffered ? sparkline(q.recentOffered, peak) : '')},
]

export function QueuesPane(p: PaneProps<QueueRow> & {recentPeak?: Board['recentPeak']}) {
  const colour = useColour()
  return <TablePane {...p} title="QUEUES" columns={columns(p.recentPeak ?? 0, colour ? 0 : 2)} empty="No queues (callctl queue add NAME)" />
}
