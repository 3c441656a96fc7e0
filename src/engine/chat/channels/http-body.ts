import type {IncomingMessage} from 'node:http'

export class BodyTooLarge extends Error {}

/** A request body, read up to `max` bytes and no further. */
export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > max) throw new BodyTooLarge(`body over ${max} bytes`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > max) throw new BodyTooLarge(`body over ${max} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}
