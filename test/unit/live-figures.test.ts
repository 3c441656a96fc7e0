import {describe, expect, it} from 'vitest'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import {LiveStats} from '../../src/engine/reports/live-stats.js'
import type {NewEvent} from '../../src/engine/store/events.js'
import {percent} from '../../src/ui/dashboard/format.js'
import {Log, storeWith} from '../support/report-log.js'

// The dashboard's today figures (LiveStats), event by event as the engine feeds them, and
// from the log as a restarted engine seeds them.

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0)
const settings = () => DEFAULT_QUEUE_SETTINGS

function feed(stats: LiveStats, log: Log): void {
  for (const e of log.events) stats.apply(e as NewEvent)
}

describe('live figures count finished queue visits only', () => {
  it('3 answered and 1 caller still waiting: answer rate 100 %, not 75 %; the waiting caller shown apart', () => {
    const log = new Log(T0)
    for (const c of ['c1', 'c2', 'c3', 'c4']) log.at(0, 'queue.entered', {call: c, queue: 'sales', data: {position: 1}})
    for (const c of ['c1', 'c2', 'c3']) log.at(10, 'call.connected', {call: c, queue: 'sales', agent: 'a1', data: {waitMs: 10_000}})
    const stats = new LiveStats(settings)
    feed(stats, log)
    const sales = stats.view(T0 + 11_000).queues.sales!
    expect(sales).toMatchObject({offered: 4, answered: 3, abandoned: 0, waiting: 1, systemEnded: 0})
    expect(sales.answerRate).toBe(1)
    expect(percent(sales.answerRate)).toBe('100%')
    expect(sales.abandonRate).toBe(0)
    expect(sales.serviceLevel).toBe(1)
    // Once the waiting caller hangs up it is an abandon, and counts.
    stats.apply({type: 'queue.abandoned', ts: T0 + 40_000, callId: 'c4', queue: 'sales', data: {waitMs: 40_000, position: 1}})
    const after = stats.view(T0 + 41_000).queues.sales!
    expect(after).toMatchObject({waiting: 0, abandoned: 1})
    expect(after.answerRate).toBe(0.75)
  })

  it('after the demo stopped, the next run opens with 0 abandoned: its system-ended callers are in no rate', async () => {
    // First run: 7 answered; the demo stops with 1 caller in line (system-ended).
    const log = new Log(T0)
    for (let i = 1; i <= 8; i++) log.at(i, 'queue.entered', {call: `c${i}`, queue: 'support', data: {position: 1}})
    for (let i = 1; i <= 7; i++) log.at(20 + i, 'call.connected', {call: `c${i}`, queue: 'support', agent: 'a1', data: {waitMs: 5_000}})
    log.at(60, 'queue.system_ended', {call: 'c8', queue: 'support', data: {reason: 'demo-stopped', waitMs: 52_000, position: 1}})
    log.at(60, 'call.ended', {call: 'c8', queue: 'support', data: {cause: 'system-ended'}})
    const store = await storeWith({support: {}}, log)
    const stats = new LiveStats(settings)
    await stats.seed(store, T0 + 120_000)
    const support = stats.view(T0 + 120_000).queues.support!
    expect(support).toMatchObject({offered: 8, answered: 7, abandoned: 0, systemEnded: 1, waiting: 0})
    expect(percent(support.abandonRate)).toBe('0%')
    expect(percent(support.answerRate)).toBe('100%')
    await store.close()
  })
})
