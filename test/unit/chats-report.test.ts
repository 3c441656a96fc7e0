import {describe, expect, it} from 'vitest'
import {chatsReport} from '../../src/engine/reports/chats-report.js'
import {contextFor, Log, rowsOf, storeWith} from '../support/report-log.js'

// report chats on a hand-made log: every figure worked out by hand from the events
// (metrics.ts, "Chats").

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0)

function day(): Log {
  const l = new Log(T0)
  // c1: queued at 0, offered to a1, expired at 30, offered to a2, accepted at 40 (wait 40),
  // first agent line at 50 (first response 50), closed at 340 (handle 300), rated 4 for a2.
  l.at(0, 'chat.queued', {call: 'c1', queue: 'sales'})
    .at(0, 'chat.offered', {call: 'c1', queue: 'sales', agent: 'a1'})
    .at(30, 'chat.offer_expired', {call: 'c1', queue: 'sales', agent: 'a1'})
    .at(30, 'chat.offered', {call: 'c1', queue: 'sales', agent: 'a2'})
    .at(40, 'chat.accepted', {call: 'c1', queue: 'sales', agent: 'a2'})
    .at(45, 'chat.message', {call: 'c1', queue: 'sales', data: {from: 'customer', seq: 3}})
    .at(50, 'chat.message', {call: 'c1', queue: 'sales', agent: 'a2', data: {from: 'agent', seq: 4}})
    .at(60, 'chat.message', {call: 'c1', queue: 'sales', agent: 'a2', data: {from: 'agent', seq: 5}})
    .at(340, 'chat.closed', {call: 'c1', queue: 'sales', agent: 'a2', data: {reason: 'agent'}})
    .at(350, 'chat.rated', {call: 'c1', queue: 'sales', agent: 'a2', data: {score: 4}})
  // c2: queued at 100, accepted by a2 at 110 (a2 holds 2 from 110 to 340), transferred at 200
  // (handle 90) to queue vip, accepted there by a1 at 210 (wait 10), closed at 400 (handle 190).
  l.at(100, 'chat.queued', {call: 'c2', queue: 'sales'})
    .at(100, 'chat.offered', {call: 'c2', queue: 'sales', agent: 'a2'})
    .at(110, 'chat.accepted', {call: 'c2', queue: 'sales', agent: 'a2'})
    .at(200, 'chat.transferred', {call: 'c2', queue: 'sales', agent: 'a2', data: {to: {queue: 'vip'}}})
    .at(200, 'chat.queued', {call: 'c2', queue: 'vip', data: {reason: 'transfer'}})
    .at(200, 'chat.offered', {call: 'c2', queue: 'vip', agent: 'a1'})
    .at(210, 'chat.accepted', {call: 'c2', queue: 'vip', agent: 'a1'})
    .at(400, 'chat.closed', {call: 'c2', queue: 'vip', agent: 'a1', data: {reason: 'silence'}})
  // c3: queued at 500, the customer leaves at 520: abandoned.
  l.at(500, 'chat.queued', {call: 'c3', queue: 'sales'}).at(520, 'chat.closed', {call: 'c3', queue: 'sales', data: {reason: 'customer'}})
  return l
}

describe('report chats', () => {
  it('counts per queue, per queue and agent, and per agent with concurrency', async () => {
    const store = await storeWith({sales: {}, vip: {}}, day())
    const rows = rowsOf(chatsReport(contextFor(store, {from: '2026-11-23', to: '2026-11-24'})))
    const row = (queue: string, agent: string) => rows.find((r) => r.queue === queue && r.agent === agent)
    expect(row('sales', '')).toMatchObject({offered: 3, answered: 2, abandoned: 1, avg_wait_s: 25, avg_first_response_s: 50, handled: 2, avg_handle_s: 195, ratings: 1, avg_rating: 4})
    expect(row('sales', 'a2')).toMatchObject({offered: 2, answered: 2, handled: 2, avg_handle_s: 195})
    expect(row('sales', 'a1')).toMatchObject({offered: 1, answered: 0, handled: 0})
    expect(row('vip', '')).toMatchObject({offered: 1, answered: 1, abandoned: 0, avg_wait_s: 10, handled: 1, avg_handle_s: 190, avg_first_response_s: null})
    // a2: one chat 40-110, two 110-200, one 200-340: busy 300 s, chat-time 70 + 180 + 140 = 390 s.
    expect(row('', 'a2')).toMatchObject({offered: 2, answered: 2, missed: 0, max_concurrent: 2, avg_concurrent: 1.3, handled: 2, ratings: 1})
    expect(row('', 'a1')).toMatchObject({offered: 2, answered: 1, missed: 1, max_concurrent: 1, avg_concurrent: 1})
    await store.close()
  })

  it('filters by queue and agent, and leaves a chat still waiting at the end neither answered nor abandoned', async () => {
    const log = day().at(3600, 'chat.queued', {call: 'c4', queue: 'sales'})
    const store = await storeWith({sales: {}, vip: {}}, log)
    const onlyVip = rowsOf(chatsReport(contextFor(store, {from: '2026-11-23', to: '2026-11-24', queue: 'vip'})))
    expect(onlyVip.map((r) => `${r.queue}/${r.agent}`)).toEqual(['vip/', 'vip/a1'])
    const a1 = rowsOf(chatsReport(contextFor(store, {from: '2026-11-23', to: '2026-11-24', agent: 'a1'})))
    expect(a1.map((r) => `${r.queue}/${r.agent}`)).toEqual(['sales/a1', 'vip/a1', '/a1'])
    const all = rowsOf(chatsReport(contextFor(store, {from: '2026-11-23', to: '2026-11-24'})))
    expect(all.find((r) => r.queue === 'sales' && r.agent === '')).toMatchObject({offered: 4, answered: 2, abandoned: 1})
    await store.close()
  })
})

describe('report agents: chats next to calls', () => {
  it('gives each agent its chats answered, handled, handle time, concurrency and ratings', async () => {
    const {agentsReport} = await import('../../src/engine/reports/agents-report.js')
    const store = await storeWith({sales: {}, vip: {}}, day())
    const rows = rowsOf(agentsReport(contextFor(store, {from: '2026-11-23', to: '2026-11-24'})))
    expect(rows.find((r) => r.agent === 'a2')).toMatchObject({chats_answered: 2, chats_handled: 2, chat_handle_s: 390, chats_max_concurrent: 2, chat_ratings: 1, avg_chat_rating: 4, answered: 0})
    expect(rows.find((r) => r.agent === 'a1')).toMatchObject({chats_answered: 1, chats_handled: 1, chat_handle_s: 190, chats_max_concurrent: 1, chat_ratings: 0, avg_chat_rating: null})
    await store.close()
  })
})
