import {describe, expect, it} from 'vitest'
import {estimateWait, HandleTimes, type ServingAgent, type WaitInputs} from '../../src/engine/routing/wait-estimate.js'

// Hand-computed expected waits. Unless a case says otherwise: talk 60 s, wrap-up 10 s,
// ring 0 s, so one handle time is 70 s.
const base = {talkMs: 60_000, wrapUpMs: 10_000, ringMs: 0}
const est = (position: number, agents: ServingAgent[], o: Partial<WaitInputs> = {}) => estimateWait({...base, position, agents, ...o})
const idle: ServingAgent = {state: 'idle', elapsedMs: 0}

describe('estimateWait', () => {
  it('is null when no agent serves the queue', () => {
    expect(est(1, [])).toBeNull()
    expect(est(5, [])).toBeNull()
  })

  it('is null for a position below 1 (not waiting)', () => {
    expect(est(0, [idle])).toBeNull()
    expect(est(-1, [idle])).toBeNull()
  })

  it('with idle agents, the first callers wait only the ring', () => {
    expect(est(1, [idle])).toBe(0)
    expect(est(1, [idle, idle], {ringMs: 4000})).toBe(4000)
    expect(est(2, [idle, idle], {ringMs: 4000})).toBe(4000)
  })

  it('a position beyond the agent count waits for handle times to pass', () => {
    // handle = 60 + 10 + 5 = 75 s; the third caller on two idle agents waits one handle + ring
    expect(est(3, [idle, idle], {ringMs: 5000})).toBe(75_000 + 5000)
    expect(est(4, [idle, idle], {ringMs: 5000})).toBe(75_000 + 5000)
    expect(est(5, [idle, idle], {ringMs: 5000})).toBe(150_000 + 5000)
    // one idle agent: 0, 70, 140, ... s
    expect(est(2, [idle])).toBe(70_000)
    expect(est(3, [idle])).toBe(140_000)
    expect(est(10, [idle])).toBe(630_000)
  })

  it('an agent mid-call frees up after the rest of an average call plus wrap-up', () => {
    expect(est(1, [{state: 'on-call', elapsedMs: 20_000}])).toBe(40_000 + 10_000)
    // the next caller behind waits one more handle time
    expect(est(2, [{state: 'on-call', elapsedMs: 20_000}])).toBe(50_000 + 70_000)
  })

  it('a call longer than average is expected to end soon, not at once (min rest: 5 s or a quarter call)', () => {
    expect(est(1, [{state: 'on-call', elapsedMs: 600_000}])).toBe(5000 + 10_000)
    // a short average: the minimum rest is a quarter of it (8 s / 4 = 2 s)
    expect(est(1, [{state: 'on-call', elapsedMs: 60_000}], {talkMs: 8000, wrapUpMs: 0})).toBe(2000)
  })

  it('an agent in wrap-up frees up after the rest of it', () => {
    expect(est(1, [{state: 'wrap-up', elapsedMs: 4000}])).toBe(6000)
    expect(est(1, [{state: 'wrap-up', elapsedMs: 25_000}])).toBe(0)
  })

  it('a ringing agent frees up after the rest of the ring, a call and wrap-up', () => {
    expect(est(1, [{state: 'ringing', elapsedMs: 1000}], {ringMs: 3000})).toBe(2000 + 60_000 + 10_000 + 3000)
    expect(est(1, [{state: 'ringing', elapsedMs: 9000}], {ringMs: 3000})).toBe(0 + 70_000 + 3000)
  })

  it('mixes agents: callers take the agent that frees up first, in turn', () => {
    const agents: ServingAgent[] = [
      {state: 'on-call', elapsedMs: 20_000}, // free at 50 s
      {state: 'wrap-up', elapsedMs: 4000}, // free at 6 s
    ]
    // free times [6, 50]; each served caller adds 70 s to the agent it took
    expect(est(1, agents)).toBe(6000)
    expect(est(2, agents)).toBe(50_000)
    expect(est(3, agents)).toBe(76_000) // 6 + 70
    expect(est(4, agents)).toBe(120_000) // 50 + 70
    expect(est(5, agents)).toBe(146_000) // 76 + 70
  })

  it('more agents never make the wait longer', () => {
    const one = est(4, [{state: 'on-call', elapsedMs: 10_000}])!
    const two = est(4, [{state: 'on-call', elapsedMs: 10_000}, idle])!
    expect(two).toBeLessThan(one)
  })

  it('the order agents are given in does not matter', () => {
    const a: ServingAgent[] = [idle, {state: 'on-call', elapsedMs: 30_000}, {state: 'wrap-up', elapsedMs: 1000}]
    for (const p of [1, 2, 3, 4, 7]) expect(est(p, [...a].reverse())).toBe(est(p, a))
  })
})

describe('HandleTimes', () => {
  it('falls back before any sample: the given talk time and no ring', () => {
    const ht = new HandleTimes()
    expect(ht.samples).toBe(0)
    expect(ht.averageTalkMs(180_000)).toBe(180_000)
    expect(ht.averageRingMs()).toBe(0)
  })

  it('averages the recent answered calls', () => {
    const ht = new HandleTimes()
    ht.add(60_000, 2000)
    ht.add(120_000, 4000)
    ht.add(30_000, 6000)
    expect(ht.samples).toBe(3)
    expect(ht.averageTalkMs(999)).toBe(70_000)
    expect(ht.averageRingMs()).toBe(4000)
  })

  it('keeps a rolling window of the last N calls (20 by default)', () => {
    const small = new HandleTimes(3)
    for (const [talk, ring] of [
      [10_000, 1000],
      [20_000, 2000],
      [30_000, 3000],
      [40_000, 4000],
      [50_000, 5000],
    ] as const) small.add(talk, ring)
    expect(small.samples).toBe(3)
    expect(small.averageTalkMs(0)).toBe(40_000) // 30, 40, 50
    expect(small.averageRingMs()).toBe(4000)

    const dflt = new HandleTimes()
    for (let i = 1; i <= 25; i++) dflt.add(i * 1000, 0)
    expect(dflt.samples).toBe(20)
    // 6..25 s → average 15.5 s
    expect(dflt.averageTalkMs(0)).toBe(15_500)
  })

  it('feeds estimateWait the way the engine does', () => {
    const ht = new HandleTimes()
    ht.add(100_000, 5000)
    ht.add(140_000, 15_000)
    const talkMs = ht.averageTalkMs(180_000) // 120 s
    const ringMs = ht.averageRingMs() // 10 s
    // one agent 20 s into a call, wrap-up 30 s: free at 100 + 30 = 130 s, then 160 s per caller
    const wait = estimateWait({position: 2, agents: [{state: 'on-call', elapsedMs: 20_000}], talkMs, wrapUpMs: 30_000, ringMs})
    expect(wait).toBe(130_000 + 160_000 + 10_000)
  })
})
