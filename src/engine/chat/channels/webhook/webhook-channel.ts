import type {IncomingMessage, ServerResponse} from 'node:http'
import type {ChannelAdapter, ChatCoreForChannels, InboundMessage, OutboundMessage} from '../../channel.js'
import type {Logger} from '../../../util/log.js'
import {charCount, cleanLine, cleanNumber, cleanText} from '../clean-text.js'
import {BodyTooLarge, readBody} from '../http-body.js'
import {webhookRefusal, webhookSignature} from './webhook-signature.js'

// A plain JSON channel for any other platform (an app, a messenger bridge, a bot).
//
// In:  POST {path} with X-Callctl-Timestamp and X-Callctl-Signature (webhook-signature.ts)
//      {"customer": "u123", "name"?: "…", "number"?: "…", "id"?: "platform message id",
//       and one of "text": "…" | "image": {"url","mime","bytes"} | "event": "open"|"close"|"typing"|"button", "payload"?: "key"}
//      → 200 {"conversation": "…", "seq": 3}; 400 {"error": "…"} for a body that is not that; 403 unsigned.
// Out: POST {url} signed the same way: {"customer": "u123", "message": OutboundMessage}.
//      A 2xx is delivered; anything else is tried again (3 tries in all), in order per customer.

export interface WebhookChannelOptions {
  core: ChatCoreForChannels
  log: Logger
  secret: string
  /** Where the engine's messages go; null: inbound only. */
  url: string | null
  timeoutMs: number
  maxTextChars: number
  now?: () => number
  /** Waits between tries (tests shorten them). */
  retryDelaysMs?: number[]
}

const MAX_BODY_BYTES = 256 * 1024
const EVENTS = new Set(['open', 'close', 'typing', 'button'])
const CUSTOMER = /^[A-Za-z0-9_.:@-]{1,128}$/
/** Sends waiting per customer beyond which the oldest are dropped (a platform down for long). */
const MAX_QUEUED = 200

export class WebhookChannel implements ChannelAdapter {
  readonly kind = 'webhook' as const
  private readonly chains = new Map<string, {tail: Promise<void>; queued: number}>()
  /** Deliveries given up after every try (status and tests). */
  failed = 0

  constructor(private readonly o: WebhookChannelOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return json(res, 405, {error: 'POST only'})
    let body: Buffer
    try {
      body = await readBody(req, MAX_BODY_BYTES)
    } catch (err) {
      if (err instanceof BodyTooLarge) return json(res, 413, {error: `body over ${MAX_BODY_BYTES} bytes`})
      throw err
    }
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined)
    const refusal = webhookRefusal({timestamp: header('x-callctl-timestamp'), signature: header('x-callctl-signature')}, body, this.o.secret, (this.o.now ?? Date.now)())
    if (refusal) {
      this.o.log.warn('chat webhook: request refused', {why: refusal, remote: req.socket.remoteAddress})
      return json(res, 403, {error: 'forbidden'})
    }
    const m = this.inbound(body)
    if (typeof m === 'string') return json(res, 400, {error: m})
    try {
      json(res, 200, await this.o.core.receive(m))
    } catch (err) {
      this.o.log.warn('chat webhook: message not taken by the chat core', {error: err instanceof Error ? err.message : String(err)})
      json(res, 500, {error: 'not taken; try again'})
    }
  }

  /** The body as an InboundMessage, or what is wrong with it. */
  inbound(body: Buffer): InboundMessage | string {
    let v: unknown
    try {
      v = JSON.parse(body.toString('utf8'))
    } catch {
      return 'the body is not JSON'
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'the body must be a JSON object'
    const b = v as Record<string, unknown>
    if (typeof b.customer !== 'string' || !CUSTOMER.test(b.customer)) return 'customer must be an id of 1 to 128 letters, digits or _.:@-'
    const m: InboundMessage = {channel: 'webhook', customer: b.customer}
    if (typeof b.name === 'string' && cleanLine(b.name, 80)) m.name = cleanLine(b.name, 80)
    if (typeof b.number === 'string') {
      const n = cleanNumber(b.number)
      if (n) m.number = n
    }
    if (b.id !== undefined) {
      if (typeof b.id !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(b.id)) return 'id must be the platform message id (1 to 128 letters, digits or _.:-)'
      m.channelMessageId = b.id
    }
    const kinds = ['text', 'image', 'event'].filter((k) => b[k] !== undefined)
    if (kinds.length !== 1) return 'exactly one of text, image, event'
    if (b.text !== undefined) {
      if (typeof b.text !== 'string') return 'text must be a string'
      const text = cleanText(b.text)
      if (text === '') return 'text is empty'
      if (charCount(text) > this.o.maxTextChars) return `text is over ${this.o.maxTextChars} characters`
      m.text = text
    } else if (b.image !== undefined) {
      const i = b.image as Record<string, unknown>
      if (typeof i !== 'object' || i === null || typeof i.url !== 'string' || !/^https?:\/\/\S{1,2000}$/.test(i.url) || typeof i.mime !== 'string' || !/^image\/(png|jpeg|gif|webp)$/.test(i.mime)) {
        return 'image must be {url: http(s) URL, mime: image/png|jpeg|gif|webp, bytes}'
      }
      m.image = {url: i.url, mime: i.mime, bytes: Number.isSafeInteger(i.bytes) && (i.bytes as number) >= 0 ? (i.bytes as number) : 0}
    } else {
      if (typeof b.event !== 'string' || !EVENTS.has(b.event)) return `event must be one of ${[...EVENTS].join(', ')}`
      m.event = b.event as InboundMessage['event']
      if (b.payload !== undefined) {
        if (typeof b.payload !== 'string') return 'payload must be a string'
        m.payload = cleanLine(b.payload, 64)
      }
    }
    return m
  }

  /** Queued in order per customer; resolves once queued (the core does not wait for the platform). */
  async deliver(customer: string, m: OutboundMessage): Promise<void> {
    const url = this.o.url
    if (!url) return
    let chain = this.chains.get(customer)
    if (!chain) this.chains.set(customer, (chain = {tail: Promise.resolve(), queued: 0}))
    if (chain.queued >= MAX_QUEUED) {
      this.failed++
      this.o.log.warn('chat webhook: platform not keeping up; message dropped', {queued: chain.queued})
      return
    }
    const c = chain
    c.queued++
    c.tail = c.tail
      .then(() => this.post(url, JSON.stringify({customer, message: m})))
      .finally(() => {
        c.queued--
        if (c.queued === 0 && this.chains.get(customer) === c) this.chains.delete(customer)
      })
  }

  /** Every queued delivery done (tests, stop). */
  async settled(): Promise<void> {
    await Promise.all([...this.chains.values()].map((c) => c.tail))
  }

  private async post(url: string, body: string): Promise<void> {
    const delays = this.o.retryDelaysMs ?? [500, 2000]
    for (let attempt = 0; ; attempt++) {
      const ts = String(Math.floor((this.o.now ?? Date.now)() / 1000))
      let why: string
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {'content-type': 'application/json', 'x-callctl-timestamp': ts, 'x-callctl-signature': webhookSignature(this.o.secret, ts, body)},
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs),
        })
        await res.arrayBuffer().catch(() => undefined)
        if (res.ok) return
        why = `HTTP ${res.status}`
      } catch (err) {
        why = err instanceof Error ? err.message : String(err)
      }
      if (attempt >= delays.length) {
        this.failed++
        this.o.log.warn('chat webhook: message not delivered', {tries: attempt + 1, why})
        return
      }
      await new Promise((r) => setTimeout(r, delays[attempt]))
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {'content-type': 'application/json; charset=utf-8'})
  res.end(JSON.stringify(body))
}
