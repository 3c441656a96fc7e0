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
