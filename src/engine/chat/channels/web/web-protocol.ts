import type {CustomerSaid, OutboundMessage} from '../../channel.js'

// The widget's WebSocket frames (JSON, one object a frame). The widget opens with
// hello; the engine answers welcome (the visitor id to keep in localStorage), then the
// history after the seq the widget last saw, then live messages.

export type WidgetFrame =
  | {type: 'hello'; visitor?: string; conversation?: string; after?: number; name?: string; number?: string}
  | {type: 'start'; name?: string; number?: string}
  | {type: 'text'; id: string; text: string}
  | {type: 'image'; id: string; upload: string}
  | {type: 'button'; id: string; key: string}
  | {type: 'typing'}
  | {type: 'close'}

/** The customer's own message as the widget draws it in the history (the core keeps it: it outlives a restart). */
export type CustomerLine = CustomerSaid

export type WidgetMessage = OutboundMessage | CustomerLine

export type EngineFrame =
  | {type: 'welcome'; visitor: string}
  | {type: 'history'; messages: WidgetMessage[]}
  | {type: 'message'; message: WidgetMessage}
  | {type: 'ack'; id: string; conversation: string; seq: number}
  | {type: 'error'; id?: string; code: string; message: string}

/** Visitor ids are issued by the engine: 32 random base64url characters, unguessable. */
export const VISITOR_ID = /^v_[A-Za-z0-9_-]{32}$/
/** A frame's own id (the widget's, for acks and retries). */
export const FRAME_ID = /^[A-Za-z0-9_-]{1,40}$/

/** A frame as sent, or the reason it is refused. */
export function parseFrame(raw: string): WidgetFrame | {refused: string} {
  let v: unknown
  try {
    v = JSON.parse(raw)
  } catch {
    return {refused: 'not JSON'}
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {refused: 'not an object'}
  const f = v as Record<string, unknown>
  const str = (k: string) => f[k] === undefined || typeof f[k] === 'string'
  const id = () => typeof f.id === 'string' && FRAME_ID.test(f.id)
  switch (f.type) {
    case 'hello':
      if (!str('visitor') || !str('conversation') || !str('name') || !str('number')) return {refused: 'hello: bad field'}
      if (f.after !== undefined && !(Number.isSafeInteger(f.after) && (f.after as number) >= 0)) return {refused: 'hello: bad after'}
      return f as WidgetFrame
    case 'start':
      return str('name') && str('number') ? (f as WidgetFrame) : {refused: 'start: bad field'}
    case 'text':
      return id() && typeof f.text === 'string' ? (f as WidgetFrame) : {refused: 'text: needs id and text'}
    case 'image':
      return id() && typeof f.upload === 'string' ? (f as WidgetFrame) : {refused: 'image: needs id and upload'}
    case 'button':
      return id() && typeof f.key === 'string' && f.key.length <= 64 ? (f as WidgetFrame) : {refused: 'button: needs id and key'}
    case 'typing':
    case 'close':
      return f as WidgetFrame
    default:
      return {refused: 'unknown type'}
  }
}
