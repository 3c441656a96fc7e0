import type {Logger} from '../../../util/log.js'

// The official account's API as the engine uses it: an access token from /cgi-bin/token
// (kept until shortly before it expires, fetched once however many sends wait for it,
// fetched again when WeChat says it is no longer valid), the customer-service message
// send, and the temporary media upload an image message needs first (新增临时素材:
// POST /cgi-bin/media/upload?type=image, multipart form-data with the file as "media",
// answering {type, media_id, created_at}). Neither the token nor the secret is ever logged: URLs are logged without
// their query.

export interface WechatApiOptions {
  /** https://api.weixin.qq.com, or a fake's URL in tests. */
  base: string
  appId: string
  appSecret: string
  log: Logger
  timeoutMs?: number
  now?: () => number
}

/** The token is renewed this long before WeChat says it expires. */
const RENEW_BEFORE_MS = 5 * 60_000
/** errcodes meaning the token is invalid or expired: fetch a new one and send again, once. */
const STALE_TOKEN = new Set([40001, 40014, 42001])

export class WechatApiError extends Error {
  constructor(
    readonly errcode: number,
    message: string,
  ) {
    super(message)
  }
}

interface ApiAnswer {
  errcode?: number
  errmsg?: string
  access_token?: string
  expires_in?: number
  media_id?: string
}

export type CustomMessage =
  | {touser: string; msgtype: 'text'; text: {content: string}}
  | {touser: string; msgtype: 'image'; image: {media_id: string}}
  | {touser: string; msgtype: 'msgmenu'; msgmenu: {head_content: string; list: {id: string; content: string}[]; tail_content: string}}

export class WechatApi {
  private token: {value: string; expires: number} | null = null
  private fetching: Promise<string> | null = null
  /** Tokens fetched since start (tests: a refresh is one more). */
  tokenFetches = 0

  constructor(private readonly o: WechatApiOptions) {}

  async sendCustom(m: CustomMessage): Promise<void> {
    await this.call('/cgi-bin/message/custom/send', m)
  }

  /** Uploads an image to WeChat's temporary media store (kept 3 days); its media_id. */
  async uploadImage(body: Buffer, mime: string): Promise<string> {
    const form = new FormData()
    form.append('media', new Blob([body], {type: mime}), `image.${mime.split('/')[1] === 'jpeg' ? 'jpg' : mime.split('/')[1]}`)
    const r = await this.call('/cgi-bin/media/upload', form, '&type=image')
    if (typeof r.media_id !== 'string' || r.media_id === '') throw new WechatApiError(-1, 'WeChat /cgi-bin/media/upload answered no media_id')
    return r.media_id
  }

  /** The "typing" state shown to the customer for a while (Typing or CancelTyping). */
  async typing(touser: string, on: boolean): Promise<void> {
    await this.call('/cgi-bin/message/custom/typing', {touser, command: on ? 'Typing' : 'CancelTyping'})
  }

  private async call(path: string, body: unknown, query = ''): Promise<ApiAnswer> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken()
      const r = await this.post(`${path}?access_token=${encodeURIComponent(token)}${query}`, body)
      if (r.errcode === undefined || r.errcode === 0) return r
      if (STALE_TOKEN.has(r.errcode) && attempt === 0) {
        if (this.token?.value === token) this.token = null
        continue
      }
      throw new WechatApiError(r.errcode, `WeChat ${path} answered errcode ${r.errcode}: ${String(r.errmsg ?? '').slice(0, 200)}`)
    }
  }

  async accessToken(): Promise<string> {
    const now = (this.o.now ?? Date.now)()
    if (this.token && now < this.token.expires - RENEW_BEFORE_MS) return this.token.value
    this.fetching ??= this.fetchToken().finally(() => (this.fetching = null))
    return this.fetching
  }

  private async fetchToken(): Promise<string> {
    const q = new URLSearchParams({grant_type: 'client_credential', appid: this.o.appId, secret: this.o.appSecret})
    const r = await this.request(`/cgi-bin/token?${q}`, {method: 'GET'})
    if (typeof r.access_token !== 'string' || r.access_token === '') {
      throw new WechatApiError(Number(r.errcode ?? -1), `WeChat /cgi-bin/token answered errcode ${String(r.errcode)}: ${String(r.errmsg ?? '').slice(0, 200)} (check wechat.appId and the app secret)`)
    }
    this.tokenFetches++
    const expiresIn = Number(r.expires_in) > 0 ? Number(r.expires_in) : 7200
    this.token = {value: r.access_token, expires: (this.o.now ?? Date.now)() + expiresIn * 1000}
    return r.access_token
  }

  private post(pathAndQuery: string, body: unknown) {
    // A form is sent as multipart/form-data, its boundary chosen by fetch.
    if (body instanceof FormData) return this.request(pathAndQuery, {method: 'POST', body})
    return this.request(pathAndQuery, {method: 'POST', headers: {'content-type': 'application/json; charset=utf-8'}, body: JSON.stringify(body)})
  }

  private async request(pathAndQuery: string, init: RequestInit): Promise<ApiAnswer> {
    const path = pathAndQuery.split('?')[0]
    let res: Response
    try {
      res = await fetch(this.o.base.replace(/\/+$/, '') + pathAndQuery, {...init, signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000)})
    } catch (err) {
      throw new WechatApiError(-1, `WeChat ${path} unreachable at ${this.o.base}: ${err instanceof Error ? err.message : String(err)}`)
    }
    const text = await res.text()
    if (!res.ok) throw new WechatApiError(-1, `WeChat ${path} answered HTTP ${res.status}`)
    try {
      return JSON.parse(text) as ApiAnswer
    } catch {
      throw new WechatApiError(-1, `WeChat ${path} answered something that is not JSON`)
    }
  }
}
