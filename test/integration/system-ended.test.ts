import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import {loginAgent, pauseAgent} from '../../src/engine/admin/admin.js'
import {callsReport} from '../../src/engine/reports/calls-report.js'
import {LiveStats} from '../../src/engine/reports/live-stats.js'
import {QueueLogConverter} from '../../src/engine/reports/queue-log.js'
import {queuesReport} from '../../src/engine/reports/queues-report.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {leftovers, startTestEngine, type Harness} from '../support/harness.js'
import {contextFor, rowsOf} from '../support/report-log.js'

// An engine stopped deliberately with its calls ended (what the demo's stop does) on the
// real sandbox: the caller still in line and the call still talking are system-ended,
// nobody abandoned, and no ratio counts them.
//
// Queue q, agents ok1 (answers after 1 s, talks 2 s) and long (answers after 1 s, talks 60 s,
// logged in later):
//   A: ok1 answers, the call completes.  Then ok1 pauses and long logs in.
//   C: long answers and is still talking at the stop.
//   B: nobody free: still waiting at the stop (patience 120 s).
// After the stop: offered 3, answered 2, abandoned 0, system-ended 1 (B), answer rate 2/2.

const RUN = String(Date.now()).slice(-6)
const number = (n: string) => `+1557${RUN}${n}`

let h: Harness
let from: number
let to: number
let events: StoredEvent[]

beforeAll(async () => {
  from = Date.now() - 1000
  h = await startTestEngine({
    queues: {q: {ringTimeout: 5, wrapUp: 0, autoPauseAfter: 0, strategy: 'linear'}},
    agents: [
      {id: 'ok1', ring: 1, talk: {min: 2, max: 2}, queues: ['q']},
      {id: 'long', ring: 1, talk: {min: 60, max: 60}, queues: ['q'], loggedIn: false},
    ],
  })
  const state = (id: string) => h.engine.snapshot().agents.find((a) => a.id === id)?.state
  const call = (n: string) => h.engine.snapshot().calls.find((c) => c.caller.number === number(n))
  await h.call({number: number('1'), did: 'q', patience: 60})
  await h.ended(number('1'))
  await h.waitFor('ok1 free again', () => state('ok1') === 'idle', 10_000)
  await pauseAgent(h.store, 'ok1', 'break')
  await loginAgent(h.store, 'long')
  await h.waitFor('ok1 paused and long in', () => state('ok1') === 'paused' && state('long') === 'idle', 5000)
  await h.call({number: number('3'), did: 'q', patience: 120})
  await h.waitFor('long talking to C', () => call('3')?.state === 'connected', 20_000)
  await h.call({number: number('2'), did: 'q', patience: 120})
  await h.waitFor('B in line', () => call('2')?.state === 'waiting', 20_000)
  // B waits a moment: a wait of 0 would prove less.
  await new Promise((r) => setTimeout(r, 1500))

  await h.engine.stop(undefined, {endCalls: 'test-stop'})
  to = Date.now() + 1000
  events = []
  for await (const e of h.store.events({since: from})) events.push(e)
}, 120_000)

afterAll(async () => {
  if (!h) return
  for (const ch of await h.rest.listChannels()) await h.rest.hangup(ch.id).catch(() => undefined)
  await h.stop()
})

const ofCall = (n: string) => {
  const id = events.find((e) => e.type === 'call.started' && e.data.number === number(n))?.callId
  return events.filter((e) => e.callId === id)
}

describe('a deliberate stop ends its calls as system-ended (real sandbox)', () => {
  it('logs the waiting caller queue.system_ended, never queue.abandoned, and ends both live calls as system-ended', () => {
    expect(events.filter((e) => e.type === 'queue.abandoned')).toEqual([])
    const b = ofCall('2')
    expect(b.map((e) => e.type)).toContain('queue.system_ended')
    expect(b.find((e) => e.type === 'queue.system_ended')!.data).toMatchObject({reason: 'test-stop'})
    expect(b.find((e) => e.type === 'queue.system_ended')!.data.waitMs).toBeGreaterThanOrEqual(1000)
    expect(b.at(-1)).toMatchObject({type: 'call.ended', data: {cause: 'system-ended'}})
    const c = ofCall('3')
    expect(c.find((e) => e.type === 'call.completed')!.data).toMatchObject({by: 'system'})
    expect(c.at(-1)).toMatchObject({type: 'call.ended', data: {cause: 'system-ended'}})
  })

  it('hangs up every leg it ended: nothing is left in Asterisk (the only calls on the sandbox are this scenario’s)', async () => {
    await h.waitFor('the sandbox clear of channels', async () => (await leftovers(h.rest)).channels.length === 0, 10_000)
  })

  it('the queues report: 0 abandoned, 1 system-ended, and the rates over the 2 finished visits', () => {
    const period = {from: new Date(from).toISOString(), to: new Date(to).toISOString()}
    const [q, ...rest] = rowsOf(queuesReport(contextFor(h.store, period)))
    expect(rest).toEqual([])
    expect(q).toMatchObject({queue: 'q', offered: 3, answered: 2, abandoned: 0, short_abandoned: 0, exited: 0, system_ended: 1, waiting: 0, answer_rate: 1, abandon_rate: 0})
  })

  it('the calls report: outcome system-ended, disconnected by the system, for B and C', () => {
    const period = {from: new Date(from).toISOString(), to: new Date(to).toISOString()}
    const rows = rowsOf(callsReport(contextFor(h.store, period)))
    const row = (n: string) => rows.find((r) => r.caller_number === number(n) || r.caller_number === `'${number(n)}`)
    expect(row('1')).toMatchObject({outcome: 'completed'})
    expect(row('2')).toMatchObject({outcome: 'system-ended', disconnect: 'system', agent: ''})
    expect(row('3')).toMatchObject({outcome: 'system-ended', disconnect: 'system', agent: 'long'})
  })

  it('the next engine’s dashboard opens at 0 abandoned, answer rate 100 %', async () => {
    const stats = new LiveStats(() => DEFAULT_QUEUE_SETTINGS)
    await stats.seed(h.store, Date.now())
    const q = stats.view(Date.now()).queues.q!
    expect(q).toMatchObject({abandoned: 0, systemEnded: 1, waiting: 0})
    expect([q.answerRate, q.abandonRate]).toEqual([1, 0])
  })

  it('the queue_log writes B as EXITEMPTY (unanswered, not an abandon)', () => {
    const c = new QueueLogConverter({membership: new Map(), loggedIn: [], callbackKey: () => ''})
    const lines = events.flatMap((e) => c.lines(e))
    const b = ofCall('2')[0]!.callId!
    expect(lines.filter((l) => l.includes(`|${b}|`)).map((l) => l.split('|')[4])).toEqual(['ENTERQUEUE', 'EXITEMPTY'])
    expect(lines.some((l) => l.split('|')[4] === 'ABANDON')).toBe(false)
  })
})
