import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {WebSocketServer} from 'ws'
import type {Logger} from '../../util/log.js'
import {UploadRefused, type Uploads} from './web/uploads.js'
import {VISITOR_ID} from './web/web-protocol.js'
import type {WebChannel} from './web/web-channel.js'
import {EMBED_JS, WIDGET_CSS, WIDGET_HTML} from './web/widget-page.js'
import {WIDGET_JS} from './web/widget-script.js'

// The chat's own HTTP server, apart from the engine API (which is for agents and
// supervisors with tokens): the widget's page and scripts, its WebSocket, image uploads,
// and the WeChat and JSON webhooks. Every response says what it is (nosniff) and the
// widget's page may run only its own script, style and connections (CSP).

export interface ChatServerOptions {
  host: string
  port: number
  log: Logger
  web: WebChannel
  uploads: Uploads
  /** Sites that may embed the widget page in a frame. */
  frameAncestors: string[]
  /** Other routes by exact path (WeChat, webhook). */
  routes: Record<string, (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>>
}

/** The widget's WebSocket frames are small; a customer's longest text fits many times. */
const MAX_FRAME_BYTES = 64 * 1024
const PING_MS = 30_000

export class ChatServer {
  private readonly http: Server
  private readonly wss: WebSocketServer
  private readonly sockets = new Set<Socket>()
  private ping: NodeJS.Timeout | null = null

  constructor(private readonly o: ChatServerOptions) {
    this.http = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        o.log.error('chat server: request failed', {path: (req.url ?? '').split('?')[0], error: err instanceof Error ? err.stack : String(err)})
        if (!res.headersSent) res.writeHead(500, {'content-type': 'text/plain'})
        res.end('internal error')
      })
    })
    this.http.headersTimeout = 10_000
    this.http.requestTimeout = 30_000
    this.http.on('connection', (s) => {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
    this.wss = new WebSocketServer({noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false})
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://chat')
      // The widget's page is served from here: a socket opened by any other site's page is refused.
      if (url.pathname !== '/chat/ws' || !sameOrigin(req)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
        return
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const alive = ws as unknown as {alive: boolean}
        alive.alive = true
        ws.on('pong', () => (alive.alive = true))
        this.o.web.accept(ws)
      })
    })
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject)
      this.http.listen(this.o.port, this.o.host, () => {
        this.http.off('error', reject)
        resolve()
      })
    })
    // A widget whose network went away without a close: found by its missing pong.
    this.ping = setInterval(() => {
      for (const ws of this.wss.clients) {
        const alive = ws as unknown as {alive: boolean}
        if (!alive.alive) ws.terminate()
        else {
          alive.alive = false
          ws.ping()
        }
      }
    }, PING_MS)
    this.ping.unref()
    return this.url
  }

  get url(): string {
    const a = this.http.address() as AddressInfo
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address
    return `http://${host}:${a.port}`
  }

  async close(): Promise<void> {
    if (this.ping) clearInterval(this.ping)
    for (const ws of this.wss.clients) ws.terminate()
    this.wss.close()
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve())
      for (const s of this.sockets) s.destroy()
    })
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://chat')
    res.setHeader('x-content-type-options', 'nosniff')
    res.setHeader('referrer-policy', 'no-referrer')
    const extra = this.o.routes[url.pathname]
    if (extra) return extra(req, res, url)
    const get = req.method === 'GET' || req.method === 'HEAD'
    switch (url.pathname) {
      case '/chat':
        if (!get) break
        res.writeHead(301, {location: '/chat/'})
        return void res.end()
      case '/chat/':
        if (!get) break
        return this.asset(res, 'text/html; charset=utf-8', WIDGET_HTML, {'content-security-policy': this.csp(req), 'cache-control': 'no-cache'})
      case '/chat/widget.js':
        if (!get) break
        return this.asset(res, 'text/javascript; charset=utf-8', WIDGET_JS)
      case '/chat/widget.css':
        if (!get) break
        return this.asset(res, 'text/css; charset=utf-8', WIDGET_CSS)
      case '/chat/embed.js':
        if (!get) break
        // Loaded by other sites' pages with a script tag.
        return this.asset(res, 'text/javascript; charset=utf-8', EMBED_JS, {'cross-origin-resource-policy': 'cross-origin'})
      case '/chat/upload':
        if (req.method !== 'POST') break
        return this.upload(req, res, url)
    }
    if (get && url.pathname.startsWith('/chat/uploads/')) {
      const file = this.o.uploads.read(url.pathname.slice('/chat/uploads/'.length))
      if (file) {
        res.writeHead(200, {
          'content-type': file.mime,
          'content-length': file.body.length,
          // Opened on its own, the image is still only an image: no script, no plugin.
          'content-security-policy': "default-src 'none'; sandbox",
          'content-disposition': 'inline',
          'cache-control': 'private, max-age=86400',
          'cross-origin-resource-policy': 'cross-origin',
        })
        return void res.end(req.method === 'HEAD' ? undefined : file.body)
      }
    }
    res.writeHead(404, {'content-type': 'text/plain; charset=utf-8'})
    res.end('not found')
  }

  private async upload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const visitor = url.searchParams.get('visitor') ?? ''
    if (!VISITOR_ID.test(visitor) || !sameOrigin(req)) return json(res, 403, {code: 'forbidden', message: 'Open the chat first'})
    try {
      const up = await this.o.uploads.take(req, visitor)
      json(res, 200, {upload: up.id, url: `/chat/uploads/${up.file}`, mime: up.mime, bytes: up.bytes})
    } catch (err) {
      if (!(err instanceof UploadRefused)) throw err
      if (err.status === 507) this.o.log.warn(`chat uploads refused: ${this.o.uploads.dir} holds channels.web.maxUploadsMB of images`)
      // The rest of a refused body is not read: the connection goes with the answer.
      res.setHeader('connection', 'close')
      json(res, err.status, {code: err.code, message: err.message})
    }
  }

  private asset(res: ServerResponse, type: string, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(200, {'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=300', ...headers})
    res.end(body)
  }

  /**
   * The widget page's policy: its own script and style only, no inline anything; images
   * from here (uploads); connections to here (fetch and the WebSocket); and Trusted
   * Types required with no policy allowed, so no string ever becomes markup.
   */
  private csp(req: IncomingMessage): string {
    const host = /^[A-Za-z0-9.:[\]-]{1,255}$/.test(req.headers.host ?? '') ? req.headers.host! : null
    const ws = host ? ` ws://${host} wss://${host}` : ''
    return [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self'",
      `connect-src 'self'${ws}`,
      "base-uri 'none'",
      "form-action 'none'",
      `frame-ancestors ${this.o.frameAncestors.join(' ')}`,
      "require-trusted-types-for 'script'",
      "trusted-types 'none'",
    ].join('; ')
  }
}

/** A browser request from this server's own page (or no Origin at all: not a browser's cross-site request). */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin
  if (origin === undefined) return true
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {'content-type': 'application/json; charset=utf-8'})
  res.end(JSON.stringify(body))
}
