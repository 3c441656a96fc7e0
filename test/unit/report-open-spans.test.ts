import {describe, expect, it} from 'vitest'
import {agentsReport} from '../../src/engine/reports/agents-report.js'
import {queuesReport} from '../../src/engine/reports/queues-report.js'
import {contextFor, Log, rowsOf, storeWith} from '../support/report-log.js'

// Time still running when a report is made ends at the report's `now`, not at the end of its
// period; and a stopped engine ends the wrap-ups it was timing. Found by running the demo for
// 20 s at 04:01 and then `report queues` for the day: AHT 71,915 s, wrap-up 143,816 s — the
// demo's stop left its agents "in wrap-up" until midnight.

const T0 = Date.UTC(2026, 10, 23, 8) // 08:00 UTC
const DAY = {from: '2026-11-23', to: '2026-11-24'}

function day(): Log {
  return new Log(T0)
    .at(0, 'agent.login', {agent: 'a1', queue: 'sales'})
    .at(10, 'queue.entered', {call: 'c1', queue: 'sales', data: {position: 1}})
    .at(12, 'call.connected', {call: 'c1', queue: 'sales', agent: 'a1', data: {waitMs: 2000}})
    .at(72, 'call.completed', {call: 'c1', queue: 'sales', agent: 'a1', data: {talkMs: 60_000, holdMs: 0, by: 'system'}})
    .at(72, 'agent.wrapup_started', {call: 'c1', queue: 'sales', agent: 'a1', data: {seconds: 3}})
    .at(73, 'engine.stopped')
}

describe('open spans in reports', () => {
  it('an engine stop ends the wrap-up it was timing; logged-in time runs to now, not to the end of the day', async () => {
    const store = await storeWith({sales: {}}, day(), {a1: 'Li Na'})
    const now = T0 + 3_600_000 // the report is made at 09:00
    const [agent] = rowsOf(agentsReport(contextFor(store, {...DAY, now})))
    expect(agent).toMatchObject({agent: 'a1', handled: 1, talk_s: 60, wrap_up_s: 1, logged_in_s: 3600})
    const [queue] = rowsOf(queuesReport(contextFor(store, {...DAY, now})))
    expect(queue).toMatchObject({queue: 'sales', handled: 1, talk_s: 60, wrap_up_s: 1, aht_s: 61})
    await store.close()
  })

  it('intervals after now add no time; a report of a past day still runs to its end', async () => {
    const store = await storeWith({sales: {}}, new Log(T0).at(0, 'agent.login', {agent: 'a1', queue: 'sales'}), {a1: 'Li Na'})
    const rows = rowsOf(agentsReport(contextFor(store, {...DAY, interval: '1h', now: T0 + 1_800_000})))
    const a1 = rows.filter((r) => r.agent === 'a1')
    expect(a1.reduce((s, r) => s + Number(r.logged_in_s), 0)).toBe(1800)
    const past = rowsOf(agentsReport(contextFor(store, DAY)))
    expect(past.find((r) => r.agent === 'a1')?.logged_in_s).toBe(16 * 3600)
    await store.close()
  })
})
