import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {CelEvent} from '../../src/bench/load/cel.js'
import {peakOverlap, runMetrics, sipAgentLeg} from '../../src/bench/load/metrics.js'
import {restCountsPerCall} from '../../src/bench/load/sip-paths.js'
import {judgeSipRun, ladderHighest, ladderNext, sipCallerNumber, sipCallers, sippRate, sipWaves, type LadderStep} from '../../src/bench/load/sip-plan.js'

// The pure parts of bench:load --sip: the ladders, SIPp's rate arguments, the waves,
// SIP callers and phones found in CEL, and the verdict on a run.

/** Climbs a ladder against a fixed limit: values up to `limit` hold. */
function climb(values: number[], refine: number, limit: number): LadderStep[] {
  const tried: LadderStep[] = []
  for (let v = ladderNext(values, refine, tried); v !== null; v = ladderNext(values, refine, tried)) tried.push({value: v, ok: v <= limit})
  return tried
}

describe('bench:load --sip ladders', () => {
  it('climbs the given values until one fails, then halves the gap `refine` times', () => {
    const tried = climb([5, 10, 20, 40], 2, 27)
    expect(tried.map((t) => t.value)).toEqual([5, 10, 20, 40, 30, 25])
    expect(ladderHighest([5, 10, 20, 40], tried)).toBe(25)
  })

  it('stops at the top when every value holds, and refines nothing then', () => {
    const tried = climb([5, 10], 3, 100)
    expect(tried.map((t) => t.value)).toEqual([5, 10])
    expect(ladderHighest([5, 10], tried)).toBe(10)
  })

  it('has no highest when the first value fails, and does not refine below it', () => {
    const tried = climb([50, 100], 2, 10)
    expect(tried.map((t) => t.value)).toEqual([50])
    expect(ladderHighest([50, 100], tried)).toBeNull()
  })

  it('stops refining when the gap has no whole number inside', () => {
    const tried = climb([10, 11], 5, 10)
    expect(tried.map((t) => t.value)).toEqual([10, 11])
    expect(ladderHighest([10, 11], tried)).toBe(10)
  })
})

describe('bench:load --sip SIPp arguments and waves', () => {
  it('turns an arrival rate into whole calls per period', () => {
    expect(sippRate(20)).toEqual({calls: 20, periodMs: 1000})
    expect(sippRate(2.5)).toEqual({calls: 5, periodMs: 2000})
    expect(sippRate(0.3)).toEqual({calls: 3, periodMs: 10_000})
    expect(() => sippRate(0)).toThrow()
  })

  it('splits callers into waves a spacing apart', () => {
    expect(sipWaves([1, 2, 3, 4, 5], 2, 1000)).toEqual([
      {atMs: 0, callers: [1, 2]},
      {atMs: 1000, callers: [3, 4]},
      {atMs: 2000, callers: [5]},
    ])
    expect(sipCallerNumber('1558001', 7)).toBe('+155800100007')
  })
})

const T0 = 1_800_000_000_000_000
function ev(ms: number, type: string, channel: string, o: Partial<CelEvent> = {}): CelEvent {
  return {type, us: T0 + Math.round(ms * 1000), channel, uniqueId: o.uniqueId ?? channel, linkedId: '', app: '', callerNumber: '', extra: '', ...o}
}
const bridged = (b: string) => JSON.stringify({bridge_id: b})

/** A carrier caller entering Stasis, and an agent's phone leg answered and bridged with it, hung up by the phone after talkMs. */
function sipCall(seq: number, phone: string, number: string, at: {enter: number; ring: number; talkMs: number; callerLagMs?: number}): CelEvent[] {
  const caller = `PJSIP/carrier-${seq.toString(16).padStart(8, '0')}`
  const agent = `PJSIP/${phone}-${(seq + 0x100).toString(16).padStart(8, '0')}`
  const b = `b${seq}`
  const c = {uniqueId: `c${seq}`, callerNumber: number}
  const a = {uniqueId: `a${seq}`, callerNumber: number}
  const end = at.ring + 2 + at.talkMs
  return [
    ev(at.enter - 1, 'CHAN_START', caller, c),
    ev(at.enter, 'APP_START', caller, {...c, app: 'Stasis'}),
    ev(at.ring, 'CHAN_START', agent, a),
    ev(at.ring + 1, 'ANSWER', agent, a),
    ev(at.ring + 2, 'BRIDGE_ENTER', agent, {...a, extra: bridged(b)}),
    ev(at.ring + 2, 'BRIDGE_ENTER', caller, {...c, extra: bridged(b)}),
    ev(end, 'HANGUP', agent, a),
    ev(end + (at.callerLagMs ?? 5), 'HANGUP', caller, c),
  ]
}

describe('bench:load --sip figures from CEL', () => {
  it('knows a phone leg by its channel name and a caller by trunk and number', () => {
    expect(sipAgentLeg('PJSIP/sr-001-0000001f')).toEqual({pair: 'PJSIP/sr-001-0000001f', key: 'sr-001'})
    expect(sipAgentLeg('PJSIP/carrier')).toBeNull()
    expect(sipAgentLeg('Local/0-2-2-a1@callctl-sim-agent-00000001;1')).toBeNull()
    const events = [...sipCall(1, 'sc001', '+1', {enter: 0, ring: 3, talkMs: 1000}), ev(0, 'CHAN_START', 'PJSIP/benchaq-00000009', {uniqueId: 'x', callerNumber: '+2'})]
    const callers = sipCallers(events, 'carrier', ['+1', '+2'], 60)
    expect([...callers.keys()]).toEqual(['c1', 'unseen:+2'])
  })

  it('ring latency, completion, wait and the most calls connected at once, from PJSIP legs', () => {
    const events = [
      ...sipCall(1, 'sc001', '+1', {enter: 0, ring: 4, talkMs: 2000}),
      ...sipCall(2, 'sc002', '+2', {enter: 100, ring: 106, talkMs: 2000}),
      // The third waits for sc001 (free at 2006): rung at 2010.
      ...sipCall(3, 'sc001', '+3', {enter: 200, ring: 2010, talkMs: 2000}),
    ].sort((a, b) => a.us - b.us)
    const numbers = ['+1', '+2', '+3']
    const m = runMetrics(events, {
      enterApp: 'Stasis',
      callers: sipCallers(events, 'carrier', numbers, 120),
      originateErrors: new Map(),
      forced: new Set(),
      agents: new Map([
        ['sc001', 'sc001'],
        ['sc002', 'sc002'],
      ]),
      talkS: 2,
      agentLeg: sipAgentLeg,
    })
    expect(m).toMatchObject({placed: 3, completed: 3, failed: 0, abandoned: 0, doubleBooked: 0, peakConnected: 2})
    expect(m.ringMs.n).toBe(2)
    expect(m.ringMs.p50).toBeCloseTo(4, 3)
    expect(m.ringMs.p99).toBeCloseTo(6, 3)
    expect(m.freeToRingMs.n).toBe(1)
    expect(m.freeToRingMs.p50).toBeCloseTo(4, 3)
    expect(m.waitMs.max).toBeCloseTo(1811, 3)
  })

  it('counts overlapping intervals; one ending where another starts does not overlap', () => {
    expect(peakOverlap([])).toBe(0)
    expect(peakOverlap([{from: 0, to: 10}, {from: 10, to: 20}])).toBe(1)
    expect(peakOverlap([{from: 0, to: 10}, {from: 5, to: 20}, {from: 6, to: 7}, {from: 8, to: 30}])).toBe(3)
  })
})

describe('bench:load --sip verdict', () => {
  const good = {completed: 50, failed: 0, failures: {}, engineErrors: 0, sippFailed: 0, ringP99: 12, peakConnected: 50, waitMaxMs: 300}
  const o = {maxRingP99Ms: 1000, maxWaitMs: 20_000, connectedAtOnce: null}

  it('holds only with every caller served, nothing failed anywhere, rings on time and short waits', () => {
    expect(judgeSipRun(good, 50, o)).toEqual({ok: true, why: []})
    expect(judgeSipRun({...good, completed: 49, failed: 1, failures: {'cut off while talking': 1}}, 50, o).why).toEqual(['failed: cut off while talking 1'])
    expect(judgeSipRun({...good, completed: 48}, 50, o).why).toEqual(['2 not served in full'])
    expect(judgeSipRun({...good, sippFailed: 3}, 50, o).ok).toBe(false)
    expect(judgeSipRun({...good, engineErrors: 1}, 50, o).ok).toBe(false)
    expect(judgeSipRun({...good, ringP99: 1500}, 50, o).why).toEqual(['ring p99 1500 ms'])
    expect(judgeSipRun({...good, ringP99: NaN}, 50, o).why).toEqual(['ring p99 - ms'])
    expect(judgeSipRun({...good, waitMaxMs: 25_000}, 50, o).ok).toBe(false)
  })

  it('the concurrency ladder also wants every call up at once', () => {
    expect(judgeSipRun({...good, peakConnected: 49}, 50, {...o, connectedAtOnce: 50}).why).toEqual(['at most 49 connected at once'])
  })
})

describe('bench:load --sip REST counts', () => {
  it('per call, the engine start left out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-rest-'))
    try {
      expect(restCountsPerCall(dir, 10)).toBeNull()
      writeFileSync(
        join(dir, 'rest-123.json'),
        JSON.stringify({byKind: {'POST /channels': 20, 'POST /channels/:id/answer': 10, 'PUT /asterisk/config/dynamic/:id/:id/:id': 30, 'POST /applications/:id/subscription': 2, 'GET /endpoints/:id/:id': 3}}),
      )
      expect(restCountsPerCall(dir, 10)).toEqual({total: 3, byKind: {'POST /channels': 2, 'POST /channels/:id/answer': 1}})
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
