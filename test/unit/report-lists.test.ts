import {describe, expect, it} from 'vitest'
import {abandonedReport} from '../../src/engine/reports/abandoned-report.js'
import {ivrReport} from '../../src/engine/reports/ivr-report.js'
import {surveyReport} from '../../src/engine/reports/survey-report.js'
import {contextFor, Log, rowsOf, storeWith} from '../support/report-log.js'
import {dayStore, T0} from '../support/report-scenario.js'

const DAY = {from: '2026-11-23', to: '2026-11-24'}

describe('report abandoned', () => {
  it('lists each caller who hung up while waiting, with wait, position when leaving and on arrival', async () => {
    const rows = rowsOf(abandonedReport(contextFor(await dayStore(), DAY)))
    // c0 hung up at 00:00:30 (in the day) although its call started the day before; its number comes from there.
    expect(rows.map((r) => r.call_id)).toEqual(['c0', 'c2', 'c3'])
    expect(rows[0]).toMatchObject({abandoned_at: '2026-11-23T00:00:30Z', caller_number: '100', caller_name: 'Early', wait_s: 89, short_abandon: 'no'})
    expect(rows[1]).toEqual({
      abandoned_at: '2026-11-23T09:03:24Z',
      call_id: 'c2',
      caller_number: '+8613800000002',
      caller_name: 'Two',
      queue: 'sales',
      priority: null,
      wait_s: 3,
      position: 1,
      entry_position: 1,
      short_abandon: 'yes',
      short_abandon_below_s: 5,
    })
    // c3 came in second in line and had moved up to first when it gave up.
    expect(rows[2]).toMatchObject({priority: 5, wait_s: 40, position: 1, entry_position: 2, short_abandon: 'no'})
    expect(rowsOf(abandonedReport(contextFor(await dayStore(), {...DAY, queue: 'support'})))).toEqual([])
  })
})

describe('report ivr', () => {
  it('counts entries, each key chosen, collected and invalid input, and timeouts per node', async () => {
    const L = new Log(T0)
    const node = (at: number, call: string, id: string, kind: string) => L.at(at, 'ivr.node', {call, data: {flow: 'main', node: id, kind}})
    for (const [i, key] of ['1', '1', '2', '#'].entries()) {
      node(i * 10, `k${i}`, 'menu', 'menu')
      L.at(i * 10 + 2, 'ivr.keys', {call: `k${i}`, data: {flow: 'main', node: 'menu', keys: key, result: 'choice'}})
    }
    node(50, 'k5', 'menu', 'menu')
    L.at(55, 'ivr.timeout', {call: 'k5', data: {flow: 'main', node: 'menu'}})
    L.at(60, 'ivr.keys', {call: 'k5', data: {flow: 'main', node: 'menu', keys: '9', result: 'invalid'}})
    node(70, 'k6', 'account', 'collect')
    L.at(75, 'ivr.keys', {call: 'k6', data: {flow: 'main', node: 'account', keys: '123456', result: 'collected'}})
    L.at(80, 'ivr.node', {call: 'k7', data: {flow: 'after-hours', node: 'closed', kind: 'play'}})
    const rows = rowsOf(ivrReport(contextFor(await storeWith({}, L), DAY)))
    expect(rows.map((r) => `${r.flow}/${r.node}`)).toEqual(['after-hours/closed', 'main/account', 'main/menu'])
    expect(rows[2]).toMatchObject({kind: 'menu', entries: 5, key_1: 2, key_2: 1, key_hash: 1, key_0: 0, collected: 0, invalid: 1, timeouts: 1})
    expect(rows[1]).toMatchObject({kind: 'collect', entries: 1, collected: 1, key_1: 0})
    expect(rows[0]).toMatchObject({kind: 'play', entries: 1, timeouts: 0})
  })
})

describe('report survey', () => {
  it('gives the score distribution and average per queue, and per agent within it', async () => {
    const L = new Log(T0)
    const answer = (at: number, queue: string, agent: string, score: number) => L.at(at, 'survey.answered', {call: `s${at}`, queue, agent, data: {score}})
    answer(1, 'sales', 'a1', 5)
    answer(2, 'sales', 'a1', 4)
    answer(3, 'sales', 'a2', 1)
    answer(4, 'support', 'a2', 3)
    L.at(5, 'survey.skipped', {call: 's5', queue: 'sales', agent: 'a2', data: {keys: ''}})
    const rows = rowsOf(surveyReport(contextFor(await storeWith({}, L), DAY)))
    expect(rows.map((r) => [r.queue, r.agent, r.answered, r.skipped, r.score_1, r.score_3, r.score_4, r.score_5, r.average_score])).toEqual([
      ['sales', '', 3, 1, 1, 0, 1, 1, 3.33],
      ['sales', 'a1', 2, 0, 0, 0, 1, 1, 4.5],
      ['sales', 'a2', 1, 1, 1, 0, 0, 0, 1],
      ['support', '', 1, 0, 0, 1, 0, 0, 3],
      ['support', 'a2', 1, 0, 0, 1, 0, 0, 3],
    ])
    const a2 = rowsOf(surveyReport(contextFor(await storeWith({}, L), {...DAY, agent: 'a2'})))
    expect(a2.find((r) => r.queue === 'sales' && r.agent === '')).toMatchObject({answered: 1, skipped: 1})
  })
})
