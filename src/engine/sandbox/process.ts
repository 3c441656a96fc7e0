import {readFileSync, readlinkSync} from 'node:fs'
import {resolve} from 'node:path'

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * True when `pid` is an Asterisk running inside `root`. We stop processes by the PID
 * we recorded, and only after checking it is still ours: a PID can be reused.
 */
export function isOurAsterisk(pid: number, root: string): boolean {
  try {
    const procRoot = readlinkSync(`/proc/${pid}/root`)
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return resolve(procRoot) === resolve(root) && cmdline.includes('asterisk')
  } catch {
    return false
  }
}

/** Zombie or gone: a child we spawned detached may linger as a zombie until reaped. */
export function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

export async function stopProcess(pid: number, graceMs = 5000): Promise<'stopped' | 'killed' | 'gone'> {
  if (!isRunning(pid)) return 'gone'
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isRunning(pid)) return 'stopped'
    await new Promise((r) => setTimeout(r, 50))
  }
  process.kill(pid, 'SIGKILL')
  while (isRunning(pid)) await new Promise((r) => setTimeout(r, 20))
  return 'killed'
}
