import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import {build} from 'esbuild'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import {summarizeCalls} from '../../src/engine/reports/call-rows.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {dayScenario} from '../support/report-scenario.js'

// `report queues` and `report agents` over two years at 15 minutes (70,080 intervals) with
// calls in the store, in a worker with the heap a report's worker has (run-report.ts, 64
// MB): they built every interval's tallies before the first row and ran out of it (misuse
// report finding 12). The reports are bundled (esbuild) for the worker, which cannot load
// TypeScript; better-sqlite3 stays outside, found from node_modules.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const INTERVALS = 730 * 96
const PERIOD = {from: '2024-11-24', to: '2026-11-24', tz: 'UTC', interval: '15m'}

const ENTRY = `
import {workerData, parentPort} from 'node:worker_threads'
import {queuesReport} from './src/engine/reports/queues-report.ts'
import {agentsReport} from './src/engine/reports/agents-report.ts'
import {SqliteStore} from './src/engine/store/sqlite-store.ts'
import {contextFor} from './test/support/report-log.ts'
const store = new SqliteStore(workerData.db, {readonly: true})
const out = {}
for (const [name, make] of [['queues', queuesReport], ['agents', agentsReport]]) {
  const report = make(contextFor(store, workerData.period))
  let rows = 0
  const kept = []
  // The queues report's rows with a count or a time in them (the empty ones only counted); every agents row.
  for (const row of report.rows) {
    rows++
    if (name === 'agents' || row.slice(3).some((c) => typeof c === 'number' && c !== 0)) kept.push(Object.fromEntries(report.columns.map((c, i) => [c, row[i] ?? null])))
  }
  out[name] = {rows, kept}
}
await store.close()
parentPort.postMessage(out)
`

type Row = Record<string, string | number | null>
let dir: string
let result: Record<'queues' | 'agents', {rows: number; kept: Row[]}>

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callctl-long-report-'))
  const db = join(dir, 'callctl.db')
  const store = new SqliteStore(db)
  const queues = {sales: {slSeconds: 20, slFormula: 'default' as const, shortAbandon: 5}, support: {slSeconds: 30, slFormula: 'answered' as const, shortAbandon: 10}, night: {}}
  for (const [name, s] of Object.entries(queues)) await store.saveQueue({name, settings: {...DEFAULT_QUEUE_SETTINGS, ...s}, createdAt: 0}, {type: 'queue.added', ts: 0, queue: name})
  await store.appendEvents([...dayScenario().events].sort((a, b) => a.ts - b.ts))
  // The queue-visit summary, as an engine keeps it: the path that ran out of memory.
  summarizeCalls(store.db)
  await store.close()
  // Beside node_modules, so the bundle finds better-sqlite3.
  const cache = join(ROOT, 'node_modules', '.cache', 'callctl-test')
  mkdirSync(cache, {recursive: true})
  const bundle = join(cache, `long-report-${process.pid}.mjs`)
  await build({stdin: {contents: ENTRY, resolveDir: ROOT, loader: 'ts'}, bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['better-sqlite3'], outfile: bundle, logLevel: 'silent'})
  try {
    result = await new Promise((resolve, reject) => {
      const w = new Worker(bundle, {workerData: {db, period: PERIOD}, resourceLimits: {maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8}})
      w.once('message', resolve)
      w.once('error', reject)
      w.once('exit', (code) => reject(new Error(`the report worker stopped (exit ${code})`)))
    })
  } finally {
    rmSync(bundle, {force: true})
  }
}, 120_000)

afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('a two-year report at 15 minutes, within a report worker’s memory', () => {
  it('report queues: every queue in every interval, the day’s calls in theirs', () => {
    const {rows, kept} = result.queues
    expect(rows).toBe(INTERVALS * 3)
    const at = (start: string, queue: string) => kept.find((r) => r.interval_start === start && r.queue === queue)
    // c0 entered sales at 23:59:01 the day before and hung up at 00:00:30 after 89 s in line.
    expect(at('2026-11-22T23:45:00Z', 'sales')).toMatchObject({offered: 1, waiting: 1, abandoned: 0})
    expect(at('2026-11-23T00:00:00Z', 'sales')).toMatchObject({offered: 0, waiting: 0, abandoned: 1, longest_wait_s: 89})
    // 09:00-09:15: c1 answered after 20 s (110 s talk, 10 s hold, 10 s wrap-up), c2 (3 s: short) and c3 (40 s) abandoned;
    // SL default = 1 within T / (1 answered + 1 abandoned after T); c1's FCR window still open.
    expect(at('2026-11-23T09:00:00Z', 'sales')).toMatchObject({
      offered: 3, answered: 1, abandoned: 2, short_abandoned: 1, answer_rate: 0.3333, abandon_rate: 0.5, sl_20s_default: 0.5, asa_s: 20, longest_wait_s: 40,
      aht_s: 130, handled: 1, talk_s: 110, hold_s: 10, wrap_up_s: 10, fcr_contacts: 0, fcr_pending: 1,
    })
    // support: c4 answered after 25 s (60 s talk, 5 s wrap-up), c5 left on the 60 s timeout.
    expect(at('2026-11-23T09:00:00Z', 'support')).toMatchObject({offered: 2, answered: 1, exited: 1, sl_30s_answered: 1, asa_s: 25, talk_s: 60, wrap_up_s: 5, fcr_pending: 1})
    // c6 on night: in line at 23:59:30, answered, completed at 00:01:00, wrap-up to 00:01:20.
    expect(at('2026-11-23T23:45:00Z', 'night')).toMatchObject({offered: 1, answered: 1, handled: 0})
    expect(at('2026-11-24T00:00:00Z', 'night')).toBeUndefined()
    expect(kept.map((r) => `${r.interval_start} ${r.queue}`)).toEqual([
      '2026-11-22T23:45:00Z sales',
      '2026-11-23T00:00:00Z sales',
      '2026-11-23T09:00:00Z sales',
      '2026-11-23T09:00:00Z support',
      '2026-11-23T23:45:00Z night',
    ])
  })

  it('report agents: the day’s agents in the intervals they worked in, nothing else', () => {
    const {rows, kept} = result.agents
    // a1 and a2 logged in 09:00-10:00 (four intervals each; listed where they logged out at 10:00 too); a3 answered c6 at 23:59:40.
    expect(kept.map((r) => `${r.interval_start} ${r.agent} ${r.logged_in_s}`)).toEqual([
      '2026-11-23T09:00:00Z a1 900',
      '2026-11-23T09:00:00Z a2 900',
      '2026-11-23T09:15:00Z a1 900',
      '2026-11-23T09:15:00Z a2 900',
      '2026-11-23T09:30:00Z a1 900',
      '2026-11-23T09:30:00Z a2 900',
      '2026-11-23T09:45:00Z a1 900',
      '2026-11-23T09:45:00Z a2 900',
      '2026-11-23T10:00:00Z a1 0',
      '2026-11-23T10:00:00Z a2 0',
      '2026-11-23T23:45:00Z a3 0',
    ])
    expect(rows).toBe(11)
    expect(kept[10]).toMatchObject({answered: 1, handled: 0, talk_s: 0})
    // a1: c1 (110 s talk, 10 s hold, 10 s wrap-up, survey 4); a2: lunch 600-1200 s, c4 (60 s talk, 5 s wrap-up).
    expect(kept[0]).toMatchObject({talk_s: 110, hold_s: 10, wrap_up_s: 10, answered: 1, handled: 1, surveys: 1, avg_survey_score: 4, fcr_pending: 1})
    expect(kept[1]).toMatchObject({paused_s: 300, talk_s: 60, wrap_up_s: 5, answered: 1, handled: 1, missed_rings: 1})
    expect(kept[3]).toMatchObject({paused_s: 300})
  })
})
