import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import {ALL_TABLES} from '../../src/engine/store/migrate/tables.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {runCli} from '../support/cli.js'
import {contractBreaches} from '../support/json-contract.js'
import {startPostgres, type TestPostgres} from '../support/postgres.js'
import {dayScenario, T0} from '../support/report-scenario.js'
import {REPORT_NAMES} from '../../src/engine/reports/report-types.js'

// The built callctl moving a SQLite store into PostgreSQL as an operator does, then
// running on it: db migrate (plain progress lines when piped, a bar on a terminal, --json in
// the contract of docs/json.md, one-line refusals), report from the PostgreSQL store giving
// the SQLite store's bytes, db summarize and db backup on PostgreSQL.

let cluster: TestPostgres
let dir = ''
let file = ''
let databases = 0
const env = (database: string) => ({CALLCTL_HOME: join(dir, 'home'), CALLCTL_DB: database})
const fresh = () => cluster.createDatabase(`cli_${++databases}`)

beforeAll(async () => {
  cluster = await startPostgres()
  dir = mkdtempSync(join(tmpdir(), 'callctl-migrate-cli-'))
  file = join(dir, 'callctl.db')
  const s = new SqliteStore(file)
  // The queues set up the evening before the day (so the period compared is the same every run).
  for (const [name, slSeconds] of [['sales', 20], ['support', 30]] as const) {
    await s.saveQueue({name, settings: {...DEFAULT_QUEUE_SETTINGS, slSeconds}, createdAt: T0 - 10 * 3_600_000}, {type: 'queue.added', ts: T0 - 10 * 3_600_000, queue: name})
  }
  await s.appendEvents([...dayScenario().events].sort((a, b) => a.ts - b.ts))
  await s.close()
})

afterAll(() => {
  cluster?.stop()
  rmSync(dir, {recursive: true, force: true})
})

describe('callctl db migrate', () => {
  it('piped: plain progress lines on stderr, what it copied and checked on stdout; --json in the contract', async () => {
    const target = fresh()
    const r = await runCli(['db', 'migrate', '--to', target], env(file))
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines).toContain('events: 0/50 (0%)')
    expect(lines).toContain('events: 50/50 (100%)')
    expect(lines).toContain('queues: 2/2 (100%)')
    expect(lines).toContain(`checking: ${REPORT_NAMES.length}/${REPORT_NAMES.length} (100%)`)
    // Every table of the copy (another one added to the schema adds one here).
    expect(lines.at(-1)).toBe(`analyzing: ${ALL_TABLES.length}/${ALL_TABLES.length} (100%)`)
    expect(r.stderr).not.toContain('\r')
    expect(r.stdout).toContain(`Copied ${file} into ${target} in `)
    expect(r.stdout).toMatch(/^ {2}events +50 rows$/m)
    expect(r.stdout).toContain('Every report is the same from both stores (2026-11-22T23:00:00Z to 2026-11-24T00:01:20.001Z): calls 7, queues 3, agents 3, hourly 24, abandoned 3')

    const j = await runCli(['db', 'migrate', '--to', fresh(), '--json'], env(file))
    expect(j.code, j.stderr).toBe(0)
    expect(j.stderr).toBe('')
    const out = JSON.parse(j.stdout) as {tables: {table: string; source: number; target: number}[]; reports: {report: string; identical: boolean}[]; period: Record<string, string>; last_event_id: number}
    expect(contractBreaches(out, ['db migrate'])).toEqual([])
    expect(out.tables.find((t) => t.table === 'events')).toEqual({table: 'events', source: 50, target: 50})
    expect(out.reports.every((x) => x.identical)).toBe(true)
    expect(out.period).toEqual({from_at: '2026-11-22T23:00:00.000Z', to_at: '2026-11-24T00:01:20.001Z'})
    expect(out.last_event_id).toBe(50)
  })

  it('on a terminal: one line redrawn with a bar, cleared before the result', async () => {
    const target = fresh()
    const cmd = `CALLCTL_HOME=${join(dir, 'home')} CALLCTL_DB=${file} ${process.execPath} ${join(import.meta.dirname, '..', '..', 'bin', 'run.js')} db migrate --to ${target}`
    // script(1) runs it on a pseudo-terminal, as a person would.
    const tty = execFileSync('script', ['-qec', cmd, '/dev/null'], {encoding: 'utf8'})
    expect(tty).toMatch(/\r\u001b\[Kevents +\d+% +\d+\/50 +\[#*-*\]/)
    expect(tty).toMatch(new RegExp(`\\r\\u001b\\[Kchecking +100% +${REPORT_NAMES.length}/${REPORT_NAMES.length} +\\[#{5,}\\]`))
    expect(tty).toContain('\r\u001b[KCopied ')
  })

  it('refuses a target holding a store, and an unreachable one, in one line without the password', async () => {
    const target = fresh()
    expect((await runCli(['db', 'migrate', '--to', target], env(file))).code).toBe(0)
    const again = await runCli(['db', 'migrate', '--to', target], env(file))
    expect(again.code).toBe(2)
    const [first, hint] = again.stderr.trimEnd().split('\n').filter((l) => !/^\w+: \d/.test(l))
    expect(first).toMatch(/^Error: The target postgres:\/\/callctl@127\.0\.0\.1:\d+\/cli_\d+ already holds a callctl store \(queues: 2, .*events: 50\)$/)
    expect(hint).toContain('--force')
    const forced = await runCli(['db', 'migrate', '--to', target, '--force', '--json'], env(file))
    expect(forced.code, forced.stderr).toBe(0)
    expect(JSON.parse(forced.stdout)).toMatchObject({replaced: {events: 50, queues: 2}})

    const down = await runCli(['db', 'migrate', '--to', 'postgres://callctl:hunter2pw@127.0.0.1:1/callctl'], env(file))
    expect(down.code).toBe(2)
    expect(down.stderr.split('\n')[0]).toMatch(/^Error: Cannot reach PostgreSQL at 127\.0\.0\.1:1\/callctl: .*ECONNREFUSED/)
    expect(down.stderr + down.stdout).not.toContain('hunter2pw')
  })
})

describe('callctl on the migrated PostgreSQL store', () => {
  it('report gives the SQLite store\'s bytes; db summarize and db backup work', async () => {
    const target = fresh()
    expect((await runCli(['db', 'migrate', '--to', target], env(file))).code).toBe(0)
    const period = ['--from', '2026-11-23', '--to', '2026-11-24', '--tz', 'Asia/Shanghai']
    for (const type of ['calls', 'queues', 'agents', 'queue-log']) {
      const a = join(dir, `${type}-sqlite.out`)
      const b = join(dir, `${type}-pg.out`)
      expect((await runCli(['report', type, ...period, '--out', a], env(file))).code).toBe(0)
      const r = await runCli(['report', type, ...period, '--out', b], env(target))
      expect(r.code, r.stderr).toBe(0)
      expect(readFileSync(b, 'utf8'), type).toBe(readFileSync(a, 'utf8'))
    }
    const s = await runCli(['db', 'summarize', '--json'], env(target))
    expect(s.code, s.stderr).toBe(0)
    expect(JSON.parse(s.stdout)).toMatchObject({calls: 7})

    const dump = join(dir, 'callctl.dump')
    const b = await runCli(['db', 'backup', dump, '--json'], env(target))
    expect(b.code, b.stderr).toBe(0)
    const backup = JSON.parse(b.stdout) as Record<string, unknown>
    expect(backup).toMatchObject({file: dump, pages: null, store: 'postgres'})
    expect(backup.tool).toMatch(/^pg_dump \d+/)
    expect(contractBreaches(backup, ['db backup'])).toEqual([])
    expect(statSync(dump).size).toBe(backup.bytes)
    expect(readFileSync(dump).subarray(0, 5).toString()).toBe('PGDMP')
  })
})
