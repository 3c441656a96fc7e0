import type {IncomingMessage, ServerResponse} from 'node:http'
import type {ChannelAdapter, ChatCoreForChannels, InboundMessage, OutboundMessage} from '../../channel.js'
import type {Logger} from '../../../util/log.js'
import {cleanLine, cleanText} from '../clean-text.js'
import {readBody, BodyTooLarge} from '../http-body.js'
import {randomInt} from 'node:crypto'
import {imageTypeOf} from '../web/image-type.js'
import type {WechatMode} from '../channels-config.js'
import {WechatApiError, type CustomMessage, type WechatApi} from './wechat-api.js'
import {WechatCryptoError, type WechatCrypto, type WechatKeyUsed} from './wechat-crypto.js'
import {wechatRefusal} from './wechat-signature.js'
import {parseWechatXml, wechatXml, WechatXmlError, type WechatFields} from './wechat-xml.js'

export interface WechatChannelOptions {
  core: ChatCoreForChannels
  log: Logger
  /** The Token set in the account's console (signature key). */
  token: string
  /** The customer-service API; null: passive replies only. */
  api: WechatApi | null
  replyWaitMs: number
  /** A request whose timestamp is further than this from now is refused as a replay. */
  maxSkewS?: number
  now?: () => number
  /** The console's message encryption; compatible and safe need `crypto`. Default plain. */
  mode?: WechatMode
  crypto?: WechatCrypto | null
  /** An agent's image's bytes for the media upload; null: send it as a link. Default: fetched over HTTP(S) (fetchImage). */
  readImage?: (url: string) => Promise<{body: Buffer; mime: string} | null>
}

/** WeChat's temporary media store takes images of these types up to this size (新增临时素材: "图片（image）: 10M，支持PNG\JPEG\JPG\GIF格式"). */
const UPLOADABLE = new Set(['image/png', 'image/jpeg', 'image/gif'])
export const MAX_WECHAT_IMAGE_BYTES = 10 * 1024 * 1024

/** WeChat's messages are a few hundred bytes; anything near this is not WeChat. */
const MAX_BODY_BYTES = 64 * 1024
const OPENID = /^[A-Za-z0-9_-]{1,64}$/
/** WeChat shows at most about 2,048 bytes of a text; a longer one is cut there, on a character. */
const MAX_TEXT_BYTES = 2000

/** A message's POST waiting for the first answer to the customer, to send as its passive reply. */
interface Waiter {
  account: string
  take(m: OutboundMessage): boolean
}

/**
 * The official account's message server: GET answers WeChat's echostr check, POST takes
 * one customer message or event (signed, fresh, small, well-formed, or refused; in
 * compatible and safe modes decrypted first, wechat-crypto.ts) into the chat core. The
 * first answer the core gives within replyWaitMs goes back as the POST's passive reply
 * (encrypted when the request was); every later one, and any answer after the wait,
 * goes out through the customer-service message API.
 */
export class WechatChannel implements ChannelAdapter {
  readonly kind = 'wechat' as const
  private readonly waiting = new Map<string, Waiter>()
  private apiMissingSaid = false
  private modeMismatchSaid = false
  /** Requests refused since start, by reason (status and tests). */
  readonly refused = new Map<string, number>()
  /** Messages only the previous EncodingAESKey opened, since start. */
  openedWithPreviousKey = 0

  constructor(private readonly o: WechatChannelOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const q = url.searchParams
    const refusal = wechatRefusal(q, this.o.token, (this.o.now ?? Date.now)(), this.o.maxSkewS ?? 300)
    if (refusal) return this.refuse(req, res, refusal)
    // The URL check (GET with echostr) is signed, not encrypted, in every mode of an official account.
    if (req.method === 'GET') {
      const echo = q.get('echostr') ?? ''
      return plain(res, 200, /^[A-Za-z0-9_-]{1,128}$/.test(echo) ? echo : '')
    }
    if (req.method !== 'POST') return plain(res, 405, 'method not allowed')
    // encrypt_type=aes: the body's Encrypt holds the message (compatible mode also sends the
    // fields in plain beside it; those are signed by nothing, so only the decrypted ones count).
    const mode = this.o.mode ?? 'plain'
    const crypto = mode === 'plain' ? null : (this.o.crypto ?? null)
    const aes = q.get('encrypt_type') === 'aes'
    if (mode === 'safe' && !aes) return this.refuse(req, res, 'not encrypted (channels.wechat.mode is safe)')
    if (aes && !crypto && !this.modeMismatchSaid) {
      this.modeMismatchSaid = true
      this.o.log.warn('wechat: WeChat sends encrypted messages but channels.wechat.mode is plain; set mode (compatible or safe) and encodingAesKeyFile as in the account console')
    }
    let fields: WechatFields
    let keyUsed: WechatKeyUsed = 'current'
    try {
      fields = parseWechatXml((await readBody(req, MAX_BODY_BYTES)).toString('utf8'))
      if (aes && crypto) {
        const encrypt = fields.Encrypt ?? ''
        if (encrypt === '') return this.refuse(req, res, 'encrypted request without Encrypt')
        if (!crypto.signatureMatches(q.get('msg_signature') ?? '', q.get('timestamp')!, q.get('nonce')!, encrypt)) return this.refuse(req, res, 'msg_signature does not match')
        const opened = crypto.open(encrypt)
        keyUsed = opened.key
        if (keyUsed === 'previous') {
          // Each one is logged: the last such line tells the admin when the old key can go.
          this.openedWithPreviousKey++
          this.o.log.info('wechat: message decrypted with the previous EncodingAESKey (channels.wechat.previousEncodingAesKeyFile), reply sealed with it too; once these lines stop, remove that setting', {count: this.openedWithPreviousKey})
        }
        fields = parseWechatXml(opened.xml)
      }
    } catch (err) {
      if (err instanceof BodyTooLarge) return plain(res, 413, 'too large')
      if (err instanceof WechatCryptoError) return this.refuse(req, res, err.message)
      if (err instanceof WechatXmlError) {
        this.o.log.warn('wechat: message is not WeChat XML', {error: err.message})
        return plain(res, 400, 'bad request')
      }
      throw err
    }
    const inbound = toInbound(fields)
    if (!inbound) return plain(res, 200, 'success')
    const account = fields.ToUserName ?? ''
    const reply = this.waitForReply(inbound.customer, account)
    try {
      await this.o.core.receive(inbound)
    } catch (err) {
      reply.cancel()
      // WeChat retries a message whose POST fails; the MsgId keeps the retry from being stored twice.
      this.o.log.warn('wechat: message not taken by the chat core', {error: err instanceof Error ? err.message : String(err)})
      return plain(res, 500, 'try again')
    }
    const first = await reply.first
    // "success" needs no encryption in any mode: WeChat takes it as "no reply".
    if (!first) return plain(res, 200, 'success')
    const xml = wechatXml({ToUserName: inbound.customer, FromUserName: account, CreateTime: Math.floor(first.ts / 1000), MsgType: 'text', Content: passiveText(first)})
    res.writeHead(200, {'content-type': 'application/xml; charset=utf-8'})
    // An encrypted request is answered encrypted (compatible mode answers in kind), with the key that opened it.
    res.end(aes && crypto ? crypto.wrapReply(xml, String(Math.floor((this.o.now ?? Date.now)() / 1000)), String(randomInt(1e9, 1e10)), undefined, keyUsed) : xml)
  }

  /** A request that is not WeChat's (forged, stale, tampered, another account's): 403, logged, counted, never near the chat core. */
  private refuse(req: IncomingMessage, res: ServerResponse, why: string): void {
    this.refused.set(why, (this.refused.get(why) ?? 0) + 1)
    this.o.log.warn('wechat: request refused', {why, remote: req.socket.remoteAddress})
    plain(res, 403, 'forbidden')
  }

  private waitForReply(customer: string, account: string): {first: Promise<OutboundMessage | null>; cancel(): void} {
    let done: (m: OutboundMessage | null) => void = () => {}
    const first = new Promise<OutboundMessage | null>((resolve) => (done = resolve))
    const waiter: Waiter = {
      account,
      take: (m) => {
        // Typing has no passive form; images need a media id uploaded first: both go by the API.
        if (m.kind === 'typing' || m.kind === 'image') return false
        finish(m)
        return true
      },
    }
    const finish = (m: OutboundMessage | null) => {
      clearTimeout(timer)
      if (this.waiting.get(customer) === waiter) this.waiting.delete(customer)
      done(m)
    }
    const timer = setTimeout(() => finish(null), this.o.replyWaitMs)
    // A second message from the customer while the first still waits: the newer POST takes the reply.
    this.waiting.set(customer, waiter)
    return {first, cancel: () => finish(null)}
  }

  async deliver(customer: string, m: OutboundMessage): Promise<void> {
    if (this.waiting.get(customer)?.take(m)) return
    if (!this.o.api) {
      if (!this.apiMissingSaid) this.o.log.warn('wechat: an answer came after the passive reply and no appId/appSecretFile is set to send it by the customer-service API; it is kept in the transcript only')
      this.apiMissingSaid = true
      return
    }
    const api = this.o.api
    try {
      if (m.kind === 'typing') await api.typing(customer, true)
      else if (m.kind === 'image' && m.image && (await this.sendImage(api, customer, m, m.image))) return
      else {
        const out = toCustom(customer, m)
        if (out) await api.sendCustom(out)
      }
    } catch (err) {
      // 45015: the customer has not written for 48 hours; WeChat takes nothing more until they do.
      const code = err instanceof WechatApiError ? err.errcode : -1
      this.o.log.warn('wechat: customer-service message not sent', {errcode: code, error: err instanceof Error ? err.message : String(err)})
    }
  }

  /**
   * An image as WeChat shows one: uploaded to the temporary media store, then sent as an
   * image message by its media_id (a caption first, as text: an image message has none).
   * False when it could not be uploaded: the caller sends the link instead.
   */
  private async sendImage(api: WechatApi, customer: string, m: OutboundMessage, image: {url: string}): Promise<boolean> {
    let mediaId: string
    try {
      const file = await (this.o.readImage ?? fetchImage)(image.url)
      if (!file) throw new Error('the image could not be read')
      if (!UPLOADABLE.has(file.mime)) throw new Error(`WeChat takes PNG, JPEG and GIF images, not ${file.mime}`)
      if (file.body.length > MAX_WECHAT_IMAGE_BYTES) throw new Error(`the image is over ${MAX_WECHAT_IMAGE_BYTES / 1024 / 1024} MiB`)
      mediaId = await api.uploadImage(file.body, file.mime)
    } catch (err) {
      const code = err instanceof WechatApiError ? err.errcode : undefined
      this.o.log.warn('wechat: image not uploaded; sent as a link', {...(code !== undefined ? {errcode: code} : {}), error: err instanceof Error ? err.message : String(err)})
      return false
    }
    const head = m.from === 'agent' && m.agentName ? `${m.agentName}: ` : ''
    if (m.text) await api.sendCustom({touser: customer, msgtype: 'text', text: {content: cutBytes(head + m.text, MAX_TEXT_BYTES)}})
    await api.sendCustom({touser: customer, msgtype: 'image', image: {media_id: mediaId}})
    return true
  }
}

/**
 * An image's bytes by its URL, for the media upload: http(s) only, no redirects followed,
 * at most MAX_WECHAT_IMAGE_BYTES, and an image by its first bytes (anything else, say a
 * page behind an address an agent typed, is never uploaded).
 */
export async function fetchImage(url: string, timeoutMs = 5000): Promise<{body: Buffer; mime: string} | null> {
  if (!/^https?:\/\//.test(url)) return null
  const res = await fetch(url, {redirect: 'error', signal: AbortSignal.timeout(timeoutMs)})
  if (!res.ok || !res.body) return null
  const declared = Number(res.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_WECHAT_IMAGE_BYTES) return null
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length
    if (size > MAX_WECHAT_IMAGE_BYTES) return null
    chunks.push(chunk)
  }
  const body = Buffer.concat(chunks, size)
  const mime = imageTypeOf(body)
  return mime ? {body, mime} : null
}

/** The customer's message or event as the chat core takes it; null for kinds the chat does not take (voice, location, views). */
export function toInbound(f: WechatFields): InboundMessage | null {
  const customer = f.FromUserName ?? ''
  if (!OPENID.test(customer)) return null
  const base = {channel: 'wechat' as const, customer}
  switch (f.MsgType) {
    case 'text': {
      // A choice from a menu message (msgmenu) comes back as text carrying the chosen id.
      if (f.bizmsgmenuid) return {...base, event: 'button', payload: cleanLine(f.bizmsgmenuid, 64), ...msgId(f)}
      const text = cleanText(f.Content ?? '')
      return text === '' ? null : {...base, text, ...msgId(f)}
    }
    case 'image': {
      const url = f.PicUrl ?? ''
      if (!/^https?:\/\/\S{1,2000}$/.test(url)) return null
      return {...base, image: {url, mime: 'image/jpeg', bytes: 0}, ...msgId(f)}
    }
    case 'event': {
      const event = (f.Event ?? '').toLowerCase()
      const id = {channelMessageId: `${customer}:${f.CreateTime ?? ''}:${event}`}
      if (event === 'subscribe') return {...base, event: 'subscribe', ...(f.EventKey ? {payload: cleanLine(f.EventKey, 64)} : {}), ...id}
      if (event === 'unsubscribe') return {...base, event: 'unsubscribe', ...id}
      if (event === 'click') return {...base, event: 'button', payload: cleanLine(f.EventKey ?? '', 64), ...id}
      return null
    }
    default:
      return null
  }
}

function msgId(f: WechatFields): {channelMessageId?: string} {
  return f.MsgId && /^[0-9]{1,24}$/.test(f.MsgId) ? {channelMessageId: f.MsgId} : {}
}

/** An answer as a passive reply's text (buttons listed, since a passive reply has no menu). */
function passiveText(m: OutboundMessage): string {
  const head = m.from === 'agent' && m.agentName ? `${m.agentName}: ` : ''
  const buttons = m.buttons?.length ? '\n' + m.buttons.map((b) => `[${b.label}]`).join(' ') : ''
  return cutBytes(`${head}${m.text ?? ''}${buttons}`.trim() || ' ', MAX_TEXT_BYTES)
}

/** An answer as a customer-service message; null for what WeChat has no form for. */
export function toCustom(touser: string, m: OutboundMessage): CustomMessage | null {
  const head = m.from === 'agent' && m.agentName ? `${m.agentName}: ` : ''
  if ((m.kind === 'buttons' || m.kind === 'rating-request') && m.buttons?.length) {
    return {touser, msgtype: 'msgmenu', msgmenu: {head_content: cutBytes(head + (m.text ?? ''), MAX_TEXT_BYTES), list: m.buttons.map((b) => ({id: b.key, content: b.label})), tail_content: ''}}
  }
  // An image goes by its media_id once uploaded (sendImage); this, its link, is the fallback.
  const text = m.kind === 'image' ? `${head}${m.text ? m.text + ' ' : ''}${m.image?.url ?? ''}` : `${head}${m.text ?? ''}`
  return text.trim() === '' ? null : {touser, msgtype: 'text', text: {content: cutBytes(text, MAX_TEXT_BYTES)}}
}

function cutBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s
  let out = ''
  let n = 0
  for (const ch of s) {
    n += Buffer.byteLength(ch)
    if (n > max - 3) break
    out += ch
  }
  return out + '…'
}

function plain(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {'content-type': 'text/plain; charset=utf-8'})
  res.end(body)
}
