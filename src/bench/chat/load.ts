// What both sides of bench:chat get: how many sessions and agents, how many messages a
// second for how long, and the text each carries.

export interface Load {
  sessions: number
  agents: number
  /** Customer messages a second across all sessions, in the measured window. */
  rate: number
  seconds: number
  text: string
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Opens every client, `batch` at a time (a thousand handshakes at once would time the kernel's accept queue, not the server). */
export async function openInBatches<T>(items: T[], open: (x: T) => Promise<void>, batch = 50): Promise<void> {
  for (let i = 0; i < items.length; i += batch) await Promise.all(items.slice(i, i + batch).map(open))
}

/**
 * Sends load.rate messages a second for load.seconds, evenly: every 10 ms the messages
 * due by then. `send(i)` sends the i-th; answers how many were sent.
 */
export async function pace(load: Load, send: (i: number) => void): Promise<number> {
  const start = performance.now()
  const total = Math.round(load.rate * load.seconds)
  let sent = 0
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * load.rate))
    while (sent < due) send(sent++)
    await sleep(10)
  }
  return sent
}
