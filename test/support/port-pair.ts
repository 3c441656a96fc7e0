import {createServer} from 'node:net'

/** An HTTP port whose next port is free too: a sandbox of two boxes takes both (box2's ARI is the next one). */
export async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    if ((await tcpFree(port)) && (await tcpFree(port + 1))) return port
  }
  throw new Error('no two consecutive free ports on 127.0.0.1')
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}
