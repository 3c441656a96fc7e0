import {describe, expect, it} from 'vitest'
import {EventTally} from '../../src/engine/reports/event-tally.js'
import {abandonRate, answerRate, DEFAULT_SL, finishedOffered, serviceLevel, SL_FORMULAS, type Tally} from '../../src/engine/reports/metrics.js'
import type {EventType} from '../../src/engine/store/events.js'

// What each ratio divides by, pinned (PRODUCT.md "Metric definitions": ratios count
// finished queue visits only; callers still waiting and system-ended visits enter none).
// The visits are played through EventTally, the one place events become counts.
//
// Queue q, T = 20 s, short abandon < 5 s:
//   a1, a2 answered after 10 s; a3 answered after 30 s (after T);
//   b1 abandoned after 3 s (short); b2 after 12 s (within T); b3 after 40 s (after T);
//   x1 left on max wait (exited, no agent);
//   w1, w2 still waiting; s1, s2 ended by the system (the demo stopping).
// Finished offered = 3 answered + 3 abandoned + 1 exited = 7 (= 11 offered − 2 waiting − 2 system-ended).

let ts = 0
type Visit = {id: string; end?: {type: EventType; waitMs?: number; data?: Record<string, unknown>}}

function play(visits: Visit[]): Tally {
  const t = new EventTally(() => DEFAULT_SL)
  const ev = (type: EventType, callId: string, data: Record<string, unknown> = {}) => t.apply({type, ts: ++ts, callId, queue: 'q', agent: null, data})
  for (const v of visits) ev('queue.entered', v.id, {position: 1})
  for (const v of visits) if (v.end) ev(v.end.type, v.id, {waitMs: v.end.waitMs ?? 0, position: 1, ...v.end.data})
  return t.queue('q')
}

const answered = (id: string, s: number): Visit => ({id, end: {type: 'call.connected', waitMs: s * 1000}})
const abandoned = (id: string, s: number): Visit => ({id, end: {type: 'queue.abandoned', waitMs: s * 1000}})
const exited = (id: string): Visit => ({id, end: {type: 'queue.exited', waitMs: 60_000, data: {reason: 'timeout', action: 'hangup'}}})
const waiting = (id: string): Visit => ({id})
const systemEnded = (id: string): Visit => ({id, end: {type: 'queue.system_ended', waitMs: 50_000, data: {reason: 'demo-stopped'}}})

const FINISHED = [answered('a1', 10), answered('a2', 10), answered('a3', 30), abandoned('b1', 3), abandoned('b2', 12), abandoned('b3', 40), exited('x1')]
const UNFINISHED = [waiting('w1'), waiting('w2'), systemEnded('s1'), systemEnded('s2')]

describe('what each ratio divides by (metrics.ts)', () => {
  const t = play([...FINISHED, ...UNFINISHED])

  it('counts every visit once: offered, and how it finished or that it has not', () => {
    expect(t).toMatchObject({offered: 11, answered: 3, abandoned: 3, shortAbandoned: 1, exited: 1, waiting: 2, systemEnded: 2})
    expect(finishedOffered(t)).toBe(7)
    expect(finishedOffered(t)).toBe(t.offered - t.waiting - t.systemEnded)
  })

  it('answer rate = answered / (answered + abandoned + exited): 3 / 7, not 3 / 11', () => {
    expect(answerRate(t)).toBeCloseTo(3 / 7, 10)
  })

  it('abandon rate = (abandoned − short) / (finished offered − short): 2 / 6', () => {
    expect(abandonRate(t)).toBeCloseTo(2 / 6, 10)
  })

  it('service level: answered and abandons as each formula says, never waiting or system-ended visits', () => {
    // answered within T: a1, a2. Abandoned within T (not short): b2; after T: b3.
    expect(serviceLevel(t, 'default')).toBeCloseTo(2 / (3 + 1), 10)
    expect(serviceLevel(t, 'answered')).toBeCloseTo(2 / 3, 10)
    expect(serviceLevel(t, 'sl2')).toBeCloseTo((2 + 1) / (3 + 2), 10)
    expect(serviceLevel(t, 'answered-abandoned')).toBeCloseTo(2 / (3 + 2), 10)
  })

  it('a caller still waiting or a system-ended visit changes no ratio, whatever the formula', () => {
    const finishedOnly = play(FINISHED)
    const ratios = (x: Tally) => [answerRate(x), abandonRate(x), ...SL_FORMULAS.map((f) => serviceLevel(x, f))]
    expect(ratios(t)).toEqual(ratios(finishedOnly))
    expect(ratios(play([...FINISHED, waiting('w9')]))).toEqual(ratios(finishedOnly))
    expect(ratios(play([...FINISHED, systemEnded('s9')]))).toEqual(ratios(finishedOnly))
  })

  it('an exit without an agent counts against the answer and abandon rates, and in no SL formula', () => {
    const more = play([...FINISHED, exited('x2')])
    expect(answerRate(more)).toBeCloseTo(3 / 8, 10)
    expect(abandonRate(more)).toBeCloseTo(2 / 7, 10)
    for (const f of SL_FORMULAS) expect(serviceLevel(more, f)).toBe(serviceLevel(t, f))
  })

  it('a system-ended visit is no abandon: the demo stopping leaves abandoned at 0 and the rates empty', () => {
    const stopped = play([systemEnded('s1'), systemEnded('s2'), waiting('w1')])
    expect(stopped).toMatchObject({offered: 3, abandoned: 0, systemEnded: 2, waiting: 1})
    expect([answerRate(stopped), abandonRate(stopped), serviceLevel(stopped, 'default')]).toEqual([null, null, null])
  })
})
