// One rounding rule for every figure callctl shows, on a screen or in a report: HALF UP
// (x.5 goes up) at the precision the figure is shown with. Reports keep seconds to 0.1
// and shares (0..1) to 4 places; the dashboard shows whole seconds and whole percents,
// rounded from those report values (not from the raw ones), so a dashboard figure is
// always the report's column rounded half up: ASA 21.6 s shows as 0:22, 21.45 s (the
// report's 21.5) as 0:22 too, never 0:21 on one screen and 22 on another.

/**
 * `x` rounded half up to `places` decimals. Scaling first goes through 15 significant
 * digits: 0.285 * 100 is 28.499999999999996 in binary, and should round to 29.
 */
export function roundHalfUp(x: number, places = 0): number {
  const f = 10 ** places
  return Math.round(Number((x * f).toPrecision(15))) / f
}

/** Milliseconds as seconds to 0.1, the precision of every duration column. */
export function tenthsOfSecond(ms: number): number {
  return roundHalfUp(ms / 1000, 1)
}

/** Milliseconds as whole seconds, by way of the report's 0.1 s. */
export function wholeSeconds(ms: number): number {
  return roundHalfUp(tenthsOfSecond(ms))
}

/** A share (0..1) to 4 places, the precision of every rate column. */
export function shareOf(ratio: number): number {
  return roundHalfUp(ratio, 4)
}

/** A share (0..1) as a whole percent, by way of the report's 4 places. */
export function wholePercent(ratio: number): number {
  return roundHalfUp(shareOf(ratio) * 100)
}
