import type {AgentState} from '../../engine/api/contract.js'
import type {AgentRow} from './board.js'
import {duration} from './format.js'
import {TablePane, type PaneProps} from './pane.js'
import type {Column} from './table.js'

export const STATE_COLOR: Record<AgentState, string | undefined> = {idle: 'green', ringing: 'yellow', 'on-call': 'cyan', 'wrap-up': 'blue', paused: 'magenta', offline: undefined}

const COLUMNS: Column<AgentRow>[] = [
  {header: 'AGENT', width: 10, cell: (a) => a.id},
  {header: 'NAME', width: 12, grow: true, max: 24, drop: 2, cell: (a) => a.name},
  {header: 'STATE', width: 7, cell: (a) => ({text: a.state, color: STATE_COLOR[a.state], dim: a.state === 'offline'})},
  {header: 'IN STATE', width: 8, align: 'right', cell: (a) => duration(a.inStateMs)},
  {header: 'CALLER', width: 16, grow: true, max: 36, drop: 1, cell: (a) => (a.caller ? [a.caller.number, a.caller.name].filter(Boolean).join(' ') : '')},
  {header: 'CALLS', width: 5, align: 'right', cell: (a) => String(a.callsToday)},
  // A failing phone backed off shows when it is tried again (the full why is in dashboard --once and agent list); an automatic pause reads no-answer.
  {header: 'REASON', width: 10, drop: 1, cell: (a) => (a.backoffLeftMs !== null ? {text: `retry ${Math.ceil(a.backoffLeftMs / 1000)}s`, color: 'yellow'} : a.pauseReason ?? '')},
  {header: 'QUEUES', width: 14, grow: true, max: 30, drop: 3, cell: (a) => a.queues.join(',')},
]

export function AgentsPane(p: PaneProps<AgentRow>) {
  return <TablePane {...p} title="AGENTS" columns={COLUMNS} empty="No agents" />
}
