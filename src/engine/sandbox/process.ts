import {readdirSync, readFileSync, readlinkSync} from 'node:fs'
import {resolve, sep} from 'node:path'

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * True when `pid` is an Asterisk running inside `root` (on the config of `instanceDir`,
 * when given). We stop processes by the PID we recorded, and only after checking it is
 * still ours: a PID can be reused. A root deleted under it (another home's `sandbox up
 * --rebuild`) still counts: its Asterisk runs on, holding its ports, and must be stopped.
 */
export function isOurAsterisk(pid: number, root: string, instanceDir?: string): boolean {
  try {
    const procRoot = undeleted(readlinkSync(`/proc/${pid}/root`))
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    if (resolve(procRoot) !== resolve(root) || !args.some((a) => a.includes('asterisk'))) return false
    return instanceDir === undefined || args.includes(`${instanceDir}/etc/asterisk.conf`)
  } catch {
    return false
  }
}

/** A link in /proc to a directory removed since reads "PATH (deleted)". */
function undeleted(link: string): string {
  return link.endsWith(' (deleted)') ? link.slice(0, -' (deleted)'.length) : link
}

export interface ProcessInRoot {
  pid: number
  /** Its command line, arguments joined by spaces. */
  command: string
  /** The instance directory of an Asterisk (its -C config's), if it is one. */
  instanceDir: string | null
  /** CALLCTL_HOME in its environment, if it was started with one. */
  home: string | null
}

/**
 * The live processes that run from `root`: their /proc/PID/root or cwd is in it (a
 * removed root included), or their command line names it (chroot before it execs).
 * Every home's sandbox Asterisk runs from the one cached root, whose instance
 * directories (config, logs, recordings) live inside it. `except` are left out.
 */
export function processesInRoot(root: string, except: number[] = []): ProcessInRoot[] {
  const want = resolve(root)
  const inRoot = (p: string) => p === want || p.startsWith(want + sep)
  const found: ProcessInRoot[] = []
  let pids: number[]
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number)
  } catch {
    return []
  }
  for (const pid of pids) {
    if (pid === process.pid || except.includes(pid)) continue
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '')
      const links = ['root', 'cwd'].map((l) => resolve(undeleted(readlinkSync(`/proc/${pid}/${l}`))))
      if (!links.some(inRoot) && !args.some((a) => a.startsWith('/') && inRoot(resolve(a)))) continue
      if (!isRunning(pid)) continue
      const conf = args[args.indexOf('-C') + 1]
      const instanceDir = args.includes('-C') && conf?.endsWith('/etc/asterisk.conf') ? conf.slice(0, -'/etc/asterisk.conf'.length) : null
      found.push({pid, command: args.join(' '), instanceDir, home: envOf(pid, 'CALLCTL_HOME')})
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found
}

/** One variable of a process's environment (only the one asked for is kept). */
function envOf(pid: number, name: string): string | null {
  try {
    const hit = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((v) => v.startsWith(name + '='))
    return hit ? hit.slice(name.length + 1) : null
  } catch {
    return null
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
