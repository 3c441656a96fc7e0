import ari, {type AriClient} from 'ari-client'
import type {Logger} from '../util/log.js'
import {AriHttp, REST_TIMEOUT_MS} from './http-rest.js'
import type {AriCredentials, AriEventMap, AriEventType, AriPort, ConnectionState} from './port.js'
import {ARI_EVENT_TYPES, AriAuthError, AriTransportError} from './port.js'
import {restTransportFrom, type RestTransport} from './ws-rest.js'
import {extraLanesFrom, RestLanes} from './rest-lanes.js'

// swagger-client 2.0 (inside ari-client) installs a global `log` that prints its
// "deprecated version of Swagger" notice to stdout, corrupting --json output, and keeps
// every message it ever logged in log.history. Replace it with a quiet one.
const quiet = Object.assign(() => {}, {history: [] as unknown[]})
;(globalThis as Record<string, unknown>).log = quiet

// Reconnecting: fast enough to serve again within 2 s of Asterisk's return, slow
// enough that a dead Asterisk costs one cheap HTTP request a second.
const FIRST_BACKOFF_MS = 250
const MAX_BACKOFF_MS = 1_000
const PING_EVERY_MS = 15_000
// A ping over the event socket answers in about a millisecond; an Asterisk that does not take REST there never does.
const PROBE_MS = 2_000

export interface ConnectOptions {
  creds: AriCredentials
  app: string
  log: Logger
  /** Receive events for every channel and bridge, not only this app's (supervision tools). */
  subscribeAll?: boolean
  onConnection?: (s: ConnectionState) => void
  /** Gives up connecting (a stop while Asterisk is still away): connectAri rejects with ConnectAborted. */
  abort?: AbortSignal
  /** How REST requests travel while the event socket is up; CALLCTL_ARI_REST (http or websocket) when absent. */
  rest?: RestTransport
  /** A reason to send no request at all (AriHttp.gate): set from the start, connecting included. */
  gate?: () => string | null
}

/** connectAri was stopped by its abort signal before it connected. */
export class ConnectAborted extends Error {
  constructor() {
    super('stopped before Asterisk was reached')
  }
}

/**
 * Connects to Asterisk and resolves once the app's event socket is open. While
 * Asterisk is unreachable it keeps trying forever with capped backoff (reporting each
 * attempt with a counter that counts); a refused password rejects at once with
 * AriAuthError. After a connection is lost the port reconnects by itself, for as long
 * as it takes: ari-client's own reconnect (a backoff that gives up after about ten
 * tries, and that let a ping on the closed socket throw out of a timer and kill the
 * process) is cut off at its first sign, and a fresh client is made each attempt, so
 * an Asterisk that restarted meanwhile is loaded anew.
 */
export async function connectAri(opts: ConnectOptions): Promise<AriPort> {
  const port = new AriClientPort(opts)
  if (opts.onConnection) port.onConnection(opts.onConnection)
  const abort = () => void port.close()
  opts.abort?.addEventListener('abort', abort, {once: true})
  try {
    await port.connect()
  } finally {
    opts.abort?.removeEventListener('abort', abort)
  }
  if (opts.abort?.aborted) {
    await port.close()
    throw new ConnectAborted()
  }
  return port
}

class AriClientPort extends AriHttp implements AriPort {
  readonly app: string
  private readonly handlers = new Map<AriEventType, Set<(e: never) => void>>()
  private readonly connectionHandlers = new Set<(s: ConnectionState) => void>()
  private client: AriClient | undefined
  private closed = false
  private pingTimer: NodeJS.Timeout | undefined
  private awaitingPong = false
  private reconnecting: Promise<void> | null = null
  private wake: (() => void) | null = null
  private starting: ((err: Error) => void) | null = null
  private warnedNoSocketRest = false

  constructor(private readonly opts: ConnectOptions) {
    super(opts.creds)
    this.app = opts.app
    this.gate = opts.gate ?? null
    if ((opts.rest ?? restTransportFrom(process.env)) === 'websocket') {
      this.restLanes = new RestLanes(REST_TIMEOUT_MS, extraLanesFrom(process.env))
      this.socketRest = this.restLanes.main
    }
  }

  on<K extends AriEventType>(type: K, handler: (event: AriEventMap[K]) => void): void {
    let set = this.handlers.get(type)
    if (!set) this.handlers.set(type, (set = new Set()))
    set.add(handler as (e: never) => void)
  }

  onConnection(handler: (s: ConnectionState) => void): void {
    this.connectionHandlers.add(handler)
  }

  private emitState(s: ConnectionState): void {
    for (const h of this.connectionHandlers) {
      try {
        h(s)
      } catch (err) {
        this.opts.log.error('connection state handler failed', {error: err instanceof Error ? err.stack : String(err)})
      }
    }
  }

  private dispatch(type: AriEventType, event: unknown): void {
    const set = this.handlers.get(type)
    if (!set) return
    for (const h of set) {
      try {
        ;(h as (e: unknown) => void)(event)
      } catch (err) {
        this.opts.log.error(`handler for ${type} failed`, {error: err instanceof Error ? err.stack : String(err)})
      }
    }
  }

  /** Tries until connected (or closed); attempts count from 1 and across the whole outage. */
  async connect(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      this.emitState({state: 'connecting', attempt})
      let client: AriClient | undefined
      try {
        // A plain request first: it tells a refused password (final) from an
        // unreachable server (retry), which ari-client's swagger loading does not.
        await this.asteriskInfo()
        client = await ari.connect(this.opts.creds.url, this.opts.creds.user, this.opts.creds.password)
        if (this.closed) return quietStop(client)
        const c = client
        await new Promise<void>((resolve, reject) => {
          // A socket that fails before it opens is reported here, not by a reconnect loop.
          this.starting = reject
          this.attach(c)
          c.start(this.app, this.opts.subscribeAll).then(resolve, reject)
        }).finally(() => (this.starting = null))
        if (this.closed || this.client !== client) {
          // Closed meanwhile, or the socket dropped before start() resolved: try again.
          if (this.closed) return this.detach(client)
          throw new Error('event socket closed while starting')
        }
        leanEvents(client)
        // REST over the event socket from now on (when so configured and Asterisk takes it), until it closes.
        const overSocket = this.socketRest && client._ws ? await this.socketRest.probe(client._ws, PROBE_MS) : false
        if (this.socketRest && !overSocket && this.client === client && !this.warnedNoSocketRest) {
          this.warnedNoSocketRest = true
          this.opts.log.info('Asterisk does not answer REST over its event WebSocket (Asterisk 22 does): REST goes over HTTP', {url: this.opts.creds.url})
        }
        if (overSocket && this.client === client) this.restLanes?.openExtras(this.opts.creds, this.app, PROBE_MS)
        if (this.closed) return this.detach(client)
        if (this.client !== client) throw new Error('event socket closed while starting')
        // The refused attempts of an outage are not Asterisk being slow.
        this.pressure.reset()
        this.emitState({state: 'connected'})
        this.startPings()
        return
      } catch (err) {
        if (err instanceof AriAuthError) throw err
        if (client) this.detach(client)
        if (this.closed) return
        const retryInMs = Math.round(Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4))
        this.emitState({state: 'unreachable', attempt, retryInMs, error: describe(err)})
        await new Promise<void>((r) => {
          const t = setTimeout(r, retryInMs)
          this.wake = () => (clearTimeout(t), r())
        })
        this.wake = null
      }
    }
  }

  private attach(client: AriClient): void {
    this.client = client
    client.setMaxListeners(0)
    // One listener per event type on the client: per-channel instance listeners leak in 2.2.0.
    for (const type of ARI_EVENT_TYPES) client.on(type, (event: unknown) => this.client === client && this.dispatch(type, event))
    // The socket closed or failed: ari-client would now reconnect on its own schedule.
    // Take over instead (one loop, our backoff, a counter that counts).
    const lost = () => {
      if (this.client !== client) return
      this.detach(client)
      if (this.starting) return this.starting(new Error('event socket closed while starting'))
      if (this.closed || this.reconnecting) return
      this.reconnecting = this.connect()
        .catch((err: unknown) => this.emitState({state: 'failed', error: describe(err)}))
        .finally(() => (this.reconnecting = null))
    }
    client.on('WebSocketReconnecting', lost)
    client.on('WebSocketMaxRetries', lost)
    client.on('pong', () => (this.awaitingPong = false))
    // Answers to REST over the socket: events to ari-client, never to the engine.
    if (this.socketRest) client.on('RESTResponse', (event: unknown) => this.client === client && this.socketRest?.receive(event))
  }

  private detach(client: AriClient): void {
    if (this.client === client) {
      this.client = undefined
      // Requests waiting on this socket get no answer; new ones go over HTTP until the next one opens.
      this.socketRest?.detach('event socket closed')
      this.restLanes?.closeExtras('event socket closed')
      if (this.pingTimer) clearInterval(this.pingTimer)
      this.pingTimer = undefined
    }
    quietStop(client)
  }

  // A socket to a frozen or partitioned Asterisk never closes by itself: ping it and
  // drop it when a pong does not come back, so the reconnect kicks in.
  private startPings(): void {
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.awaitingPong = false
    const client = this.client
    this.pingTimer = setInterval(() => {
      if (!client || this.client !== client) return
      const ws = client._ws
      if (!ws || ws.readyState !== 1 /* OPEN */) return
      if (this.awaitingPong) {
        this.awaitingPong = false
        ws.terminate()
        return
      }
      this.awaitingPong = true
      try {
        client.ping()
      } catch {
        // closing under us: its close event starts the reconnect
      }
    }, PING_EVERY_MS)
    this.pingTimer.unref()
  }

  /**
   * Closes the event socket and resolves once Asterisk has seen it close (at most 2 s,
   * then it is cut): Asterisk unregisters the app when the socket closes, so an engine
   * started right after this one (a restart in place) must not register first and then
   * lose the app to this socket's late close.
   */
  async close(): Promise<void> {
    this.closed = true
    this.wake?.()
    // Requests already on the socket get their answers (as they would over HTTP); new ones go over HTTP.
    if (this.restLanes) await this.restLanes.drain(2_000)
    else await this.socketRest?.drain(2_000)
    this.restLanes?.closeExtras('closing')
    const ws = (this.client as unknown as {_ws?: ClosingSocket} | undefined)?._ws
    if (this.client) this.detach(this.client)
    await this.reconnecting
    if (ws && ws.readyState !== 3 /* CLOSED */) {
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => (ws.terminate(), resolve()), 2_000)
        ws.once('close', () => (clearTimeout(cut), resolve()))
      })
    }
    this.emitState({state: 'closed'})
  }
}

/**
 * Replaces ari-client's handling of the socket's messages with a plain parse and emit.
 * ari-client 2.2.0 builds a resource object for every channel, bridge or playback in every
 * event (each with a bound function per REST operation of its kind, via lodash) and looks
 * up the event's model by a linear search; the engine reads only the event's JSON, so all
 * that was per-event CPU for nothing: about a fifth of the engine's CPU under bench:load.
 * Events are emitted on the client as before (type, event), so attach() is unchanged; a
 * frame that is not JSON is dropped (ari-client threw out of the socket's handler).
 */
function leanEvents(client: AriClient): void {
  const ws = client._ws as unknown as MessageSocket | undefined
  if (!ws) return
  ws.removeAllListeners('message')
  ws.on('message', (data: unknown) => {
    let event: {type?: unknown}
    try {
      event = JSON.parse(typeof data === 'string' ? data : String(data)) as {type?: unknown}
    } catch {
      return
    }
    if (event && typeof event.type === 'string') client.emit(event.type, event)
  })
}

interface MessageSocket {
  removeAllListeners(event: 'message'): void
  on(event: 'message', fn: (data: unknown) => void): void
}

/** Stops a client we no longer use, swallowing its late socket errors and reconnect attempts. */
function quietStop(client: AriClient): void {
  client.removeAllListeners()
  client.on('error', () => {})
  try {
    // stop() marks the close as wanted, so ari-client does not reconnect this one.
    if (client._ws) client.stop()
  } catch {
    // never started: nothing to stop
  }
  // ari-client may already have a reconnect scheduled (its backoff timer cannot be
  // cancelled): a socket it opens from now on is cut before it connects, or it would
  // subscribe to the app beside ours and split the events between two sockets.
  const c = client as unknown as {_ws?: SocketLike}
  let current = c._ws
  Object.defineProperty(c, '_ws', {
    configurable: true,
    get: () => current,
    set: (ws: SocketLike) => {
      current = ws
      ws.on('error', () => {})
      ws.terminate()
    },
  })
}

interface ClosingSocket {
  readyState: number
  once(event: 'close', fn: () => void): void
  terminate(): void
}

interface SocketLike {
  on(event: 'error', fn: () => void): void
  terminate(): void
}

function describe(err: unknown): string {
  if (!err) return 'connection lost'
  if (err instanceof AriTransportError) return err.reason
  const e = err as {code?: string; cause?: {code?: string; message?: string}; message?: string}
  return e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? String(err)
}
