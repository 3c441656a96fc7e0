import {describe, expect, it} from 'vitest'
import {agentsReport} from '../../src/engine/reports/agents-report.js'
import {LiveStats} from '../../src/engine/reports/live-stats.js'
import {contextFor, Log, rowsOf, storeWith} from '../support/report-log.js'
import {dayStore, T0} from '../support/report-scenario.js'

// Misuse report 21, finding 7: idle_s was logged-in time minus talk, hold and wrap-up, and
// occupancy divided all of that work by logged-in time; work done after a logout (the call
// goes on, then its wrap-up) was subtracted from logged-in time it never belonged to (idle
// 5.5 s for an agent idle ~100 s, occupancy 0.99). Both are now measured: work counts only
// while logged in and not paused, idle is logged in, not paused, not working.

const DAY = {from: '2026-11-23', to: '2026-11-24'}

/** The agents report's row for d1 over the scenario's day, and the live figure at the end of it. */
async function figures(L: Log, end: number) {
  const row = rowsOf(agentsReport(contextFor(await storeWith({support: {}}, L), {...DAY, agent: 'd1'})))
  const live = new LiveStats(() => undefined)
  for (const e of [...L.events].sort((a, b) => a.ts - b.ts)) live.apply(e)
  return {row: row[0]!, live: live.view(T0 + end * 1000).agents.d1!}
}

/** A call on support answered by d1: connected at `from`, completed at `to` (talk only), wrap-up to `wrapTo`. */
function call(L: Log, id: string, from: number, to: number, wrapTo: number): void {
  L.at(from - 5, 'queue.entered', {call: id, queue: 'support', data: {position: 1}})
  L.at(from, 'call.connected', {call: id, queue: 'support', agent: 'd1', data: {waitMs: 5000, ringMs: 1000}})
  L.at(to, 'call.completed', {call: id, queue: 'support', agent: 'd1', data: {by: 'caller', talkMs: (to - from) * 1000, holdMs: 0}})
  L.at(to, 'agent.wrapup_started', {call: id, queue: 'support', agent: 'd1', data: {seconds: wrapTo - to}})
  L.at(wrapTo, 'agent.wrapup_ended', {agent: 'd1', data: {how: 'timer'}})
}

describe('report agents: idle and occupancy count only time logged in and not paused', () => {
  it('a logout during a call: the rest of the call and its wrap-up are no work in logged-in time', async () => {
    const L = new Log(T0)
    L.at(0, 'agent.login', {agent: 'd1'})
    call(L, 'c1', 60, 150, 180) // connected at 60 s, logged out at 100 s, call on to 150 s, wrap-up to 180 s
    L.at(100, 'agent.logout', {agent: 'd1'})
    L.at(300, 'agent.login', {agent: 'd1'})
    L.at(400, 'agent.logout', {agent: 'd1'})
    const {row, live} = await figures(L, 500)
    // Logged in 0-100 and 300-400: 200 s; working 60-100 (40 s); idle 0-60 and 300-400 (160 s).
    // Was: idle 200 - (90 + 30) = 80 s, occupancy 120 / 200 = 0.6.
    expect(row).toMatchObject({logged_in_s: 200, paused_s: 0, idle_s: 160, talk_s: 90, hold_s: 0, wrap_up_s: 30, handled: 1, occupancy: 0.2})
    expect(live.loggedInMs).toBe(200_000)
    expect(live.occupancy).toBeCloseTo(0.2, 4)
  })

  it('a logout during wrap-up: the wrap-up counts up to the logout', async () => {
    const L = new Log(T0)
    L.at(0, 'agent.login', {agent: 'd1'})
    call(L, 'c1', 10, 70, 100)
    L.at(80, 'agent.logout', {agent: 'd1'})
    L.at(200, 'agent.login', {agent: 'd1'})
    L.at(300, 'agent.logout', {agent: 'd1'})
    const {row, live} = await figures(L, 400)
    // Logged in 180 s; working 10-80 (60 s talk + 10 s of the wrap-up); idle 0-10 and 200-300.
    // Was: idle 180 - 90 = 90 s, occupancy 90 / 180 = 0.5.
    expect(row).toMatchObject({logged_in_s: 180, idle_s: 110, talk_s: 60, wrap_up_s: 30, occupancy: 0.3889})
    expect(live.occupancy).toBeCloseTo(70 / 180, 4)
  })

  it('a pause during wrap-up: the paused part of the wrap-up is neither work nor idle', async () => {
    const L = new Log(T0)
    L.at(0, 'agent.login', {agent: 'd1'})
    call(L, 'c1', 100, 200, 260)
    L.at(220, 'agent.paused', {agent: 'd1', data: {reason: 'break'}})
    L.at(400, 'agent.unpaused', {agent: 'd1'})
    L.at(1000, 'agent.logout', {agent: 'd1'})
    const {row, live} = await figures(L, 1100)
    // Logged in 1000 s, paused 220-400 (180 s); working 100-220 (100 s talk + 20 s wrap-up);
    // idle 0-100 and 400-1000 (700 s): 120 + 700 = 1000 - 180. Occupancy 120 / 820.
    // Was: idle 1000 - 180 - 160 = 660 s, occupancy 160 / 820 = 0.1951.
    expect(row).toMatchObject({logged_in_s: 1000, paused_s: 180, paused_break_s: 180, idle_s: 700, talk_s: 100, wrap_up_s: 60, occupancy: 0.1463})
    expect(live.occupancy).toBeCloseTo(120 / 820, 4)
  })

  it('a call that began before the period counts as work from the period start', async () => {
    const L = new Log(T0)
    L.at(-100, 'agent.login', {agent: 'd1'})
    call(L, 'c1', -50, 50, 50)
    L.at(200, 'agent.logout', {agent: 'd1'})
    const rows = rowsOf(agentsReport(contextFor(await storeWith({support: {}}, L), {from: '2026-11-23T09:00Z', to: '2026-11-23T10:00Z', agent: 'd1'})))
    // In the period: logged in 0-200 s, on the call 0-50 s, idle 50-200 s.
    expect(rows[0]).toMatchObject({logged_in_s: 200, idle_s: 150, talk_s: 100, occupancy: 0.25})
  })

  it('a call across intervals is work in each interval for its part, as logged-in time is', async () => {
    const L = new Log(T0)
    L.at(0, 'agent.login', {agent: 'd1'})
    call(L, 'c1', 3300, 3900, 3900) // 09:55-10:05
    L.at(7200, 'agent.logout', {agent: 'd1'})
    const rows = rowsOf(agentsReport(contextFor(await storeWith({support: {}}, L), {from: '2026-11-23T09:00Z', to: '2026-11-23T11:00Z', interval: '1h', agent: 'd1'})))
    // talk_s is the call's, in the interval it ended; idle and occupancy split it 300 s / 300 s.
    expect(rows.map((r) => [r.interval_start, r.logged_in_s, r.idle_s, r.talk_s, r.occupancy])).toEqual([
      ['2026-11-23T09:00:00Z', 3600, 3300, 0, 0.0833],
      ['2026-11-23T10:00:00Z', 3600, 3300, 600, 0.0833],
    ])
  })

  it('an ordinary day keeps its figures: idle is the remainder and occupancy (talk + hold + wrap-up) / (logged in - paused)', async () => {
    const rows = rowsOf(agentsReport(contextFor(await dayStore(), DAY)))
    for (const r of rows.filter((x) => Number(x.logged_in_s) > 0)) {
      const busy = Number(r.talk_s) + Number(r.hold_s) + Number(r.wrap_up_s)
      const available = Number(r.logged_in_s) - Number(r.paused_s)
      expect(r.idle_s).toBe(available - Number(r.unreachable_s) - busy)
      expect(r.occupancy).toBe(Math.round((busy / available) * 10_000) / 10_000)
    }
    // The figures report-tallies.test.ts pins, unchanged: a1 idle 3470 s, 0.0361; a2 idle 2935 s, 0.0217.
    expect(rows.map((r) => [r.agent, r.idle_s, r.occupancy])).toEqual([
      ['a1', 3470, 0.0361],
      ['a2', 2935, 0.0217],
      ['a3', 0, null],
    ])
  })
})
