import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {describe, expect, it} from 'vitest'
import {MIGRATIONS} from '../../src/engine/store/migrations.js'
import {generateCallLog} from '../../src/bench/report-data/generate.js'
import {CallRowsProjector, keepCallRows, summarizeCalls, summaryCheckpoint} from '../../src/engine/reports/call-rows.js'
import {createLogger} from '../../src/engine/util/log.js'
import {until} from '../support/wait.js'
import {callsReport} from '../../src/engine/reports/calls-report.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {contextFor, csvOf, Log, rowsOf, storeWith} from '../support/report-log.js'
import {dayStore, T0} from '../support/report-scenario.js'

// The call summary must never change a report: every report below is made from the
// events alone (no summary), then with the summary complete, then with it part-way.

const START = Date.UTC(2026, 10, 2)

function generated(calls: number): SqliteStore {
  const store = new SqliteStore(':memory:')
  generateCallLog(store.db, {calls, days: 2, queues: 3, agents: 20, seed: 7, start: START})
  return store
}

type Opts = Parameters<typeof contextFor>[1]
const report = (store: SqliteStore, o: Opts) => rowsOf(callsReport(contextFor(store, o)))
// --format csv takes another path (the summary's CSV text): it must give the same bytes.
const csv = (store: SqliteStore, o: Opts) => csvOf(callsReport(contextFor(store, o)))

describe('call summary (call_rows)', () => {
  const cases: Opts[] = [
    {from: '2026-11-02', to: '2026-11-04'},
    {from: '2026-11-02T13:00', to: '2026-11-03T02:30', tz: 'Asia/Shanghai'},
    {from: '2026-11-02', to: '2026-11-04', queue: 'q2'},
    {from: '2026-11-02', to: '2026-11-04', agent: 'a007'},
    {from: '2026-11-03', to: '2026-11-03T12:00', tz: 'America/New_York'},
  ]

  it('gives the same rows as folding the log: whole summary, part of it, none', async () => {
    const store = generated(3000)
    const plain = cases.map((o) => report(store, o))
    const plainCsv = await Promise.all(cases.map((o) => csv(store, o)))
    expect(plainCsv[0]!.split('\n').length).toBe(plain[0]!.length + 2)
    const sameCsv = async () => expect(await Promise.all(cases.map((o) => csv(store, o)))).toEqual(plainCsv)
    expect(plain[0]!.length).toBeGreaterThan(2900)
    expect(plain[2]!.length).toBeGreaterThan(0)
    expect(plain[3]!.length).toBeGreaterThan(0)

    // Part-way: the projector has read a slice of the log only.
    const p = new CallRowsProjector(store.db)
    p.advance(7000)
    const part = summaryCheckpoint(store.db)
    expect(part).toBeGreaterThan(0)
    const partRows = (store.db.prepare('SELECT COUNT(*) AS n FROM call_rows').get() as {n: number}).n
    expect(partRows).toBeGreaterThan(100)
    expect(partRows).toBeLessThan(3000)
    cases.forEach((o, i) => expect(report(store, o)).toEqual(plain[i]))
    await sameCsv()

    const r = summarizeCalls(store.db)
    expect(r.calls).toBe(3000)
    cases.forEach((o, i) => expect(report(store, o)).toEqual(plain[i]))
    await sameCsv()
    // Summarizing again finds nothing new and changes nothing.
    expect(summarizeCalls(store.db).written).toBe(0)
    cases.forEach((o, i) => expect(report(store, o)).toEqual(plain[i]))
    await sameCsv()
  })

  it('shows a recording as it is now: finished, failed or purged after the call was summarized', async () => {
    const store = generated(200)
    summarizeCalls(store.db)
    const o = cases[0]!
    const rec = store.db.prepare('SELECT name, call_id FROM recordings ORDER BY started_at LIMIT 3').all() as {name: string; call_id: string}[]
    expect(rec).toHaveLength(3)
    store.db.prepare("UPDATE recordings SET state = 'failed', host_path = NULL WHERE name = ?").run(rec[0]!.name)
    store.db.prepare('DELETE FROM recordings WHERE name = ?').run(rec[1]!.name)
    // A second recording of the same call (a transfer) joins the first, in the order they started.
    store.db
      .prepare("INSERT INTO recordings (name, call_id, number, started_at, format, state, host_path) VALUES ('second', ?, '', 9e15, 'wav', 'done', '/rec/second,copy.wav')")
      .run(rec[2]!.call_id)
    const rows = report(store, o)
    const byCall = (id: string) => rows.find((r) => r.call_id === id)!.recording
    expect(byCall(rec[0]!.call_id)).toBe('')
    expect(byCall(rec[1]!.call_id)).toBe('')
    expect(byCall(rec[2]!.call_id)).toMatch(/\.wav \/rec\/second,copy\.wav$/)
    const summarized = await csv(store, o)
    expect(summarized).toContain('/rec/second,copy.wav"')
    // The same as a report made from the log alone.
    store.db.exec('DELETE FROM call_rows; DELETE FROM projections')
    expect(report(store, o)).toEqual(rows)
    expect(await csv(store, o)).toBe(summarized)
  })

  it('agrees with the hand-checked day (wrap-ups after the call, recordings, hostile names)', async () => {
    const store = await dayStore()
    const o = {from: '2026-11-23', to: '2026-11-25'}
    const plain = report(store, o)
    const plainCsv = await csv(store, o)
    summarizeCalls(store.db)
    expect(report(store, o)).toEqual(plain)
    expect(await csv(store, o)).toBe(plainCsv)
    expect(report(store, {...o, agent: 'a2'})).toEqual(plain.filter((r) => r.call_id === 'c1' || r.call_id === 'c4'))
  })

  it('is held back by a call still going, and catches up once it ends', async () => {
    const log = new Log(T0)
      .at(0, 'call.started', {call: 'x1', data: {number: '1'}})
      .at(1, 'call.started', {call: 'x2', data: {number: '2'}})
      .at(2, 'queue.entered', {call: 'x2', queue: 'sales'})
      .at(3, 'queue.abandoned', {call: 'x2', queue: 'sales', data: {waitMs: 1000}})
      .at(3, 'call.ended', {call: 'x2', data: {cause: 'abandoned'}})
    const store = await storeWith({sales: {}}, log)
    summarizeCalls(store.db)
    // x1 (still going, started first) holds the summary back before it, x2 with it.
    const summarized = () => (store.db.prepare('SELECT call_id FROM call_rows ORDER BY first_id').all() as {call_id: string}[]).map((r) => r.call_id)
    expect(summarized()).toEqual([])
    const firstId = (store.db.prepare("SELECT MIN(id) AS id FROM events WHERE call_id = 'x1'").get() as {id: number}).id
    expect(summaryCheckpoint(store.db)).toBe(firstId - 1)
    const o = {from: '2026-11-23', to: '2026-11-24'}
    expect(report(store, o).map((r) => [r.call_id, r.outcome])).toEqual([['x1', 'live'], ['x2', 'abandoned']])

    await store.appendEvents([{type: 'call.ended', ts: T0 + 10_000, callId: 'x1', queue: null, agent: null, data: {cause: 'hangup'}, origin: 'test'}])
    summarizeCalls(store.db)
    expect(summaryCheckpoint(store.db)).toBeGreaterThan(firstId)
    expect(summarized()).toEqual(['x1', 'x2'])
    expect(report(store, o).map((r) => [r.call_id, r.outcome])).toEqual([['x1', 'hangup'], ['x2', 'abandoned']])
  })

  it('a store summarized by the previous version (schema 5) is upgraded: the summary is rebuilt from the log, the report unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callctl-v5-'))
    const file = join(dir, 'callctl.db')
    try {
      // Schema 5 as it shipped, with its summary of every call.
      const old = new Database(file)
      old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
      for (const m of MIGRATIONS.filter((x) => x.version <= 5)) {
        old.exec(m.sql)
        old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name)
      }
      generateCallLog(old, {calls: 300, days: 1, queues: 2, agents: 10, seed: 5, start: START})
      const lastId = (old.prepare('SELECT MAX(id) AS id FROM events').get() as {id: number}).id
      old.prepare("INSERT INTO call_rows (first_id, call_id, started_at, direction, caller_number, caller_name, did, ivr_keys, queue, queues, priority, agents_tried, agent, transfers, outcome, agents) VALUES (1, 'stale', 0, 'inbound', '', '', '', '', '', '', 0, '', '', '', 'completed', '')").run()
      old.prepare("INSERT INTO projections VALUES ('call_rows', ?, 0)").run(lastId)
      old.close()

      const store = new SqliteStore(file)
      expect(summaryCheckpoint(store.db)).toBe(0)
      const o = {from: '2026-11-02', to: '2026-11-03'}
      const fromLog = report(store, o)
      const fromLogCsv = await csv(store, o)
      expect(fromLog).toHaveLength(300)
      expect(summarizeCalls(store.db).calls).toBe(300)
      expect(report(store, o)).toEqual(fromLog)
      expect(await csv(store, o)).toBe(fromLogCsv)
      await store.close()
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('a store that was never summarized reads as before (checkpoint 0)', () => {
    const store = generated(50)
    expect(summaryCheckpoint(store.db)).toBe(0)
    expect(report(store, cases[0]!).length).toBe(50)
  })

  it('the engine keeps it in slices, and a failed write is retried from the checkpoint', async () => {
    const store = generated(2000)
    const lines: string[] = []
    const log = createLogger({level: 'info', write: (l) => lines.push(l)})
    // A locked database for the first round: the write fails, is logged once, nothing is half written.
    store.db.exec('CREATE TRIGGER refuse BEFORE INSERT ON call_rows BEGIN SELECT RAISE(ABORT, \'disk I/O error\'); END')
    const keeper = keepCallRows(store.db, log, {everyMs: 50})
    try {
      await until('the failure logged', () => lines.some((l) => l.includes('call summary: could not write')))
      expect(summaryCheckpoint(store.db)).toBe(0)
      store.db.exec('DROP TRIGGER refuse')
      await until('caught up', () => (store.db.prepare('SELECT COUNT(*) AS n FROM call_rows').get() as {n: number}).n === 2000, 15_000)
      expect(lines.filter((l) => l.includes('could not write'))).toHaveLength(1)
      await until('the recovery logged', () => lines.some((l) => l.includes('call summary: writing again')))
      expect(lines.filter((l) => l.includes('caught up with the log'))).toHaveLength(1)
    } finally {
      keeper.stop()
    }
    const o = {from: '2026-11-02', to: '2026-11-04'}
    const withSummary = report(store, o)
    store.db.exec('DELETE FROM call_rows; DELETE FROM projections')
    expect(withSummary).toEqual(report(store, o))
  })
})
