import {readFileSync} from 'node:fs'
import {cpuSeconds} from '../load/proc.js'

// A process's resident memory and CPU time from the kernel's own count.

export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(m[1]) * 1024
}

/** CPU used by `pid` between start() and the returned function's call, as % of one core. */
export function cpuWindow(pid: number): () => {cpuS: number; wallS: number; percent: number} {
  const cpu0 = cpuSeconds(pid)
  const t0 = performance.now()
  return () => {
    const cpuS = cpuSeconds(pid) - cpu0
    const wallS = (performance.now() - t0) / 1000
    return {cpuS, wallS, percent: (100 * cpuS) / wallS}
  }
}
