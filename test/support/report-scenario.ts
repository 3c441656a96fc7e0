import {Log, storeWith} from './report-log.js'

/** 2026-11-23 09:00:00 UTC: the scenario's time 0. */
export const T0 = Date.UTC(2026, 10, 23, 9, 0, 0)
export const HOSTILE_NAME = '=HYPERLINK("http://evil")'

/**
 * One day on two queues, by hand:
 *   sales (T 20 s, default formula, short abandon < 5 s); support (T 30 s, "answered", short < 10 s); night (defaults)
 *   a1, a2 log in at 0 s and out at 3600 s; a2 pauses for lunch 600-1200 s.
 *   c1 sales: IVR key 1; a2 rings 15 s without answer; a1 answers after 20 s in line; 120 s
 *      connected of which 10 s on hold; caller hangs up; survey 4; a1 wraps up 10 s.
 *   c2 sales: hangs up after 3 s in line (short abandon).
 *   c3 sales: hangs up after 40 s in line.
 *   c4 support: a2 answers after 25 s; 60 s talk; agent hangs up; wrap-up 5 s.
 *   c5 support: leaves on the queue's 60 s timeout.
 *   c6 night: starts 23:59:30, a3 answers at 23:59:40, ends 00:01:00 the next day, wrap-up to 00:01:20.
 *   c0 sales: started the day before, ended at 00:00:30 (not a call of this day).
 */
export function dayScenario(): Log {
  const L = new Log(T0)
  L.at(0, 'agent.login', {agent: 'a1'}).at(0, 'agent.login', {agent: 'a2'})
  // c0: before the period
  L.at(-9 * 3600 - 60, 'call.started', {call: 'c0', data: {direction: 'inbound', number: '100', name: 'Early', did: '400'}})
  L.at(-9 * 3600 - 59, 'queue.entered', {call: 'c0', queue: 'sales', data: {position: 1, priority: 0}})
  L.at(-9 * 3600 + 30, 'queue.abandoned', {call: 'c0', queue: 'sales', data: {waitMs: 89_000, position: 1}})
  L.at(-9 * 3600 + 30, 'call.ended', {call: 'c0', queue: 'sales', data: {cause: 'abandoned'}})
  // c1
  L.at(100, 'call.started', {call: 'c1', data: {direction: 'inbound', number: '+8613800000001', name: HOSTILE_NAME, did: '4008001000', priority: 0}})
  L.at(102, 'ivr.keys', {call: 'c1', data: {flow: 'main', node: 'menu', keys: '1', result: 'choice'}})
  L.at(105, 'queue.entered', {call: 'c1', queue: 'sales', data: {position: 1, priority: 0}})
  L.at(105, 'agent.ringing', {call: 'c1', queue: 'sales', agent: 'a2'})
  L.at(120, 'agent.ring_noanswer', {call: 'c1', queue: 'sales', agent: 'a2', data: {reason: 'timeout', ringMs: 15_000}})
  L.at(120, 'agent.ringing', {call: 'c1', queue: 'sales', agent: 'a1'})
  L.at(125, 'call.connected', {call: 'c1', queue: 'sales', agent: 'a1', data: {waitMs: 20_000, ringMs: 5000, channel: 'c1.r2'}})
  L.at(245, 'call.completed', {call: 'c1', queue: 'sales', agent: 'a1', data: {by: 'caller', talkMs: 110_000, holdMs: 10_000}}) // 120 s connected, 10 s of it on hold
  L.at(245, 'agent.wrapup_started', {call: 'c1', queue: 'sales', agent: 'a1', data: {seconds: 10}})
  L.at(250, 'survey.answered', {call: 'c1', queue: 'sales', agent: 'a1', data: {score: 4}})
  L.at(252, 'call.ended', {call: 'c1', queue: 'sales', agent: 'a1', data: {cause: 'completed'}})
  L.at(255, 'agent.wrapup_ended', {agent: 'a1', data: {how: 'timer'}})
  // c2, c3
  L.at(200, 'call.started', {call: 'c2', data: {direction: 'inbound', number: '+8613800000002', name: 'Two', did: '4008001000'}})
  L.at(201, 'queue.entered', {call: 'c2', queue: 'sales', data: {position: 1, priority: 0}})
  L.at(204, 'queue.abandoned', {call: 'c2', queue: 'sales', data: {waitMs: 3000, position: 1, number: '+8613800000002'}})
  L.at(204, 'call.ended', {call: 'c2', queue: 'sales', data: {cause: 'abandoned'}})
  L.at(300, 'call.started', {call: 'c3', data: {direction: 'inbound', number: '+8613800000003', name: 'Three', did: '4008001000'}})
  L.at(300, 'queue.entered', {call: 'c3', queue: 'sales', data: {position: 2, priority: 5}})
  L.at(340, 'queue.abandoned', {call: 'c3', queue: 'sales', data: {waitMs: 40_000, position: 1, number: '+8613800000003', priority: 5}})
  L.at(340, 'call.ended', {call: 'c3', queue: 'sales', data: {cause: 'abandoned'}})
  // c4, c5
  L.at(400, 'call.started', {call: 'c4', data: {direction: 'inbound', number: '+8613800000004', name: 'Four', did: '4008002000'}})
  L.at(400, 'queue.entered', {call: 'c4', queue: 'support', data: {position: 2, priority: 0}})
  L.at(425, 'call.connected', {call: 'c4', queue: 'support', agent: 'a2', data: {waitMs: 25_000, ringMs: 2000, channel: 'c4.r1'}})
  L.at(485, 'call.completed', {call: 'c4', queue: 'support', agent: 'a2', data: {by: 'agent', talkMs: 60_000, holdMs: 0}})
  L.at(485, 'agent.wrapup_started', {call: 'c4', queue: 'support', agent: 'a2', data: {seconds: 5}})
  L.at(485, 'call.ended', {call: 'c4', queue: 'support', agent: 'a2', data: {cause: 'completed'}})
  L.at(490, 'agent.wrapup_ended', {agent: 'a2', data: {how: 'timer'}})
  L.at(500, 'call.started', {call: 'c5', data: {direction: 'inbound', number: '+8613800000005', name: 'Five', did: '4008002000'}})
  L.at(500, 'queue.entered', {call: 'c5', queue: 'support', data: {position: 1, priority: 0}})
  L.at(560, 'queue.exited', {call: 'c5', queue: 'support', data: {reason: 'timeout', position: 1, waitMs: 60_000, action: 'hangup'}})
  L.at(561, 'call.ended', {call: 'c5', queue: 'support', data: {cause: 'exit-timeout'}})
  // presence
  L.at(600, 'agent.paused', {agent: 'a2', data: {reason: 'lunch'}})
  L.at(1200, 'agent.unpaused', {agent: 'a2'})
  L.at(3600, 'agent.logout', {agent: 'a1'}).at(3600, 'agent.logout', {agent: 'a2'})
  // c6: 23:59:30 → next day
  const night = 15 * 3600 - 30
  L.at(night, 'call.started', {call: 'c6', data: {direction: 'inbound', number: '+8613800000006', name: 'Six', did: '4008003000'}})
  L.at(night, 'queue.entered', {call: 'c6', queue: 'night', data: {position: 1, priority: 0}})
  L.at(night + 10, 'call.connected', {call: 'c6', queue: 'night', agent: 'a3', data: {waitMs: 10_000, ringMs: 1000, channel: 'c6.r1'}})
  L.at(night + 90, 'call.completed', {call: 'c6', queue: 'night', agent: 'a3', data: {by: 'agent', talkMs: 80_000, holdMs: 0}})
  L.at(night + 90, 'agent.wrapup_started', {call: 'c6', queue: 'night', agent: 'a3', data: {seconds: 20}})
  L.at(night + 90, 'call.ended', {call: 'c6', queue: 'night', agent: 'a3', data: {cause: 'completed'}})
  L.at(night + 110, 'agent.wrapup_ended', {agent: 'a3', data: {how: 'timer'}})
  return L
}

export async function dayStore() {
  const store = await storeWith(
    {sales: {slSeconds: 20, slFormula: 'default', shortAbandon: 5}, support: {slSeconds: 30, slFormula: 'answered', shortAbandon: 10}, night: {}},
    dayScenario(),
    {a1: 'Alice', a2: '=2+3'},
  )
  store.db
    .prepare("INSERT INTO recordings (name, call_id, queue, agent, number, started_at, ended_at, duration_ms, format, state, host_path) VALUES ('c1', 'c1', 'sales', 'a1', '+8613800000001', ?, ?, 120000, 'wav', 'done', '/rec/c1.wav')")
    .run(T0 + 125_000, T0 + 245_000)
  store.db
    .prepare("INSERT INTO recordings (name, call_id, queue, agent, number, started_at, format, state, error) VALUES ('c4', 'c4', 'support', 'a2', '+8613800000004', ?, 'wav', 'failed', 'no disk')")
    .run(T0 + 425_000)
  return store
}
