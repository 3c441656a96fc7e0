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
