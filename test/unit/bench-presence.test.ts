// bench:presence's counting (src/bench/presence/count.ts): the engine's presence events
// folded into windows, each ring judged against what the engine knew and against the
// bench's ground truth (with the grace at a window's end), flap timings and the SIPp
// trace time of a REGISTER 200 OK.
import {describe, expect, it} from 'vitest'
import {busyTimings, classifyRing, countRings, engineWindows, flapTimings, registerOkAt, ringsOf, stat, type TruthBusy, type TruthDown} from '../../src/bench/presence/count.js'
import type {EventType, StoredEvent} from '../../src/engine/store/events.js'

let nextId = 1
function ev(type: EventType, agent: string, ts: number, data: Record<string, unknown> = {}, id = nextId++): StoredEvent {
  return {id, type, ts, agent, callId: type === 'agent.ringing' ? `c${id}` : null, queue: null, data, origin: ''}
}

describe('engine windows', () => {
  it('pairs unreachable/reachable and other_call/_ended per agent, by event id, leaving the last open', () => {
    const events = [
      ev('agent.unreachable', 'a', 100, {reason: 'unregistered'}, 1),
      ev('agent.other_call', 'b', 110, {}, 2),
      ev('agent.reachable', 'a', 200, {}, 3),
      ev('agent.other_call_ended', 'b', 210, {}, 4),
      ev('agent.unreachable', 'a', 300, {reason: 'no answer to qualify'}, 5),
      // A second start while open is the engine's bug: the first is kept.
      ev('agent.unreachable', 'a', 310, {}, 6),
    ]
    expect(engineWindows(events)).toEqual([
      {agent: 'a', kind: 'unreachable', startId: 1, startTs: 100, reason: 'unregistered', endId: 3, endTs: 200},
      {agent: 'b', kind: 'other-call', startId: 2, startTs: 110, reason: null, endId: 4, endTs: 210},
      {agent: 'a', kind: 'unreachable', startId: 5, startTs: 300, reason: 'no answer to qualify', endId: null, endTs: null},
    ])
  })
})

describe('classifying a ring', () => {
  const down: TruthDown[] = [
    {agent: 'a', kind: 'unregister', goneAt: 1000, downAt: 1050, upAt: 5000},
    {agent: 'k', kind: 'kill', goneAt: 1000, downAt: 1000, upAt: 20_000},
  ]
  const busy: TruthBusy[] = [{agent: 'b', originateAt: 1000, answeredAt: 1300, endedAt: 3300}]
  const engine = engineWindows([ev('agent.unreachable', 'a', 1052, {}, 10), ev('agent.reachable', 'a', 5003, {}, 20), ev('agent.other_call', 'b', 1010, {}, 30), ev('agent.other_call_ended', 'b', 3302, {}, 40)])
  const at = (agent: string, ts: number, id: number) => classifyRing({id, ts, agent, callId: null}, {down, busy}, engine, 20)

  it('a ring the engine made after its own unreachable or other_call event is a violation, whatever the truth', () => {
    expect(at('a', 1060, 11).class).toBe('engine-knew-unreachable')
    expect(at('b', 2000, 31).class).toBe('engine-knew-other-call')
    // Before the engine's event (by id) it could not know: the truth decides.
    expect(at('a', 1051, 9)).toMatchObject({class: 'unregistered-race', offsetMs: 1})
    // After the closing event the engine knew the phone was back.
    expect(at('a', 5004, 21).class).toBe('clear')
  })

  it('explicit unregister: take-down gap before the 200 OK, race after it, edge within the grace before the return', () => {
    expect(at('a', 1020, 5)).toMatchObject({class: 'takedown-gap', offsetMs: 20})
    expect(at('a', 999, 5).class).toBe('clear')
    expect(at('a', 4985, 5).class).toBe('edge')
    expect(at('a', 4975, 5).class).toBe('unregistered-race')
    expect(at('a', 5000, 5).class).toBe('clear')
  })

  it('a silent phone is rung before qualify tells: expected, counted apart', () => {
    expect(at('k', 9000, 5)).toMatchObject({class: 'silent-before-qualify', offsetMs: 8000})
  })

  it('direct calls: ringing before the answer, busy race from the answer, edge at the hang-up', () => {
    expect(at('b', 1005, 29)).toMatchObject({class: 'direct-ringing', offsetMs: 5})
    expect(at('b', 1301, 29)).toMatchObject({class: 'busy-race', offsetMs: 1})
    expect(at('b', 3290, 29).class).toBe('edge')
    expect(at('b', 3300, 41).class).toBe('clear')
  })

  it('an unanswered direct call counts as ringing until it ended; an open window runs to the end', () => {
    const b2: TruthBusy[] = [{agent: 'c', originateAt: 100, answeredAt: null, endedAt: 400}]
    expect(classifyRing({id: 1, ts: 300, agent: 'c', callId: null}, {down: [], busy: b2}, [], 20).class).toBe('direct-ringing')
    expect(classifyRing({id: 1, ts: 400, agent: 'c', callId: null}, {down: [], busy: b2}, [], 20).class).toBe('clear')
    const open: TruthDown[] = [{agent: 'c', kind: 'kill', goneAt: 100, downAt: 100, upAt: null}]
    expect(classifyRing({id: 1, ts: 1e9, agent: 'c', callId: null}, {down: open, busy: []}, [], 20).class).toBe('silent-before-qualify')
  })

  it('counts every class', () => {
    const c = countRings([at('a', 1060, 11), at('a', 1051, 9), at('b', 1301, 29), at('z', 1, 1)])
    expect(c['engine-knew-unreachable']).toBe(1)
    expect(c['unregistered-race']).toBe(1)
    expect(c['busy-race']).toBe(1)
    expect(c.clear).toBe(1)
  })
})

describe('timings', () => {
  it('per flap: to unreachable from the unregister 200 OK or the kill, back and rung after the return, stuck agents', () => {
    const events = [
      ev('agent.unreachable', 'a', 1053, {reason: 'unregistered'}, 1),
      ev('agent.reachable', 'a', 5002, {}, 2),
      ev('agent.ringing', 'a', 5004, {}, 3),
      ev('agent.unreachable', 'k', 13_500, {reason: 'no answer to qualify'}, 4),
      // The killed phone came back at 20 000 but the engine never said reachable.
    ]
    const downs: TruthDown[] = [
      {agent: 'a', kind: 'unregister', goneAt: 1000, downAt: 1050, upAt: 5000},
      {agent: 'k', kind: 'kill', goneAt: 1000, downAt: 1000, upAt: 20_000},
      {agent: 'n', kind: 'kill', goneAt: 1000, downAt: 1000, upAt: 3000},
    ]
    const t = flapTimings(downs, engineWindows(events), ringsOf(events), {graceMs: 20, endOfLog: 30_000, stuckMs: 5000})
    expect(t[0]).toEqual({agent: 'a', kind: 'unregister', toUnreachableMs: 3, reason: 'unregistered', toReachableMs: 2, toNextRingMs: 4, stuck: false})
    expect(t[1]).toMatchObject({toUnreachableMs: 12_500, toReachableMs: null, toNextRingMs: null, stuck: true})
    expect(t[2]).toMatchObject({toUnreachableMs: null, stuck: false})
  })

  it('per direct call: other_call from the answer (negative when seen ringing), ended from the hang-up', () => {
    const w = engineWindows([ev('agent.other_call', 'b', 1010, {}, 1), ev('agent.other_call_ended', 'b', 3305, {}, 2)])
    expect(busyTimings([{agent: 'b', originateAt: 1000, answeredAt: 1300, endedAt: 3300}], w)).toEqual([{agent: 'b', answered: true, toOtherCallMs: -290, toEndedMs: 5}])
  })

  it('nearest-rank p50 and max', () => {
    expect(stat([])).toEqual({n: 0, p50: null, max: null, min: null})
    expect(stat([5, 1, 3, 2])).toEqual({n: 4, p50: 2, max: 5, min: 1})
  })
})

describe('SIPp trace', () => {
  const trace = [
    '----------------------------------------------- 2026-12-07 05:35:25.100000',
    'UDP message sent (400 bytes):',
    '',
    'REGISTER sip:127.0.0.1:5070 SIP/2.0',
    'CSeq: 1 REGISTER',
    '',
    '----------------------------------------------- 2026-12-07 05:35:25.101000',
    'UDP message received [300] bytes :',
    '',
    'SIP/2.0 401 Unauthorized',
    'CSeq: 1 REGISTER',
    '',
    '----------------------------------------------- 2026-12-07 05:35:25.112523',
    'UDP message received [300] bytes :',
    '',
    'SIP/2.0 200 OK',
    'CSeq: 2 REGISTER',
    '',
    '----------------------------------------------- 2026-12-07 05:35:26.000000',
    'UDP message received [300] bytes :',
    '',
    'SIP/2.0 200 OK',
    'CSeq: 102 INVITE',
    '',
  ].join('\n')

  it('reads the 200 OK to the REGISTER (local time, ms)', () => {
    expect(registerOkAt(trace, 2)).toBe(new Date('2026-12-07T05:35:25.112').getTime())
    expect(registerOkAt(trace)).toBe(new Date('2026-12-07T05:35:25.112').getTime())
    expect(registerOkAt(trace, 3)).toBeNull()
    expect(registerOkAt('')).toBeNull()
  })
})

describe('engine windows that match no flap', () => {
  it('a blip opening after the phone is back is not the flap being noticed', async () => {
    const {matchedWindow, unmatchedWindows} = await import('../../src/bench/presence/count.js')
    const w = engineWindows([
      ev('agent.unreachable', 'k', 900, {reason: 'not registered'}, 1),
      ev('agent.reachable', 'k', 950, {}, 2),
      ev('agent.unreachable', 'k', 13_000, {reason: 'no answer to qualify'}, 3),
      ev('agent.reachable', 'k', 20_001, {}, 4),
      ev('agent.unreachable', 'k', 20_003, {reason: 'unregistered'}, 5),
      ev('agent.reachable', 'k', 20_004, {}, 6),
    ])
    const downs: TruthDown[] = [{agent: 'k', kind: 'kill', goneAt: 1000, downAt: 1000, upAt: 20_000}]
    expect(matchedWindow(downs[0]!, w)?.startId).toBe(3)
    // Id 1 is before the run (start-up); id 5 is the blip.
    expect(unmatchedWindows(downs, w, 2).map((x) => x.startId)).toEqual([5])
    const slow: TruthDown = {agent: 'k', kind: 'kill', goneAt: 14_000, downAt: 14_000, upAt: 20_000}
    expect(matchedWindow(slow, w)).toBeUndefined()
  })
})

describe('rings outliving the engine knowing', () => {
  it('a ring placed before agent.unreachable and ended by its timeout after it: the overhang from the engine knowing', async () => {
    const {ringOverhangs} = await import('../../src/bench/presence/count.js')
    const events = [
      ev('agent.ringing', 'k', 1000, {}, 1),
      ev('agent.unreachable', 'k', 4000, {reason: 'no answer to qualify'}, 2),
      ev('agent.reachable', 'k', 7000, {}, 3),
      {...ev('agent.ring_noanswer', 'k', 16_000, {reason: 'timeout'}, 4), callId: 'c1'},
      ev('agent.ringing', 'b', 17_000, {}, 5),
      {...ev('call.connected', 'b', 17_300, {}, 6), callId: 'c5'},
    ]
    expect(ringOverhangs(ringsOf(events), events, engineWindows(events))).toEqual([{ringId: 1, agent: 'k', callId: 'c1', overhangMs: 12_000, endedBy: 'no answer (timeout)'}])
  })
})
