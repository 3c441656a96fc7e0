// REST over several WebSockets ("lanes"), not one. Asterisk runs one socket's requests one
// after another on that socket's thread, and a channel operation waits there until the
// channel's own thread has run it (ws-rest.ts): over the single event socket, at 35 calls/s,
// one bench run's ring times went from 5 to 70 ms (p50). Each extra lane is a socket of its
// own, which Asterisk 22 opens only for a Stasis app: lane i registers the app
// "<app>-rest<i>", into which no call is ever sent, so it carries requests and no events.
//
// Requests about one channel or bridge always take the same lane (chosen by a hash of its
// id), so they reach Asterisk in the order the engine sent them, as they would queue on the
// channel's thread anyway; requests about different calls spread over the lanes, as they
// spread over HTTP's connection pool. The lane of the event socket is lane 0. A lane that
// is down is skipped (its channels hash over the open ones meanwhile); with none open,
// requests go over HTTP.

import {WebSocket} from 'ws'
import type {AriCredentials} from './port.js'
import {SocketRest} from './ws-rest.js'

/** Lanes besides the event socket's: CALLCTL_ARI_REST_LANES (0–15) changes it. */
export const DEFAULT_EXTRA_LANES = 3
const RECONNECT_MS = 1_000

export function extraLanesFrom(env: NodeJS.ProcessEnv): number {
  const n = Number(env.CALLCTL_ARI_REST_LANES ?? DEFAULT_EXTRA_LANES)
  return Number.isInteger(n) && n >= 0 && n <= 15 ? n : DEFAULT_EXTRA_LANES
}

interface Extra {
  rest: SocketRest
  ws: WebSocket | null
  timer: NodeJS.Timeout | undefined
}

export class RestLanes {
  readonly main: SocketRest
  private readonly extras: Extra[]
  private target: {creds: AriCredentials; app: string; probeMs: number} | null = null

  constructor(timeoutMs: number, extraLanes: number) {
    this.main = new SocketRest(timeoutMs)
    this.extras = Array.from({length: extraLanes}, () => ({rest: new SocketRest(timeoutMs), ws: null, timer: undefined}))
  }

  /** The lane for a request (null: none open, go over HTTP). */
  pick(path: string, query: Record<string, unknown>): SocketRest | null {
    const open: SocketRest[] = []
    if (this.main.open) open.push(this.main)
    for (const e of this.extras) if (e.rest.open) open.push(e.rest)
    if (open.length <= 1) return open[0] ?? null
    const id = /^\/(?:channels|bridges|playbacks)\/([^/]+)/.exec(path)?.[1] ?? (typeof query.channelId === 'string' ? query.channelId : typeof query.bridgeId === 'string' ? query.bridgeId : null)
    if (id !== null) return open[hash(decodeURIComponent(id)) % open.length]!
    let best = open[0]!
    for (const l of open) if (l.inFlight < best.inFlight) best = l
    return best
  }

  /** The event socket is up and takes REST: open the other lanes to the same Asterisk. */
  openExtras(creds: AriCredentials, app: string, probeMs: number): void {
    this.target = {creds, app, probeMs}
    this.extras.forEach((e, i) => this.connect(e, i + 1))
  }

  /** The event socket went (or the port closes): the other lanes go with it until it is back. */
  closeExtras(reason: string): void {
    this.target = null
    for (const e of this.extras) {
      clearTimeout(e.timer)
      e.rest.detach(reason)
      const ws = e.ws
      e.ws = null
      if (ws) {
        ws.removeAllListeners()
        ws.on('error', () => {})
        ws.terminate()
      }
    }
  }

  async drain(ms: number): Promise<void> {
    await Promise.all([this.main.drain(ms), ...this.extras.map((e) => e.rest.drain(ms))])
  }

  get inFlight(): number {
    return this.main.inFlight + this.extras.reduce((n, e) => n + e.rest.inFlight, 0)
  }

  private connect(e: Extra, lane: number): void {
    const t = this.target
    if (!t || e.ws) return
    const base = t.creds.url.replace(/\/+$/, '').replace(/^http/, 'ws')
    const url = `${base}/ari/events?app=${encodeURIComponent(`${t.app}-rest${lane}`)}&subscribeAll=false`
    const ws = new WebSocket(url, {headers: {authorization: 'Basic ' + Buffer.from(`${t.creds.user}:${t.creds.password}`).toString('base64')}})
    e.ws = ws
    ws.on('message', (data) => {
      let event: {type?: unknown}
      try {
        event = JSON.parse(String(data)) as {type?: unknown}
      } catch {
        return
      }
      if (event.type === 'RESTResponse') e.rest.receive(event)
    })
    ws.on('open', () => void e.rest.probe(ws, t.probeMs))
    const lost = () => {
      if (e.ws !== ws) return
      e.ws = null
      e.rest.detach('rest lane closed')
      // Back while the event socket is up; closeExtras stops this.
      if (this.target) e.timer = setTimeout(() => this.connect(e, lane), RECONNECT_MS)
    }
    ws.on('close', lost)
    ws.on('error', lost)
  }
}

/** FNV-1a: cheap, stable, spreads call ids (call-….rN) evenly. */
function hash(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}
