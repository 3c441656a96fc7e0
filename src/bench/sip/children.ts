// The SIP user agents (SIPp, baresip) a process has started, so a test (afterAll/afterEach)
// or the bench can end them all and none outlives the run, even when a test throws before
// its own cleanup.
import type {ChildProcess} from 'node:child_process'

const live = new Set<ChildProcess>()
let exitHookInstalled = false

/** Remembers a child until it exits; on Node's exit any still alive get SIGKILL. */
export function track(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (!exitHookInstalled) {
    exitHookInstalled = true
    // Synchronous: 'exit' handlers cannot wait. SIGKILL so nothing lingers on a port.
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL')
    })
  }
}

/** Whether a child is still running (no exit code and no signal yet). */
export function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

/** Waits for a child's exit, SIGKILL after `graceMs`; resolves at once if it is gone. */
export async function ended(child: ChildProcess, graceMs: number): Promise<void> {
  if (!running(child)) return
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** Ends every SIP agent this process started and still runs (SIGTERM, then SIGKILL after 2 s). */
export async function killAllSipAgents(): Promise<void> {
  await Promise.all(
    [...live].map(async (c) => {
      c.kill('SIGTERM')
      await ended(c, 2000)
    }),
  )
}
