import type {CallRow} from './board.js'
import {callStateText, duration} from './format.js'
import {TablePane, type PaneProps} from './pane.js'
import type {Column} from './table.js'

const STATE_COLOR: Record<string, string> = {waiting: 'yellow', 'callback-pending': 'yellow', connected: 'cyan', ivr: 'blue', transferring: 'magenta'}

const COLUMNS: Column<CallRow>[] = [
  {header: 'CALLER', width: 15, cell: (c) => c.number},
  {header: 'NAME', width: 12, grow: true, max: 24, drop: 1, cell: (c) => c.name},
  {header: 'TIER', width: 8, drop: 2, cell: (c) => ({text: c.tier ?? (c.priority > 0 ? `p${c.priority}` : ''), color: c.vip ? 'magenta' : undefined})},
  {header: 'QUEUE', width: 10, grow: true, max: 16, cell: (c) => c.queue ?? ''},
  {header: 'AGENT', width: 10, cell: (c) => c.agent ?? (c.ringing.length ? `→${c.ringing.join(',')}` : '')},
  {header: 'STATE', width: 9, cell: (c) => ({text: callStateText(c, 0, {short: true}), color: c.heldSince === null ? STATE_COLOR[c.state] : 'yellow'})},
  {header: 'WAIT', width: 6, align: 'right', cell: (c) => ({text: duration(c.waitMs), level: c.levels.wait})},
  {header: 'TALK', width: 6, align: 'right', cell: (c) => duration(c.talkMs)},
  {header: 'KEYS', width: 8, grow: true, max: 40, drop: 2, cell: (c) => c.keys.join(' ')},
]

export function CallsPane(p: PaneProps<CallRow>) {
  return <TablePane {...p} title="CALLS" columns={COLUMNS} empty="No live calls" />
}
