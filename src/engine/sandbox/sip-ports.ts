import {createSocket} from 'node:dgram'
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'

export const DEFAULT_SIP_PORT = 5060
/** Each sandbox's RTP range: wide enough for the concurrency ladder of bench:load --sip (two RTP sessions per bridged call, two ports each). */
export const RTP_SLOT_WIDTH = 2000
const RTP_FIRST = 10_000
const RTP_SLOTS = 11 // 10000-31999: below Linux's ephemeral ports (32768+), above SIPp's media port 6000

/** Whether a port is free on 127.0.0.1 for both TCP and UDP (SIP listens on both). */
export async function sipPortFree(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
  if (!tcp) return false
  return new Promise<boolean>((resolve) => {
    const sock = createSocket('udp4')
    sock.once('error', () => resolve(false))
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)))
  })
}

/** Whether `span` ports from `first` on are all free (TCP and UDP). */
export async function sipPortsFree(first: number, span: number): Promise<boolean> {
  if (first + span - 1 > 65_535) return false
  for (let p = first; p < first + span; p++) if (!(await sipPortFree(p))) return false
  return true
}

/**
 * A SIP port for a sandbox whose HTTP port is not the default one (a test run beside a
 * demo): a port free for TCP and UDP whose next `span - 1` ports are free too (the
 * carrier's by default; with several boxes and a proxy, theirs, see layout.ts).
 */
export async function freeSipPort(span = 2): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000) * 2
    if (await sipPortsFree(port, span)) return port
  }
  throw new Error('no free SIP port found on 127.0.0.1')
}

function instanceRunning(dir: string): boolean {
  try {
    const pid = Number(readFileSync(join(dir, 'run', 'asterisk.pid'), 'utf8').trim())
    if (!Number.isInteger(pid) || pid <= 0) return false
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * The RTP range for an instance: a slot no other instance in the shared root has
 * claimed (their rtp.conf says which), so a demo and a test run never collide.
 * `alsoTaken` are the starts of slots given to boxes starting at the same time.
 */
export function rtpRange(root: string, instanceDir: string, alsoTaken: number[] = []): {start: number; end: number} {
  // alsoTaken: slots given to other boxes starting at the same time (not running yet).
  const taken = new Set<number>(alsoTaken)
  const base = join(root, 'srv/callctl')
  if (existsSync(base)) {
    for (const other of readdirSync(base)) {
      if (join('/srv/callctl', other) === instanceDir) continue
      const file = join(base, other, 'etc', 'rtp.conf')
      // Only a running instance holds its ports: a directory left by a crashed or
      // killed run (tests remove theirs, a kill -9 does not) claims nothing.
      if (!existsSync(file) || !instanceRunning(join(base, other))) continue
      const m = /rtpstart\s*=\s*(\d+)/.exec(readFileSync(file, 'utf8'))
      if (m) taken.add(Number(m[1]))
    }
  }
  for (let k = 0; k < RTP_SLOTS; k++) {
    const start = RTP_FIRST + k * RTP_SLOT_WIDTH
    if (!taken.has(start)) return {start, end: start + RTP_SLOT_WIDTH - 1}
  }
  // Every slot claimed (stale instance directories): share one, chosen by the instance.
  const k = parseInt(instanceDir.replace(/\W/g, '').slice(-4), 16) % RTP_SLOTS || 0
  return {start: RTP_FIRST + k * RTP_SLOT_WIDTH, end: RTP_FIRST + k * RTP_SLOT_WIDTH + RTP_SLOT_WIDTH - 1}
}
