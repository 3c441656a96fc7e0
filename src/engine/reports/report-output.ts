import {stringify} from 'csv-stringify'
import {closeSync, constants, fstatSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync} from 'node:fs'
import {isatty} from 'node:tty'
import {basename, dirname, join, resolve} from 'node:path'
import {randomBytes} from 'node:crypto'
import {ClosedOutput, UserError} from '../util/errors.js'
import {jsonText} from '../util/json-text.js'
import {csvSafe, safeText} from '../util/text.js'
import {csvCells, dataCsvText, dataText, inertCsvText, type Cell} from './csv-text.js'
import {outputTarget, replaceable} from './output-target.js'

/** One cell of a report (defined with the CSV encoding below this module, csv-text.ts). */
export type {Cell} from './csv-text.js'

/** A report as columns and rows. Rows are produced as they are written (never all in memory). */
export interface TableReport {
  kind: 'table'
  type: string
  columns: string[]
  /** What the figures mean (the SL formula and T per queue, units): the header of --format json. */
  meta: Record<string, unknown>
  rows: Iterable<Cell[]>
  /**
   * The same rows for --format csv, from a report that keeps some of them as CSV text
   * already (the call summary): text first, then any rows still to encode. Asynchronous
   * when the text streams from another database (a PostgreSQL store's summary, pg-report.ts).
   */
  csv?: Iterable<CsvText | Cell[]> | AsyncIterable<CsvText | Cell[]>
}

/** Records already encoded as csv-stringify would (csv-text.ts), each ending in a newline. */
export interface CsvText {
  text: string
  rows: number
}

/** A report in a format of its own, one text line per record (queue_log). */
export interface LinesReport {
  kind: 'lines'
  type: string
  lines: Iterable<string>
}

export type Report = TableReport | LinesReport
export type ReportFormat = 'csv' | 'json'

/** Where report text goes: a file written atomically, or stdout. */
export interface Sink {
  write(text: string): Promise<void>
  /** Everything is written: make it visible (rename into place). */
  commit(): Promise<void>
  /** Something failed: leave nothing behind. */
  abort(): void
  readonly file: string | null
  /** A file descriptor another thread may write the text to itself (then commit here). */
  readonly direct?: DirectOutput
  /** The text goes to a terminal a person reads: caller text is made inert on the way (safeText). */
  readonly terminal?: boolean
}

/** An open file that takes report text: a worker writes to it without a round trip. */
export interface DirectOutput {
  fd: number
  file: string
}

/** Writes into a file opened elsewhere (the report worker's side of AtomicFile). */
export class DirectWriter implements Sink {
  readonly file: string
  constructor(private readonly out: DirectOutput) {
    this.file = out.file
  }
  async write(text: string): Promise<void> {
    writeInto(this.out, text)
  }
  // The owner of the file commits or removes it.
  async commit(): Promise<void> {}
  abort(): void {}
}

const FLUSH_AT = 1 << 16

/**
 * The file of --out. A report file is written under a temporary name in the target's
 * directory and renamed over the target only when complete, so a reader (or the next cron
 * step) never sees half a report, and a failure leaves no file. The temporary file is
 * created before any work, so an unwritable target fails at once. A symbolic link is
 * followed: the temporary file is made beside what it names, and the link stays.
 *
 * A character device, FIFO or socket (/dev/null, a named pipe a program reads) is written
 * into directly instead: there is no file to replace, and a rename would put one in its
 * place (output-target.ts). The name stays for the commands that open it.
 */
export class AtomicFile implements Sink {
  readonly file: string
  /** Written directly into a terminal device (--out /dev/tty): caller text made inert. */
  readonly terminal: boolean = false
  /** The regular file renamed over, and the temporary name written first; null for a stream. */
  private readonly into: {path: string; tmp: string} | null = null
  private fd: number | null

  constructor(target: string) {
    this.file = resolve(target)
    try {
      const where = outputTarget(this.file)
      if (where.kind === 'stream') {
        // No O_CREAT: if it is gone by now, nothing is made in its place. A FIFO waits here
        // for its reader, as the shell's > does.
        this.fd = openSync(this.file, constants.O_WRONLY | constants.O_NOCTTY)
        this.terminal = isatty(this.fd)
      } else {
        this.into = {path: where.path, tmp: join(dirname(where.path), `.${basename(where.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)}
        // Reports hold callers' numbers and names: not for every user on the machine.
        this.fd = openSync(this.into.tmp, 'wx', 0o640)
      }
    } catch (err) {
      throw outputError(this.file, err, this.into ? dirname(this.into.path) : null)
    }
  }

  get direct(): DirectOutput | undefined {
    return this.fd === null ? undefined : {fd: this.fd, file: this.file}
  }

  async write(text: string): Promise<void> {
    if (this.fd === null) throw new Error('report file already closed')
    writeInto({fd: this.fd, file: this.file}, text)
  }

  async commit(): Promise<void> {
    if (this.fd === null) return
    try {
      if (!this.into) {
        // A device or pipe has nothing to sync (fsync fails on a pipe): closing ends it.
        closeSync(this.fd)
        this.fd = null
        return
      }
      fsyncSync(this.fd)
      closeSync(this.fd)
      this.fd = null
      // Made a device or FIFO while the report ran: not replaced either.
      if (!replaceable(this.into.path)) throw Object.assign(new Error('it is no longer a regular file'), {code: 'ENOTREG'})
      renameSync(this.into.tmp, this.into.path)
    } catch (err) {
      this.abort()
      throw outputError(this.file, err, null)
    }
  }

  abort(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd)
      } catch {
        // already unusable: the unlink below is what matters
      }
      this.fd = null
    }
    if (!this.into) return
    try {
      unlinkSync(this.into.tmp)
    } catch {
      // never created, or already renamed
    }
  }
}

/**
 * Standard output, honouring back-pressure (a slow pipe must not fill memory). A reader
 * that goes away (`| head`) ends the report with a ClosedOutput error instead of a wait
 * for a drain that never comes.
 *
 * Redirected to a file or a device (`> out.csv`), stdout is written here with writeSync on
 * its descriptor, as Node's own stream for it would: that stream reports a failed write
 * (ENOSPC on a full disk) as an 'error' event, which oclif's listener rethrows as an
 * uncaught exception (exit 70 with a stack). Here it is the one line --out gives, exit 1.
 */
export class StdoutSink implements Sink {
  readonly file = null
  readonly terminal: boolean
  private readonly fd: number | null
  private closed: Error | null = null
  private readonly waiting = new Set<(err: Error) => void>()

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.terminal = out.isTTY === true
    this.fd = this.terminal ? null : synchronousFd(out)
    out.on('error', (err: NodeJS.ErrnoException) => {
      this.closed = stdoutError(err)
      for (const fail of this.waiting) fail(this.closed)
    })
  }

  async write(text: string): Promise<void> {
    if (this.closed) throw this.closed
    if (this.fd !== null) {
      try {
        writeAll(this.fd, text)
      } catch (err) {
        throw (this.closed = stdoutError(err))
      }
      return
    }
    let written: boolean
    try {
      written = this.out.write(text)
    } catch (err) {
      throw (this.closed = stdoutError(err))
    }
    if (written) return
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => reject(err)
      this.waiting.add(fail)
      this.out.once('drain', () => {
        this.waiting.delete(fail)
        resolve()
      })
    })
  }
  async commit(): Promise<void> {}
  abort(): void {}
}

/** The descriptor of a stream Node writes synchronously (a file or a device), or null (a pipe, a socket). */
function synchronousFd(out: NodeJS.WriteStream): number | null {
  const fd = (out as {fd?: unknown}).fd
  if (typeof fd !== 'number') return null
  try {
    const st = fstatSync(fd)
    return st.isFile() || st.isCharacterDevice() || st.isBlockDevice() ? fd : null
  } catch {
    return null
  }
}

/** All of the text: a device (a terminal) may take part of a write. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text)
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at)
}

function stdoutError(err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'EPIPE') return new ClosedOutput()
  // An error of the system call (no space, I/O error) is where the output goes, not a bug.
  return typeof code === 'string' && (err as NodeJS.ErrnoException).syscall !== undefined ? outputError('standard output', err, null) : (err as Error)
}

function writeInto(out: DirectOutput, text: string): void {
  try {
    writeAll(out.fd, text)
  } catch (err) {
    throw outputError(out.file, err, null)
  }
}

/**
 * One line for a report that cannot be written. `tmpDir`: the directory the temporary file
 * was being made in, when that failed (ENOENT there is a missing directory, or one that
 * takes no new file, as /proc).
 */
function outputError(file: string, err: unknown, tmpDir: string | null): UserError {
  const code = (err as NodeJS.ErrnoException).code
  const dir = tmpDir ?? dirname(file)
  const noNewFile = code === 'ENOENT' && tmpDir !== null && statSync(tmpDir, {throwIfNoEntry: false})?.isDirectory() === true
  const why =
    noNewFile ? `no file can be created in ${tmpDir} (the report is written under a temporary name there first)`
    : code === 'ENOENT' ? `directory ${dir} does not exist`
    : code === 'ELOOP' ? 'too many symbolic links (a loop?)'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'EISDIR' ? 'it is a directory'
    : code === 'ENOTDIR' ? `${dir} is not a directory`
    : code === 'ENOTBLK' ? 'it is a block device (a disk)'
    : code === 'ENXIO' ? 'it takes no writes (a socket, or a device without a driver)'
    : code === 'ENOSPC' ? 'no space left on the device'
    : code === 'EPIPE' ? 'its reader closed it before the end'
    : code === 'EROFS' ? 'read-only file system'
    : err instanceof Error ? err.message : String(err)
  const suggestion =
    code === 'ENOSPC' ? 'Free some space there, or give --out a file on another file system.'
    : code === 'EPIPE' ? 'Keep the reader of the FIFO open to the end, or give --out a file.'
    : noNewFile ? 'Give --out a file in a directory of files you can write to.'
    : 'Give --out a file in an existing directory you can write to.'
  return new UserError(`Cannot write the report to ${file}: ${why}`, {suggestion, exitCode: 1, code: 'output'})
}

export interface WriteOptions {
  format: ReportFormat
  /** UTF-8 byte order mark first, so Excel reads the file as UTF-8. */
  bom: boolean
  /** Called every 1000 rows with the count so far. */
  progress?: (rows: number) => void
  /**
   * The report is read on a terminal (stdout is one): every text cell and queue_log line goes
   * through safeText, so an escape sequence or bidi override in a caller's name cannot act.
   * A file or a pipe keeps the cells' text but not its terminal controls (see writeCsv).
   */
  terminal?: boolean
}

/** Streams the report into the sink; returns the number of rows (lines) written. */
export async function writeReport(report: Report, sink: Sink, o: WriteOptions): Promise<number> {
  const out = new Buffered(sink)
  if (o.bom) await out.write('\ufeff')
  let rows = 0
  let reported = 0
  const tick = (n = 1) => {
    rows += n
    if (rows - reported >= 1000) o.progress?.((reported = rows - (rows % 1000)))
  }
  if (report.kind === 'lines') {
    for (const line of report.lines) {
      await out.write((o.terminal ? inertLine(line) : line) + '\n')
      tick()
    }
  } else if (o.format === 'json') {
    // jsonText: lossless for a program, inert on a terminal, file or not.
    await out.write(`{"report":${jsonText(report.type)},"meta":${jsonText(report.meta)},"columns":${jsonText(report.columns)},"rows":[`)
    for (const row of report.rows) {
      const obj: Record<string, Cell> = {}
      report.columns.forEach((c, i) => (obj[c] = row[i] ?? null))
      await out.write((rows === 0 ? '\n' : ',\n') + jsonText(obj))
      tick()
    }
    await out.write('\n]}\n')
  } else {
    rows = await writeCsv(report, out, tick, o.terminal === true)
  }
  await out.flush()
  return rows
}

/**
 * A queue_log line (the one lines report) for a terminal: its fields are '|'-separated and
 * hold no '|' of their own (queue-log.ts), so each is made inert alone; an unterminated
 * escape sequence in the caller ID then cannot swallow the fields after it.
 */
function inertLine(line: string): string {
  return line
    .split('|')
    .map((f) => safeText(f, Infinity))
    .join('|')
}

/**
 * Rows through csv-stringify; every text cell spreadsheet-safe (csvSafe), numbers as
 * numbers. Records a report has as CSV text already go out as they are, ahead of the rest.
 *
 * To a terminal, text cells go through safeText first (and CSV text is re-encoded the same
 * way, inertCsvText). To a file or a pipe they keep their content, line breaks included
 * (the file is data for other programs: a CRM import, matching against the carrier's
 * records), but lose terminal controls (dataText, csv-text.ts): a pipe ends on a terminal
 * as often as not (`| cut`, `| less -R`), and no report needs an escape sequence. The
 * formula guard applies everywhere, after, since removing a control can uncover a leading =.
 */
async function writeCsv(report: TableReport, out: Buffered, tick: (n?: number) => void, terminal: boolean): Promise<number> {
  out.push(csvCells(report.columns) + '\n')
  let csv: ReturnType<typeof stringify> | null = null
  let failed: Error | null = null
  let rows = 0
  const put = async (row: CsvText | Cell[]): Promise<void> => {
    if (!Array.isArray(row)) {
      // The stream may still hold text of earlier rows: this would overtake it.
      if (csv) throw new Error('CSV text after rows to encode')
      out.push(terminal ? inertCsvText(row.text) : dataCsvText(row.text))
      rows += row.rows
      tick(row.rows)
      if (out.pending >= FLUSH_AT) await out.flush()
      return
    }
    if (!csv) {
      csv = stringify({writableHighWaterMark: 1024})
      csv.on('data', (chunk: Buffer | string) => out.push(chunk.toString()))
      csv.on('error', (err) => (failed = err))
    }
    // In place: a copy of every row is most of a large report's garbage.
    // Made inert before the formula guard: removing an override could uncover a leading =.
    for (let i = 0; i < row.length; i++) if (typeof row[i] === 'string') row[i] = csvSafe(terminal ? safeText(row[i], Infinity) : dataText(row[i] as string))
    if (!csv.write(row)) await new Promise<void>((r) => csv!.once('drain', r))
    if (failed) throw failed
    rows++
    tick()
    if (out.pending >= FLUSH_AT) await out.flush()
  }
  const source = report.csv ?? report.rows
  if (Symbol.asyncIterator in source) for await (const row of source) await put(row)
  else for (const row of source) await put(row)
  if (csv) {
    const stream: ReturnType<typeof stringify> = csv
    const ended = new Promise<void>((res, rej) => {
      stream.once('end', res)
      stream.once('error', rej)
    })
    stream.end()
    await ended
  }
  return rows
}

/** Collects small pieces of text and hands the sink large ones. */
class Buffered {
  private parts: string[] = []
  pending = 0
  constructor(private readonly sink: Sink) {}

  push(text: string): void {
    this.parts.push(text)
    this.pending += text.length
  }

  async write(text: string): Promise<void> {
    this.push(text)
    if (this.pending >= FLUSH_AT) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return
    const text = this.parts.join('')
    this.parts = []
    this.pending = 0
    await this.sink.write(text)
  }
}
