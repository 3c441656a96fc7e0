import {spawn, spawnSync} from 'node:child_process'
import {EventEmitter} from 'node:events'
import {closeSync, lstatSync, mkdirSync, openSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'csv-parse/sync'
import {afterEach, describe, expect, it} from 'vitest'
import {AtomicFile, StdoutSink, writeReport, type Cell, type TableReport} from '../../src/engine/reports/report-output.js'
import {checkOptions, reportType} from '../../src/engine/reports/report-types.js'
import {ClosedOutput, UserError} from '../../src/engine/util/errors.js'

const dirs: string[] = []
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'callctl-report-'))
  dirs.push(d)
  return d
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, {recursive: true, force: true})))

function table(rows: Iterable<Cell[]>): TableReport {
  return {kind: 'table', type: 't', columns: ['name', 'number', 'n'], meta: {sl: 'x'}, rows}
}

async function write(file: string, report: TableReport, o: {format?: 'csv' | 'json'; bom?: boolean} = {}): Promise<number> {
  const sink = new AtomicFile(file)
  try {
    const n = await writeReport(report, sink, {format: o.format ?? 'csv', bom: o.bom ?? false})
    await sink.commit()
    return n
  } catch (err) {
    sink.abort()
    throw err
  }
}

describe('report output', () => {
  it('neutralises cells a spreadsheet would run (=, +, -, @, tab, CR first) and keeps numbers as numbers', async () => {
    const file = join(dir(), 'r.csv')
    const evil = ['=HYPERLINK("http://x","y")', '+8613800138000', '-1+1', '@SUM(A1)', '\tx', '\rx', 'plain, "quoted"', '张伟']
    await write(file, table(evil.map((name, i) => [name, name, i === 0 ? -5 : i])))
    const text = readFileSync(file, 'utf8')
    const rows = parse(text, {columns: true}) as Record<string, string>[]
    // A lone CR rewinds a terminal's line: as data it is a line break (csv-text.ts dataText).
    expect(rows.map((r) => r.name)).toEqual(["'=HYPERLINK(\"http://x\",\"y\")", "'+8613800138000", "'-1+1", "'@SUM(A1)", "'\tx", '\nx', 'plain, "quoted"', '张伟'])
    expect(rows[0]!.n).toBe('-5')
    expect(text.startsWith('name,number,n\n')).toBe(true)
  })

  it('puts a UTF-8 byte order mark first with --bom, for Excel', async () => {
    const file = join(dir(), 'r.csv')
    await write(file, table([['张伟', '1', 1]]), {bom: true})
    const bytes = readFileSync(file)
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(bytes.subarray(3).toString('utf8')).toBe('name,number,n\n张伟,1,1\n')
  })

  it('writes a header even when there are no rows, and JSON with the definitions', async () => {
    const d = dir()
    expect(await write(join(d, 'e.csv'), table([]))).toBe(0)
    expect(readFileSync(join(d, 'e.csv'), 'utf8')).toBe('name,number,n\n')
    await write(join(d, 'r.json'), table([['=x', '+1', 2], ['b', null, null]]), {format: 'json'})
    expect(JSON.parse(readFileSync(join(d, 'r.json'), 'utf8'))).toEqual({
      report: 't',
      meta: {sl: 'x'},
      columns: ['name', 'number', 'n'],
      rows: [
        {name: '=x', number: '+1', n: 2},
        {name: 'b', number: null, n: null},
      ],
    })
  })

  it('leaves no file, and an older report untouched, when making the report fails half way', async () => {
    const d = dir()
    const file = join(d, 'calls.csv')
    writeFileSync(file, 'yesterday\n')
    function* failing(): Generator<Cell[]> {
      for (let i = 0; i < 5000; i++) yield ['row', String(i), i]
      throw new Error('disk on fire')
    }
    await expect(write(file, table(failing()))).rejects.toThrow('disk on fire')
    expect(readdirSync(d)).toEqual(['calls.csv'])
    expect(readFileSync(file, 'utf8')).toBe('yesterday\n')
  })

  it('refuses a target it cannot write before doing any work, in one line', () => {
    const d = dir()
    const err = (target: string) => {
      try {
        new AtomicFile(target)
      } catch (e) {
        expect(e).toBeInstanceOf(UserError)
        return (e as UserError).message
      }
      throw new Error('no error')
    }
    expect(err(join(d, 'missing', 'r.csv'))).toBe(`Cannot write the report to ${join(d, 'missing', 'r.csv')}: directory ${join(d, 'missing')} does not exist`)
    expect(err(d)).toBe(`Cannot write the report to ${d}: it is a directory`)
    // sysfs refuses new files even to root.
    expect(err('/sys/callctl-report.csv')).toBe('Cannot write the report to /sys/callctl-report.csv: permission denied')
    // /proc/version is a file, but no file can be made beside it: not a missing directory.
    expect(err('/proc/version')).toBe('Cannot write the report to /proc/version: no file can be created in /proc (the report is written under a temporary name there first)')
    expect(readdirSync(d)).toEqual([])
  })

  it('names unknown types and options that do not apply', () => {
    expect(() => reportType('callz')).toThrow('Unknown report type "callz"')
    expect(reportType('queue-log')).toBe('queue-log')
    expect(() => checkOptions('ivr', {agent: 'a1'})).toThrow('--agent does not apply to the ivr report')
    expect(() => checkOptions('calls', {interval: '1h'})).toThrow('--interval does not apply to the calls report')
    expect(() => checkOptions('queue-log', {format: 'json'})).toThrow('--format does not apply to the queue-log report')
    expect(() => checkOptions('queues', {queue: 'q', interval: '15m', format: 'json'})).not.toThrow()
  })
})

// Device nodes of our own (tests run as root): never the machine's /dev/null or /dev/full.
function mknod(path: string, type: 'c' | 'b', major: number, minor: number): string {
  const r = spawnSync('mknod', [path, type, String(major), String(minor)], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`mknod ${path} failed (the tests need root): ${r.stderr}`)
  return path
}

/** A character device node's (major, minor), or what else the path now is. */
function nodeKind(path: string): string {
  const st = lstatSync(path)
  if (st.isCharacterDevice()) return `char ${Math.floor(st.rdev / 256)},${st.rdev % 256}`
  return st.isFIFO() ? 'fifo' : st.isSymbolicLink() ? `link to ${readlinkSync(path)}` : st.isFile() ? 'file' : 'other'
}

const rows = () => table([['\u001b]0;PWNED\u0007=1+2\u202e张', '+8613800138000', 1], ['two\nlines', '2', 2]])

describe('report output to what --out names', () => {
  it('writes into a character device directly and leaves it a device (as root, a rename would have replaced it)', async () => {
    const d = dir()
    const nul = mknod(join(d, 'mynull'), 'c', 1, 3)
    expect(await write(nul, rows())).toBe(2)
    expect(nodeKind(nul)).toBe('char 1,3')
    expect(readdirSync(d)).toEqual(['mynull'])
  })

  it('a full device: the one-line no-space error, the device left as it is', async () => {
    const d = dir()
    const full = mknod(join(d, 'myfull'), 'c', 1, 7)
    const err = await write(full, rows()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).message).toBe(`Cannot write the report to ${full}: no space left on the device`)
    expect((err as UserError).exitCode).toBe(1)
    expect(nodeKind(full)).toBe('char 1,7')
    expect(readdirSync(d)).toEqual(['myfull'])
  })

  it('a FIFO: its reader gets the rows, and the FIFO stays one', async () => {
    const d = dir()
    const fifo = join(d, 'myfifo')
    if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error('mkfifo failed')
    const reader = spawn('cat', [fifo], {stdio: ['ignore', 'pipe', 'inherit']})
    let got = ''
    reader.stdout.on('data', (b: Buffer) => (got += b.toString()))
    const done = new Promise((r) => reader.on('close', r))
    try {
      expect(await write(fifo, rows())).toBe(2)
      await done
    } finally {
      // Should the FIFO be replaced (renamed over), cat would wait on it for ever.
      reader.kill()
    }
    expect(got).toBe("name,number,n\n'=1+2张,'+8613800138000,1\n\"two\nlines\",2,2\n")
    expect(nodeKind(fifo)).toBe('fifo')
    expect(readdirSync(d)).toEqual(['myfifo'])
  })

  it('a FIFO whose reader leaves early: one line saying so', async () => {
    const fifo = join(dir(), 'myfifo')
    if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error('mkfifo failed')
    const reader = spawn('head', ['-c', '10', fifo], {stdio: 'ignore'})
    try {
      // More than a pipe holds (64 KiB), so a write meets the closed end.
      const many = table(Array.from({length: 20_000}, (_, i): Cell[] => ['name', String(i), i]))
      await expect(write(fifo, many)).rejects.toThrow(`Cannot write the report to ${fifo}: its reader closed it before the end`)
    } finally {
      reader.kill()
    }
  })

  it('a symbolic link is followed: the file it names is replaced, the link kept, no temporary file left', async () => {
    const d = dir()
    mkdirSync(join(d, 'real'))
    writeFileSync(join(d, 'real', 'latest.csv'), 'yesterday\n')
    symlinkSync('real/latest.csv', join(d, 'latest.csv'))
    const sink = new AtomicFile(join(d, 'latest.csv'))
    expect(sink.file).toBe(join(d, 'latest.csv'))
    await writeReport(table([['a', 'b', 1]]), sink, {format: 'csv', bom: false})
    await sink.commit()
    expect(nodeKind(join(d, 'latest.csv'))).toBe('link to real/latest.csv')
    expect(readFileSync(join(d, 'real', 'latest.csv'), 'utf8')).toBe('name,number,n\na,b,1\n')
    expect(readdirSync(d).sort()).toEqual(['latest.csv', 'real'])
    expect(readdirSync(join(d, 'real'))).toEqual(['latest.csv'])
    // A link to a file not there yet: the file is made where the link points.
    symlinkSync('real/new.csv', join(d, 'new.csv'))
    await write(join(d, 'new.csv'), table([]))
    expect(nodeKind(join(d, 'new.csv'))).toBe('link to real/new.csv')
    expect(readFileSync(join(d, 'real', 'new.csv'), 'utf8')).toBe('name,number,n\n')
    // A link to a device: into the device, the link and the device kept.
    mknod(join(d, 'mynull'), 'c', 1, 3)
    symlinkSync('mynull', join(d, 'null-link'))
    await write(join(d, 'null-link'), rows())
    expect([nodeKind(join(d, 'null-link')), nodeKind(join(d, 'mynull'))]).toEqual(['link to mynull', 'char 1,3'])
  })

  it('refuses a block device (a disk) before opening it', () => {
    const d = dir()
    const disk = mknod(join(d, 'mydisk'), 'b', 7, 200)
    expect(() => new AtomicFile(disk)).toThrow(`Cannot write the report to ${disk}: it is a block device (a disk)`)
    expect(lstatSync(disk).isBlockDevice()).toBe(true)
  })

  it('a file or a pipe keeps the cells but no terminal control; a terminal gets one inert line per cell', async () => {
    const file = join(dir(), 'r.csv')
    await write(file, rows())
    const text = readFileSync(file, 'utf8')
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/)
    expect(parse(text, {columns: true})).toEqual([
      {name: "'=1+2张", number: "'+8613800138000", n: '1'},
      {name: 'two\nlines', number: '2', n: '2'},
    ])
    // CSV text made ahead (the call summary, stored before this rule) goes by the same rule.
    const kept: TableReport = {...table([]), csv: [{text: 'c1,\u001b]0;X\u0007\u202e=cmd,7\n', rows: 1}]}
    await write(file, kept)
    expect(readFileSync(file, 'utf8')).toBe("name,number,n\nc1,'=cmd,7\n")
  })
})

/** A stream like process.stdout redirected to a file: its write throws (Node's SyncWriteStream). */
class ThrowingStdout extends EventEmitter {
  isTTY = false
  constructor(private readonly code: string) {
    super()
  }
  write(): boolean {
    throw Object.assign(new Error(`${this.code}: write`), {code: this.code, syscall: 'write'})
  }
}

describe('report output to standard output', () => {
  it('redirected to a full device: written on its descriptor, the --out line on failure, not an uncaught exception', async () => {
    const full = mknod(join(dir(), 'myfull'), 'c', 1, 7)
    // process.stdout as Node makes it for `> myfull`: a stream with the descriptor, whose
    // failed write oclif rethrows as uncaught (here it would throw a different error).
    const fd = openSync(full, 'w')
    try {
      const stdout = Object.assign(new ThrowingStdout('EBADSTREAM'), {fd})
      const err = await writeReport(rows(), new StdoutSink(stdout as unknown as NodeJS.WriteStream), {format: 'csv', bom: false}).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(UserError)
      expect((err as UserError).message).toBe('Cannot write the report to standard output: no space left on the device')
      expect((err as UserError).exitCode).toBe(1)
    } finally {
      closeSync(fd)
    }
  })

  it('a stream whose write throws (no space) ends the report with the same line', async () => {
    const sink = new StdoutSink(new ThrowingStdout('ENOSPC') as unknown as NodeJS.WriteStream)
    const err = await writeReport(rows(), sink, {format: 'csv', bom: false}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).message).toBe('Cannot write the report to standard output: no space left on the device')
    expect((err as UserError).exitCode).toBe(1)
  })

  it('a reader gone (EPIPE) is ClosedOutput, as for | head', async () => {
    const sink = new StdoutSink(new ThrowingStdout('EPIPE') as unknown as NodeJS.WriteStream)
    await expect(writeReport(rows(), sink, {format: 'csv', bom: false})).rejects.toBeInstanceOf(ClosedOutput)
  })
})
