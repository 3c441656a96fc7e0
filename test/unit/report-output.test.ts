import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'csv-parse/sync'
import {afterEach, describe, expect, it} from 'vitest'
import {AtomicFile, writeReport, type Cell, type TableReport} from '../../src/engine/reports/report-output.js'
import {checkOptions, reportType} from '../../src/engine/reports/report-types.js'
import {UserError} from '../../src/engine/util/errors.js'

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
    expect(rows.map((r) => r.name)).toEqual(["'=HYPERLINK(\"http://x\",\"y\")", "'+8613800138000", "'-1+1", "'@SUM(A1)", "'\tx", "'\rx", 'plain, "quoted"', '张伟'])
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
