import {describe, expect, it} from 'vitest'
import {EventTally} from '../../src/engine/reports/event-tally.js'
import {answerRate, finishedOffered} from '../../src/engine/reports/metrics.js'
import type {EventType} from '../../src/engine/store/events.js'

// How EventTally follows one queue visit from entering the line to finishing, so each
// visit enters the ratios once, where it finishes, and only then.

function tally() {
  const t = new EventTally()
  let ts = 0
  const ev = (type: EventType, callId: string, queue: string | null, data: Record<string, unknown> = {}) => t.apply({type, ts: ++ts, callId, queue, agent: null, data})
  return {t, ev}
}

describe('queue visits in the tally', () => {
  it('a caller in line when an interval ends stays out of its ratios and counts where it is answered', () => {
    const {t: first, ev} = tally()
    ev('queue.entered', 'c1', 'q', {position: 1})
    ev('queue.entered', 'c2', 'q', {position: 2})
    ev('call.connected', 'c1', 'q', {waitMs: 5000})
    const second = first.split(1000)
    second.apply({type: 'call.connected', ts: 1001, callId: 'c2', queue: 'q', agent: null, data: {waitMs: 70_000}})
    // The first interval: 2 offered, 1 answered, c2 still waiting at its end: 100 %, not 50 %.
    expect(first.queue('q')).toMatchObject({offered: 2, answered: 1, waiting: 1})
    expect(answerRate(first.queue('q'))).toBe(1)
    // The second: c2 answered there; it was waiting there too until then.
    expect(second.queue('q')).toMatchObject({offered: 0, answered: 1, waiting: 0})
    expect(answerRate(second.queue('q'))).toBe(1)
  })

  it('turned away at the door (full, no agents) is no visit: nothing offered, nothing exited', () => {
    const {t, ev} = tally()
    ev('queue.exited', 'c1', 'q', {reason: 'full', position: 0, waitMs: 0, action: 'hangup'})
    expect(t.queue('q')).toMatchObject({offered: 0, exited: 0})
    expect(answerRate(t.queue('q'))).toBeNull()
  })

  it('a callback keeps the visit going: not finished at the key, answered when the callback connects', () => {
    const {t, ev} = tally()
    ev('queue.entered', 'c1', 'q', {position: 1})
    ev('callback.requested', 'c1', 'q', {number: '555'})
    ev('queue.exited', 'c1', 'q', {reason: 'key', action: 'callback', position: 1, waitMs: 20_000})
    expect(t.queue('q')).toMatchObject({waiting: 1, exited: 0})
    expect(finishedOffered(t.queue('q'))).toBe(0)
    ev('call.connected', 'c1', 'q', {waitMs: 300_000, callback: true})
    expect(t.queue('q')).toMatchObject({waiting: 0, answered: 1, exited: 0})
    expect(answerRate(t.queue('q'))).toBe(1)
  })

  it('a callback that fails finishes the visit unanswered', () => {
    const {t, ev} = tally()
    ev('queue.entered', 'c1', 'q', {position: 1})
    ev('queue.exited', 'c1', 'q', {reason: 'key', action: 'callback', position: 1, waitMs: 20_000})
    ev('callback.failed', 'c1', 'q', {attempts: 3})
    expect(t.queue('q')).toMatchObject({waiting: 0, exited: 1})
    expect(answerRate(t.queue('q'))).toBe(0)
  })

  it('overflow finishes the visit in the first queue and starts one in the next', () => {
    const {t, ev} = tally()
    ev('queue.entered', 'c1', 'a', {position: 1})
    ev('queue.exited', 'c1', 'a', {reason: 'timeout', action: 'queue', to: 'b', position: 1, waitMs: 60_000})
    ev('queue.entered', 'c1', 'b', {position: 1, overflowFrom: 'a'})
    ev('call.connected', 'c1', 'b', {waitMs: 70_000})
    expect(t.queue('a')).toMatchObject({offered: 1, exited: 1, waiting: 0})
    expect(t.queue('b')).toMatchObject({offered: 1, answered: 1, waiting: 0})
  })

  it('a transfer’s connect is not a second answer of the same visit', () => {
    const {t, ev} = tally()
    ev('queue.entered', 'c1', 'q', {position: 1})
    ev('call.connected', 'c1', 'q', {waitMs: 4000})
    ev('call.connected', 'c1', 'q', {transfer: 'blind', waitMs: 0})
    expect(t.queue('q')).toMatchObject({offered: 1, answered: 1})
    expect(answerRate(t.queue('q'))).toBe(1)
  })

  it('a call that ends while in line some other way finishes the visit unanswered', () => {
    const {t, ev} = tally()
    ev('queue.entered', 'c1', 'q', {position: 1})
    ev('call.ended', 'c1', 'q', {cause: 'hangup'})
    expect(t.queue('q')).toMatchObject({waiting: 0, exited: 1})
    expect(answerRate(t.queue('q'))).toBe(0)
  })
})
