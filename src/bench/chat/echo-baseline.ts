import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {spread, type Spread} from './latency.js'
import {cpuWindow, rssBytes} from './proc-figures.js'
import {EchoClient} from './web-customer.js'
import {openInBatches, pace, sleep, type Load} from './load.js'

// The baseline: the same number of WebSocket clients on a plain `ws` echo server (its own
// process), the same messages at the same rate; each timed from send to its echo.

const SERVER = fileURLToPath(new URL('./echo-server.js', import.meta.url))

export interface SideFigures {
  sessions: number
  sent: number
  timed: Spread
  lost: number
  cpuPercent: number
  rssIdleBytes: number
  rssBytes: number
}

export async function echoBaseline(load: Load): Promise<SideFigures> {
  const child = spawn(process.execPath, [SERVER], {stdio: ['ignore', 'pipe', 'inherit']})
  const killOrphan = () => void child.kill('SIGKILL')
  process.once('exit', killOrphan)
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim())))
      child.once('exit', (code) => reject(new Error(`the echo server exited (${code})`)))
    })
    const url = `ws://127.0.0.1:${port}`
    await sleep(500)
    const rssIdle = rssBytes(child.pid!)
    const sentAt = new Map<number, number>()
    const samples: number[] = []
    const clients = Array.from({length: load.sessions + load.agents}, () => new EchoClient(url))
    await openInBatches(clients, (c) =>
      c.open((data) => {
        const id = Number(data.slice(0, data.indexOf(' ')))
        const t = sentAt.get(id)
        if (t === undefined) return
        sentAt.delete(id)
        samples.push(performance.now() - t)
      }),
    )
    const customers = clients.slice(0, load.sessions)
    await sleep(1000)
    const rss = rssBytes(child.pid!)
    const cpu = cpuWindow(child.pid!)
    let next = 0
    const sent = await pace(load, (i) => {
      const id = ++next
      sentAt.set(id, performance.now())
      customers[i % customers.length]!.send(`${id} ${load.text}`)
    })
    const window = cpu()
    await waitUntil(() => sentAt.size === 0, 5000)
    for (const c of clients) c.close()
    return {sessions: load.sessions, sent, timed: spread(samples), lost: sentAt.size, cpuPercent: window.percent, rssIdleBytes: rssIdle, rssBytes: rss}
  } finally {
    child.kill('SIGTERM')
    process.off('exit', killOrphan)
  }
}

export async function waitUntil(fn: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!fn()) {
    if (Date.now() > deadline) return false
    await sleep(50)
  }
  return true
}
