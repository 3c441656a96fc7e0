import WebSocket from 'ws'
import type {EngineFrame} from '../../engine/chat/channels/web/web-protocol.js'

// One web chat customer as the widget speaks to the engine: hello, its name, then texts
// whose frame id carries the send time's sample number, so whoever receives the text
// (an agent's desk, or the echo baseline) can be timed against the send.

export class WebCustomer {
  private ws: WebSocket | null = null
  visitor: string | null = null
  conversation: string | null = null
  received = 0
  errors: string[] = []

  constructor(
    readonly url: string,
    readonly name: string,
  ) {}

  async open(): Promise<void> {
    const ws = new WebSocket(this.url, {perMessageDeflate: false})
    this.ws = ws
    const welcome = new Promise<void>((resolve, reject) => {
      ws.on('message', (d) => {
        const f = JSON.parse(d.toString()) as EngineFrame
        if (f.type === 'welcome') {
          this.visitor = f.visitor
          resolve()
        } else if (f.type === 'ack') this.conversation = f.conversation
        else if (f.type === 'message') this.received++
        else if (f.type === 'error') this.errors.push(f.code)
      })
      ws.once('error', reject)
      ws.once('close', () => reject(new Error('closed before welcome')))
    })
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    ws.send(JSON.stringify({type: 'hello'}))
    await welcome
    ws.send(JSON.stringify({type: 'start', name: this.name}))
  }

  text(id: string, text: string): void {
    this.ws?.send(JSON.stringify({type: 'text', id, text}))
  }

  close(): void {
    this.ws?.terminate()
  }
}

/** A raw client of the echo baseline: sends frames and is told of each one echoed back. */
export class EchoClient {
  private ws: WebSocket | null = null

  constructor(readonly url: string) {}

  async open(onEcho: (data: string) => void): Promise<void> {
    const ws = new WebSocket(this.url, {perMessageDeflate: false})
    this.ws = ws
    ws.on('message', (d) => onEcho(d.toString()))
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
  }

  send(data: string): void {
    this.ws?.send(data)
  }

  close(): void {
    this.ws?.terminate()
  }
}
