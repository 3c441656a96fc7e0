import {randomBytes} from 'node:crypto'
import type {WebSocket} from 'ws'
import type {ChannelAdapter, ChatCoreForChannels, InboundMessage, OutboundMessage} from '../../channel.js'
import type {Logger} from '../../../util/log.js'
import {charCount, cleanLine, cleanNumber, cleanText} from '../clean-text.js'
import {parseFrame, VISITOR_ID, type CustomerLine, type EngineFrame, type WidgetFrame, type WidgetMessage} from './web-protocol.js'
import {UploadRefused, type Uploads} from './uploads.js'
import {UserError} from '../../../util/errors.js'

export interface WebChannelOptions {
  core: ChatCoreForChannels
  uploads: Uploads
  log: Logger
  /** The longest text message, in characters. */
  maxTextChars: number
  /** The URL an upload is reachable at from the desk and the widget, from its file name. */
  uploadUrl: (file: string) => string
  /** How long a new socket may take to say hello. */
  helloTimeoutMs?: number
}

/** Frames a second a widget may send (burst twice that): typing is throttled by the widget already. */
const FRAMES_PER_S = 10
/** Replies a widget leaves unread before it is cut off (it reconnects and resumes from its seq). */
const MAX_UNREAD_BYTES = 1024 * 1024

/** One open widget: until its history is sent, live messages wait in `held`. */
interface Visit {
  ws: WebSocket
  visitor: string
  name?: string
  number?: string
  held: OutboundMessage[] | null
  tokens: number
  refill: number
  /** The visit's frames are taken one after another, so its messages keep their order. */
  chain: Promise<void>
}

/**
 * The web widget's side of the chat: a visitor's open sockets (several tabs), the frames
 * they send turned into InboundMessages for the chat core, and the core's messages sent
 * to every open socket of the visitor. A visitor with no open socket gets nothing now:
 * the core keeps the messages, and the widget reads them as history when it is back.
 */
export class WebChannel implements ChannelAdapter {
  readonly kind = 'web' as const
  private readonly visits = new Map<string, Set<Visit>>()

  constructor(private readonly o: WebChannelOptions) {}

  /** Open sockets now (status and tests). */
  get sockets(): number {
    let n = 0
    for (const s of this.visits.values()) n += s.size
    return n
  }

  /** Closes every widget's socket (the server stopping); the widgets reconnect and resume from their last seq. */
  disconnectAll(): void {
    for (const open of this.visits.values()) for (const v of open) v.ws.close(1012, 'restarting')
  }

  async deliver(customer: string, m: OutboundMessage): Promise<void> {
    const open = this.visits.get(customer)
    if (!open) return
    for (const v of open) {
      if (v.held) v.held.push(m)
      else this.send(v, {type: 'message', message: m})
    }
  }

  /** The largest image an agent may send: the customers' limit (channels.web.maxImageKB). */
  get maxImageBytes(): number {
    return this.o.uploads.maxBytes
  }

  /**
   * An agent's image (the API's chat.image): kept with the customers' uploads under the same
   * limits, type by its first bytes, and served by the chat server at the URL returned, which
   * every channel may hand its customer.
   */
  keepImage(bytes: Buffer, agent: string): {url: string; mime: string} {
    try {
      const up = this.o.uploads.keep(bytes, `agent:${agent}`)
      return {url: this.o.uploadUrl(up.file), mime: up.mime}
    } catch (err) {
      if (err instanceof UploadRefused) throw new UserError(err.message, {code: err.code, suggestion: err.status === 415 ? 'Send a PNG, JPEG, GIF or WebP file.' : err.status === 413 ? 'Send a smaller image.' : undefined})
      throw err
    }
  }

  /** A socket upgraded on the widget's path: the first frame must be hello. */
  accept(ws: WebSocket): void {
    let visit: Visit | null = null
    const timer = setTimeout(() => ws.close(4000, 'no hello'), this.o.helloTimeoutMs ?? 10_000)
    ws.on('close', () => {
      clearTimeout(timer)
      if (!visit) return
      const open = this.visits.get(visit.visitor)
      open?.delete(visit)
      if (open?.size === 0) this.visits.delete(visit.visitor)
    })
    ws.on('error', () => ws.terminate())
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(4001, 'text frames only')
      const frame = parseFrame(data.toString())
      if ('refused' in frame) return this.sendRaw(ws, {type: 'error', code: 'bad_frame', message: frame.refused})
      if (!visit) {
        if (frame.type !== 'hello') return ws.close(4000, 'hello first')
        clearTimeout(timer)
        visit = this.open(ws, frame)
        return
      }
      if (!this.allow(visit)) return this.send(visit, {type: 'error', code: 'slow_down', message: 'Too many messages at once; wait a moment'})
      const v = visit
      v.chain = v.chain
        .then(() => this.onFrame(v, frame))
        .catch((err: unknown) => {
          this.o.log.warn('web chat: a customer message was not taken', {error: err instanceof Error ? err.message : String(err)})
          this.send(v, {type: 'error', ...('id' in frame ? {id: frame.id} : {}), code: 'not_taken', message: 'The message could not be sent; try again'})
        })
    })
  }

  private open(ws: WebSocket, hello: Extract<WidgetFrame, {type: 'hello'}>): Visit {
    const known = hello.visitor !== undefined && VISITOR_ID.test(hello.visitor)
    const visitor = known ? hello.visitor! : `v_${randomBytes(24).toString('base64url')}`
    const visit: Visit = {ws, visitor, held: [], tokens: FRAMES_PER_S * 2, refill: Date.now(), chain: Promise.resolve()}
    this.identify(visit, hello)
    let open = this.visits.get(visitor)
    if (!open) this.visits.set(visitor, (open = new Set()))
    open.add(visit)
    this.send(visit, {type: 'welcome', visitor})
    // Registered before the history is read, so nothing delivered meanwhile is missed;
    // whatever the history already holds is not sent twice.
    // Both sides of the current or last conversation, from the core: they outlive an engine restart.
    const history = known ? Promise.all([this.o.core.history('web', visitor), this.o.core.customerLines('web', visitor)]) : Promise.resolve([[], []] as const)
    history
      .then(([said, wrote]) => {
        const all: WidgetMessage[] = [...said, ...wrote].sort((a, b) => a.seq - b.seq)
        const fresh = all.filter((m) => m.conversation !== hello.conversation || m.seq > (hello.after ?? 0))
        this.send(visit, {type: 'history', messages: fresh})
        const sent = new Set(all.map((m) => `${m.conversation}:${m.seq}`))
        const held = visit.held ?? []
        visit.held = null
        for (const m of held) if (m.kind === 'typing' || !sent.has(`${m.conversation}:${m.seq}`)) this.send(visit, {type: 'message', message: m})
      })
      .catch((err: unknown) => {
        this.o.log.warn('web chat: history not read', {error: err instanceof Error ? err.message : String(err)})
        ws.close(1011, 'history unavailable')
      })
    return visit
  }

  private identify(visit: Visit, f: {name?: string; number?: string}): void {
    if (f.name !== undefined) visit.name = cleanLine(f.name, 80) || undefined
    if (f.number !== undefined) visit.number = cleanNumber(f.number) ?? undefined
  }

  private async onFrame(visit: Visit, f: WidgetFrame): Promise<void> {
    const base = this.base(visit)
    switch (f.type) {
      case 'hello':
        return this.send(visit, {type: 'error', code: 'bad_frame', message: 'hello was already said'})
      case 'start':
        this.identify(visit, f)
        await this.o.core.receive({...this.base(visit), event: 'open'})
        return
      case 'typing':
        await this.o.core.receive({...base, event: 'typing'})
        return
      case 'close':
        await this.o.core.receive({...base, event: 'close'})
        return
      case 'text': {
        const text = cleanText(f.text)
        if (text === '') return this.send(visit, {type: 'error', id: f.id, code: 'empty', message: 'The message is empty'})
        if (charCount(text) > this.o.maxTextChars) return this.send(visit, {type: 'error', id: f.id, code: 'too_long', message: `Messages may be at most ${this.o.maxTextChars} characters`})
        return this.ack(visit, f.id, {...base, text, channelMessageId: `${visit.visitor}:${f.id}`}, {kind: 'text', text})
      }
      case 'image': {
        const up = this.o.uploads.ownedBy(f.upload, visit.visitor)
        if (!up) return this.send(visit, {type: 'error', id: f.id, code: 'no_upload', message: 'That image was not uploaded here; upload it again'})
        const image = {url: this.o.uploadUrl(up.file), mime: up.mime}
        return this.ack(visit, f.id, {...base, image: {...image, bytes: up.bytes}, channelMessageId: `${visit.visitor}:${f.id}`}, {kind: 'image', image})
      }
      case 'button':
        return this.ack(visit, f.id, {...base, event: 'button', payload: cleanLine(f.key, 64), channelMessageId: `${visit.visitor}:${f.id}`})
    }
  }

  private base(visit: Visit): InboundMessage {
    return {channel: 'web', customer: visit.visitor, ...(visit.name ? {name: visit.name} : {}), ...(visit.number ? {number: visit.number} : {})}
  }

  private async ack(visit: Visit, id: string, m: InboundMessage, line?: Pick<CustomerLine, 'kind' | 'text' | 'image'>): Promise<void> {
    const r = await this.o.core.receive(m)
    if (line) {
      const said: CustomerLine = {...line, conversation: r.conversation, seq: r.seq, ts: Date.now(), from: 'customer'}
      // The customer's other tabs show it too.
      for (const other of this.visits.get(visit.visitor) ?? []) if (other !== visit && !other.held) this.send(other, {type: 'message', message: said})
    }
    this.send(visit, {type: 'ack', id, conversation: r.conversation, seq: r.seq})
  }

  private allow(v: Visit): boolean {
    const now = Date.now()
    v.tokens = Math.min(FRAMES_PER_S * 2, v.tokens + ((now - v.refill) / 1000) * FRAMES_PER_S)
    v.refill = now
    if (v.tokens < 1) return false
    v.tokens -= 1
    return true
  }

  private send(v: Visit, f: EngineFrame): void {
    this.sendRaw(v.ws, f)
  }

  private sendRaw(ws: WebSocket, f: EngineFrame): void {
    if (ws.readyState !== ws.OPEN) return
    if (ws.bufferedAmount > MAX_UNREAD_BYTES) return ws.terminate()
    ws.send(JSON.stringify(f))
  }
}
