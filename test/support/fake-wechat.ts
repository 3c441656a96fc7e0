import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * WeChat's API as an official account's server sees it, for tests: GET /cgi-bin/token
 * (client_credential with the app's id and secret) and POST
 * /cgi-bin/message/custom/send and /custom/typing with an access_token, answering in the
 * documented shapes ({access_token, expires_in}; {errcode, errmsg}). The test can expire
 * every token at once (the next send gets 42001) and reads what was sent.
 */
export class FakeWechat {
  readonly sent: Record<string, any>[] = []
  readonly typing: Record<string, any>[] = []
  tokenRequests = 0
  private valid = new Set<string>()
  private server: Server
  url = ''

  constructor(
    readonly appId: string,
    readonly appSecret: string,
  ) {
    this.server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x')
      const answer = (body: unknown) => {
        res.writeHead(200, {'content-type': 'application/json'})
        res.end(JSON.stringify(body))
      }
      if (req.method === 'GET' && u.pathname === '/cgi-bin/token') {
        this.tokenRequests++
        if (u.searchParams.get('grant_type') !== 'client_credential') return answer({errcode: 40002, errmsg: 'invalid grant_type'})
        if (u.searchParams.get('appid') !== appId) return answer({errcode: 40013, errmsg: 'invalid appid'})
        if (u.searchParams.get('secret') !== appSecret) return answer({errcode: 40125, errmsg: 'invalid appsecret'})
        const token = `tok-${this.tokenRequests}-${'x'.repeat(20)}`
        this.valid.add(token)
        return answer({access_token: token, expires_in: 7200})
      }
      if (req.method === 'POST' && (u.pathname === '/cgi-bin/message/custom/send' || u.pathname === '/cgi-bin/message/custom/typing')) {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => {
          const token = u.searchParams.get('access_token') ?? ''
          if (!this.valid.has(token)) return answer({errcode: token.startsWith('tok-') ? 42001 : 40001, errmsg: 'access_token expired'})
          let body: Record<string, any>
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
          } catch {
            return answer({errcode: 47001, errmsg: 'data format error'})
          }
          if (typeof body.touser !== 'string' || body.touser === '') return answer({errcode: 40003, errmsg: 'invalid openid'})
          if (u.pathname.endsWith('/typing')) {
            if (body.command !== 'Typing' && body.command !== 'CancelTyping') return answer({errcode: 40001, errmsg: 'invalid command'})
            this.typing.push(body)
            return answer({errcode: 0, errmsg: 'ok'})
          }
          const ok =
            (body.msgtype === 'text' && typeof body.text?.content === 'string') ||
            (body.msgtype === 'image' && typeof body.image?.media_id === 'string') ||
            (body.msgtype === 'msgmenu' && Array.isArray(body.msgmenu?.list) && body.msgmenu.list.every((i: any) => typeof i.id === 'string' && typeof i.content === 'string'))
          if (!ok) return answer({errcode: 47001, errmsg: 'data format error'})
          this.sent.push(body)
          answer({errcode: 0, errmsg: 'ok'})
        })
        return
      }
      res.writeHead(404)
      res.end()
    })
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  /** Every token given so far stops working (WeChat's 2-hour expiry, or a token fetched elsewhere). */
  expireTokens(): void {
    this.valid.clear()
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()))
  }
}
