import {spawn, spawnSync} from 'node:child_process'
import {closeSync, existsSync, openSync, readFileSync, readSync} from 'node:fs'

export interface Measured {
  seconds: number
  /** Peak resident set size of the process, MB. */
  peakRssMB: number
  code: number | null
  stderr: string
}

const TIME = '/usr/bin/time'

/**
 * Runs a command as its own process and measures its wall time and peak RSS: with GNU time
 * when it is installed (the kernel's own figure), else by sampling /proc/PID/status VmHWM.
 * stdout goes to `stdoutFile` (or nowhere).
 */
export async function measure(cmd: string, args: string[], o: {env?: NodeJS.ProcessEnv; stdoutFile?: string} = {}): Promise<Measured> {
  const out = o.stdoutFile ? openSync(o.stdoutFile, 'w') : 'ignore'
  try {
    if (existsSync(TIME)) {
      const started = process.hrtime.bigint()
      const r = spawnSync(TIME, ['-f', 'BENCH %e %M', cmd, ...args], {env: o.env, stdio: ['ignore', out, 'pipe'], maxBuffer: 64 * 1024 * 1024})
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const stderr = r.stderr.toString()
      const m = /BENCH ([\d.]+) (\d+)\s*$/.exec(stderr)
      return {seconds, peakRssMB: m ? Number(m[2]) / 1024 : NaN, code: r.status, stderr: stderr.replace(/BENCH [\d.]+ \d+\s*$/, '')}
    }
    return await sampled(cmd, args, o.env, out)
  } finally {
    if (typeof out === 'number') closeSync(out)
  }
}

async function sampled(cmd: string, args: string[], env: NodeJS.ProcessEnv | undefined, out: number | 'ignore'): Promise<Measured> {
  const started = process.hrtime.bigint()
  const child = spawn(cmd, args, {env, stdio: ['ignore', out, 'pipe']})
  let stderr = ''
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
  let peak = 0
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      if (m) peak = Math.max(peak, Number(m[1]))
    } catch {
      // gone between two samples
    }
  }, 20)
  const code = await new Promise<number | null>((r) => child.on('close', r))
  clearInterval(timer)
  return {seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMB: peak / 1024, code, stderr}
}

/** Lines in a file, read a block at a time. */
export function countLines(file: string): number {
  const fd = openSync(file, 'r')
  const buf = Buffer.alloc(1 << 20)
  let n = 0
  try {
    for (let read = readSync(fd, buf); read > 0; read = readSync(fd, buf)) for (let i = 0; i < read; i++) if (buf[i] === 10) n++
  } finally {
    closeSync(fd)
  }
  return n
}

export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], {encoding: 'utf8'})
  return r.status === 0 ? r.stdout.trim() : null
}
