import {randomBytes} from 'node:crypto'
import {imageTypeOf} from '../chat/channels/web/image-type.js'
import {ApiError} from './server.js'

// An agent's image arrives through the API in parts (chat.image): one API message holds at
// most 64 KiB, an image up to the web channel's maxImageKB. The parts are gathered here,
// one upload per id, by the user who began it, to the size it declared and no further;
// the first part must already start as an image (magic bytes) and an upload left
// unfinished is dropped after a minute.

const IDLE_MS = 60_000
/** Bytes gathered at once across all uploads: beyond it a new upload waits for others to finish. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024

interface Pending {
  user: string
  conversation: string
  agent: string
  size: number
  parts: Buffer[]
  received: number
  timer: ReturnType<typeof setTimeout>
}

export class ImageParts {
  private readonly pending = new Map<string, Pending>()
  private pendingBytes = 0

  /**
   * Adds a part; answers the upload's id and, with the last part, the whole image. `max` is
   * the largest image the channels take (checked against the declared size first).
   */
  add(p: {conversation: string; agent: string; size: number; data: string; upload?: string | undefined}, user: string, max: number): {upload: string; received: number; image: Buffer | null} {
    const part = Buffer.from(p.data, 'base64')
    let id = p.upload
    let up: Pending | undefined
    if (id === undefined) {
      if (p.size > max) throw new ApiError('too_large', `Images may be at most ${Math.floor(max / 1024)} KiB (this one is ${Math.ceil(p.size / 1024)} KiB)`, 'Send a smaller image.')
      if (!imageTypeOf(part)) throw new ApiError('not_an_image', 'Only PNG, JPEG, GIF and WebP images can be sent (the file does not start as one)', 'Send a PNG, JPEG, GIF or WebP file.')
      if (this.pendingBytes + p.size > MAX_PENDING_BYTES) throw new ApiError('busy', 'Too many images are being sent at once', 'Try again in a moment.')
      id = randomBytes(16).toString('base64url')
      up = {user, conversation: p.conversation, agent: p.agent, size: p.size, parts: [], received: 0, timer: this.arm(id)}
      this.pending.set(id, up)
      this.pendingBytes += p.size
    } else {
      up = this.pending.get(id)
      if (!up || up.user !== user || up.conversation !== p.conversation || up.agent !== p.agent || up.size !== p.size) throw new ApiError('unknown_upload', `No image upload ${JSON.stringify(id.slice(0, 64))} under way for this conversation`, 'Send the image again from its first part (without upload).')
      clearTimeout(up.timer)
      up.timer = this.arm(id)
    }
    if (up.received + part.length > up.size) {
      this.drop(id)
      throw new ApiError('bad_part', `The parts hold more than the ${up.size} bytes declared`, 'Send the image again from its first part.')
    }
    up.parts.push(part)
    up.received += part.length
    if (up.received < up.size) return {upload: id, received: up.received, image: null}
    const image = Buffer.concat(up.parts, up.size)
    this.drop(id)
    return {upload: id, received: image.length, image}
  }

  private arm(id: string): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => this.drop(id), IDLE_MS)
    t.unref()
    return t
  }

  private drop(id: string): void {
    const up = this.pending.get(id)
    if (!up) return
    clearTimeout(up.timer)
    this.pending.delete(id)
    this.pendingBytes -= up.size
  }
}
