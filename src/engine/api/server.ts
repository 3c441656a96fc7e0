import {timingSafeEqual} from 'node:crypto'
import type {IncomingMessage} from 'node:http'
import {WebSocketServer, type WebSocket} from 'ws'
import {isUserError} from '../util/errors.js'
import type {Logger} from '../util/log.js'
import {isMethod, METHODS, type Method, type ParamsOf, type ResultOf} from './contract.js'
import {API_VERSION, MAX_MESSAGE_BYTES, type ApiErrorBody, type ApiRequest, type ApiResponse} from './protocol.js'
import {RefusalLog} from './refusal-log.js'
import {checkParams, resultProblem} from './validate.js'

/** A contract method's handler: gets params already checked against the contract, answers its result type. */
export type MethodHandler<M extends Method> = (params: ParamsOf<M>, conn: Connection) => ResultOf<M> | Promise<ResultOf<M>>
/** One handler per contract method. */
export type Handlers = {[M in Method]: MethodHandler<M>}
/**
 * What the server dispatches to. Params are `any` here only because the server checks
 * them against the contract for the method at hand before the call (see checkParams).
 */
export type Handler = (params: any, conn: Connection) => unknown

export interface Connection {
  readonly id: number
  readonly remote: string
  send(msg: unknown): void
  /** Runs when the connection closes (subscriptions clean up here). */
  onClose(fn: () => void): void
}

export interface ApiServerOptions {
  host: string
  port: number
  token: string
  /** Where the token is kept, for the hint to a client that lacks it. */
  tokenFile?: string
  /** Handlers by method; a method must also be in the contract (contract.ts) to be served. */
  handlers: Partial<Handlers> | Record<string, Handler>
  log: Logger
  /** Requests per second a connection may make (burst twice that). */
  rateLimit?: number
  /** Log lines a minute for unauthorized requests, across connections. */
  refusalLinesPerMinute?: number
  /** Check every result against the contract too (tests): a mismatch is a bug, answered as internal. */
  checkResults?: boolean
}

/** Replies and events a client may leave unread (beyond the kernel's buffers) before it is cut off. */
const MAX_UNREAD_BYTES = 4 * 1024 * 1024

/** A request the server refuses: code and message go back to the client as they are. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly suggestion?: string,
  ) {
    super(message)
  }
}

/**
 * The engine's WebSocket API. Malformed, oversized, unauthenticated or unknown
 * requests get an error reply (or, oversized, a close) and a log line; nothing a
 * client sends can take the engine down. A client flooding requests is slowed by a
 * per-connection token bucket, so calls keep flowing.
 */
export class ApiServer {
  private wss: WebSocketServer | null = null
  private nextId = 1
  private readonly token: Buffer
  /**
   * Set while the engine behind the server is not serving yet (the port is bound first,
   * so a second engine fails before it touches Asterisk): methods not in the handlers
   * so far answer with this instead of "unknown method".
   */
  notReady: ApiErrorBody | null = null
  private readonly refusals: RefusalLog

  constructor(private readonly o: ApiServerOptions) {
    this.token = Buffer.from(o.token)
    this.refusals = new RefusalLog(o.log, {linesPerMinute: o.refusalLinesPerMinute})
  }

  /** Unauthorized requests refused since start (logged or not). */
  get unauthorizedRequests(): number {
    return this.refusals.total
  }

  listen(): Promise<{url: string; port: number}> {
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({host: this.o.host, port: this.o.port, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false})
      wss.once('error', reject)
      wss.on('listening', () => {
        wss.off('error', reject)
        wss.on('error', (err) => this.o.log.error('API server error', {error: String(err)}))
        const addr = wss.address() as {port: number}
        this.wss = wss
        resolve({url: `ws://${this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host}:${addr.port}/`, port: addr.port})
      })
      wss.on('connection', (ws, req) => this.accept(ws, req))
    })
  }

  async close(): Promise<void> {
    const wss = this.wss
    if (!wss) return
    this.wss = null
    for (const c of wss.clients) c.terminate()
    await new Promise<void>((r) => wss.close(() => r()))
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const closers: (() => void)[] = []
    const conn: Connection = {
      id: this.nextId++,
      remote: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
      send: (msg) => {
        if (ws.readyState !== ws.OPEN) return
        // A client that sends but never reads would otherwise make the engine hold every reply.
        if (ws.bufferedAmount > MAX_UNREAD_BYTES) {
          this.o.log.warn('API client is not reading its replies; connection closed', {conn: conn.id, remote: conn.remote, unreadBytes: ws.bufferedAmount})
          ws.terminate()
          return
        }
        ws.send(JSON.stringify(msg))
      },
      onClose: (fn) => closers.push(fn),
    }
    const rate = this.o.rateLimit ?? 200
    let tokens = rate * 2
    let last = Date.now()
    let refused = 0
    ws.on('message', (data, isBinary) => {
      const now = Date.now()
      tokens = Math.min(rate * 2, tokens + ((now - last) / 1000) * rate)
      last = now
      if (tokens < 1) {
        refused++
        if (refused === 1 || refused % 1000 === 0) this.o.log.warn('API client is flooding; requests refused', {conn: conn.id, remote: conn.remote, refused})
        return this.reply(conn, requestIdOf(data, isBinary), {code: 'rate_limited', message: `Too many requests: at most ${rate} per second`})
      }
      tokens--
      void this.handle(conn, isBinary ? null : data.toString())
    })
    ws.on('error', (err: Error & {code?: string}) => {
      // ws reports an oversized message only here: it closes with 1009 but stops reading, so
      // the client's close frame never arrives and the close event sees 1006.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.o.log.warn('API client sent an oversized message; connection closed', {conn: conn.id, remote: conn.remote, limit: MAX_MESSAGE_BYTES})
      else this.o.log.warn('API connection error', {conn: conn.id, error: err.message})
    })
    ws.on('close', () => {
      for (const fn of closers) fn()
    })
  }

  private async handle(conn: Connection, text: string | null): Promise<void> {
    let msg: unknown
    try {
      if (text === null) throw new Error('binary')
      msg = JSON.parse(text)
    } catch {
      this.o.log.warn('API request refused: not JSON', {conn: conn.id, remote: conn.remote})
      return this.reply(conn, null, {code: 'bad_request', message: 'Messages must be JSON objects: {"v":1,"id":…,"token":…,"method":…,"params":{…}}'})
    }
    const req = msg as Partial<ApiRequest>
    const id = typeof req?.id === 'string' || typeof req?.id === 'number' ? req.id : null
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return this.reply(conn, id, {code: 'bad_request', message: 'A request is a JSON object'})
    if (req.v !== API_VERSION) return this.reply(conn, id, {code: 'bad_version', message: `Unsupported API version ${JSON.stringify(req.v)}; this engine speaks v${API_VERSION}`})
    if (!this.authorised(req.token)) {
      // Logged once per connection and rate-limited: bad tokens must not be able to flood the log.
      this.refusals.refused(conn, req.method)
      return this.reply(conn, id, {code: 'unauthorized', message: 'Missing or wrong API token', suggestion: `callctl reads the token from ${this.o.tokenFile ?? 'secrets/api-token in the callctl home'}; scripts must send it as "token".`})
    }
    if (id === null) return this.reply(conn, null, {code: 'bad_request', message: 'A request needs an "id" (string or number)'})
    const method = req.method
    if (!isMethod(method)) return this.reply(conn, id, {code: 'unknown_method', message: `Unknown method ${JSON.stringify(String(method).slice(0, 60))}`, suggestion: `Methods: ${METHODS.join(', ')} (callctl api schema)`})
    const handlers = this.o.handlers as Record<string, Handler>
    const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined
    if (!handler && this.notReady) return this.reply(conn, id, this.notReady)
    if (!handler) return this.reply(conn, id, {code: 'unknown_method', message: `Method ${JSON.stringify(method)} is not served by this engine`})
    // Checked against the contract before the handler runs: a handler never sees a wrong type or an unknown name.
    const checked = checkParams(method, req.params)
    if (!checked.ok) return this.reply(conn, id, checked.error)
    try {
      const result = await handler(checked.params, conn)
      const problem = this.o.checkResults ? resultProblem(method, result ?? null) : null
      if (problem) throw new Error(`The result of ${method} does not match the contract: ${problem}`)
      conn.send({v: API_VERSION, id, ok: true, result: result ?? null} satisfies ApiResponse)
    } catch (err) {
      if (err instanceof ApiError) return this.reply(conn, id, {code: err.code, message: err.message, ...(err.suggestion ? {suggestion: err.suggestion} : {})})
      if (isUserError(err)) return this.reply(conn, id, {code: err.code, message: err.message, ...(err.suggestion ? {suggestion: err.suggestion} : {})})
      this.o.log.error(`API method ${req.method} failed`, {error: err instanceof Error ? err.stack : String(err)})
      this.reply(conn, id, {code: 'internal', message: 'The engine failed to handle this request (see its log)'})
    }
  }

  private authorised(token: unknown): boolean {
    if (typeof token !== 'string') return false
    const t = Buffer.from(token)
    return t.length === this.token.length && timingSafeEqual(t, this.token)
  }

  private reply(conn: Connection, id: string | number | null, error: ApiErrorBody): void {
    conn.send({v: API_VERSION, id, ok: false, error} satisfies ApiResponse)
  }
}

/**
 * The id of a request we will not parse (rate limited), found cheaply so the client can
 * fail that request at once instead of waiting for its timeout.
 */
function requestIdOf(data: unknown, isBinary: boolean): string | number | null {
  if (isBinary) return null
  const m = /"id"\s*:\s*(-?\d{1,15}|"[^"\\]{0,64}")/.exec(String(data).slice(0, 512))
  if (!m) return null
  return m[1]!.startsWith('"') ? m[1]!.slice(1, -1) : Number(m[1])
}
