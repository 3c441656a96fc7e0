import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * WeChat's API as an official account's server sees it, for tests: GET /cgi-bin/token
 * (client_credential with the app's id and secret) and POST
 * /cgi-bin/message/custom/send and /custom/typing with an access_token, answering in the
 * documented shapes ({access_token, expires_in}; {errcode, errmsg}). The test can expire
 * every token at once (the next send gets 42001) and reads what was sent.
 *
 * POST /cgi-bin/media/upload?type=image (新增临时素材) takes a multipart/form-data body
 * whose part "media" is a file (filename, content-type) of PNG, JPEG or GIF bytes, read
 * here by hand from the raw body, and answers {type, media_id, created_at}; a custom
 * image message must name a media_id it gave. `failUploads` makes every upload fail
 * (errcode 40009, as WeChat answers an image it does not take).
 */
export class FakeWechat {
  readonly sent: Record<string, any>[] = []
  readonly typing: Record<string, any>[] = []
  /** Every upload taken: its media_id, the part's filename and content-type, and its bytes. */
  readonly uploads: {mediaId: string; filename: string; contentType: string; body: Buffer}[] = []
  failUploads = false
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
      if (req.method === 'POST' && u.pathname === '/cgi-bin/media/upload') {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => {
          if (!this.valid.has(u.searchParams.get('access_token') ?? '')) return answer({errcode: 42001, errmsg: 'access_token expired'})
          if (u.searchParams.get('type') !== 'image') return answer({errcode: 40004, errmsg: 'invalid media type'})
          const part = mediaPart(String(req.headers['content-type'] ?? ''), Buffer.concat(chunks))
          if (typeof part === 'string') return answer({errcode: 41005, errmsg: `media data missing: ${part}`})
          if (!isImage(part.body)) return answer({errcode: 40005, errmsg: 'invalid file type'})
          if (this.failUploads) return answer({errcode: 40009, errmsg: 'invalid image size'})
          const mediaId = `media-${this.uploads.length + 1}-${'m'.repeat(20)}`
          this.uploads.push({mediaId, ...part})
          answer({type: 'image', media_id: mediaId, created_at: Math.floor(Date.now() / 1000)})
        })
        return
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
            (body.msgtype === 'image' && this.uploads.some((up) => up.mediaId === body.image?.media_id)) ||
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

/** The "media" file part of a multipart/form-data body (RFC 7578), or what is wrong with it. */
function mediaPart(contentType: string, raw: Buffer): {filename: string; contentType: string; body: Buffer} | string {
  const m = /^multipart\/form-data;\s*boundary="?([^";]+)"?/i.exec(contentType)
  if (!m) return `content-type ${contentType} is not multipart/form-data with a boundary`
  const delimiter = Buffer.from(`--${m[1]}`)
  const parts: Buffer[] = []
  let at = raw.indexOf(delimiter)
  if (at < 0) return 'no boundary in the body'
  for (;;) {
    const start = at + delimiter.length
    if (raw.subarray(start, start + 2).toString() === '--') break
    const next = raw.indexOf(delimiter, start)
    if (next < 0) return 'the body does not end with the closing boundary'
    // Each part sits between CRLF after the delimiter and CRLF before the next one.
    parts.push(raw.subarray(start + 2, next - 2))
    at = next
  }
  for (const p of parts) {
    const split = p.indexOf('\r\n\r\n')
    if (split < 0) return 'a part without headers'
    const headers = p.subarray(0, split).toString('utf8')
    const disposition = /^content-disposition:\s*form-data;(.*)$/im.exec(headers)?.[1] ?? ''
    if (!/(^|;)\s*name="media"/.test(disposition)) continue
    const filename = /filename="([^"]*)"/.exec(disposition)?.[1]
    if (!filename) return 'the media part has no filename'
    const type = /^content-type:\s*(\S+)\s*$/im.exec(headers)?.[1]
    if (!type) return 'the media part has no content-type'
    return {filename, contentType: type, body: Buffer.from(p.subarray(split + 4))}
  }
  return 'no part named media'
}

function isImage(b: Buffer): boolean {
  return b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) || (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) || b.subarray(0, 4).toString('latin1') === 'GIF8'
}
