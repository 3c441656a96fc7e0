import type {SuperviseMode} from '../../engine/api/contract.js'
import type {Board} from './board.js'

// What a key press does, as a pure function of the screen's state: the Ink app only
// feeds it keys and carries out the action it returns.

export const PANES = ['queues', 'agents', 'calls'] as const
export type Pane = (typeof PANES)[number]

export interface UiState {
  focus: Pane
  /** The selected row of each pane, by its id, so it stays put as rows come and go. */
  selected: Record<Pane, string | null>
  filter: string
  editingFilter: boolean
  help: boolean
}

export type Action =
  | {type: 'quit'}
  | {type: 'supervise'; mode: SuperviseMode; agent: string; call: string | null}
  | {type: 'pause'; agent: string}
  | {type: 'unpause'; agent: string}
  /** Something to tell the supervisor (e.g. why a key did nothing). */
  | {type: 'say'; text: string}

/** The subset of Ink's Key the dashboard reads. */
export interface KeyPress {
  upArrow?: boolean
  downArrow?: boolean
  pageUp?: boolean
  pageDown?: boolean
  home?: boolean
  end?: boolean
  return?: boolean
  escape?: boolean
  tab?: boolean
  shift?: boolean
  ctrl?: boolean
  backspace?: boolean
  delete?: boolean
}

export const INITIAL_UI: UiState = {focus: 'queues', selected: {queues: null, agents: null, calls: null}, filter: '', editingFilter: false, help: false}

const SUPERVISE: Record<string, SuperviseMode> = {m: 'monitor', w: 'whisper', b: 'barge'}

export function rowIds(board: Board, pane: Pane): string[] {
  if (pane === 'queues') return board.queues.map((q) => q.name)
  if (pane === 'agents') return board.agents.map((a) => a.id)
  return board.calls.map((c) => c.id)
}

/** Index of the selected row (the first when none is selected, or it has gone). */
export function selectedIndex(board: Board, ui: UiState, pane: Pane = ui.focus): number {
  const id = ui.selected[pane]
  const i = id === null ? -1 : rowIds(board, pane).indexOf(id)
  return Math.max(0, i)
}

export function onKey(ui: UiState, input: string, key: KeyPress, board: Board | null, pageRows: number): {ui: UiState; action?: Action} {
  if (key.ctrl && input === 'c') return {ui, action: {type: 'quit'}}
  if (ui.editingFilter) return {ui: editFilter(ui, input, key)}
  if (ui.help) return {ui: input === 'q' ? ui : {...ui, help: false}, ...(input === 'q' ? {action: {type: 'quit'} as const} : {})}
  if (input === 'q') return {ui, action: {type: 'quit'}}
  if (input === '?') return {ui: {...ui, help: true}}
  if (input === '/') return {ui: {...ui, editingFilter: true}}
  if (key.escape && ui.filter) return {ui: {...ui, filter: ''}}
  if (key.tab) {
    const step = key.shift ? PANES.length - 1 : 1
    return {ui: {...ui, focus: PANES[(PANES.indexOf(ui.focus) + step) % PANES.length]!}}
  }
  if (!board) return {ui}
  const move = key.upArrow || input === 'k' ? -1 : key.downArrow || input === 'j' ? 1 : key.pageUp ? -pageRows : key.pageDown ? pageRows : key.home ? -Infinity : key.end ? Infinity : 0
  if (move !== 0) {
    const ids = rowIds(board, ui.focus)
    if (ids.length === 0) return {ui}
    const i = Math.min(ids.length - 1, Math.max(0, selectedIndex(board, ui) + move))
    return {ui: {...ui, selected: {...ui.selected, [ui.focus]: ids[i]!}}}
  }
  const mode = SUPERVISE[input]
  if (mode) return {ui, action: supervise(board, ui, mode)}
  if (input === 'p') return {ui, action: pause(board, ui)}
  return {ui}
}

function editFilter(ui: UiState, input: string, key: KeyPress): UiState {
  if (key.return) return {...ui, editingFilter: false}
  if (key.escape) return {...ui, editingFilter: false, filter: ''}
  if (key.backspace || key.delete) return {...ui, filter: ui.filter.slice(0, -1)}
  if (key.ctrl || key.tab || key.upArrow || key.downArrow) return ui
  // Printable text only: a pasted escape sequence must not end up in the filter line.
  const text = input.replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
  return text ? {...ui, filter: (ui.filter + text).slice(0, 60)} : ui
}

/** The agent a key acts on: the selected agent, or the agent of the selected call. */
function targetAgent(board: Board, ui: UiState): {agent: string | null; call: string | null} | string {
  if (ui.focus === 'agents') {
    const a = board.agents[selectedIndex(board, ui)]
    return a ? {agent: a.id, call: a.callId} : 'No agent selected'
  }
  if (ui.focus === 'calls') {
    const c = board.calls[selectedIndex(board, ui)]
    return c ? {agent: c.agent, call: c.id} : 'No call selected'
  }
  return 'Select an agent or a call first (Tab to the agents or calls pane)'
}

function supervise(board: Board, ui: UiState, mode: SuperviseMode): Action {
  const t = targetAgent(board, ui)
  if (typeof t === 'string') return {type: 'say', text: t}
  if (!t.agent || !t.call) return {type: 'say', text: t.agent ? `Agent ${t.agent} is not on a call` : 'This call has no agent yet'}
  return {type: 'supervise', mode, agent: t.agent, call: ui.focus === 'calls' ? t.call : null}
}

function pause(board: Board, ui: UiState): Action {
  const t = targetAgent(board, ui)
  if (typeof t === 'string') return {type: 'say', text: t}
  if (!t.agent) return {type: 'say', text: 'This call has no agent yet'}
  const a = board.agents.find((x) => x.id === t.agent)
  if (a?.state === 'offline') return {type: 'say', text: `Agent ${a.id} is logged out: log it in first (callctl agent login ${a.id})`}
  // An agent paused during a call shows its call's state until the call ends; its reason says it is paused.
  return a && (a.state === 'paused' || a.pauseReason !== null) ? {type: 'unpause', agent: t.agent} : {type: 'pause', agent: t.agent}
}
