import type {QueueRow} from './board.js'
import {duration, percent} from './format.js'
import {TablePane, type PaneProps} from './pane.js'
import type {Column} from './table.js'

const COLUMNS: Column<QueueRow>[] = [
  {header: 'QUEUE', width: 8, grow: true, max: 24, cell: (q) => q.name},
  {header: 'WAITING', width: 7, align: 'right', cell: (q) => ({text: String(q.waiting), level: q.levels.waiting})},
  {header: 'LONGEST', width: 7, align: 'right', cell: (q) => ({text: duration(q.longestWaitMs), level: q.levels.longestWait})},
  {header: 'AVAIL', width: 5, align: 'right', cell: (q) => String(q.available)},
  {header: 'BUSY', width: 4, align: 'right', cell: (q) => String(q.busy)},
  {header: 'PAUSED', width: 6, align: 'right', drop: 3, cell: (q) => String(q.paused)},
  {header: 'OFFERED', width: 7, align: 'right', cell: (q) => String(q.offered)},
  {header: 'ANSWERED', width: 8, align: 'right', drop: 2, cell: (q) => String(q.answered)},
  {header: 'ABANDONED', width: 9, align: 'right', drop: 2, cell: (q) => String(q.abandoned)},
  {header: 'ABAND%', width: 6, align: 'right', drop: 1, cell: (q) => ({text: percent(q.abandonRate), level: q.levels.abandonRate})},
  {header: 'SL (T)', width: 10, align: 'right', cell: (q) => ({text: `${percent(q.serviceLevel)} (${q.slSeconds}s)`, level: q.levels.serviceLevel})},
  {header: 'ASA', width: 5, align: 'right', drop: 1, cell: (q) => ({text: duration(q.asaMs), level: q.levels.asa})},
  {header: 'AHT', width: 5, align: 'right', drop: 2, cell: (q) => ({text: duration(q.ahtMs), level: q.levels.aht})},
]

export function QueuesPane(p: PaneProps<QueueRow>) {
  return <TablePane {...p} title="QUEUES" columns={COLUMNS} empty="No queues (callctl queue add NAME)" />
}
