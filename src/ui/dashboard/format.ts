import {wholePercent, wholeSeconds} from '../../engine/reports/rounding.js'

// How the dashboard writes its figures. Shared by the Ink panes, the plain --once
// rendering and the demo's one-line summaries, so all three read the same. Rounding is
// the reports' own rule (engine/reports/rounding.ts), so a figure here is the report's
// column rounded half up.

/** 0:42, 12:05, 1:02:03 (whole seconds, half up); '-' when there is no figure. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-'
  const s = Math.max(0, wholeSeconds(ms))
  const two = (n: number) => String(n).padStart(2, '0')
  if (s < 3600) return `${Math.floor(s / 60)}:${two(s % 60)}`
  return `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`
}

/** A ratio as a whole percent (half up); '-' when there were no calls (no calls is not 0 %). */
export function percent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '-'
  return `${wholePercent(ratio)}%`
}

/** Wall-clock time of the engine's snapshot, in the given (or the local) time zone. */
export function clock(at: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', {hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone}).format(at)
}

/** Not a state of the engine's (a held call is connected, its caller out of the bridge): what people call it, in tables and `calls --state`. */
export const ON_HOLD = 'on-hold'

/**
 * A call's state as people read it: a held call says so (or that its agent is consulting),
 * with how long for unless `short` (the dashboard's 9-column cell); otherwise the engine's state.
 */
export function callStateText(c: {state: string; heldSince: number | null; consulting: boolean}, at: number, o: {short?: boolean} = {}): string {
  if (c.heldSince === null) return c.state
  const what = c.consulting ? (o.short ? 'consult' : 'consulting') : ON_HOLD
  return o.short ? what : `${what} ${duration(Math.max(0, at - c.heldSince))}`
}
