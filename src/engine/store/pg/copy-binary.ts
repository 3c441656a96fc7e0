// PostgreSQL's binary COPY format (COPY … TO STDOUT (FORMAT binary)), decoded as it
// streams in: an 11-byte signature, flags and a header extension, then per row a 16-bit
// field count and, per field, a 32-bit length (-1 for NULL) and the value in the type's
// send format; a field count of -1 ends it. Binary rather than text: no escapes to undo and
// no number to parse from digits, the cheapest way to move many rows into JavaScript.

/** How a column comes over the wire: the query casts each column to one of these. */
export type CopyColumn = 'int8' | 'int4' | 'float8' | 'text'

export type CopyValue = number | string | null

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')

/**
 * Text from bytes: Buffer's own utf8Slice, which toString('utf8', start, end) calls after
 * checking its arguments and choosing the encoding: most of the cost of a short string, and
 * a row has several (decoding text was a third of `report calls` from PostgreSQL).
 */
type Utf8Sliced = Buffer & {utf8Slice(start: number, end: number): string}
const HAS_UTF8_SLICE = typeof (Buffer.prototype as Partial<Utf8Sliced>).utf8Slice === 'function'

const HEADER = SIGNATURE.length + 8
const TWO_32 = 0x1_0000_0000

/**
 * Feeds rows of a binary COPY to `onRow`, one array per row (the same array each time: the
 * receiver uses it before the next row, e.g. binds it to an insert).
 */
export class BinaryCopyDecoder {
  private rest: Buffer | null = null
  private headerSeen = false
  private ended = false
  private readonly row: CopyValue[]
  rows = 0

  constructor(
    private readonly columns: readonly CopyColumn[],
    private readonly onRow: (row: CopyValue[]) => void,
  ) {
    this.row = new Array<CopyValue>(columns.length).fill(null)
  }

  push(chunk: Buffer): void {
    let buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk
    this.rest = null
    let at = 0
    if (!this.headerSeen) {
      if (buf.length < HEADER) return void (this.rest = buf)
      if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('not a binary COPY stream (bad signature)')
      at = HEADER + buf.readUInt32BE(SIGNATURE.length + 4)
      this.headerSeen = true
    }
    const n = this.columns.length
    for (;;) {
      if (buf.length - at < 2) break
      const fields = buf.readInt16BE(at)
      if (fields === -1) {
        this.ended = true
        return
      }
      if (fields !== n) throw new Error(`binary COPY row has ${fields} fields, expected ${n}`)
      // The whole row must be here before any of it is decoded.
      let end = at + 2
      let complete = true
      for (let i = 0; i < n; i++) {
        if (buf.length - end < 4) {
          complete = false
          break
        }
        const len = buf.readInt32BE(end)
        end += 4 + (len > 0 ? len : 0)
        if (end > buf.length) {
          complete = false
          break
        }
      }
      if (!complete) break
      let p = at + 2
      for (let i = 0; i < n; i++) {
        const len = buf.readInt32BE(p)
        p += 4
        if (len < 0) {
          this.row[i] = null
          continue
        }
        switch (this.columns[i]) {
          case 'text':
            this.row[i] = HAS_UTF8_SLICE ? (buf as Utf8Sliced).utf8Slice(p, p + len) : buf.toString('utf8', p, p + len)
            break
          case 'int8':
            // Exact below 2^53, as every id and epoch ms callctl keeps.
            this.row[i] = buf.readInt32BE(p) * TWO_32 + buf.readUInt32BE(p + 4)
            break
          case 'int4':
            this.row[i] = buf.readInt32BE(p)
            break
          case 'float8':
            this.row[i] = buf.readDoubleBE(p)
            break
        }
        p += len
      }
      at = end
      this.rows++
      this.onRow(this.row)
    }
    if (at < buf.length) this.rest = buf.subarray(at)
  }

  /** The stream ended: it must have ended with the trailer, on a row boundary. */
  end(): void {
    if (!this.ended || this.rest) throw new Error('binary COPY stream ended in the middle of a row')
  }
}
