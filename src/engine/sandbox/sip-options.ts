import {randomBytes} from 'node:crypto'
import {createSocket} from 'node:dgram'

/**
 * One SIP OPTIONS over UDP from 127.0.0.1: the status code of the first final answer,
 * or null if none comes in time. How `sandbox up` knows the proxy is taking requests.
 */
export async function sipOptions(to: {host: string; port: number}, timeoutMs = 1000): Promise<number | null> {
  const sock = createSocket('udp4')
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject)
      sock.bind(0, '127.0.0.1', () => resolve())
    })
    const {port} = sock.address()
    const tag = randomBytes(6).toString('hex')
    const request = [
      `OPTIONS sip:${to.host}:${to.port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${tag};rport`,
      `From: <sip:callctl@127.0.0.1:${port}>;tag=${tag}`,
      `To: <sip:${to.host}:${to.port}>`,
      `Call-ID: ${tag}@callctl`,
      'CSeq: 1 OPTIONS',
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n')
    return await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs)
      sock.on('message', (msg) => {
        const code = Number(/^SIP\/2\.0 (\d{3})/.exec(msg.toString('latin1'))?.[1])
        if (code >= 200) {
          clearTimeout(timer)
          resolve(code)
        }
      })
      sock.on('error', () => undefined)
      sock.send(request, to.port, to.host)
    })
  } catch {
    return null
  } finally {
    sock.close()
  }
}
