import {UserError} from './errors.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000}

/** "90", "90s", "10m", "1h30m", "2d" → milliseconds. A bare number is seconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const t = text.trim()
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000)
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy
  let total = 0
  let matched = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!
    matched = re.lastIndex
  }
  if (matched === 0 || matched !== t.length) {
    throw new UserError(`Invalid ${what} "${text}"`, {suggestion: 'Use a number of seconds or units like 90s, 10m, 1h30m, 2d.'})
  }
  return Math.round(total)
}

export interface Range {
  min: number
  max: number
}

/** "5-20" or "7" → {min, max}; both bounds non-negative numbers. */
export function parseRange(text: string, what = 'range'): Range {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?))?\s*$/.exec(text)
  if (!m) throw new UserError(`Invalid ${what} "${text}"`, {suggestion: 'Use MIN-MAX (e.g. 5-20) or a single number.'})
  const min = Number(m[1])
  const max = m[2] === undefined ? min : Number(m[2])
  if (max < min) throw new UserError(`Invalid ${what} "${text}": ${max} is below ${min}`, {suggestion: 'Write the smaller bound first.'})
  return {min, max}
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-'
  const s = Math.floor(ms / 1000)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (h > 0) return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
  return `${m}:${String(sec).padStart(2, '0')}`
}
