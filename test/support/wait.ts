/**
 * Polls `fn` until it gives a value (not undefined or false), or fails after the timeout.
 * Deadlines in the tests' helpers are on the monotonic clock: in one full run the wall clock
 * jumped ahead during a wait, which then "timed out after 18000 ms" 11 s after it began.
 */
export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v as T
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
