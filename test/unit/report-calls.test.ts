import {describe, expect, it} from 'vitest'
import {scanCalls} from '../../src/engine/reports/call-scan.js'
import {callsReport} from '../../src/engine/reports/calls-report.js'
import {contextFor, Log, rowsOf, storeWith} from '../support/report-log.js'
import {dayStore, HOSTILE_NAME, T0} from '../support/report-scenario.js'

describe('report calls', () => {
  it('has one row per call that started in the period, in start order, with every column from its events', async () => {
    const store = await dayStore()
    const rows = rowsOf(callsReport(contextFor(store, {from: '2026-11-23', to: '2026-11-24'})))
    expect(rows.map((r) => r.call_id)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6'])
    // c1: 20 s in line; a2 did not answer; 120 s connected with 10 s hold → talk 110 s; wrap-up 245→255 s.
    expect(rows[0]).toEqual({
      call_id: 'c1',
      started_at: '2026-11-23T09:01:40Z',
      answered_at: '2026-11-23T09:02:05Z',
      ended_at: '2026-11-23T09:04:12Z',
      direction: 'inbound',
      caller_number: '+8613800000001',
      caller_name: HOSTILE_NAME,
      did: '4008001000',
      ivr_keys: 'menu:1',
      queue: 'sales',
      queues: 'sales',
      priority: 0,
      entry_position: 1,
      wait_s: 20,
      agents_tried: 'a2',
      agent: 'a1',
      talk_s: 110,
      hold_s: 10,
      wrap_up_s: 10,
      transfers: '',
      outcome: 'completed',
      disconnect: 'caller',
      recording: '/rec/c1.wav',
      survey_score: 4,
    })
    expect(rows[1]).toMatchObject({call_id: 'c2', wait_s: 3, answered_at: null, talk_s: null, hold_s: null, agent: '', outcome: 'abandoned', disconnect: 'caller'})
    expect(rows[2]).toMatchObject({call_id: 'c3', wait_s: 40, priority: 5, entry_position: 2, outcome: 'abandoned'})
    // c4's recording failed: no file to point to.
    expect(rows[3]).toMatchObject({call_id: 'c4', agent: 'a2', talk_s: 60, wrap_up_s: 5, disconnect: 'agent', recording: ''})
    expect(rows[4]).toMatchObject({call_id: 'c5', wait_s: 60, outcome: 'exit-timeout', disconnect: 'system', agent: ''})
    // c6 started before midnight and is followed into the next day, wrap-up included.
    expect(rows[5]).toMatchObject({call_id: 'c6', ended_at: '2026-11-24T00:01:00Z', talk_s: 80, wrap_up_s: 20})
  })

  it('shows times in the report zone, and "today" is midnight there', async () => {
    const store = await dayStore()
    const rows = rowsOf(callsReport(contextFor(store, {from: '2026-11-23T17:00', to: '2026-11-23T18:00', tz: 'Asia/Shanghai'})))
    expect(rows.map((r) => r.call_id)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5'])
    expect(rows[0]!.started_at).toBe('2026-11-23T17:01:40+08:00')
  })

  it('filters by queue and by an agent who answered or was rung', async () => {
    const store = await dayStore()
    const ids = (o: {queue?: string; agent?: string}) => rowsOf(callsReport(contextFor(store, {from: '2026-11-23', to: '2026-11-24', ...o}))).map((r) => r.call_id)
    expect(ids({queue: 'support'})).toEqual(['c4', 'c5'])
    expect(ids({agent: 'a2'})).toEqual(['c1', 'c4'])
    expect(ids({agent: 'a1'})).toEqual(['c1'])
  })

  it('lists transfers and sums talk over the agents who had the call', async () => {
    const L = new Log(T0)
    L.at(0, 'call.started', {call: 'x', data: {number: '1', name: 'X', did: 'd'}})
    L.at(0, 'queue.entered', {call: 'x', queue: 'q', data: {position: 1}})
    L.at(5, 'call.connected', {call: 'x', queue: 'q', agent: 'a1', data: {waitMs: 5000}})
    L.at(35, 'call.transferred', {call: 'x', queue: 'q', agent: 'a1', data: {kind: 'blind', to: {queue: 'q2'}, by: 'a1'}})
    L.at(35, 'call.completed', {call: 'x', queue: 'q', agent: 'a1', data: {by: 'transfer', talkMs: 30_000, holdMs: 0}})
    L.at(35, 'queue.entered', {call: 'x', queue: 'q2', data: {position: 1}})
    L.at(40, 'call.connected', {call: 'x', queue: 'q2', agent: 'a2', data: {waitMs: 5000}})
    L.at(100, 'call.completed', {call: 'x', queue: 'q2', agent: 'a2', data: {by: 'agent', talkMs: 60_000, holdMs: 0}})
    L.at(100, 'call.ended', {call: 'x', queue: 'q2', agent: 'a2', data: {cause: 'completed'}})
    const store = await storeWith({q: {}, q2: {}}, L)
    const [row] = rowsOf(callsReport(contextFor(store, {from: '2026-11-23', to: '2026-11-24'})))
    expect(row).toMatchObject({queue: 'q2', queues: 'q q2', agent: 'a2', transfers: 'blind:queue:q2', talk_s: 90, answered_at: '2026-11-23T09:00:05Z', disconnect: 'agent'})
  })

  it('disconnect: a hang-up asked of the engine is its agent when the agent asked, the system when a supervisor did (call.hangup)', async () => {
    const L = new Log(T0)
    for (const [i, [call, by]] of [['byAgent', 'agent'], ['bySupervisor', 'supervisor'], ['byCaller', 'caller']].entries()) {
      L.at(i * 100, 'call.started', {call, data: {number: `${i}`, name: 'X', did: 'd'}})
      L.at(i * 100, 'queue.entered', {call, queue: 'q', data: {position: 1}})
      L.at(i * 100 + 5, 'call.connected', {call, queue: 'q', agent: 'a1', data: {waitMs: 5000}})
      if (by !== 'caller') L.at(i * 100 + 30, 'call.hangup_requested', {call, queue: 'q', agent: 'a1', data: {by: 'li-na', side: by}})
      L.at(i * 100 + 30, 'call.completed', {call, queue: 'q', agent: 'a1', data: {by, talkMs: 25_000, holdMs: 0}})
      L.at(i * 100 + 30, 'call.ended', {call, queue: 'q', agent: 'a1', data: {cause: 'completed'}})
    }
    const store = await storeWith({q: {}}, L)
    const rows = rowsOf(callsReport(contextFor(store, {from: '2026-11-23', to: '2026-11-24'})))
    expect(rows.map((r) => [r.call_id, r.outcome, r.disconnect])).toEqual([
      ['byAgent', 'completed', 'agent'],
      ['bySupervisor', 'completed', 'system'],
      ['byCaller', 'completed', 'caller'],
    ])
  })

  it('holds a finished call back until its agent’s wrap-up ends, but not past the settle time', async () => {
    const L = new Log(T0)
    const call = (id: string, at: number) => {
      L.at(at, 'call.started', {call: id, data: {number: id}})
      L.at(at, 'queue.entered', {call: id, queue: 'q', data: {position: 1}})
      L.at(at + 1, 'call.connected', {call: id, queue: 'q', agent: `ag-${id}`, data: {waitMs: 1000}})
      L.at(at + 10, 'call.completed', {call: id, queue: 'q', agent: `ag-${id}`, data: {by: 'caller', talkMs: 9000}})
      L.at(at + 10, 'agent.wrapup_started', {call: id, queue: 'q', agent: `ag-${id}`, data: {seconds: 30}})
      L.at(at + 10, 'call.ended', {call: id, queue: 'q', agent: `ag-${id}`, data: {cause: 'completed'}})
    }
    call('early', 0)
    call('later', 20)
    L.at(60, 'agent.wrapup_ended', {agent: 'ag-later'})
    L.at(100, 'agent.wrapup_ended', {agent: 'ag-early'})
    // ag-never's wrap-up end is never logged: the call still comes out, without a wrap-up figure.
    call('never', 200)
    L.at(200 + 3600, 'call.started', {call: 'tick', data: {number: 'tick'}})
    const store = await storeWith({q: {}}, L)
    const out = [...scanCalls(store.db, {from: T0, to: T0 + 600_000})]
    expect(out.map((events) => events[0]!.callId)).toEqual(['early', 'later', 'never'])
    const rows = rowsOf(callsReport(contextFor(store, {from: '2026-11-23T09:00Z', to: '2026-11-23T09:10Z'})))
    expect(rows.map((r) => [r.call_id, r.wrap_up_s])).toEqual([['early', 90], ['later', 30], ['never', null]])
  })

  it('streams: calls come out while the log is still being read, one call’s events at a time', async () => {
    const L = new Log(T0)
    for (let i = 0; i < 3000; i++) {
      const id = `k${i}`
      L.at(i * 10, 'call.started', {call: id, data: {number: String(i)}})
      L.at(i * 10 + 1, 'queue.entered', {call: id, queue: 'q', data: {position: 1}})
      L.at(i * 10 + 4, 'queue.abandoned', {call: id, queue: 'q', data: {waitMs: 3000, position: 1}})
      L.at(i * 10 + 4, 'call.ended', {call: id, queue: 'q', data: {cause: 'abandoned'}})
    }
    const store = await storeWith({q: {}}, L)
    const gen = scanCalls(store.db, {from: T0, to: T0 + 40_000_000})
    expect(gen.next().value).toHaveLength(4)
    // Written after the first call came out, and still found: the scan had not read that far.
    await store.appendEvents([
      {type: 'call.started', ts: T0 + 35_000_000, callId: 'late', data: {number: 'late'}},
      {type: 'call.ended', ts: T0 + 35_000_001, callId: 'late', data: {cause: 'hangup-before-queue'}},
    ])
    const rest = [...gen]
    expect(rest).toHaveLength(3000)
    expect(rest.at(-1)!.map((e) => e.type)).toEqual(['call.started', 'call.ended'])
    expect(Math.max(...rest.map((events) => events.length))).toBe(4)
  })
})
