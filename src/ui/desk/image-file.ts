import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import {homedir} from 'node:os'
import {resolve} from 'node:path'
import type {ParamsOf, ResultOf} from '../../engine/api/contract.js'
import {IMAGE_PART_BYTES} from '../../engine/api/chat-contract.js'
import {imageTypeOf} from '../../engine/chat/channels/web/image-type.js'
import {UserError} from '../../engine/util/errors.js'
import {safeText} from '../../engine/util/text.js'

// An image an agent sends from the desk or `callctl chat send --image`: read from the
// agent's own disk, checked as the engine will check it (an image by its first bytes,
// never by its name), and sent through the API in parts (chat.image). The engine checks
// again: size against channels.web.maxImageKB, type, and that the conversation is the
// agent's.

/** The engine refuses more (channels.web.maxImageKB is at most 20 MiB): nothing larger is read. */
const MAX_READ_BYTES = 20 * 1024 * 1024

/** The file's bytes, if it is an image; a user's mistake (no such file, not an image) is one clear line, exit 2. */
export function readImageFile(path: string): Buffer {
  const file = resolve(path.startsWith('~/') ? homedir() + path.slice(1) : path)
  const shown = safeText(path, 120)
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new UserError(code === 'ENOENT' ? `No file ${shown}` : `Cannot read ${shown} (${code ?? 'error'})`, {code: 'no_file', exitCode: 2, suggestion: 'Give the path of a PNG, JPEG, GIF or WebP file.'})
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw new UserError(`Not a file: ${shown}`, {code: 'no_file', exitCode: 2, suggestion: 'Give the path of a PNG, JPEG, GIF or WebP file.'})
    if (st.size === 0) throw new UserError(`Empty file: ${shown}`, {code: 'empty_upload', exitCode: 2})
    if (st.size > MAX_READ_BYTES) throw new UserError(`${shown} is ${Math.ceil(st.size / 1024 / 1024)} MiB: images may be at most 20 MiB (and the engine's limit may be lower)`, {code: 'too_large', exitCode: 2, suggestion: 'Send a smaller image.'})
    const body = Buffer.alloc(st.size)
    let at = 0
    while (at < body.length) {
      const n = readSync(fd, body, at, body.length - at, at)
      if (n === 0) break
      at += n
    }
    const bytes = body.subarray(0, at)
    // What went wrong first, the path after: a narrow screen cuts the end of the line.
    if (!imageTypeOf(bytes)) throw new UserError(`Not a PNG, JPEG, GIF or WebP image (by its contents, whatever its name): ${shown}`, {code: 'not_an_image', exitCode: 2, suggestion: 'Send a PNG, JPEG, GIF or WebP file.'})
    return bytes
  } finally {
    closeSync(fd)
  }
}

type Request = (method: 'chat.image', params: ParamsOf<'chat.image'>) => Promise<ResultOf<'chat.image'>>

/** Sends the image in parts; answers the line the last part sent. */
export async function sendImage(request: Request, conversation: string, agent: string, bytes: Buffer): Promise<NonNullable<ResultOf<'chat.image'>['sent']>> {
  let upload: string | undefined
  for (let at = 0; at < bytes.length; at += IMAGE_PART_BYTES) {
    const data = bytes.subarray(at, at + IMAGE_PART_BYTES).toString('base64')
    const r = await request('chat.image', {conversation, agent, size: bytes.length, data, ...(upload ? {upload} : {})})
    if (r.sent) return r.sent
    upload = r.upload
  }
  throw new Error('the engine took every part of the image but sent none')
}
