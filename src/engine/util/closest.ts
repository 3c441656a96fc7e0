/**
 * The candidate nearest to what was typed, for a "did you mean" — or undefined when
 * nothing is near enough to be a slip of the fingers (a third of the length, at least 1,
 * at most 3 edits): suggesting "sales" for "xyz" would only mislead.
 */
export function closest(typed: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor([...typed].length / 3)))
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    const d = editDistance(typed.toLowerCase(), c.toLowerCase())
    if (d < bestDistance) [best, bestDistance] = [c, d]
  }
  return bestDistance <= limit ? best : undefined
}

/**
 * Edits between two strings — insert, delete, replace, or swap two neighbours ("agnet" is
 * one slip from "agent") — counted in code points: a 客 is one edit, not two UTF-16 units.
 */
export function editDistance(a: string, b: string): number {
  const s = [...a]
  const t = [...b]
  let before: number[] = []
  let prev = Array.from({length: t.length + 1}, (_, j) => j)
  for (let i = 1; i <= s.length; i++) {
    const cur = [i]
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) cur[j] = Math.min(cur[j]!, before[j - 2]! + 1)
    }
    before = prev
    prev = cur
  }
  return prev[t.length]!
}
