import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateCallLog} from '../../src/bench/report-data/generate.js'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import {CallRowsProjector, keepCallRows, summarizeStore} from '../../src/engine/reports/call-rows.js'
import {PgCallRowsProjector, pgSummaryCheckpoint} from '../../src/engine/reports/pg-call-rows.js'
import type {Sink} from '../../src/engine/reports/report-output.js'
import {REPORT_NAMES, type ReportName} from '../../src/engine/reports/report-types.js'
import {produceReport, type ReportJob} from '../../src/engine/reports/run-report.js'
import type {NewEvent, StoredEvent} from '../../src/engine/store/events.js'
import {FencedError} from '../../src/engine/store/fencing.js'
import {PgStore} from '../../src/engine/store/pg/pg-store.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {createLogger} from '../../src/engine/util/log.js'
import {HOSTILE_STRINGS} from '../fixtures/hostile-strings.js'
import {startPostgres, type TestPostgres} from '../support/postgres.js'
import {dayScenario, T0} from '../support/report-scenario.js'
import {until} from '../support/wait.js'

// Reports on a PostgreSQL store are made by the SQLite report code from a copy of what they
// read (pg-report-copy.ts), and `report calls` streams its summarized calls: these tests hold
// every report to the SQLite store's output, byte for byte, for the same events, written to
// each store the way the engine writes them, with the call summary kept by each store's own
// projector (whole, part-way, absent).

let cluster: TestPostgres
let databases = 0
const dirs: string[] = []

beforeAll(async () => {
  cluster = await startPostgres()
})

afterAll(() => {
  cluster?.stop()
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

const START = Date.UTC(2026, 10, 2)
const KEPT = HOSTILE_STRINGS.filter((h) => h.probe === undefined)

/** The same log in a SQLite file and a fresh PostgreSQL database: generated traffic, the hand-made day, hostile names. */
async function twoStores(): Promise<{sqlite: SqliteStore; file: string; pg: PgStore; url: string}> {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-pgrep-'))
  dirs.push(dir)
  const file = join(dir, 'callctl.db')
  const sqlite = new SqliteStore(file)
  generateCallLog(sqlite.db, {calls: 600, days: 2, queues: 3, agents: 12, seed: 11, start: START})
  const url = cluster.createDatabase(`reports_${++databases}`)
  const pg = await PgStore.open(url)
  // The generated events as written to SQLite, appended to PostgreSQL in the same order: the same ids.
  const generated = sqlite.db.prepare('SELECT ts, type, call_id AS callId, queue, agent, data, origin FROM events ORDER BY id').all() as (NewEvent & {data: string})[]
  for (let i = 0; i < generated.length; i += 2000) await pg.appendEvents(generated.slice(i, i + 2000).map((e) => ({...e, data: JSON.parse(e.data) as Record<string, unknown>})))
  for (const store of [sqlite, pg]) {
    for (const q of ['q1', 'q2', 'q3', 'sales', 'support']) await store.saveQueue({name: q, settings: {...DEFAULT_QUEUE_SETTINGS, slSeconds: q === 'support' ? 30 : 20}, createdAt: 0}, {type: 'queue.added', ts: 0, queue: q})
    await store.saveAgent({id: 'a001', name: 'Alice', endpoint: 'PJSIP/a001', skills: {}, queues: {q1: 0, q2: 1}, createdAt: 0}, {type: 'agent.added', ts: 0, agent: 'a001'})
  }
  // A hand-made day after it, with callers whose names try to break COPY and CSV. Not lone
  // surrogates: SQLite keeps one as three bytes that read back as three U+FFFD, PostgreSQL
  // as one, so two summaries written apart differ there (a copy by db migrate does not).
  const day = dayScenario().events.map((e, i) => (e.type === 'call.started' ? {...e, data: {...e.data, name: KEPT[i % KEPT.length]!.text + '\t\\N\n"x"'}} : e))
  for (const store of [sqlite, pg]) await store.appendEvents([...day].sort((a, b) => a.ts - b.ts))
  const recordings = sqlite.db.prepare('SELECT name, call_id AS callId, queue, agent, number, started_at AS startedAt, format, state, ended_at AS endedAt, duration_ms AS durationMs, host_path AS hostPath, size_bytes AS sizeBytes, error FROM recordings ORDER BY name').all() as never[]
  const pgRecordings = repositoriesOf(pg).recordings
  for (const r of recordings as {name: string; state: 'recording' | 'done' | 'failed'; endedAt: number; durationMs: number | null; hostPath: string | null; sizeBytes: number | null; error: string | null}[]) {
    await pgRecordings.insert(r as never)
    if (r.state !== 'recording') await pgRecordings.finish(r.name, {state: r.state, endedAt: r.endedAt, durationMs: r.durationMs, hostPath: r.hostPath, sizeBytes: r.sizeBytes, error: r.error})
  }
  for (const repos of [repositoriesOf(sqlite), repositoriesOf(pg)]) {
    await repos.recordings.insert({name: 'c1-rec', callId: 'c1', queue: 'sales', agent: 'a1', number: '+8613800000001', startedAt: T0 + 125_000, format: 'wav'})
    await repos.recordings.finish('c1-rec', {state: 'done', endedAt: T0 + 245_000, durationMs: 120_000, hostPath: '/rec/c 1\t.wav', sizeBytes: 10, error: null})
  }
  // The same log: ids, types and data alike.
  expect(await allEvents(pg)).toEqual(await allEvents(sqlite))
  return {sqlite, file, pg, url}
}

class TextSink implements Sink {
  readonly file = null
  readonly terminal = false
  text = ''
  async write(t: string): Promise<void> {
    this.text += t
  }
  async commit(): Promise<void> {}
  abort(): void {}
}

interface Case {
  type: ReportName
  from: number
  to: number
  tz?: string
  interval?: string
  queue?: string
  agent?: string
  format?: 'csv' | 'json'
}

async function report(database: string, c: Case): Promise<string> {
  const sink = new TextSink()
  const job: ReportJob = {
    type: c.type,
    database,
    from: c.from,
    to: c.to,
    tz: c.tz ?? 'UTC',
    interval: c.interval ?? null,
    queue: c.queue ?? null,
    agent: c.agent ?? null,
    staffing: {targetSl: 0.8, targetSeconds: null},
    format: c.format ?? 'csv',
    bom: false,
    now: Date.UTC(2026, 10, 25),
  }
  const rows = await produceReport(job, sink)
  return `${rows}\n${sink.text}`
}

const H = 3_600_000
/** Every report over everything, and over a period that cuts calls and lookbacks in two; filters, zones, JSON. */
const CASES: Case[] = [
  ...REPORT_NAMES.map((type) => ({type, from: START - 86_400_000, to: T0 + 86_400_000})),
  ...REPORT_NAMES.map((type) => ({type, from: START + 13 * H + 17 * 60_000, to: START + 30 * H, tz: 'Asia/Shanghai'})),
  // JSON: the calls report then copies its summarized calls instead of streaming them.
  {type: 'calls', from: T0 + 200_000, to: T0 + 15 * H, format: 'json'},
  {type: 'agents', from: T0 + 200_000, to: T0 + 15 * H, format: 'json'},
  {type: 'calls', from: START, to: START + 48 * H, queue: 'q2'},
  {type: 'calls', from: START, to: START + 48 * H, agent: 'a007', format: 'json'},
  {type: 'queues', from: START, to: START + 48 * H, interval: '15m', tz: 'America/New_York'},
  {type: 'agents', from: START + 20 * H, to: START + 44 * H, interval: '1h'},
  {type: 'queue-log', from: START + 6 * H, to: START + 7 * H, agent: 'a003'},
]

async function expectSameReports(file: string, url: string, cases: Case[] = CASES): Promise<void> {
  for (const c of cases) {
    const [a, b] = [await report(file, c), await report(url, c)]
    expect(b, JSON.stringify(c)).toBe(a)
  }
}

describe('reports on a PostgreSQL store', () => {
  it('are byte for byte the SQLite store\'s for the same events: no summary, each store\'s own summary part-way, then whole', async () => {
    const {sqlite, file, pg, url} = await twoStores()
    const whole = (await report(file, CASES[0]!)).split('\n')
    expect(whole.length).toBeGreaterThan(600)
    await expectSameReports(file, url)

    // Part-way: each projector has read the same slice of the log, so the checkpoints match.
    const part = new CallRowsProjector(sqlite.db).advance(3000)
    expect(await new PgCallRowsProjector(pg).advance(3000)).toEqual(part)
    expect(part.checkpoint).toBeGreaterThan(0)
    await expectSameReports(file, url, CASES.filter((c) => c.type === 'calls'))

    const a = await summarizeStore(sqlite)
    const b = await summarizeStore(pg)
    expect(b).toMatchObject({written: a.written, calls: a.calls, checkpoint: a.checkpoint})
    // The summary itself is the same, row for row (recording files included).
    const sqliteRows = sqlite.db.prepare('SELECT * FROM call_rows ORDER BY first_id').all()
    const pgRows = (await pg.pool.query('SELECT * FROM call_rows ORDER BY first_id')).rows
    expect(pgRows).toEqual(sqliteRows)
    await expectSameReports(file, url)

    // A recording that fails after the call was summarized changes the row on both (the triggers).
    for (const repos of [repositoriesOf(sqlite), repositoriesOf(pg)]) {
      await repos.recordings.insert({name: 'late', callId: 'c4', queue: 'support', agent: 'a2', number: '', startedAt: T0 + 430_000, format: 'wav'})
    }
    await expectSameReports(file, url, CASES.filter((c) => c.type === 'calls'))
    await sqlite.close()
    await pg.close()
    // Every report type, three times over, on both stores: ~30 s on a loaded 2-core machine.
  }, 120_000)

  it('keeps the call summary in PostgreSQL as the engine runs (keepCallRows), through the store\'s fenced writes', async () => {
    const url = cluster.createDatabase(`keep_${++databases}`)
    const pg = await PgStore.open(url)
    const day = dayScenario().events
    await pg.appendEvents([...day].sort((a, b) => a.ts - b.ts))
    // A standby's store: its fence is stale, so the summary writes nothing.
    await pg.pool.query("INSERT INTO leadership (key, epoch) VALUES ('callctl', 2)")
    pg.setFence({key: 'callctl', epoch: 1})
    const fenced = await new PgCallRowsProjector(pg).advance().catch((e: unknown) => e)
    expect(fenced).toBeInstanceOf(FencedError)
    expect(await pgSummaryCheckpoint(pg.pool)).toBe(0)

    pg.setFence({key: 'callctl', epoch: 2})
    const keeper = keepCallRows(pg, createLogger({level: 'error'}), {everyMs: 50})
    try {
      await until('the summary in PostgreSQL', async () => (await pgSummaryCheckpoint(pg.pool)) > 0)
      const {rows} = await pg.pool.query<{call_id: string}>('SELECT call_id FROM call_rows ORDER BY first_id')
      expect(rows.map((r) => r.call_id)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6'])
    } finally {
      keeper.stop()
      await pg.close()
    }
  })
})

async function allEvents(store: SqliteStore | PgStore): Promise<StoredEvent[]> {
  const out: StoredEvent[] = []
  for await (const e of store.events()) out.push(e)
  return out
}
