import {spawn, spawnSync} from 'node:child_process'
import {closeSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'csv-parse/sync'
import {beforeAll, describe, expect, it} from 'vitest'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {BIN, runCli, startCli, type CliResult} from '../support/cli.js'
import {generateCallLog} from '../../src/bench/report-data/generate.js'
import {dayScenario} from '../support/report-scenario.js'

// The built callctl as cron runs it: no prompt, exit 0 only with the report in place, one
// clear line and a non-zero exit otherwise, and never a partial file.

let db = ''
const home = () => mkdtempSync(join(tmpdir(), 'callctl-rhome-'))
const outDir = () => mkdtempSync(join(tmpdir(), 'callctl-rout-'))
const run = (args: string[], env: Record<string, string> = {}) => runCli(['report', ...args], {CALLCTL_HOME: home(), CALLCTL_DB: db, ...env})
const DAY = ['--from', '2026-11-23', '--to', '2026-11-24']

/** Exactly one "Error:" line, first, and no stack trace. */
function oneError(r: CliResult): string {
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines.filter((l) => l.startsWith('Error:'))).toHaveLength(1)
  expect(r.stderr).not.toMatch(/\bat .+\.js:\d+/)
  expect(r.stdout).toBe('')
  return lines[0]!
}

beforeAll(async () => {
  db = join(mkdtempSync(join(tmpdir(), 'callctl-rdb-')), 'callctl.db')
  const store = new SqliteStore(db)
  await store.appendEvents(dayScenario().events)
  await store.close()
})

describe('callctl report from cron', () => {
  it('writes the file atomically and says so; --json describes it', async () => {
    const dir = outDir()
    const r = await run(['calls', ...DAY, '--out', join(dir, 'calls.csv')])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`Wrote 6 rows (calls, 2026-11-23T00:00:00Z to 2026-11-24T00:00:00Z) to ${join(dir, 'calls.csv')}\n`)
    expect(readdirSync(dir)).toEqual(['calls.csv'])
    const rows = parse(readFileSync(join(dir, 'calls.csv'), 'utf8'), {columns: true}) as Record<string, string>[]
    expect(rows.map((x) => x.call_id)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6'])
    expect(rows[0]!.caller_name).toBe(`'=HYPERLINK("http://evil")`)
    // The Shanghai day (16:00-16:00 UTC): c0 ENTERQUEUE + ABANDON, c1 ENTERQUEUE + RINGNOANSWER + CONNECT
    // + COMPLETECALLER, c2 and c3 ENTERQUEUE + ABANDON, c4 ENTERQUEUE + CONNECT + COMPLETEAGENT, c5
    // ENTERQUEUE + EXITWITHTIMEOUT, a2's PAUSEALL and UNPAUSEALL (no queue memberships in this store): 17.
    const j = await run(['queue-log', ...DAY, '--tz', 'Asia/Shanghai', '--out', join(dir, 'queue_log'), '--json'])
    expect(j.code).toBe(0)
    expect(JSON.parse(j.stdout)).toEqual({report: 'queue-log', rows: 17, file: join(dir, 'queue_log'), from: '2026-11-23T00:00:00+08:00', to: '2026-11-24T00:00:00+08:00', tz: 'Asia/Shanghai', format: 'queue_log'})
    expect(readFileSync(join(dir, 'queue_log'), 'utf8').trimEnd().split('\n')).toHaveLength(17)
  })

  it('--from after --to: one line, exit 2, no file', async () => {
    const dir = outDir()
    const r = await run(['calls', '--from', '2026-11-24', '--to', '2026-11-23', '--out', join(dir, 'x.csv')])
    expect(r.code).toBe(2)
    expect(oneError(r)).toBe('Error: --from 2026-11-24T00:00:00Z is after --to 2026-11-23T00:00:00Z')
    expect(readdirSync(dir)).toEqual([])
  })

  it('an unknown type: one line naming it, exit 2, no file', async () => {
    const dir = outDir()
    const r = await run(['callz', ...DAY, '--out', join(dir, 'x.csv')])
    expect(r.code).toBe(2)
    expect(oneError(r)).toBe('Error: Unknown report type "callz"')
    expect(r.stderr).toContain('calls, queues, agents, hourly, abandoned, ivr, survey, staffing, dispositions, tickets, chats, queue-log')
    expect(readdirSync(dir)).toEqual([])
  })

  it('an unwritable --out: one line, exit 1, nothing written anywhere', async () => {
    const denied = await run(['queues', ...DAY, '--out', '/sys/callctl-report.csv'])
    expect(denied.code).toBe(1)
    expect(oneError(denied)).toBe('Error: Cannot write the report to /sys/callctl-report.csv: permission denied')
    const dir = outDir()
    const missing = await run(['queues', ...DAY, '--out', join(dir, 'no', 'such', 'dir', 'q.csv')])
    expect(missing.code).toBe(1)
    expect(oneError(missing)).toBe(`Error: Cannot write the report to ${join(dir, 'no', 'such', 'dir', 'q.csv')}: directory ${join(dir, 'no', 'such', 'dir')} does not exist`)
    expect(readdirSync(dir)).toEqual([])
  })

  it('a failure after the temporary file was made leaves yesterday’s report as it was, and no temporary file', async () => {
    const dir = outDir()
    writeFileSync(join(dir, 'calls.csv'), 'the previous report\n')
    const broken = join(outDir(), 'broken.db')
    writeFileSync(broken, 'this is not a database, but long enough to look like one '.repeat(200))
    const r = await run(['calls', ...DAY, '--out', join(dir, 'calls.csv')], {CALLCTL_DB: broken})
    expect(r.code).toBe(2)
    expect(oneError(r)).toBe(`Error: ${broken} is not a callctl database (SQLite: file is not a database)`)
    expect(readdirSync(dir)).toEqual(['calls.csv'])
    expect(readFileSync(join(dir, 'calls.csv'), 'utf8')).toBe('the previous report\n')
  })

  it('refuses what it cannot honour instead of guessing', async () => {
    const cases: [string[], string][] = [
      [['calls', '--from', 'lastweek', '--to', 'today'], 'Error: Invalid --from "lastweek"'],
      [['calls', ...DAY, '--tz', 'Mars/Base'], 'Error: Unknown time zone "Mars/Base"'],
      [['queues', ...DAY, '--interval', '7m'], 'Error: Invalid --interval "7m"'],
      [['ivr', ...DAY, '--agent', 'a1'], 'Error: --agent does not apply to the ivr report'],
      [['calls', ...DAY, '--format', 'xlsx'], 'Error: Invalid --format "xlsx"'],
      [['calls', ...DAY, '--format', 'json', '--bom'], 'Error: --bom applies to CSV reports only'],
      [['queues', ...DAY, '--target-sl', '0.9'], 'Error: --target-sl applies to the staffing report only'],
      [['staffing', ...DAY, '--target-sl', '80'], 'Error: Invalid --target-sl "80"'],
      [['calls', ...DAY, '--out', join(outDir(), 'x.csv')], 'Error: No database at /nonexistent/callctl.db'],
    ]
    for (const [args, line] of cases) {
      const r = await run(args, line.includes('No database') ? {CALLCTL_DB: '/nonexistent/callctl.db'} : {})
      expect(r.code, args.join(' ')).not.toBe(0)
      expect(oneError(r), args.join(' ')).toBe(line)
    }
    // With --json the error is JSON on stdout, for scripts.
    const j = await run(['calls', ...DAY, '--json'])
    expect(j.code).toBe(2)
    expect(JSON.parse(j.stdout)).toEqual({error: {code: 'bad_option', message: '--json describes the file written: give --out, or use --format json for the report itself', suggestion: null}})
  })

  it('a reader that stops early (| head) ends the report quietly with 141, not a hang', async () => {
    // Enough calls to fill the pipe (about 250 bytes a row), summarized and not: both paths.
    const big = join(mkdtempSync(join(tmpdir(), 'callctl-rdb-')), 'callctl.db')
    const store = new SqliteStore(big)
    generateCallLog(store.db, {calls: 3000, days: 1, queues: 2, agents: 10, seed: 3, start: Date.UTC(2026, 10, 23)})
    await store.close()
    for (const summarized of [false, true]) {
      if (summarized) expect((await runCli(['db', 'summarize'], {CALLCTL_HOME: home(), CALLCTL_DB: big})).code).toBe(0)
      const {child} = startCli(['report', 'calls', ...DAY], {CALLCTL_HOME: home(), CALLCTL_DB: big})
      let stderr = ''
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
      // Read the first chunk, then close the pipe as head does.
      child.stdout!.once('data', () => child.stdout!.destroy())
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
      expect(code, `summarized: ${summarized}`).toBe(141)
      expect(stderr).toBe('')
    }
  })

  it('stdout on a full device (> myfull, a full disk alike): the one-line no-space error, exit 1; --out into a device leaves it one', async () => {
    // Our own device nodes: never the machine's /dev/full or /dev/null.
    const dir = outDir()
    for (const [name, minor] of [['myfull', 7], ['mynull', 3]] as const) {
      const r = spawnSync('mknod', [join(dir, name), 'c', '1', String(minor)], {encoding: 'utf8'})
      if (r.status !== 0) throw new Error(`mknod failed (the tests need root): ${r.stderr}`)
    }
    const fd = openSync(join(dir, 'myfull'), 'w')
    try {
      for (const args of [['calls', ...DAY], ['queues', ...DAY, '--format', 'json']]) {
        const child = spawn(process.execPath, [BIN, 'report', ...args], {env: {...process.env, FORCE_COLOR: '0', CALLCTL_HOME: home(), CALLCTL_DB: db}, stdio: ['ignore', fd, 'pipe']})
        let stderr = ''
        child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
        expect(stderr, args[0]).toBe('Error: Cannot write the report to standard output: no space left on the device\n  Try: Free some space there, or give --out a file on another file system.\n')
        expect(code, args[0]).toBe(1)
      }
    } finally {
      closeSync(fd)
    }
    const r = await run(['calls', ...DAY, '--out', join(dir, 'mynull')])
    expect(r.code).toBe(0)
    expect(lstatSync(join(dir, 'mynull')).isCharacterDevice()).toBe(true)
    expect(readdirSync(dir).sort()).toEqual(['myfull', 'mynull'])
  })
})
