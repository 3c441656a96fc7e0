import {createServer} from 'node:net'
import {boxHttpPorts} from '../../src/engine/sandbox/layout.js'

/** A first HTTP port from which a sandbox of two boxes finds both its ports free (box2's is 10 further, layout.ts). */
export async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    if ((await tcpFree(port)) && (await tcpFree(boxHttpPorts(port, 2)[1]!))) return port
  }
  throw new Error('no first port with a free port for box2 on 127.0.0.1')
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}
