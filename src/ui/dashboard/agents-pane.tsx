import type {AgentState} from '../../engine/api/contract.js'
import type {AgentRow} from './board.js'
import {duration, percent} from './format.js'
import {TablePane, type PaneProps} from './pane.js'
import type {Cell, Column} from './table.js'

export const STATE_COLOR: Record<AgentState, string | undefined> = {idle: 'green', ringing: 'yellow', 'on-call': 'cyan', 'wrap-up': 'blue', paused: 'magenta', unreachable: 'red', 'other-call': 'yellow', offline: undefined}

/** The two phone states in the column's 7 characters ("unreac…" said nothing at 80x24); the note says the rest. */
const SHORT_STATE: Partial<Record<AgentState, string>> = {unreachable: 'unreach', 'other-call': 'in-use'}

/**
 * What the supervisor should know beyond the state, most telling first: a supervision
 * on the call (in capitals, a word and not only a colour), a pause taken during a call
 * (the state still says on-call), the pause reason, a failing phone's back-off.
 */
function note(a: AgentRow): Cell {
  const parts: string[] = []
  if (a.supervision) parts.push(a.supervision.mode.toUpperCase())
  if (a.state === 'unreachable') parts.push('phone down')
  if (a.state === 'other-call') parts.push('other call')
  if (a.paused && a.state !== 'paused') parts.push(`paused: ${a.pauseReason ?? ''}`)
  else if (a.pauseReason) parts.push(a.pauseReason)
  // A failing phone backed off shows when it is tried again (the full why is in dashboard --once and agent list).
  if (a.backoffLeftMs !== null) parts.push(`retry ${Math.ceil(a.backoffLeftMs / 1000)}s`)
  // Chats held: an idle agent full of chats is rung for no call (the one capacity rule).
  if (a.chats) parts.push(`chats ${a.chats.held}/${a.chats.limit}${a.chats.blocksCalls ? ' no calls' : ''}`)
  return {text: parts.join(' · '), color: a.supervision ? 'magenta' : a.backoffLeftMs !== null || a.chats?.blocksCalls ? 'yellow' : undefined}
}

const COLUMNS: Column<AgentRow>[] = [
  {header: 'AGENT', width: 10, cell: (a) => a.id},
  {header: 'NAME', width: 12, grow: true, max: 24, drop: 2, cell: (a) => a.name},
  {header: 'STATE', width: 7, cell: (a) => ({text: SHORT_STATE[a.state] ?? a.state, color: STATE_COLOR[a.state], dim: a.state === 'offline'})},
  {header: 'IN STATE', width: 8, align: 'right', cell: (a) => duration(a.inStateMs)},
  {header: 'CALLER', width: 16, grow: true, max: 36, drop: 1, cell: (a) => (a.caller ? [a.caller.number, a.caller.name].filter(Boolean).join(' ') : '')},
  {header: 'CALLS', width: 5, align: 'right', cell: (a) => String(a.callsToday)},
  {header: 'TALK', width: 7, align: 'right', drop: 4, cell: (a) => duration(a.talkTodayMs)},
  {header: 'OCC', width: 4, align: 'right', drop: 4, cell: (a) => percent(a.occupancy)},
  {header: 'NOTE', width: 10, grow: true, max: 30, drop: 1, cell: note},
  {header: 'QUEUES', width: 14, grow: true, max: 30, drop: 5, cell: (a) => a.queues.join(',')},
]

export function AgentsPane(p: PaneProps<AgentRow>) {
  return <TablePane {...p} title="AGENTS" columns={COLUMNS} empty="No agents" />
}
