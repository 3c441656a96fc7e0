import {WebSocket} from 'ws'
import {UserError} from '../util/errors.js'
import type {Method, ParamsArg, ResultOf} from './contract.js'
import {API_VERSION, type ApiErrorBody, type ApiResponse} from './protocol.js'

/** An error the engine answered with; commands show it like any user error. */
export class EngineRequestError extends UserError {
  constructor(
    readonly method: string,
    readonly body: ApiErrorBody,
  ) {
    // A refused token is refused credentials: exit 2, as commands that check it on the store say it (store-access.ts).
    super(body.message, {suggestion: body.suggestion, exitCode: body.code === 'bad_request' || body.code === 'unauthorized' ? 2 : 1, code: body.code})
  }
}

interface Pending {
  resolve(v: unknown): void
  reject(e: Error): void
  method: string
  timer: NodeJS.Timeout
}

/** A typed client of the engine's WebSocket API (used by commands and dashboards). */
export class EngineClient {
  private seq = 0
  private readonly pending = new Map<number, Pending>()
  private readonly listeners = new Set<(event: unknown) => void>()
  private closedHandlers = new Set<() => void>()

  private constructor(
    private readonly ws: WebSocket,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {
    ws.on('message', (data) => this.onMessage(data.toString()))
    ws.on('close', () => {
      for (const p of this.pending.values()) {
        clearTimeout(p.timer)
        p.reject(new UserError('The engine closed the connection', {suggestion: 'Check the engine log.', code: 'disconnected'}))
      }
      this.pending.clear()
      for (const h of this.closedHandlers) h()
    })
  }

  static connect(url: string, token: string, opts: {timeoutMs?: number} = {}): Promise<EngineClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {handshakeTimeout: opts.timeoutMs ?? 5000})
      ws.once('open', () => resolve(new EngineClient(ws, token, opts.timeoutMs ?? 10_000)))
      ws.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          new UserError(`Cannot reach the engine at ${url} (${err.code ?? err.message})`, {
            suggestion: 'Start it with: callctl engine start (or check api.host / api.port in the config)',
            exitCode: 1,
            code: 'engine_unreachable',
          }),
        )
      })
    })
  }

  /** Calls a contract method: params and result are typed by the method's name (contract.ts). */
  request<M extends Method>(method: M, ...args: ParamsArg<M>): Promise<ResultOf<M>> {
    const params = args[0] ?? {}
    const id = ++this.seq
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new UserError(`The engine did not answer ${method} within ${this.timeoutMs / 1000} s`, {code: 'timeout'}))
      }, this.timeoutMs)
      this.pending.set(id, {resolve: resolve as (v: unknown) => void, reject, method, timer})
      this.ws.send(JSON.stringify({v: API_VERSION, id, token: this.token, method, params}))
    })
  }

  onEvent(fn: (event: unknown) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  onClose(fn: () => void): void {
    this.closedHandlers.add(fn)
  }

  close(): void {
    this.ws.close()
  }

  private onMessage(text: string): void {
    let msg: ApiResponse | {type: 'event'; event: unknown}
    try {
      msg = JSON.parse(text) as typeof msg
    } catch {
      return
    }
    if ('type' in msg && msg.type === 'event') {
      for (const l of this.listeners) l(msg.event)
      return
    }
    const r = msg as ApiResponse
    const p = typeof r.id === 'number' ? this.pending.get(r.id) : undefined
    if (!p) return
    this.pending.delete(r.id as number)
    clearTimeout(p.timer)
    if (r.ok) p.resolve(r.result)
    else p.reject(new EngineRequestError(p.method, r.error))
  }
}
