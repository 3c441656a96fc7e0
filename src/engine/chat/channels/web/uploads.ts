import {randomBytes} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {IncomingMessage} from 'node:http'
import {imageTypeOf, type ImageMime} from './image-type.js'

// Images a web customer sends: the bytes arrive in one POST (the body is the file, no
// multipart to parse), are read up to the size limit and no further, are kept only if
// their first bytes say image, and are served back under an unguessable name with the
// type those bytes gave. The visitor who uploaded is the only one who may send it.

const EXT: Record<ImageMime, string> = {'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp'}
const MIME_OF_EXT = Object.fromEntries(Object.entries(EXT).map(([m, e]) => [e, m as ImageMime]))
const NAME = /^([A-Za-z0-9_-]{32})\.(png|jpg|gif|webp)$/

export interface StoredUpload {
  id: string
  file: string
  mime: ImageMime
  bytes: number
  visitor: string
}

export class UploadRefused extends Error {
  constructor(
    readonly status: 413 | 415 | 400 | 507,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export class Uploads {
  private readonly byId = new Map<string, StoredUpload>()

  /** Bytes kept in the directory: uploads stop (507) at maxTotalBytes rather than fill the disk. */
  private total = 0

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    readonly maxTotalBytes = 1024 ** 3,
  ) {
    mkdirSync(dir, {recursive: true, mode: 0o700})
    for (const f of readdirSync(dir)) this.total += statSync(join(dir, f)).size
  }

  /** Reads the request body (stopping at the limit) and keeps it if it is an image. */
  async take(req: IncomingMessage, visitor: string): Promise<StoredUpload> {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > this.maxBytes) throw this.tooBig()
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > this.maxBytes) throw this.tooBig()
      chunks.push(chunk)
    }
    return this.keep(Buffer.concat(chunks, size), visitor)
  }

  /** Keeps bytes already in hand (an agent's image, sent through the API) under the same limits as a customer's upload. */
  keep(body: Buffer, visitor: string): StoredUpload {
    const size = body.length
    if (size > this.maxBytes) throw this.tooBig()
    if (size === 0) throw new UploadRefused(400, 'empty_upload', 'The upload is empty')
    if (this.total + size > this.maxTotalBytes) throw new UploadRefused(507, 'uploads_full', 'Images cannot be received now; please describe it in words')
    const mime = imageTypeOf(body)
    if (!mime) throw new UploadRefused(415, 'not_an_image', 'Only PNG, JPEG, GIF and WebP images can be sent')
    const id = randomBytes(24).toString('base64url')
    const file = `${id}.${EXT[mime]}`
    writeFileSync(join(this.dir, file), body, {mode: 0o600})
    this.total += size
    const up = {id, file, mime, bytes: size, visitor}
    this.byId.set(id, up)
    return up
  }

  /** An upload the visitor may send in a message (its own, this engine's run). */
  ownedBy(id: string, visitor: string): StoredUpload | undefined {
    const up = this.byId.get(id)
    return up && up.visitor === visitor ? up : undefined
  }

  /** The bytes and type for a GET of /chat/uploads/NAME; undefined for any other name. */
  read(name: string): {body: Buffer; mime: ImageMime} | undefined {
    const m = NAME.exec(name)
    if (!m) return undefined
    try {
      return {body: readFileSync(join(this.dir, name)), mime: MIME_OF_EXT[m[2]!]!}
    } catch {
      return undefined
    }
  }

  /**
   * Deletes uploads written before `cutoff` (ms), except those in `keep` (file names of
   * images in conversations still open); the directory's total goes down with them.
   */
  purgeOlderThan(cutoff: number, keep: ReadonlySet<string>): UploadsPurged {
    const res = purgeUploadsDir(this.dir, cutoff, keep)
    this.total = Math.max(0, this.total - res.bytes)
    for (const name of res.names) this.byId.delete(NAME.exec(name)![1]!)
    return res
  }

  /** How many files are kept (tests). */
  count(): number {
    return readdirSync(this.dir).length
  }

  private tooBig(): UploadRefused {
    return new UploadRefused(413, 'too_large', `Images may be at most ${Math.floor(this.maxBytes / 1024)} KiB`)
  }
}

export interface UploadsPurged {
  removed: number
  bytes: number
  /** Left because a conversation still open shows them. */
  kept: number
  names: string[]
}

/** The purge itself, for the engine's Uploads and for a command with no engine running. Only upload names are touched. */
export function purgeUploadsDir(dir: string, cutoff: number, keep: ReadonlySet<string>, dryRun = false): UploadsPurged {
  const res: UploadsPurged = {removed: 0, bytes: 0, kept: 0, names: []}
  let files: string[]
  try {
    files = readdirSync(dir)
  } catch {
    return res
  }
  for (const name of files) {
    if (!NAME.test(name)) continue
    const file = join(dir, name)
    let st: ReturnType<typeof statSync>
    try {
      st = statSync(file)
    } catch {
      continue
    }
    if (!st.isFile() || st.mtimeMs >= cutoff) continue
    if (keep.has(name)) {
      res.kept++
      continue
    }
    if (!dryRun) rmSync(file, {force: true})
    res.removed++
    res.bytes += st.size
    res.names.push(name)
  }
  return res
}
