import ari, {type AriClient} from 'ari-client'
import type {Logger} from '../util/log.js'
import {AriHttp} from './http-rest.js'
import type {AriCredentials, AriEventMap, AriEventType, AriPort, ConnectionState} from './port.js'
import {ARI_EVENT_TYPES, AriAuthError, AriTransportError} from './port.js'

// swagger-client 2.0 (inside ari-client) installs a global `log` that prints its
// "deprecated version of Swagger" notice to stdout, corrupting --json output, and keeps
// every message it ever logged in log.history. Replace it with a quiet one.
const quiet = Object.assign(() => {}, {history: [] as unknown[]})
;(globalThis as Record<string, unknown>).log = quiet

const MAX_BACKOFF_MS = 10_000
const PING_EVERY_MS = 15_000

export interface ConnectOptions {
  creds: AriCredentials
  app: string
  log: Logger
  /** Receive events for every channel and bridge, not only this app's (supervision tools). */
  subscribeAll?: boolean
  onConnection?: (s: ConnectionState) => void
}

/**
 * Connects to Asterisk and resolves once the app's event socket is open. While
 * Asterisk is unreachable it keeps trying with capped backoff (reporting each attempt);
 * a refused password rejects at once with AriAuthError. After a connection is lost
 * the port reconnects forever: ari-client gives up after about ten tries, so a fresh
 * client is made each time it does.
 */
export async function connectAri(opts: ConnectOptions): Promise<AriPort> {
  const port = new AriClientPort(opts)
  if (opts.onConnection) port.onConnection(opts.onConnection)
  await port.connect()
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
  private reconnecting = false

  constructor(private readonly opts: ConnectOptions) {
    super(opts.creds)
    this.app = opts.app
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
    for (const h of this.connectionHandlers) h(s)
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

  async connect(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      this.emitState({state: 'connecting', attempt})
      try {
        // A plain request first: it tells a refused password (final) from an
        // unreachable server (retry), which ari-client's swagger loading does not.
        await this.asteriskInfo()
        const client = await ari.connect(this.opts.creds.url, this.opts.creds.user, this.opts.creds.password)
        this.attach(client)
        await client.start(this.app, this.opts.subscribeAll)
        if (this.closed) {
          this.detach(client)
          return
        }
        this.emitState({state: 'connected'})
        this.startPings()
        return
      } catch (err) {
        if (err instanceof AriAuthError) throw err
        if (this.client) this.detach(this.client)
        const retryInMs = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempt, 8))
        this.emitState({state: 'unreachable', attempt, retryInMs, error: describe(err)})
        await new Promise((r) => setTimeout(r, retryInMs))
      }
    }
  }

  private attach(client: AriClient): void {
    this.client = client
    client.setMaxListeners(0)
    // One listener per event type on the client: per-channel instance listeners leak in 2.2.0.
    for (const type of ARI_EVENT_TYPES) client.on(type, (event: unknown) => this.client === client && this.dispatch(type, event))
    client.on('WebSocketReconnecting', (err: Error | undefined) => {
      if (this.client === client) this.emitState({state: 'unreachable', attempt: 0, retryInMs: 0, error: describe(err)})
    })
    // The first open is reported by connect(); this one is ari-client's own reconnect.
    let opened = false
    client.on('WebSocketConnected', () => {
      if (this.client === client && opened) this.emitState({state: 'connected'})
      opened = true
    })
    client.on('WebSocketMaxRetries', () => {
      if (this.client !== client || this.reconnecting) return
      this.detach(client)
      this.reconnecting = true
      this.connect()
        .catch((err: unknown) => this.emitState({state: 'failed', error: describe(err)}))
        .finally(() => (this.reconnecting = false))
    })
    client.on('pong', () => (this.awaitingPong = false))
  }

  private detach(client: AriClient): void {
    if (this.client === client) this.client = undefined
    if (this.pingTimer) clearInterval(this.pingTimer)
    client.removeAllListeners()
    // Swallow late socket errors from a client we no longer use.
    client.on('error', () => {})
    try {
      client.stop()
    } catch {
      // never started: nothing to stop
    }
  }

  // A socket to a frozen or partitioned Asterisk never closes by itself: ping it and
  // drop it when a pong does not come back, so ari-client's reconnect kicks in.
  private startPings(): void {
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.awaitingPong = false
    this.pingTimer = setInterval(() => {
      const client = this.client
      if (!client) return
      if (this.awaitingPong) {
        this.awaitingPong = false
        client._ws?.terminate()
        return
      }
      this.awaitingPong = true
      client.ping()
    }, PING_EVERY_MS)
    this.pingTimer.unref()
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.client) this.detach(this.client)
    this.emitState({state: 'closed'})
  }
}

function describe(err: unknown): string {
  if (!err) return 'connection lost'
  if (err instanceof AriTransportError) return err.reason
  const e = err as {code?: string; cause?: {code?: string; message?: string}; message?: string}
  return e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? String(err)
}
