import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

// CPU time of a process (all its threads) from the kernel's own count: /proc/PID/stat.

let clockTicks: number | undefined

/** Clock ticks per second of /proc's time fields (USER_HZ; 100 on Linux almost always). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

/**
 * utime + stime, in seconds, from the text of /proc/PID/stat. The command name (field 2)
 * may hold spaces and parentheses, so fields are counted from its last ")".
 */
export function parseProcStat(text: string, ticks: number): number {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11])
  const stime = Number(rest[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unexpected /proc/PID/stat format')
  return (utime + stime) / ticks
}

export function cpuSeconds(pid: number): number {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'), ticksPerSecond())
}
