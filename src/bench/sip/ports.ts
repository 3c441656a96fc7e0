// Free loopback ports for the SIP user agents a test or bench:load --sip starts (SIPp,
// baresip): each agent needs its own SIP port and media ports, and two must never share one.
import {createSocket} from 'node:dgram'
import {createServer} from 'node:net'

const HOST = '127.0.0.1'

async function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4')
    sock.once('error', () => resolve(false))
    sock.bind(port, host, () => sock.close(() => resolve(true)))
  })
}

async function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, host, () => srv.close(() => resolve(true)))
  })
}

/** A UDP port the kernel hands out (its ephemeral range, 32768+ on Linux: never the sandbox's RTP range 10000-31999 nor SIPp's default media port 6000). */
async function kernelUdpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4')
    sock.once('error', reject)
    sock.bind(0, host, () => {
      const {port} = sock.address()
      sock.close(() => resolve(port))
    })
  })
}

/**
 * A port free for both UDP and TCP on 127.0.0.1 (SIP user agents listen on both), with
 * the `count - 1` ports after it free too: SIPp binds its media port and media port + 2
 * (audio, video), baresip its SIP port and SIP port + 1 (TLS).
 */
export async function freeUdpPort(opts: {count?: number; host?: string} = {}): Promise<number> {
  const count = opts.count ?? 1
  const host = opts.host ?? HOST
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = await kernelUdpPort(host)
    if (base + count - 1 > 65_535) continue
    let ok = true
    for (let p = base; p < base + count && ok; p++) ok = (await udpFree(p, host)) && (await tcpFree(p, host))
    if (ok) return base
  }
  throw new Error(`no ${count} free consecutive UDP/TCP ports on ${host}`)
}
