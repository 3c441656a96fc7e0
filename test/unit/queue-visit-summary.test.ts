import {describe, expect, it} from 'vitest'
import {generateCallLog} from '../../src/bench/report-data/generate.js'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import {summarizeCalls} from '../../src/engine/reports/call-rows.js'
import {queuesReport} from '../../src/engine/reports/queues-report.js'
import {Buckets, parseInterval} from '../../src/engine/reports/interval.js'
import {tallyByInterval} from '../../src/engine/reports/interval-tally.js'
import {reportPeriod} from '../../src/engine/reports/period.js'
import {SlBook} from '../../src/engine/reports/sl-columns.js'
import {visitPlan, visitRows, VisitsProjector} from '../../src/engine/reports/visit-rows.js'
import {tallyVisits} from '../../src/engine/reports/visit-tally.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {contextFor, csvOf} from '../support/report-log.js'
import {dayScenario, T0} from '../support/report-scenario.js'

// `report queues` from the queue-visit summary (and the calls after its checkpoint folded
// from the log) against the same report from a walk of the whole log (interval-tally.ts):
// byte for byte, for generated traffic and the hand-made day, whole periods and periods
// that cut calls, wrap-ups and callers in line in two, every interval, zones, one queue.

const START = Date.UTC(2026, 10, 2)
const H = 3_600_000
const iso = (ms: number) => new Date(ms).toISOString()
const NOW = Date.UTC(2026, 10, 25)

async function store(): Promise<SqliteStore> {
  const s = new SqliteStore(':memory:')
  generateCallLog(s.db, {calls: 800, days: 2, queues: 3, agents: 12, seed: 7, start: START})
  await s.appendEvents([...dayScenario().events].sort((a, b) => a.ts - b.ts))
  for (const q of ['q1', 'q2', 'q3', 'sales', 'support']) await s.saveQueue({name: q, settings: {...DEFAULT_QUEUE_SETTINGS, slSeconds: q === 'support' ? 30 : 20}, createdAt: 0}, {type: 'queue.added', ts: 0, queue: q})
  return s
}

const CASES: {from: number; to: number; interval?: string; tz?: string; queue?: string}[] = [
  {from: START - 86_400_000, to: T0 + 86_400_000},
  {from: START, to: START + 48 * H, interval: '15m'},
  {from: START + 13 * H + 17 * 60_000, to: START + 30 * H, interval: '1h', tz: 'Asia/Shanghai'},
  {from: START + 7 * H + 3 * 60_000, to: START + 7 * H + 48 * 60_000, interval: '15m'},
  {from: START, to: START + 48 * H, interval: '30m', tz: 'America/New_York', queue: 'q2'},
  {from: T0, to: T0 + 86_400_000, interval: '1h'},
  {from: T0 + 200_000, to: T0 + 15 * H, interval: '15m'},
  // Two intervals, both cut by the period.
  {from: START + 7 * H + 30 * 60_000, to: START + 8 * H + 5 * 60_000, interval: '1h'},
]

async function reports(s: SqliteStore): Promise<string[]> {
  const out: string[] = []
  for (const c of CASES) out.push(await csvOf(queuesReport(contextFor(s, {from: iso(c.from), to: iso(c.to), interval: c.interval, tz: c.tz, queue: c.queue}))))
  return out
}

describe('report queues from the queue-visit summary', () => {
  it('is byte for byte the walk of the log: summary absent, part-way, whole', async () => {
    const s = await store()
    const walked = await reports(s)
    expect(walked[1]!.split('\n').length).toBeGreaterThan(3 * 192)
    // The summary part-way: its checkpoint inside the traffic, the rest folded from the log.
    const part = new VisitsProjector(s.db).advance(5000)
    expect(part.checkpoint).toBeGreaterThan(0)
    expect(part.atEnd).toBe(false)
    expect(visitPlan(s.db, {from: START, to: START + 48 * H, windowMs: 0}).summary).not.toBeNull()
    expect(await reports(s)).toEqual(walked)
    summarizeCalls(s.db)
    const rows = (s.db.prepare('SELECT COUNT(*) AS n FROM queue_visits').get() as {n: number}).n
    expect(rows).toBeGreaterThan(800)
    for (const c of CASES) expect(visitPlan(s.db, {from: c.from, to: c.to, windowMs: 7 * 86_400_000}).summary, JSON.stringify(c)).not.toBeNull()
    expect(await reports(s)).toEqual(walked)
    await s.close()
  })

  it('adds rows one by one (intervals that are no regular grid) to the same tallies as the walk', async () => {
    const s = await store()
    summarizeCalls(s.db)
    const sl = new SlBook(new Map([...['q1', 'q2', 'q3', 'sales'].map((q) => [q, DEFAULT_QUEUE_SETTINGS] as const), ['support', {...DEFAULT_QUEUE_SETTINGS, slSeconds: 30}] as const]))
    for (const c of CASES) {
      const period = reportPeriod({from: iso(c.from), to: iso(c.to), tz: c.tz})
      const interval = c.interval ? parseInterval(c.interval) : null
      const walked = [...tallyByInterval(s.db, new Buckets(period, interval), period, (q) => sl.of(q), NOW)].map(({bucket, tally}) => ({bucket, queues: tally.queues, extras: tally.queueExtras}))
      const rows = visitRows(s.db, {from: period.from, to: period.to, windowMs: 0})
      expect(tallyVisits(rows, new Buckets(period, interval), period, (q) => sl.of(q), NOW), JSON.stringify(c)).toEqual(walked)
    }
    await s.close()
  })
})
