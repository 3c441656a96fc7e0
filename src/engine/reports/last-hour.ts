// Callers offered to each queue over the last hour, in 5-minute buckets: the wallboard
// draws it as a sparkline per queue, so a supervisor sees a queue filling up before its
// line is long. Buckets follow the wall clock (09:00, 09:05, ...), so a series does not
// shift under the reader between two snapshots of the same five minutes.

export const BUCKET_MS = 5 * 60_000
export const BUCKETS = 12

export interface LastHourView {
  bucketMs: number
  /** End of the last bucket (the one now runs in), ms since the epoch. */
  until: number
  /** Queue → callers offered per bucket, oldest first; the last bucket is still filling. */
  offered: Record<string, number[]>
}

export class LastHour {
  /** Queue → bucket number (time / BUCKET_MS) → callers offered. */
  private readonly counts = new Map<string, Map<number, number>>()

  /** A caller reached `queue` at `ts` (queue.entered). */
  offered(queue: string, ts: number): void {
    let q = this.counts.get(queue)
    if (!q) this.counts.set(queue, (q = new Map()))
    const b = Math.floor(ts / BUCKET_MS)
    q.set(b, (q.get(b) ?? 0) + 1)
  }

  view(now: number): LastHourView {
    const last = Math.floor(now / BUCKET_MS)
    const first = last - BUCKETS + 1
    const offered: Record<string, number[]> = {}
    for (const [queue, buckets] of this.counts) {
      // Buckets older than the hour are of no more use.
      for (const b of buckets.keys()) if (b < first) buckets.delete(b)
      offered[queue] = Array.from({length: BUCKETS}, (_, i) => buckets.get(first + i) ?? 0)
    }
    return {bucketMs: BUCKET_MS, until: (last + 1) * BUCKET_MS, offered}
  }
}
