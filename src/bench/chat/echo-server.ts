import {WebSocketServer} from 'ws'

// bench:chat's baseline: a plain `ws` server that sends every frame straight back, run as
// a process of its own (so its CPU and memory are its own in /proc), on loopback. It
// prints its port on the first line of stdout.

const wss = new WebSocketServer({host: '127.0.0.1', port: 0, perMessageDeflate: false})
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, {binary: isBinary})))
wss.on('listening', () => {
  const a = wss.address()!
  process.stdout.write(`${typeof a === 'string' ? a : a.port}\n`)
})
process.on('SIGTERM', () => wss.close(() => process.exit(0)))
