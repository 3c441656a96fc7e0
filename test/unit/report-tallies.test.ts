import {describe, expect, it} from 'vitest'
import {agentsReport} from '../../src/engine/reports/agents-report.js'
import {hourlyReport} from '../../src/engine/reports/hourly-report.js'
import {agentsNeeded} from '../../src/engine/reports/metrics.js'
import {queuesReport} from '../../src/engine/reports/queues-report.js'
import {staffingReport} from '../../src/engine/reports/staffing-report.js'
import {contextFor, Log, rowsOf, storeWith} from '../support/report-log.js'
import {dayStore, T0} from '../support/report-scenario.js'

const DAY = {from: '2026-11-23', to: '2026-11-24'}

describe('report queues', () => {
  it('computes every figure of the day scenario as by hand, SL in the column of each queue’s T and formula', async () => {
    const report = queuesReport(contextFor(await dayStore(), DAY))
    expect(report.columns).toContain('sl_20s_default')
    expect(report.columns).toContain('sl_30s_answered')
    expect(report.meta.service_level).toMatchObject({
      sales: {column: 'sl_20s_default', threshold_s: 20, short_abandon_s: 5},
      support: {column: 'sl_30s_answered', threshold_s: 30, formula: 'answered: answered within T / answered (Asterisk servicelevel)'},
    })
    const rows = rowsOf(report)
    expect(rows.map((r) => r.queue)).toEqual(['night', 'sales', 'support'])
    const sales = rows.find((r) => r.queue === 'sales')!
    // Each thing counts when it happened. sales: offered c1, c2, c3 (c0 entered the day before);
    //   c1 answered after 20 s (within T); abandoned: c0 at 00:00:30 after 89 s, c2 after 3 s
    //   (short), c3 after 40 s. Rates count the visits that finished today, c0 included:
    //   answered + abandoned + exited = 1 + 3 + 0 = 4; answer rate 1/4; abandon rate
    //   (3 - 1)/(4 - 1) (counting c0's abandon over today's offers only gave 100 %);
    //   SL default = 1 / (1 answered + 2 abandoned after T); ASA 20 s; longest wait 89 s (c0);
    //   AHT = (110 talk + 10 hold + 10 wrap-up) / 1.
    expect(sales).toEqual({
      interval_start: '2026-11-23T00:00:00Z',
      interval_end: '2026-11-24T00:00:00Z',
      queue: 'sales',
      offered: 3,
      answered: 1,
      abandoned: 3,
      short_abandoned: 1,
      exited: 0,
      system_ended: 0,
      waiting: 0,
      answer_rate: 0.25,
      abandon_rate: 0.6667,
      sl_20s_default: 0.3333,
      sl_30s_answered: null,
      asa_s: 20,
      longest_wait_s: 89,
      aht_s: 130,
      handled: 1,
      talk_s: 110,
      hold_s: 10,
      wrap_up_s: 10,
      callbacks_requested: 0,
      callbacks_completed: 0,
      overflowed_out: 0,
      overflowed_in: 0,
      // FCR: c1 is sales' only contact (answered, inbound); made on 11-25, its 7-day window is still open.
      fcr_contacts: 0,
      fcr_resolved: 0,
      fcr_rate: null,
      fcr_pending: 1,
      fcr_anonymous: 0,
    })
    // support: c4 answered after 25 s (≤ 30), c5 left on timeout (not an abandon, an exit). SL answered = 1/1.
    expect(rows.find((r) => r.queue === 'support')).toMatchObject({offered: 2, answered: 1, abandoned: 0, exited: 1, answer_rate: 0.5, abandon_rate: 0, sl_30s_answered: 1, sl_20s_default: null, asa_s: 25, longest_wait_s: 25, aht_s: 65, talk_s: 60, wrap_up_s: 5})
    // night: c6 answered before midnight, finished after: no handled call in this day.
    expect(rows.find((r) => r.queue === 'night')).toMatchObject({offered: 1, answered: 1, handled: 0, aht_s: null, sl_20s_default: 1})
  })

  it('cuts the period into intervals on the wall clock of --tz, and lists every queue in every interval', async () => {
    const rows = rowsOf(queuesReport(contextFor(await dayStore(), {from: '2026-11-23T16:00', to: '2026-11-23T19:00', tz: 'Asia/Shanghai', interval: '1h'})))
    expect(rows.map((r) => `${r.interval_start} ${r.queue} ${r.offered}`)).toEqual([
      '2026-11-23T16:00:00+08:00 night 0',
      '2026-11-23T16:00:00+08:00 sales 0',
      '2026-11-23T16:00:00+08:00 support 0',
      '2026-11-23T17:00:00+08:00 night 0',
      '2026-11-23T17:00:00+08:00 sales 3',
      '2026-11-23T17:00:00+08:00 support 2',
      '2026-11-23T18:00:00+08:00 night 0',
      '2026-11-23T18:00:00+08:00 sales 0',
      '2026-11-23T18:00:00+08:00 support 0',
    ])
  })

  it('counts callbacks and overflow', async () => {
    const L = new Log(T0)
    L.at(0, 'queue.entered', {call: 'x', queue: 'a', data: {position: 1}})
    L.at(30, 'queue.exited', {call: 'x', queue: 'a', data: {reason: 'timeout', action: 'queue', to: 'b', position: 1, waitMs: 30_000}})
    L.at(30, 'queue.entered', {call: 'x', queue: 'b', data: {position: 1, overflowFrom: 'a'}})
    L.at(40, 'queue.entered', {call: 'y', queue: 'b', data: {position: 2}})
    L.at(45, 'callback.requested', {call: 'y', queue: 'b', data: {number: '1'}})
    L.at(90, 'call.connected', {call: 'y', queue: 'b', agent: 'a1', data: {waitMs: 50_000, callback: true}})
    const rows = rowsOf(queuesReport(contextFor(await storeWith({a: {}, b: {}}, L), DAY)))
    expect(rows.find((r) => r.queue === 'a')).toMatchObject({offered: 1, overflowed_out: 1, overflowed_in: 0})
    expect(rows.find((r) => r.queue === 'b')).toMatchObject({offered: 2, overflowed_in: 1, callbacks_requested: 1, callbacks_completed: 1})
  })
})

describe('report agents', () => {
  it('computes every figure of the day scenario as by hand', async () => {
    const report = agentsReport(contextFor(await dayStore(), DAY))
    expect(report.columns).toContain('paused_lunch_s')
    const rows = rowsOf(report)
    expect(rows.map((r) => r.agent)).toEqual(['a1', 'a2', 'a3'])
    // a1: in 0-3600 s; busy = 110 talk + 10 hold + 10 wrap-up = 130 s; idle 3470 s; occupancy 130/3600.
    expect(rows[0]).toEqual({
      interval_start: '2026-11-23T00:00:00Z',
      interval_end: '2026-11-24T00:00:00Z',
      agent: 'a1',
      agent_name: 'Alice',
      logged_in_s: 3600,
      paused_s: 0,
      paused_lunch_s: 0,
      unreachable_s: 0,
      idle_s: 3470,
      talk_s: 110,
      hold_s: 10,
      wrap_up_s: 10,
      answered: 1,
      handled: 1,
      outbound: 0,
      missed_rings: 0,
      occupancy: 0.0361,
      surveys: 1,
      avg_survey_score: 4,
      // FCR: a1's contact c1, its window still open when the report is made.
      fcr_contacts: 0,
      fcr_resolved: 0,
      fcr_rate: null,
      fcr_pending: 1,
      fcr_anonymous: 0,
      // No chats in this scenario (report agents' chat columns, issue 18).
      chats_answered: 0,
      chats_handled: 0,
      chat_handle_s: 0,
      chats_max_concurrent: 0,
      chat_ratings: 0,
      avg_chat_rating: null,
    })
    // a2: lunch 600 s; busy = 60 talk + 5 wrap-up; idle 3600 - 600 - 65; occupancy 65 / 3000; missed c1's ring.
    expect(rows[1]).toMatchObject({agent_name: '=2+3', logged_in_s: 3600, paused_s: 600, paused_lunch_s: 600, idle_s: 2935, talk_s: 60, wrap_up_s: 5, handled: 1, missed_rings: 1, occupancy: 0.0217, surveys: 0, avg_survey_score: null})
    // a3 never logged in (in this log) but answered c6 before midnight; its wrap-up falls in the next day.
    expect(rows[2]).toMatchObject({logged_in_s: 0, answered: 1, handled: 0, wrap_up_s: 0})
  })

  it('splits time in a state where intervals meet, and counts a login that began before the period', async () => {
    const L = new Log(T0)
    L.at(-7200, 'agent.login', {agent: 'b1'})
    L.at(1800, 'agent.paused', {agent: 'b1', data: {reason: 'break'}})
    L.at(4500, 'agent.unpaused', {agent: 'b1'})
    L.at(5400, 'agent.logout', {agent: 'b1'})
    const rows = rowsOf(agentsReport(contextFor(await storeWith({}, L), {from: '2026-11-23T09:00Z', to: '2026-11-23T12:00Z', interval: '1h'})))
    // Logged in from before 09:00 to 10:30; paused 09:30-10:15.
    expect(rows.map((r) => [r.interval_start, r.logged_in_s, r.paused_break_s, r.idle_s])).toEqual([
      ['2026-11-23T09:00:00Z', 3600, 1800, 1800],
      ['2026-11-23T10:00:00Z', 1800, 900, 900],
    ])
  })

  it("counts time the agent's phone was unreachable apart from pauses, only while logged in and not paused, across intervals", async () => {
    const L = new Log(T0)
    // The phone was already down before the period; the agent logs in at 09:10.
    L.at(-600, 'agent.unreachable', {agent: 'u1', data: {phone: 'PJSIP/u1', reason: 'not registered'}})
    L.at(600, 'agent.login', {agent: 'u1'})
    L.at(1200, 'agent.paused', {agent: 'u1', data: {reason: 'break'}})
    L.at(1500, 'agent.unpaused', {agent: 'u1'})
    L.at(2400, 'agent.reachable', {agent: 'u1', data: {phone: 'PJSIP/u1', unreachableMs: 3_000_000}})
    L.at(3000, 'agent.unreachable', {agent: 'u1', data: {phone: 'PJSIP/u1', reason: 'no answer to qualify'}})
    L.at(4200, 'agent.logout', {agent: 'u1'})
    const rows = rowsOf(agentsReport(contextFor(await storeWith({}, L), {from: '2026-11-23T09:00Z', to: '2026-11-23T11:00Z', interval: '1h'})))
    // 09:10-09:20 and 09:25-09:40 unreachable (the pause between is a pause), 09:50-10:10 again, split at 10:00.
    expect(rows.map((r) => [r.interval_start, r.logged_in_s, r.paused_s, r.unreachable_s, r.idle_s])).toEqual([
      ['2026-11-23T09:00:00Z', 3000, 300, 600 + 900 + 600, 600],
      ['2026-11-23T10:00:00Z', 600, 0, 600, 0],
    ])
  })
})

describe('report hourly', () => {
  it('counts offered, answered and abandoned calls by hour of the day in the report zone', async () => {
    const rows = rowsOf(hourlyReport(contextFor(await dayStore(), {from: '2026-11-23', to: '2026-11-24', tz: 'Asia/Shanghai'})))
    expect(rows).toHaveLength(24)
    // The Shanghai day is 16:00-16:00 UTC: c1-c5 fall in its 17:00 hour; c0 entered at 07:59 and hung up
    // at 08:00:30 there; c6 (23:59:30 UTC) is already the next Shanghai day.
    expect(rows[17]).toMatchObject({hour: '17', offered: 5, answered: 2, abandoned: 2, short_abandoned: 1, answer_rate: 0.4, days: 1})
    expect(rows[7]).toMatchObject({hour: '07', offered: 1, answered: 0, abandoned: 0})
    expect(rows[8]).toMatchObject({hour: '08', offered: 0, abandoned: 1})
    expect(rows.reduce((n, r) => n + Number(r.offered), 0)).toBe(6)
    expect(rowsOf(hourlyReport(contextFor(await dayStore(), {...DAY, queue: 'support'})))[9]).toMatchObject({offered: 2, answered: 1})
  })
})

describe('report staffing', () => {
  it('feeds the interval’s offered load and measured AHT to Erlang C, with the queue’s own T by default', async () => {
    const store = await dayStore()
    const rows = rowsOf(staffingReport(contextFor(store, {from: '2026-11-23T09:00Z', to: '2026-11-23T10:00Z', queue: 'sales'})))
    // One 1h interval: 3 calls offered, AHT 130 s → 3 * 130 / 3600 Erlangs; target 80 % within sales' T (20 s).
    expect(rows).toEqual([
      {
        interval_start: '2026-11-23T09:00:00Z',
        interval_end: '2026-11-23T10:00:00Z',
        queue: 'sales',
        offered: 3,
        calls_per_hour: 3,
        aht_s: 130,
        aht_source: 'measured',
        traffic_erlangs: 0.108,
        target_sl: 0.8,
        target_s: 20,
        agents_needed: agentsNeeded(3, 130, 0.8, 20),
      },
    ])
    expect(rows[0]!.agents_needed).toBe(1)
    const busy = rowsOf(staffingReport(contextFor(store, {from: '2026-11-23T09:00Z', to: '2026-11-23T10:00Z', queue: 'night', targetSl: 0.95, targetSeconds: 10})))
    expect(busy[0]).toMatchObject({offered: 0, aht_source: 'configured', aht_s: 180, target_sl: 0.95, target_s: 10, agents_needed: 0})
  })
})
