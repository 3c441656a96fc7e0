// ARI REST over the app's own event WebSocket (Asterisk 22's RESTRequest / RESTResponse),
// not over a second socket: Asterisk 22 opens /ari/events only with an app= and a second
// socket naming the same app takes that app's events over (and drops the app when it
// closes), so a second socket would have to register a Stasis app of its own just to
// carry requests. The event socket is already connected, pinged and reconnected by
// ari-client-port.ts, and requests ride it exactly while it is up; while it is down (an
// Asterisk restart, the reconnect loop) AriHttp sends over HTTP as before. Responses come
// back as events that ari-client has already parsed, so nothing is parsed twice.
//
// Why at all: each HTTP request is a parse, an auth check and a session on Asterisk's side
// and a request/response round on a pooled connection on ours. Over the socket a request is
// one JSON frame each way: in a micro-benchmark (4,000 variable sets, 16 at a time) Asterisk
// spent 25-32 µs per request instead of 42-75, the engine 54-112 µs instead of 216-371, and
// under bench:load the engine's CPU per call fell by a third to 40 %.
//
// The default since 2026-12-07 (CALLCTL_ARI_REST=http to turn it off), over several sockets:
// Asterisk handles a socket's requests one after another on that socket's thread
// (ari_websockets.c reads, processes, answers, then reads the next), and most channel
// operations (answer, moh, variable, addChannel) wait there until the channel's own thread
// has run them. Over one socket they queued: in one of two bench:load runs the ring latency
// at 35 calls/s went from p50 5 ms / p99 12 ms over HTTP to 70 / 500 ms. rest-lanes.ts
// spreads calls over four sockets; in bench:load's rate search (20 to 40 calls/s) ring p99
// was then 11–17 ms against 21–141 ms over HTTP, with 0.52–0.59 s of engine CPU per 100
// calls against 0.69–0.77. An Asterisk that does not take REST over its socket (before 22)
// is found by a probe at connect, and REST stays on HTTP.

// Probed on Asterisk 22.10 (issue 14 part 6): uri is relative to /ari without a leading
// slash ("/channels" answers 405), percent-encoded ids are decoded like HTTP's; query
// string values go unencoded in query_strings; a message_body needs a content_type or it
// is refused (400); a 204 answer has no message_body; a frame that is not a RESTRequest
// with its ids gets no answer at all (hence the timeout).

import {UserError} from '../util/errors.js'

/** What of a ws socket (ari-client's ws 6, or ws 8 in tests) this needs. */
export interface RestSocket {
  readonly readyState: number
  send(data: string, cb?: (err?: Error) => void): void
}

export interface SocketAnswer {
  status: number
  /** The message_body; '' when Asterisk sent none (204). */
  body: string
}

/** A request that got no answer over the socket. `sent` false: Asterisk cannot have seen it. */
export class SocketRestFailure extends Error {
  constructor(
    readonly reason: string,
    readonly sent: boolean,
  ) {
    super(reason)
    this.name = 'SocketRestFailure'
  }
}

interface Pending {
  resolve(a: SocketAnswer): void
  reject(e: SocketRestFailure): void
  timer: NodeJS.Timeout
}

const OPEN = 1

export class SocketRest {
  private socket: RestSocket | null = null
  private readonly pending = new Map<string, Pending>()
  private seq = 0

  constructor(private readonly timeoutMs: number) {}

  private draining = false

  /** Requests may go over the socket now. */
  get open(): boolean {
    return !this.draining && this.socket !== null && this.socket.readyState === OPEN
  }

  /** Sends nothing more over the socket and waits (at most `ms`) for the answers still due. */
  async drain(ms: number): Promise<void> {
    this.draining = true
    const until = Date.now() + ms
    while (this.pending.size > 0 && this.socket && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
  }

  get inFlight(): number {
    return this.pending.size
  }

  /** The event socket is connected (and its app started): requests go over it from now on. */
  attach(socket: RestSocket): void {
    if (this.socket && this.socket !== socket) this.detach('event socket replaced')
    this.socket = socket
  }

  /**
   * Attaches the socket if Asterisk answers a request on it within `ms` (any status will
   * do): an Asterisk before REST over WebSocket ignores the frame, and every request would
   * then wait out its timeout. False (and detached): REST stays on HTTP.
   */
  async probe(socket: RestSocket, ms: number): Promise<boolean> {
    this.attach(socket)
    try {
      await this.send('GET', '/asterisk/ping', [], undefined, ms)
      return true
    } catch {
      if (this.socket === socket) this.detach('no REST over the event socket')
      return false
    }
  }

  /** The socket is gone: requests still waiting get no answer, new ones go over HTTP. */
  detach(reason: string): void {
    this.socket = null
    const waiting = [...this.pending.values()]
    this.pending.clear()
    for (const p of waiting) {
      clearTimeout(p.timer)
      p.reject(new SocketRestFailure(reason, true))
    }
  }

  /**
   * Sends one request; `path` as AriHttp has it ("/channels/ID/answer", ids encoded),
   * `query` already without undefined values, `payload` a JSON text or undefined.
   */
  send(method: string, path: string, query: [string, string][], payload: string | undefined, timeoutMs = this.timeoutMs): Promise<SocketAnswer> {
    const socket = this.socket
    if (!socket || socket.readyState !== OPEN || this.draining) return Promise.reject(new SocketRestFailure('event socket not open', false))
    const id = String(++this.seq)
    const frame: Record<string, unknown> = {type: 'RESTRequest', transaction_id: id, request_id: id, method, uri: path.replace(/^\/+/, '')}
    if (query.length > 0) frame.query_strings = query.map(([name, value]) => ({name, value}))
    if (payload !== undefined) {
      frame.content_type = 'application/json'
      frame.message_body = payload
    }
    const text = JSON.stringify(frame)
    return new Promise<SocketAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new SocketRestFailure(`timeout after ${timeoutMs / 1000} s`, true))
      }, timeoutMs)
      this.pending.set(id, {resolve, reject, timer})
      const unsent = (err: unknown) => {
        // The frame never reached the kernel: Asterisk did not see it, so any method may go again over HTTP.
        if (!this.pending.delete(id)) return
        clearTimeout(timer)
        reject(new SocketRestFailure(err instanceof Error ? err.message : String(err), false))
      }
      try {
        socket.send(text, (err) => err && unsent(err))
      } catch (err) {
        unsent(err)
      }
    })
  }

  /** A RESTResponse event from the socket (ari-client has parsed it). Unknown ids (timed out) are dropped. */
  receive(event: unknown): void {
    const e = event as {request_id?: unknown; status_code?: unknown; message_body?: unknown}
    if (typeof e.request_id !== 'string') return
    const p = this.pending.get(e.request_id)
    if (!p) return
    this.pending.delete(e.request_id)
    clearTimeout(p.timer)
    p.resolve({status: typeof e.status_code === 'number' ? e.status_code : 0, body: typeof e.message_body === 'string' ? e.message_body : ''})
  }
}

/** CALLCTL_ARI_REST: how REST requests travel while the event socket is up. */
export type RestTransport = 'http' | 'websocket'

export const DEFAULT_REST_TRANSPORT: RestTransport = 'websocket'

export function restTransportFrom(env: NodeJS.ProcessEnv): RestTransport {
  const v = (env.CALLCTL_ARI_REST ?? '').trim().toLowerCase()
  if (v === '') return DEFAULT_REST_TRANSPORT
  if (v === 'http' || v === 'websocket') return v
  // A setting's mistake: one line and exit 1, not a stack trace.
  throw new UserError(`CALLCTL_ARI_REST must be http or websocket, not "${env.CALLCTL_ARI_REST}"`, {suggestion: 'Unset it for the default (websocket), or set http.'})
}
