import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'csv-parse/sync'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import {summarizeStore} from '../../src/engine/reports/call-rows.js'
import type {Sink} from '../../src/engine/reports/report-output.js'
import {produceReport, type ReportJob} from '../../src/engine/reports/run-report.js'
import {PgStore} from '../../src/engine/store/pg/pg-store.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {startPostgres, type TestPostgres} from '../support/postgres.js'
import {Log} from '../support/report-log.js'

// First-contact resolution, dispositions and tickets for a scripted scenario, each figure
// worked out by hand below, on a SQLite and a PostgreSQL store, with the summaries the
// engine keeps (call rows, queue visits) absent and then built: the same bytes every time.
//
// T0 = 2026-11-23 09:00 UTC; times in seconds after it (H = 3600, D = 86400). Queues sales
// and support; agents a1, a2. Customers: A +8613800000001, B ...02, C withheld, D ...04 (a
// contact: its disposition names it), E ...05.
//   c1 A sales, 0 s: a1 answers; disposition resolved (a1).
//   c2 A sales, 3 D: hangs up in line (not answered: no contact to judge, but A came back).
//   c3 B support, 1 H: a2 answers, blind-transfers to a1 (one contact: last agent a1);
//      dispositions: a2 "transferred", then a1 "callback" (the later replaces it).
//   c4 C sales, 1.5 H: a2 answers; disposition wrong-number.
//   c5 D sales, 2 H: a2 answers; disposition resolved naming contact D.
//      Ticket T-000001 (D, sales queue, billing) at 2 H 5 min, due +4 H; solved 1 D;
//      reopened 2 D (solved -> open); solved again 2 D 1 H.
//   c6 E support, 3 H: a2 answers; dispositions resolved, then sale (the later counts).
//   c7 E support, 8 D: answered by a2 (E's next call, past c6's 7-day window).
//   T-000002 (E, agent a2, billing) at 3 H, due 3 H + 24 H; never solved.
//   T-000003 (support queue, tech) at 4 H, due 4 H + 72 H; open.
//   T-000004 (sales queue, billing) at 5 H, due 9 H; assigned to a1 at 6 H; solved 10 H.

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0)
const H = 3600
const D = 86_400
const A = '+8613800000001'
const B = '+8613800000002'
const DD = '+8613800000004'
const E = '+8613800000005'

function scenario(): Log {
  const L = new Log(T0)
  const inbound = (at: number, call: string, number: string) => L.at(at, 'call.started', {call, data: {direction: 'inbound', number, name: '', did: '400'}})
  const answered = (at: number, call: string, queue: string, agent: string, waitS: number, talkS: number) => {
    L.at(at + 1, 'queue.entered', {call, queue, data: {position: 1, priority: 0}})
    L.at(at + 1 + waitS, 'call.connected', {call, queue, agent, data: {waitMs: waitS * 1000, ringMs: 1000}})
    L.at(at + 1 + waitS + talkS, 'call.completed', {call, queue, agent, data: {by: 'caller', talkMs: talkS * 1000, holdMs: 0}})
    L.at(at + 1 + waitS + talkS, 'agent.wrapup_started', {call, queue, agent, data: {seconds: 10}})
    return at + 1 + waitS + talkS
  }
  const end = (at: number, call: string, queue: string, agent: string) => {
    L.at(at, 'call.ended', {call, queue, agent, data: {cause: 'completed'}})
    L.at(at + 10, 'agent.wrapup_ended', {agent, data: {how: 'timer'}})
  }
  const disposition = (at: number, call: string, queue: string, agent: string, code: string, contact?: string) =>
    L.at(at, 'call.disposition', {call, queue, agent, data: {code, label: code.toUpperCase(), ...(contact ? {contact} : {}), by: agent}})

  inbound(0, 'c1', A)
  let t = answered(0, 'c1', 'sales', 'a1', 5, 60)
  disposition(t + 5, 'c1', 'sales', 'a1', 'resolved')
  end(t + 1, 'c1', 'sales', 'a1')

  inbound(3 * D, 'c2', A)
  L.at(3 * D + 1, 'queue.entered', {call: 'c2', queue: 'sales', data: {position: 1, priority: 0}})
  L.at(3 * D + 31, 'queue.abandoned', {call: 'c2', queue: 'sales', data: {waitMs: 30_000, position: 1}})
  L.at(3 * D + 31, 'call.ended', {call: 'c2', queue: 'sales', data: {cause: 'abandoned'}})

  // c3: a2 answers, then sends the caller to a1 (blind): one call, one contact.
  inbound(H, 'c3', B)
  L.at(H + 1, 'queue.entered', {call: 'c3', queue: 'support', data: {position: 1, priority: 0}})
  L.at(H + 11, 'call.connected', {call: 'c3', queue: 'support', agent: 'a2', data: {waitMs: 10_000, ringMs: 1000}})
  L.at(H + 70, 'call.transferred', {call: 'c3', queue: 'support', agent: 'a2', data: {kind: 'blind', to: {agent: 'a1'}, by: 'a2'}})
  L.at(H + 70, 'call.completed', {call: 'c3', queue: 'support', agent: 'a2', data: {by: 'agent', talkMs: 59_000, holdMs: 0}})
  disposition(H + 72, 'c3', 'support', 'a2', 'transferred')
  L.at(H + 75, 'call.connected', {call: 'c3', queue: 'support', agent: 'a1', data: {transfer: 'blind', waitMs: 0, ringMs: 0}})
  L.at(H + 200, 'call.completed', {call: 'c3', queue: 'support', agent: 'a1', data: {by: 'caller', talkMs: 125_000, holdMs: 0}})
  L.at(H + 200, 'agent.wrapup_started', {call: 'c3', queue: 'support', agent: 'a1', data: {seconds: 10}})
  disposition(H + 205, 'c3', 'support', 'a1', 'callback')
  end(H + 201, 'c3', 'support', 'a1')

  inbound(1.5 * H, 'c4', 'anonymous')
  t = answered(1.5 * H, 'c4', 'sales', 'a2', 3, 30)
  disposition(t + 2, 'c4', 'sales', 'a2', 'wrong-number')
  end(t + 1, 'c4', 'sales', 'a2')

  inbound(2 * H, 'c5', DD)
  t = answered(2 * H, 'c5', 'sales', 'a2', 4, 200)
  disposition(t + 3, 'c5', 'sales', 'a2', 'resolved', DD)
  end(t + 1, 'c5', 'sales', 'a2')

  inbound(3 * H, 'c6', E)
  t = answered(3 * H, 'c6', 'support', 'a2', 6, 90)
  disposition(t + 2, 'c6', 'support', 'a2', 'resolved')
  disposition(t + 4, 'c6', 'support', 'a2', 'sale')
  end(t + 1, 'c6', 'support', 'a2')

  inbound(8 * D, 'c7', E)
  t = answered(8 * D, 'c7', 'support', 'a2', 2, 40)
  end(t + 1, 'c7', 'support', 'a2')

  const ticket = (at: number, id: string, o: {category: string; assignee: unknown; contact?: string; number?: string; dueS: number}) =>
    L.at(at, 'ticket.created', {data: {ticket: id, subject: 's', description: '', priority: 'normal', category: o.category, assignee: o.assignee, contact: o.contact, number: o.number, calls: [], dueTs: T0 + o.dueS * 1000, status: 'open', by: 'a2'}})
  const status = (at: number, id: string, from: string, to: string) => L.at(at, 'ticket.status_changed', {data: {ticket: id, from, to, by: 'a2'}})
  ticket(2 * H + 300, 'T-000001', {category: 'billing', assignee: {queue: 'sales'}, contact: DD, number: DD, dueS: 2 * H + 300 + 4 * H})
  status(D, 'T-000001', 'open', 'solved')
  status(2 * D, 'T-000001', 'solved', 'open')
  status(2 * D + H, 'T-000001', 'open', 'solved')
  ticket(3 * H, 'T-000002', {category: 'billing', assignee: {agent: 'a2'}, number: E, dueS: 27 * H})
  ticket(4 * H, 'T-000003', {category: 'tech', assignee: {queue: 'support'}, dueS: 76 * H})
  ticket(5 * H, 'T-000004', {category: 'billing', assignee: {queue: 'sales'}, dueS: 9 * H})
  L.at(6 * H, 'ticket.assigned', {data: {ticket: 'T-000004', from: {queue: 'sales'}, to: {agent: 'a1'}, by: 'a1'}})
  status(10 * H, 'T-000004', 'open', 'solved')
  return L
}

let cluster: TestPostgres
const dirs: string[] = []
let file: string
let url: string
let sqlite: SqliteStore
let pg: PgStore

beforeAll(async () => {
  cluster = await startPostgres()
  const dir = mkdtempSync(join(tmpdir(), 'callctl-desk-metrics-'))
  dirs.push(dir)
  file = join(dir, 'callctl.db')
  sqlite = new SqliteStore(file)
  url = cluster.createDatabase('desk_metrics')
  pg = await PgStore.open(url)
  const events = [...scenario().events].sort((a, b) => a.ts - b.ts)
  for (const store of [sqlite, pg]) {
    for (const q of ['sales', 'support']) await store.saveQueue({name: q, settings: DEFAULT_QUEUE_SETTINGS, createdAt: 0}, {type: 'queue.added', ts: 0, queue: q})
    for (const a of ['a1', 'a2']) await store.saveAgent({id: a, name: a.toUpperCase(), endpoint: `PJSIP/${a}`, skills: {}, queues: {sales: 0, support: 0}, createdAt: 0}, {type: 'agent.added', ts: 0, agent: a})
    await store.appendEvents(events)
  }
  // A throwaway cluster and two stores: seconds on a loaded machine.
}, 60_000)

afterAll(async () => {
  await sqlite?.close()
  await pg?.close()
  cluster?.stop()
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

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

type Case = {from: number; to: number; now: number; fcrWindowMs?: number; interval?: string}

async function report(database: string, type: ReportJob['type'], o: Case): Promise<string> {
  const sink = new TextSink()
  await produceReport(
    {type, database, from: T0 + o.from * 1000, to: T0 + o.to * 1000, tz: 'UTC', interval: o.interval ?? null, queue: null, agent: null, staffing: {targetSl: 0.8, targetSeconds: null}, format: 'csv', bom: false, now: T0 + o.now * 1000, ...(o.fcrWindowMs ? {fcrWindowMs: o.fcrWindowMs} : {})},
    sink,
  )
  return sink.text
}

type Row = Record<string, string>
const rows = (csv: string) => parse(csv, {columns: true}) as Row[]
const pick = (r: Row | undefined, cols: string[]) => Object.fromEntries(cols.map((c) => [c, r?.[c]]))
const FCR = ['fcr_contacts', 'fcr_resolved', 'fcr_rate', 'fcr_pending', 'fcr_anonymous']
const DAY = {from: -H, to: D}

/** The same report from both stores, summaries absent and then built: one text. */
async function both(type: ReportJob['type'], o: Case, texts: Map<string, string>): Promise<string> {
  const a = await report(file, type, o)
  expect(await report(url, type, o), `${type} on PostgreSQL`).toBe(a)
  texts.set(`${type} ${JSON.stringify(o)}`, a)
  return a
}

describe('first-contact resolution, dispositions and tickets (scripted, by hand)', () => {
  const before = new Map<string, string>()
  const cases: [ReportJob['type'], Case][] = [
    // In intervals, and cut through c3 (its visit at 1 H, its transfer's row) and c5's call.
    ['queues', {from: -H, to: 8 * D + H, now: 30 * D, interval: '15m'}],
    ['queues', {from: H + 30, to: 2 * H + 60, now: 30 * D, interval: '1h'}],
    ['agents', {from: -H, to: 8 * D + H, now: 30 * D, interval: '1h'}],
    ['queues', {...DAY, now: 30 * D}],
    ['queues', {...DAY, now: 5 * D}],
    ['queues', {...DAY, now: 30 * D, fcrWindowMs: 2 * D * 1000}],
    ['agents', {...DAY, now: 30 * D}],
    ['dispositions', {...DAY, now: 30 * D}],
    ['tickets', {from: -H, to: 3 * D, now: 30 * D}],
  ]

  it('per interval too (the summaries\' test below compares these)', async () => {
    for (const [type, o] of cases.slice(0, 3)) await both(type, o, before)
  })

  it('FCR per queue: c1 and c5 repeated (A called back on day 3, D\'s ticket reopened on day 2), c4 anonymous; c3 and c6 resolved', async () => {
    const q = rows(await both('queues', {...DAY, now: 30 * D}, before))
    // sales: c1 repeated, c5 repeated, c4 anonymous (out of the rate): 0 / 2.
    expect(pick(q.find((r) => r.queue === 'sales'), FCR)).toEqual({fcr_contacts: '2', fcr_resolved: '0', fcr_rate: '0', fcr_pending: '0', fcr_anonymous: '1'})
    // support: c3 (B never called again) and c6 (E's next call on day 8 is past 3 H + 7 D): 2 / 2.
    expect(pick(q.find((r) => r.queue === 'support'), FCR)).toEqual({fcr_contacts: '2', fcr_resolved: '2', fcr_rate: '1', fcr_pending: '0', fcr_anonymous: '0'})
    // The queue figures are still there: sales offered c1, c4, c5 (c2 is on day 3); support c3, c6.
    expect(pick(q.find((r) => r.queue === 'sales'), ['offered', 'answered', 'handled'])).toEqual({offered: '3', answered: '3', handled: '3'})
    expect(pick(q.find((r) => r.queue === 'support'), ['offered', 'answered', 'handled'])).toEqual({offered: '2', answered: '2', handled: '3'})
  })

  it('contacts whose window has not ended when the report is made are pending, in no rate; a repeat already seen is judged', async () => {
    const q = rows(await both('queues', {...DAY, now: 5 * D}, before))
    // now = day 5: c1 (A back on day 3) and c5 (reopen on day 2) are repeats already: judged.
    expect(pick(q.find((r) => r.queue === 'sales'), FCR)).toEqual({fcr_contacts: '2', fcr_resolved: '0', fcr_rate: '0', fcr_pending: '0', fcr_anonymous: '1'})
    // c3 (1 H + 7 D) and c6 (3 H + 7 D) end after day 5 with no repeat yet: pending, no rate.
    expect(pick(q.find((r) => r.queue === 'support'), FCR)).toEqual({fcr_contacts: '0', fcr_resolved: '0', fcr_rate: '', fcr_pending: '2', fcr_anonymous: '0'})
  })

  it('--fcr-window 2d: A\'s call on day 3 is past c1\'s window (0 + 2 D), D\'s reopen on day 2 (2 D) is not past c5\'s (2 H + 2 D)', async () => {
    const q = rows(await both('queues', {...DAY, now: 30 * D, fcrWindowMs: 2 * D * 1000}, before))
    // sales: c1 resolved, c5 repeated: 1 / 2.
    expect(pick(q.find((r) => r.queue === 'sales'), FCR)).toEqual({fcr_contacts: '2', fcr_resolved: '1', fcr_rate: '0.5', fcr_pending: '0', fcr_anonymous: '1'})
  })

  it('FCR per agent: a transferred call counts once, for its last agent', async () => {
    const a = rows(await both('agents', {...DAY, now: 30 * D}, before))
    // a1: c1 (repeated) and c3 (resolved; a1 had it last): 1 / 2.
    expect(pick(a.find((r) => r.agent === 'a1'), FCR)).toEqual({fcr_contacts: '2', fcr_resolved: '1', fcr_rate: '0.5', fcr_pending: '0', fcr_anonymous: '0'})
    // a2: c5 (repeated), c6 (resolved): 1 / 2; c4 anonymous. c3 is not a2's: a1 had it last.
    expect(pick(a.find((r) => r.agent === 'a2'), FCR)).toEqual({fcr_contacts: '2', fcr_resolved: '1', fcr_rate: '0.5', fcr_pending: '0', fcr_anonymous: '1'})
  })

  it('dispositions: the last code per call, shares of the queue and of the agent in it', async () => {
    const d = rows(await both('dispositions', {...DAY, now: 30 * D}, before))
    // sales has c1, c4, c5 (3): each 1/3 of the queue; a2 has c4, c5 there (1/2 each), a1 c1 (1/1).
    // support has c3 (a1's callback replaced a2's "transferred") and c6 (sale replaced resolved): 1/2 each.
    expect(d).toEqual([
      {queue: 'sales', agent: 'a1', code: 'resolved', label: 'RESOLVED', calls: '1', queue_share: '0.3333', agent_share: '1'},
      {queue: 'sales', agent: 'a2', code: 'resolved', label: 'RESOLVED', calls: '1', queue_share: '0.3333', agent_share: '0.5'},
      {queue: 'sales', agent: 'a2', code: 'wrong-number', label: 'WRONG-NUMBER', calls: '1', queue_share: '0.3333', agent_share: '0.5'},
      {queue: 'support', agent: 'a1', code: 'callback', label: 'CALLBACK', calls: '1', queue_share: '0.5', agent_share: '1'},
      {queue: 'support', agent: 'a2', code: 'sale', label: 'SALE', calls: '1', queue_share: '0.5', agent_share: '1'},
    ])
  })

  it('tickets over 3 days: created, solved, overdue at the end, resolution p50 and average', async () => {
    const t = rows(await both('tickets', {from: -H, to: 3 * D, now: 30 * D}, before))
    expect(t).toEqual([
      // T-000004 solved by a1 (assigned to it at 6 H) at 10 H: 10 H - 5 H = 18,000 s.
      {queue: '', agent: 'a1', category: 'billing', created: '0', solved: '1', overdue: '0', resolution_p50_s: '18000', resolution_avg_s: '18000'},
      // T-000002: due at 27 H, still open at 3 D: overdue.
      {queue: '', agent: 'a2', category: 'billing', created: '1', solved: '0', overdue: '1', resolution_p50_s: '', resolution_avg_s: ''},
      // T-000001 and T-000004 created for sales; T-000001 solved twice (1 D and, reopened, 2 D 1 H):
      // 86,400 - 7,500 = 78,900 s and 176,400 - 7,500 = 168,900 s; p50 the lower middle 78,900,
      // average 123,900. Solved at the end: not overdue.
      {queue: 'sales', agent: '', category: 'billing', created: '2', solved: '2', overdue: '0', resolution_p50_s: '78900', resolution_avg_s: '123900'},
      // T-000003 due at 76 H, after the end (72 H): open, not overdue.
      {queue: 'support', agent: '', category: 'tech', created: '1', solved: '0', overdue: '0', resolution_p50_s: '', resolution_avg_s: ''},
    ])
  })

  it('the same bytes once each store keeps its summaries (call rows, queue visits)', async () => {
    const a = await summarizeStore(sqlite)
    const b = await summarizeStore(pg)
    expect(b).toMatchObject({written: a.written, calls: a.calls, checkpoint: a.checkpoint})
    // The queue-visit rows alike, row for row; next_contact_at of c1 is c2's start (A's next call).
    const sqliteRows = sqlite.db.prepare('SELECT * FROM queue_visits ORDER BY first_id, seq').all()
    const pgRows = (await pg.pool.query('SELECT * FROM queue_visits ORDER BY first_id, seq')).rows
    expect(pgRows).toEqual(sqliteRows)
    expect(sqlite.db.prepare("SELECT next_contact_at FROM queue_visits WHERE call_id = 'c1' AND contact_at IS NOT NULL").get()).toEqual({next_contact_at: T0 + 3 * D * 1000})
    for (const [type, o] of cases) expect(await both(type, o, new Map()), `${type} ${JSON.stringify(o)}`).toBe(before.get(`${type} ${JSON.stringify(o)}`))
  })
})
