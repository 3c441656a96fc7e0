// bench:boxes' pure parts: several boxes' CEL read as one log (a cross-box call's phone leg
// found as its caller's agent leg), each call's setup time same-box and cross-box, the
// judging of a run by bench:load --sip's figures, and the measured capacity model.
import {describe, expect, it} from 'vitest'
import {boxLossFigures, type BoxLossRaw} from '../../src/bench/boxes/box-loss.js'
import {callSetups, crossBoxCost, mergeBoxes} from '../../src/bench/boxes/cel-boxes.js'
import {countBy, judgeRun} from '../../src/bench/boxes/measure.js'
import {capacityModel, commonRate, cpuPer100, ratio} from '../../src/bench/boxes/model.js'
import {crossLines, summaryLines, textTable, type SetupResult} from '../../src/bench/boxes/report.js'
import type {RunInput, RunOutput} from '../../src/bench/boxes/run.js'
import type {CelEvent} from '../../src/bench/load/cel.js'
import {sipCallers} from '../../src/bench/load/sip-plan.js'

const T0 = 1_800_000_000_000_000
/** A CEL row `ms` after T0, as cel_custom writes it. */
function row(ms: number, type: string, channel: string, uniqueId: string, linkedId: string, app: string, callerNumber: string, bridge?: string): CelEvent {
  return {type, us: T0 + ms * 1000, channel, uniqueId, linkedId, app, callerNumber, extra: bridge ? JSON.stringify({bridge_id: bridge, bridge_technology: 'simple_bridge'}) : ''}
}

const A = '+15550000001'
const B = '+15550000002'

/**
 * Two calls as the sandbox's boxes log them (the shape read from a real run): caller A on
 * box1 served by phone p1 registered on box2 (rung over the trunk), caller B on box2 served
 * by phone p2 on box2.
 */
function twoCalls(): {box1: CelEvent[]; box2: CelEvent[]} {
  return {
    box1: [
      row(0, 'CHAN_START', 'PJSIP/carrier-00000000', 'box1-1.0', 'box1-1.0', '', A),
      row(0.3, 'APP_START', 'PJSIP/carrier-00000000', 'box1-1.0', 'box1-1.0', 'Stasis', A),
      // The engine's ring leaves over the trunk: no number at first, the phone's id once answered.
      row(2, 'CHAN_START', 'PJSIP/interbox-00000001', 'call-x.r1', 'call-x.r1', '', ''),
      row(20, 'ANSWER', 'PJSIP/interbox-00000001', 'call-x.r1', 'call-x.r1', 'AppDial2', 'p1'),
      row(21, 'ANSWER', 'PJSIP/carrier-00000000', 'box1-1.0', 'box1-1.0', 'Stasis', A),
      row(21.5, 'BRIDGE_ENTER', 'PJSIP/carrier-00000000', 'box1-1.0', 'box1-1.0', 'Stasis', A, 'call-x.b'),
      row(22, 'BRIDGE_ENTER', 'PJSIP/interbox-00000001', 'call-x.r1', 'box1-1.0', 'Stasis', 'p1', 'call-x.b'),
      row(1020, 'HANGUP', 'PJSIP/interbox-00000001', 'call-x.r1', 'box1-1.0', 'AppDial2', 'p1'),
      row(1022, 'HANGUP', 'PJSIP/carrier-00000000', 'box1-1.0', 'box1-1.0', '', A),
    ],
    box2: [
      // The ring arriving carries the caller's number; Dial rings the phone from it.
      row(5, 'CHAN_START', 'PJSIP/interbox-00000001', 'box2-1.1', 'box2-1.1', '', A),
      row(8, 'CHAN_START', 'PJSIP/p1-00000002', 'box2-1.2', 'box2-1.1', '', 'p1'),
      row(15, 'ANSWER', 'PJSIP/p1-00000002', 'box2-1.2', 'box2-1.1', 'AppDial', 'p1'),
      row(16, 'ANSWER', 'PJSIP/interbox-00000001', 'box2-1.1', 'box2-1.1', 'Dial', A),
      row(16.2, 'BRIDGE_ENTER', 'PJSIP/p1-00000002', 'box2-1.2', 'box2-1.1', 'AppDial', 'p1', 'uuid-1'),
      row(16.4, 'BRIDGE_ENTER', 'PJSIP/interbox-00000001', 'box2-1.1', 'box2-1.1', 'Dial', A, 'uuid-1'),
      row(100, 'CHAN_START', 'PJSIP/carrier-00000003', 'box2-1.3', 'box2-1.3', '', B),
      row(100.5, 'APP_START', 'PJSIP/carrier-00000003', 'box2-1.3', 'box2-1.3', 'Stasis', B),
      row(103.5, 'CHAN_START', 'PJSIP/p2-00000004', 'call-y.r1', 'call-y.r1', '', 'p2'),
      row(110.5, 'ANSWER', 'PJSIP/p2-00000004', 'call-y.r1', 'call-y.r1', 'AppDial2', B),
      row(112.5, 'BRIDGE_ENTER', 'PJSIP/carrier-00000003', 'box2-1.3', 'box2-1.3', 'Stasis', B, 'call-y.b'),
      row(113.5, 'BRIDGE_ENTER', 'PJSIP/p2-00000004', 'call-y.r1', 'box2-1.3', 'Stasis', B, 'call-y.b'),
      row(1016, 'HANGUP', 'PJSIP/p1-00000002', 'box2-1.2', 'box2-1.1', 'AppDial', 'p1'),
      row(1017, 'HANGUP', 'PJSIP/interbox-00000001', 'box2-1.1', 'box2-1.1', '', A),
      row(1111, 'HANGUP', 'PJSIP/p2-00000004', 'call-y.r1', 'box2-1.3', 'AppDial2', B),
      row(1113, 'HANGUP', 'PJSIP/carrier-00000003', 'box2-1.3', 'box2-1.3', '', B),
    ],
  }
}

describe('several boxes\' CEL as one log', () => {
  it('a phone leg rung over the trunk carries its caller\'s number and the call\'s bridge on the caller\'s box; the rest is as logged, in time order', () => {
    const m = mergeBoxes(twoCalls())
    expect([...m.crossLegs]).toEqual(['box2-1.2'])
    const p1 = m.events.filter((e) => e.uniqueId === 'box2-1.2')
    expect(p1.map((e) => e.callerNumber)).toEqual([A, A, A, A])
    expect(p1.filter((e) => e.type === 'BRIDGE_ENTER').map((e) => JSON.parse(e.extra).bridge_id)).toEqual(['call-x.b'])
    // The same-box call's phone leg and the trunk legs are untouched.
    expect(m.events.filter((e) => e.uniqueId === 'call-y.r1').map((e) => e.callerNumber)).toEqual(['p2', B, B, B])
    expect(m.events.find((e) => e.uniqueId === 'box2-1.1' && e.type === 'BRIDGE_ENTER')!.extra).toContain('uuid-1')
    expect(m.events.map((e) => e.us)).toEqual([...m.events.map((e) => e.us)].sort((a, b) => a - b))
    expect(m.boxOf.get('box1-1.0')).toBe('box1')
    expect(m.boxOf.get('call-x.r1')).toBe('box1')
    expect(m.boxOf.get('box2-1.2')).toBe('box2')
  })

  it('one box: nothing to rewrite', () => {
    const only = {box1: twoCalls().box2.filter((e) => e.uniqueId === 'box2-1.3' || e.uniqueId === 'call-y.r1')}
    const m = mergeBoxes(only)
    expect(m.crossLegs.size).toBe(0)
    expect(m.events).toEqual(only.box1)
  })

  it('call setup: entered → ring (the phone\'s own channel) → answered and bridged on the caller\'s box; cross-box apart from same-box', () => {
    const events = twoCalls()
    const m = mergeBoxes(events)
    const callers = sipCallers(m.events, 'carrier', [A, B], 60)
    const s = callSetups(m, callers)
    expect(s).toEqual([
      {caller: 'box1-1.0', number: A, box: 'box1', cross: true, phone: 'p1', phoneBox: 'box2', enteredUs: T0 + 300, ringMs: 7.7, answeredMs: 19.7, bridgedMs: 21.7},
      {caller: 'box2-1.3', number: B, box: 'box2', cross: false, phone: 'p2', phoneBox: 'box2', enteredUs: T0 + 100_500, ringMs: 3, answeredMs: 10, bridgedMs: 13},
    ])
    const cost = crossBoxCost(s)
    expect(cost.same.calls).toBe(1)
    expect(cost.cross.calls).toBe(1)
    expect(cost.extraP50Ms).toBeCloseTo(8.7, 6)
  })

  it('a caller never connected has no setup time', () => {
    const events = twoCalls()
    events.box2 = events.box2.filter((e) => e.uniqueId !== 'call-y.r1')
    const m = mergeBoxes(events)
    const s = callSetups(m, sipCallers(m.events, 'carrier', [A, B], 60))
    expect(s.map((x) => x.number)).toEqual([A])
  })
})

describe('a run judged as bench:load --sip judges it', () => {
  const input: RunInput = {numberPrefix: '1555', phones: ['p1', 'p2'], talkS: 1, callers: 2, warmup: 0, rate: 2, wave: 2, spacingMs: 0, holdS: 60}
  function output(events: Record<string, CelEvent[]>, o: Partial<RunOutput> = {}): RunOutput {
    return {
      driven: {events, cpu: {boxes: {box1: 0.04, box2: 0.06}, proxy: 0.01, engine: 0.02}, wallS: 2, forced: new Set(), sippFailed: 0, sippErrors: []},
      numbers: [A, B],
      engineErrors: [],
      engineWarnings: [],
      restPerCall: null,
      ...o,
    }
  }

  it('both calls completed over two boxes, one of them crossing: the rate holds; calls and phones counted by box', () => {
    const s = judgeRun(input, output(twoCalls()), new Map([['p1', 'box2'], ['p2', 'box2']]))
    expect(s.ok).toBe(true)
    expect(s.run).toMatchObject({completed: 2, failed: 0, ringSamples: 2})
    expect(s.run.ringP50).toBeCloseTo(3, 6)
    expect(s.run.ringP99).toBeCloseTo(7.7, 6)
    expect(s.callsByBox).toEqual({box1: 1, box2: 1})
    expect(s.phonesByBox).toEqual({box2: 2})
    expect(s.cpuPer100).toEqual({boxes: {box1: 2, box2: 3}, asterisk: 5, proxy: 0.5, engine: 1, total: 6.5})
    expect(s.setup.cross.calls).toBe(1)
  })

  it('a cross-box call whose phone leg cannot be joined to its caller is a failed call, and a refused ring is counted', () => {
    const events = twoCalls()
    // Without the ring arriving on box2 the phone leg belongs to no caller.
    events.box2 = events.box2.filter((e) => e.uniqueId !== 'box2-1.1')
    const s = judgeRun(input, output(events, {engineWarnings: ['{"level":"warn","msg":"could not ring agent","error":"POST /channels: 500 {\\"error\\":\\"Allocation failed\\"}"}']}), new Map())
    expect(s.ok).toBe(false)
    expect(s.run.failed).toBe(1)
    expect(s.ringsRefused).toBe(1)
    expect(s.phonesByBox).toEqual({'?': 2})
  })
})

describe('losing a box', () => {
  const C = '+15550000003'
  /** twoCalls with box2 killed 500 ms in (its log ends there), and a third caller sent 1 s in, on box1, served by p3 on box1 (one caller a second, A sent 1 s before T0). */
  function raw(backMs: Record<string, number | null>): BoxLossRaw {
    const calls = twoCalls()
    const killMs = 500
    return {
      dead: 'box2',
      killUs: T0 + killMs * 1000,
      t0Us: T0 - 1_000_000,
      rate: 1,
      events: {
        box1: [
          ...calls.box1,
          row(2100, 'CHAN_START', 'PJSIP/carrier-00000005', 'box1-2.5', 'box1-2.5', '', C),
          row(2100.5, 'APP_START', 'PJSIP/carrier-00000005', 'box1-2.5', 'box1-2.5', 'Stasis', C),
          row(2103.5, 'CHAN_START', 'PJSIP/p3-00000006', 'call-z.r1', 'call-z.r1', '', 'p3'),
          row(2110.5, 'ANSWER', 'PJSIP/p3-00000006', 'call-z.r1', 'call-z.r1', 'AppDial2', C),
          row(2112.5, 'BRIDGE_ENTER', 'PJSIP/carrier-00000005', 'box1-2.5', 'box1-2.5', 'Stasis', C, 'call-z.b'),
          row(2113.5, 'BRIDGE_ENTER', 'PJSIP/p3-00000006', 'call-z.r1', 'box1-2.5', 'Stasis', C, 'call-z.b'),
          row(3200, 'HANGUP', 'PJSIP/p3-00000006', 'call-z.r1', 'box1-2.5', 'AppDial2', C),
          row(3201, 'HANGUP', 'PJSIP/carrier-00000005', 'box1-2.5', 'box1-2.5', '', C),
        ],
        box2: calls.box2.filter((e) => e.us < T0 + killMs * 1000),
      },
      numbers: [A, B, C],
      talkS: 1,
      holdS: 30,
      phones: ['p1', 'p2', 'p3'],
      backMs,
      registrationS: 10,
      endedByCause: {completed: 2, 'box-lost': 1},
      engineErrors: [],
      engineWarnings: ['{"level":"warn","msg":"Asterisk box box2 is lost: closing its 1 calls"}'],
      sippFailed: 2,
    }
  }

  it('calls in progress by box, the caller whose agent was on the dead box apart; new calls timed from their sending', () => {
    const f = boxLossFigures(raw({p2: 4000}))
    expect(f.onDead).toBe(1)
    expect(f.onLive.callers).toBe(0)
    expect(f.lostOnLive).toBe(0)
    // A on box1 was talking to p1 on box2: its agent leg went with the box.
    expect(f.crossingIntoDead).toMatchObject({callers: 1, completed: 0, failed: 1})
    expect(f.crossingEndS.max).toBeCloseTo(0.522, 6)
    expect(f.newCalls).toMatchObject({callers: 1, completed: 1})
    expect(f.newServedMs.max).toBeCloseTo(1113.5, 6)
    expect(f.firstNewServedMs).toBeCloseTo(1613.5, 6)
    expect(f.phonesBack).toBe(1)
    expect(f.engineSawLoss).toContain('box2 is lost')
    expect(f.ok).toEqual({lostOnlyOnDead: true, agentsBack: true, newCallsServed: true})
  })

  it('a phone not back, or back after one registration interval, misses the goal', () => {
    expect(boxLossFigures(raw({p2: null})).ok.agentsBack).toBe(false)
    expect(boxLossFigures(raw({p2: 10_500})).ok.agentsBack).toBe(false)
  })
})

describe('the measured model', () => {
  const cpu = {boxes: {box1: 2, box2: 3}, proxy: 0.5, engine: 1}

  it('CPU per 100 calls of each part, and calls/s per core = 1000 ÷ CPU ms per call', () => {
    expect(cpuPer100(cpu, 100)).toEqual({boxes: {box1: 2, box2: 3}, asterisk: 5, proxy: 0.5, engine: 1, total: 6.5})
    const m = capacityModel(cpu, 100, {box1: 60, box2: 40}, 2)
    expect(m.perCallMs).toEqual({asterisk: 50, proxy: 5, engine: 10, total: 65})
    expect(m.perBoxCallMs.box1).toBeCloseTo(33.333, 3)
    expect(m.perBoxCallMs.box2).toBeCloseTo(75, 6)
    expect(m.callsPerCore).toEqual({asterisk: 20, proxy: 200, engine: 100})
    expect(m.machineCallsPerS).toBeCloseTo(2000 / 65, 6)
  })

  it('one box: no proxy figure; no calls: no figure', () => {
    const m = capacityModel({boxes: {box1: 1}, proxy: null, engine: 0.5}, 50, {box1: 50}, 2)
    expect(m.perCallMs.proxy).toBeNull()
    expect(m.callsPerCore.proxy).toBeNull()
    expect(m.callsPerCore.asterisk).toBe(50)
    expect(cpuPer100(cpu, 0).asterisk).toBeNaN()
  })

  it('ratio is b over a, null when either is missing', () => {
    expect(ratio(2, 3)).toBe(1.5)
    expect(ratio(0, 3)).toBeNull()
    expect(ratio(null, 3)).toBeNull()
    expect(ratio(2, NaN)).toBeNull()
  })

  it('the setups are compared at the highest rate both held, else the lowest both tried', () => {
    const r = (v: number, ok: boolean) => ({value: v, ok})
    expect(commonRate([[r(5, true), r(10, true), r(15, false)], [r(5, true), r(10, false)]])).toBe(5)
    expect(commonRate([[r(5, true), r(10, true), r(15, true)], [r(5, true), r(10, true), r(15, true)]])).toBe(15)
    expect(commonRate([[r(5, false)], [r(5, false)]])).toBe(5)
    expect(commonRate([])).toBeNull()
  })
})

describe('the report', () => {
  it('a text table pads the first column left and the others right', () => {
    expect(textTable([['a', 'bb'], ['ccc', 'd']])).toEqual(['a    bb', '---  --', 'ccc   d'])
  })

  it('counts by key, in key order', () => {
    expect(countBy(['box2', 'box1', 'box2'])).toEqual({box1: 1, box2: 2})
  })

  function setupOf(label: string, boxes: string[], events: Record<string, CelEvent[]>, phoneBox: string): SetupResult {
    const input: RunInput = {numberPrefix: '1555', phones: ['p1', 'p2'], talkS: 1, callers: 2, warmup: 0, rate: 5, wave: 2, spacingMs: 0, holdS: 60}
    const out: RunOutput = {driven: {events, cpu: {boxes: Object.fromEntries(boxes.map((b) => [b, 0.1])), proxy: boxes.length > 1 ? 0.01 : null, engine: 0.05}, wallS: 2, forced: new Set(), sippFailed: 0, sippErrors: []}, numbers: [A, B], engineErrors: [], engineWarnings: [], restPerCall: null}
    const {setups: _, ...step} = judgeRun(input, out, new Map([['p1', phoneBox], ['p2', phoneBox]]))
    return {label, boxes, proxy: boxes.length > 1, asterisk: '22', phonesByBox: {}, ladder: [step], highest: 5, cross: step, boxLoss: null, model: null, loadavgBefore: [1, 1, 1], loadavgAfter: [1, 1, 1]}
  }

  it('the summary gives each figure with its ratio to one box; the cross-box cost is judged against the goal', () => {
    // One box: the second call alone, on box1.
    const oneBox = {box1: twoCalls().box2.filter((e) => e.uniqueId === 'box2-1.3' || e.uniqueId === 'call-y.r1')}
    const base = setupOf('one box', ['box1'], oneBox, 'box1')
    const other = setupOf('2 boxes + proxy', ['box1', 'box2'], twoCalls(), 'box2')
    const summary = summaryLines(base, other, 5).join('\n')
    expect(summary).toMatch(/highest sustained arrival rate, calls\/s\s+5\s+5\s+1\.00x/)
    expect(summary).toMatch(/CPU s per 100 calls: Asterisk, all boxes\s+5\.00\s+10\.00\s+2\.00x/)
    expect(summary).toMatch(/CPU s per 100 calls: proxy \(Kamailio\)\s+-\s+0\.50\s+-/)
    const cross = crossLines(base, other, {searchSeconds: 10, talkS: 1, headroom: 1.5, crossCallers: 2, crossRate: 5, crossPhones: 2, touch: true}).join('\n')
    expect(cross).toMatch(/2 boxes \+ proxy, cross box\s+1\s+7\.7 \/ 7\.7\s+19\.7 \/ 19\.7\s+21\.7 \/ 21\.7/)
    expect(cross).toContain('Cross-box cost: +8.7 ms at p50')
    expect(cross).toContain('at most 20 ms more at p50: met.')
  })
})
