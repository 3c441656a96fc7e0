// Latency samples in ms and their nearest-rank percentiles.

export interface Spread {
  n: number
  p50: number
  p99: number
  max: number
}

export function spread(samples: readonly number[]): Spread {
  const s = [...samples].sort((a, b) => a - b)
  const n = s.length
  const at = (p: number) => (n === 0 ? NaN : s[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!)
  return {n, p50: at(0.5), p99: at(0.99), max: n === 0 ? NaN : s[n - 1]!}
}
