import {describe, expect, it} from 'vitest'
import {chatsReport} from '../../src/engine/reports/chats-report.js'
import {contextFor, Log, rowsOf, storeWith} from '../support/report-log.js'

// report chats with the wait limits (chat/wait-limits.ts) on a hand-made log, every figure
// worked out by hand (metrics.ts, "Chats"): a visit that ends without an agent and without
// the customer leaving is exited, not abandoned; an overflowed conversation is offered in each
// queue it reached and answered in the last; messages left count for the ticket's queue.

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0)

function day(): Log {
  const l = new Log(T0)
  // c1: sales at 0, overflows at 60 (maxWait) to support keeping joinedAt 0; a2 accepts at 70
  // (support's wait: 70 - 60 = 10 s), first line at 80 (20 s), closes at 370 (handle 300 s).
  l.at(0, 'chat.queued', {call: 'c1', queue: 'sales', data: {reason: 'flow'}})
    .at(60, 'chat.overflowed', {call: 'c1', queue: 'sales', data: {from: 'sales', to: 'support', reason: 'max-wait', waitedMs: 60_000}})
    .at(60, 'chat.queued', {call: 'c1', queue: 'support', data: {reason: 'overflow', joinedAt: T0}})
    .at(60, 'chat.offered', {call: 'c1', queue: 'support', agent: 'a2'})
    .at(70, 'chat.accepted', {call: 'c1', queue: 'support', agent: 'a2'})
    .at(80, 'chat.message', {call: 'c1', queue: 'support', agent: 'a2', data: {from: 'agent', seq: 5}})
    .at(370, 'chat.closed', {call: 'c1', queue: 'support', agent: 'a2', data: {reason: 'agent'}})
  // c2: sales at 100, asked for a message at 220 (maxWait), leaves one at 250 (a ticket): exited, a message left.
  l.at(100, 'chat.queued', {call: 'c2', queue: 'sales', data: {reason: 'flow'}})
    .at(220, 'chat.message_asked', {call: 'c2', queue: 'sales', data: {reason: 'max-wait', waitedMs: 120_000}})
    .at(250, 'chat.message', {call: 'c2', queue: 'sales', data: {from: 'customer', seq: 4}})
    .at(250, 'chat.message_left', {call: 'c2', queue: 'sales', data: {ticket: 'T-000001', reason: 'max-wait'}})
    .at(250, 'chat.closed', {call: 'c2', queue: 'sales', data: {reason: 'message-left'}})
  // c3: sales at 300, closed by the system at maxWait (330): exited.
  l.at(300, 'chat.queued', {call: 'c3', queue: 'sales'}).at(330, 'chat.closed', {call: 'c3', queue: 'sales', data: {reason: 'max-wait'}})
  // c4: sales at 400, the customer leaves at 410: abandoned.
  l.at(400, 'chat.queued', {call: 'c4', queue: 'sales'}).at(410, 'chat.closed', {call: 'c4', queue: 'sales', data: {reason: 'customer'}})
  // c5: off-hours, never in a line: a message left for sales (no offered, no exited).
  l.at(500, 'chat.message_asked', {call: 'c5', queue: 'sales', data: {reason: 'off-hours'}})
    .at(520, 'chat.message_left', {call: 'c5', queue: 'sales', data: {ticket: 'T-000002', reason: 'off-hours'}})
    .at(520, 'chat.closed', {call: 'c5', queue: 'sales', data: {reason: 'message-left'}})
  // c6: support at 600 with nobody logged in: asked for a message at once, says nothing, closed for silence: exited, no message.
  l.at(600, 'chat.queued', {call: 'c6', queue: 'support'})
    .at(600, 'chat.message_asked', {call: 'c6', queue: 'support', data: {reason: 'no-agents'}})
    .at(1200, 'chat.closed', {call: 'c6', queue: 'support', data: {reason: 'silence'}})
  // c7: support at 1300, still waiting when the demo (or the engine's owner) ends it at 1310: system-ended, not abandoned.
  l.at(1300, 'chat.queued', {call: 'c7', queue: 'support'}).at(1310, 'chat.closed', {call: 'c7', queue: 'support', data: {reason: 'system', by: 'demo-stopped'}})
  return l
}

describe('report chats: overflow, messages left, closed at maxWait', () => {
  it('counts exited apart from abandoned, and the overflowed conversation offered in both queues, answered in the second', async () => {
    const store = await storeWith({sales: {}, support: {}}, day())
    const rows = rowsOf(chatsReport(contextFor(store, {from: '2026-11-23', to: '2026-11-24'})))
    const row = (queue: string, agent: string) => rows.find((r) => r.queue === queue && r.agent === agent)
    // sales: offered c1 c2 c3 c4 = 4 = answered 0 + abandoned 1 (c4) + exited 3 (c1 overflowed, c2 asked, c3 closed at maxWait);
    // messages left: c2 and c5 (off-hours) = 2.
    expect(row('sales', '')).toMatchObject({offered: 4, answered: 0, abandoned: 1, exited: 3, system_ended: 0, overflowed: 1, messages_left: 2, avg_wait_s: null})
    // support: offered c1 c6 c7 = 3 = answered 1 (c1: wait 10 s, first response 20 s, handle 300 s) + exited 1 (c6) + system-ended 1 (c7).
    expect(row('support', '')).toMatchObject({offered: 3, answered: 1, abandoned: 0, exited: 1, system_ended: 1, overflowed: 0, messages_left: 0, avg_wait_s: 10, avg_first_response_s: 20, handled: 1, avg_handle_s: 300})
    expect(row('support', 'a2')).toMatchObject({offered: 1, answered: 1, exited: null, overflowed: null, messages_left: null})
    expect(row('', 'a2')).toMatchObject({offered: 1, answered: 1, missed: 0, handled: 1})
    await store.close()
  })
})
