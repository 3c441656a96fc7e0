import type {IncomingMessage} from 'node:http'
import {WebSocketServer, type WebSocket} from 'ws'
import type {NewEvent} from '../store/events.js'
import {LOCAL_ADMIN, type Principal} from '../users/roles.js'
import {isUserError} from '../util/errors.js'
import type {Logger} from '../util/log.js'
import {narrowed, refusal, type Ownership} from './access-policy.js'
import {Authenticator, type Authentication, type TokenUsers} from './authenticate.js'
import {CONTRACT, isMethod, METHODS, type Method, type ParamsOf, type ResultOf} from './contract.js'
import {API_VERSION, MAX_MESSAGE_BYTES, type ApiErrorBody, type ApiRequest, type ApiResponse} from './protocol.js'
import {EventBudget, RefusalLog} from './refusal-log.js'
import {checkParams, resultProblem} from './validate.js'

/**
 * A contract method's handler: gets params already checked against the contract and
 * allowed by the access policy (access-policy.ts) for `who`, the user the request's token
 * belongs to; answers its result type. A `by` in the params is already `who.user`.
 */
export type MethodHandler<M extends Method> = (params: ParamsOf<M>, conn: Connection, who: Principal) => ResultOf<M> | Promise<ResultOf<M>>
/** One handler per contract method. */
export type Handlers = {[M in Method]: MethodHandler<M>}
/**
 * What the server dispatches to. Params are `any` here only because the server checks
 * them against the contract for the method at hand before the call (see checkParams).
 */
export type Handler = (params: any, conn: Connection, who: Principal) => unknown

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
  /** The admin token (secrets/api-token): the local admin. Users' tokens are looked up in `users`. */
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
  /** Users' tokens (the users table); without them only the admin token is accepted. */
  users?: TokenUsers
  /** The running engine's calls, to tell an agent's own (access-policy.ts). */
  ownership?: Ownership
  /** Where auth.failed and auth.refused go (the engine's event log). */
  audit?: (event: NewEvent) => void
}

/** Methods whose params carry `by`: the server sets it to the authenticated user, whatever the client sent. */
const AUDITED = new Set(METHODS.filter((m) => Object.hasOwn(CONTRACT[m].params.properties, 'by')))

/** How often subscriptions made with a user's token are checked again (see ApiServer.subscribers). */
const RECHECK_MS = 1000

/** Before the engine runs there is no call to own: an agent's check finds none. */
const NO_CALLS: Ownership = {call: () => undefined}

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
  private readonly auth: Authenticator
  /** The running engine's calls for the access policy (set once it serves). */
  ownership: Ownership
  /** Where auth.failed and auth.refused go (set once the engine's event log exists). */
  audit: ((event: NewEvent) => void) | null
  private readonly refusedEvents = new EventBudget()
  /**
   * Connections with a subscription made with a user's token, and that token: looked up
   * again every second, and cut off once it no longer works. A request is checked as it
   * comes; a subscription would otherwise go on pushing to a revoked token for as long as
   * its connection stays open.
   */
  private readonly subscribers = new Map<Connection, {token: string; ws: WebSocket}>()
  private recheck: NodeJS.Timeout | null = null
  private rechecking = false
  private readonly sockets = new WeakMap<Connection, WebSocket>()
  /**
   * Set while the engine behind the server is not serving yet (the port is bound first,
   * so a second engine fails before it touches Asterisk): methods not in the handlers
   * so far answer with this instead of "unknown method".
   */
  notReady: ApiErrorBody | null = null
  private readonly refusals: RefusalLog

  constructor(private readonly o: ApiServerOptions) {
    this.auth = new Authenticator(o.token)
    this.auth.users = o.users ?? null
    this.ownership = o.ownership ?? NO_CALLS
    this.audit = o.audit ?? null
    this.refusals = new RefusalLog(o.log, {linesPerMinute: o.refusalLinesPerMinute})
  }

  /** Users' tokens are accepted once the store is open (the users table). */
  set users(users: TokenUsers | null) {
    this.auth.users = users
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
        this.recheck = setInterval(() => void this.recheckSubscribers(), RECHECK_MS)
        this.recheck.unref()
        resolve({url: `ws://${this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host}:${addr.port}/`, port: addr.port})
      })
      wss.on('connection', (ws, req) => this.accept(ws, req))
    })
  }

  async close(): Promise<void> {
    const wss = this.wss
    if (!wss) return
    this.wss = null
    if (this.recheck) clearInterval(this.recheck)
    this.subscribers.clear()
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
    this.sockets.set(conn, ws)
    closers.push(() => this.subscribers.delete(conn))
    const rate = this.o.rateLimit ?? 200
    let tokens = rate * 2
    let last = Date.now()
    let refused = 0
    let inOrder: Promise<unknown> = Promise.resolve()
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
      // In order per connection: the token lookup may wait on the store, and a request must
      // not overtake the one sent before it (a subscription, then what it is to see).
      const text = isBinary ? null : data.toString()
      inOrder = inOrder.then(() => this.handle(conn, text)).catch((err: unknown) => this.o.log.error('API request failed', {error: String(err)}))
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

  /** Checks the request up to its handler; resolves once the handler has been called (not answered), so the next request waits only that long. */
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
    const auth = await this.auth.authenticate(req.token)
    if (!auth.ok) return this.unauthorized(conn, id, req.method, auth)
    const who = auth.who
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
    const params = checked.params as ParamsOf<Method> & {by?: string}
    let refused: string | null
    try {
      refused = await refusal(method, params, who, this.ownership)
    } catch (err) {
      this.o.log.error(`API access check of ${method} failed`, {error: err instanceof Error ? err.stack : String(err)})
      return this.reply(conn, id, {code: 'internal', message: 'The engine failed to check this request (see its log)'})
    }
    if (refused !== null) return this.forbidden(conn, id, method, who, refused)
    // The audit trail names the user of the token; a `by` sent by the client is not believed.
    if (AUDITED.has(method)) params.by = who.user
    void this.run(conn, id, method, handler, params, who)
    if (method === 'events.subscribe' && who !== LOCAL_ADMIN && typeof req.token === 'string') {
      const ws = this.sockets.get(conn)
      if (ws) this.subscribers.set(conn, {token: req.token, ws})
    }
  }

  /** Cuts off subscriptions whose token was revoked, replaced or removed since (close code 4001). */
  private async recheckSubscribers(): Promise<void> {
    // A slow store must not pile rounds on each other.
    if (this.rechecking) return
    this.rechecking = true
    try {
      await this.recheckEach()
    } finally {
      this.rechecking = false
    }
  }

  private async recheckEach(): Promise<void> {
    for (const [conn, s] of [...this.subscribers]) {
      const auth = await this.auth.authenticate(s.token)
      // The store not answering is no revocation: the next round looks again.
      if (auth.ok || auth.reason === 'store') continue
      this.subscribers.delete(conn)
      this.o.log.info('API subscription closed: its token no longer works', {conn: conn.id, remote: conn.remote, reason: auth.reason})
      s.ws.close(4001, `token ${auth.reason}`)
    }
  }

  private async run(conn: Connection, id: string | number, method: Method, handler: Handler, params: unknown, who: Principal): Promise<void> {
    try {
      const result = narrowed(method, (await handler(params, conn, who)) as ResultOf<Method>, who)
      const problem = this.o.checkResults ? resultProblem(method, result ?? null) : null
      if (problem) throw new Error(`The result of ${method} does not match the contract: ${problem}`)
      conn.send({v: API_VERSION, id, ok: true, result: result ?? null} satisfies ApiResponse)
    } catch (err) {
      // A handler that keeps an agent to its own (rule 'handler') refuses like the policy does: same answer, same event.
      if (err instanceof ApiError && err.code === 'forbidden') return this.forbidden(conn, id, method, who, err.message)
      if (err instanceof ApiError) return this.reply(conn, id, {code: err.code, message: err.message, ...(err.suggestion ? {suggestion: err.suggestion} : {})})
      if (isUserError(err)) return this.reply(conn, id, {code: err.code, message: err.message, ...(err.suggestion ? {suggestion: err.suggestion} : {})})
      this.o.log.error(`API method ${method} failed`, {error: err instanceof Error ? err.stack : String(err)})
      this.reply(conn, id, {code: 'internal', message: 'The engine failed to handle this request (see its log)'})
    }
  }

  private unauthorized(conn: Connection, id: string | number | null, method: unknown, auth: Exclude<Authentication, {ok: true}>): void {
    if (auth.reason === 'store') {
      this.o.log.warn('API request refused: the users table cannot be read', {conn: conn.id, error: auth.error})
      return this.reply(conn, id, {code: 'unavailable', message: 'The engine cannot check this token now: its database does not answer', suggestion: 'Try again shortly; the admin token (secrets/api-token) still works.'})
    }
    // Logged once per connection and rate-limited, and the auth.failed events with the log
    // lines: bad tokens must not be able to flood the log or the event log.
    const logged = this.refusals.refused(conn, method, auth.reason)
    if (logged && this.audit) {
      const data: Record<string, unknown> = {address: conn.remote, reason: auth.reason, method: typeof method === 'string' ? method.slice(0, 64) : null}
      if (auth.reason === 'revoked') data.user = auth.user
      if (logged.notLogged) data.notRecorded = logged.notLogged
      this.audit({type: 'auth.failed', ts: Date.now(), data})
    }
    const message = {missing: 'Missing API token', unknown: 'Unknown API token', revoked: 'This API token was revoked or replaced'}[auth.reason]
    const suggestion =
      auth.reason === 'revoked'
        ? 'Ask an admin for a new one (callctl user token NAME) and set CALLCTL_TOKEN to it.'
        : `callctl sends CALLCTL_TOKEN when set, else the admin token in ${this.o.tokenFile ?? 'secrets/api-token in the callctl home'}; scripts must send it as "token".`
    this.reply(conn, id, {code: 'unauthorized', message, suggestion})
  }

  private forbidden(conn: Connection, id: string | number, method: Method, who: Principal, reason: string): void {
    const budget = this.refusedEvents.take(who.user)
    if (budget && this.audit) {
      this.audit({type: 'auth.refused', ts: Date.now(), agent: who.agent, data: {user: who.user, role: who.role, method, reason, ...(budget.skipped ? {notRecorded: budget.skipped} : {})}})
    }
    this.reply(conn, id, {code: 'forbidden', message: `Forbidden: ${reason} (user ${who.user})`, suggestion: 'callctl user list shows each user\'s role; an admin gives another by removing the user and adding it again.'})
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
