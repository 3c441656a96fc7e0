import type {Pane} from './keys.js'

/** Lines for each pane's title and column headers. */
const CHROME = 2
/** A pane smaller than this (title, headers, one row) is not worth showing. */
const MIN = CHROME + 1

/**
 * Splits `lines` between the three panes: queues get what they need up to two fifths
 * (at 80x24 that is five queues; they come most urgent first), agents and calls share
 * the rest. Too small a screen shows the focused pane only.
 */
export function paneHeights(lines: number, counts: Record<Pane, number>, focus: Pane): Record<Pane, number> {
  if (lines < MIN * 3) return {queues: 0, agents: 0, calls: 0, [focus]: Math.max(0, lines)}
  const need = (p: Pane) => Math.max(MIN, counts[p] + CHROME)
  // Room for every row: each pane gets all of its own, the calls pane what is left.
  if (need('queues') + need('agents') + need('calls') <= lines) return {queues: need('queues'), agents: need('agents'), calls: lines - need('queues') - need('agents')}
  const queues = Math.min(need('queues'), Math.max(MIN, Math.floor(lines * 0.4)))
  const rest = lines - queues
  const half = Math.floor(rest / 2)
  let agents: number
  if (need('agents') + need('calls') <= rest) agents = need('agents')
  else if (need('calls') < half) agents = rest - need('calls')
  else if (need('agents') < half) agents = need('agents')
  else agents = half
  return {queues, agents, calls: rest - agents}
}

/** Spare lines below this (a title, the time axis and two queues) are not worth a chart. */
const CHART_MIN = 4

/**
 * Lines the panes leave empty when every row of theirs is shown (a tall screen, a
 * quiet hour): the wallboard draws the last hour there rather than leave them blank.
 */
export function chartLines(lines: number, counts: Record<Pane, number>): number {
  if (lines < MIN * 3) return 0
  const spare = lines - (['queues', 'agents', 'calls'] as const).reduce((n, p) => n + Math.max(MIN, counts[p] + CHROME), 0)
  return spare >= CHART_MIN ? spare : 0
}
