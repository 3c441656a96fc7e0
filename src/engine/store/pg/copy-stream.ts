import {once} from 'node:events'
import type pg from 'pg'
import {from as copyFrom, to as copyTo} from 'pg-copy-streams'
import {BinaryCopyDecoder, type CopyColumn, type CopyValue} from './copy-binary.js'

// Many rows in or out of PostgreSQL with COPY, the protocol's bulk path: one statement
// streams them all, where INSERT or SELECT would parse, plan and answer each batch. A COPY
// that fails part-way leaves the connection unusable until its transaction rolls back: the
// callers run COPY inside a transaction they roll back on error.

/**
 * Streams the rows of `select` (each column cast to the kind given, in order) to `onRow`,
 * as binary COPY. Returns the number of rows.
 */
export async function copyOut(client: pg.ClientBase, select: string, columns: readonly CopyColumn[], onRow: (row: CopyValue[]) => void): Promise<number> {
  const decoder = new BinaryCopyDecoder(columns, onRow)
  const stream = client.query(copyTo(`COPY (${select}) TO STDOUT (FORMAT binary)`))
  for await (const chunk of stream) decoder.push(chunk as Buffer)
  decoder.end()
  return decoder.rows
}

/** A value as COPY's text format wants it: \N for NULL, the four characters it escapes escaped. */
export function copyText(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '\\N'
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'
  return ESCAPED.test(v) ? v.replace(ESCAPE_ALL, (c) => ESCAPES[c]!) : v
}

const ESCAPED = /[\\\t\n\r]/
const ESCAPE_ALL = /[\\\t\n\r]/g
const ESCAPES: Record<string, string> = {'\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r'}

/** A text[] value in COPY's text format: an array literal, each element quoted. */
export function copyTextArray(items: readonly string[]): string {
  return copyText(`{${items.map((s) => `"${s.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`)
}

/**
 * COPY … FROM STDIN in text format, fed lines a batch at a time: `write` takes lines
 * already encoded (copyText per value, tab separated, each ending in a newline) and waits
 * while PostgreSQL is behind; `end` waits for the COPY to complete and returns its rows.
 */
export function copyIn(client: pg.ClientBase, table: string, columns: readonly string[]): {write(text: string): Promise<void>; end(): Promise<number>} {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`))
  let failed: Error | null = null
  stream.on('error', (err: Error) => (failed = err))
  const finished = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve)
    stream.on('error', reject)
  })
  // Observed here; awaited in end().
  finished.catch(() => {})
  return {
    async write(text) {
      if (failed) throw failed
      if (!stream.write(text)) await Promise.race([once(stream, 'drain'), finished])
      if (failed) throw failed
    },
    async end() {
      stream.end()
      await finished
      return stream.rowCount
    },
  }
}
