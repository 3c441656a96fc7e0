// bench:failover's judging (src/bench/failover/check.ts and report.ts): percentiles, the
// takeover's first ring, and the calls lost, events duplicated and events missing, read
// from a list of events as the store returns them.
import {describe, expect, it} from 'vitest'
import {checkCalls, firstRingByAnother, percentile, spread, stableJson, writesAfter} from '../../src/bench/failover/check.js'
import {afterSignal, celStory, explainLost, type Signal} from '../../src/bench/failover/explain.js'
import {missed, rows, type FailoverFacts} from '../../src/bench/failover/report.js'
import type {CelEvent} from '../../src/bench/load/cel.js'
import type {EventType, StoredEvent} from '../../src/engine/store/events.js'

let nextId = 1
function ev(type: EventType, callId: string | null, ts: number, o: {data?: Record<string, unknown>; agent?: string; origin?: string} = {}): StoredEvent {
  return {id: nextId++, type, ts, callId, queue: callId ? 'q' : null, agent: o.agent ?? null, data: o.data ?? {}, origin: o.origin ?? 'engine:h:1'}
}

/** A whole served call: in, queued, rung, connected, completed, ended. */
function served(callId: string, number: string, t: number, origin = 'engine:h:1'): StoredEvent[] {
  return [
    ev('call.started', callId, t, {data: {number, direction: 'inbound'}, origin}),
    ev('queue.entered', callId, t + 1, {data: {position: 1}, origin}),
    ev('agent.ringing', callId, t + 2, {agent: 'a1', data: {endpoint: 'Local/a1', attempt: 1}, origin}),
    ev('call.connected', callId, t + 3, {agent: 'a1', data: {waitMs: 3, ringMs: 1}, origin}),
    ev('call.completed', callId, t + 9, {agent: 'a1', data: {by: 'agent', talkMs: 6}, origin}),
    ev('call.ended', callId, t + 10, {data: {cause: 'completed'}, origin}),
  ]
}

describe('percentiles', () => {
  it('nearest rank: p50 of 1..10 is 5, p99 of 20 values is the largest, one value is every percentile', () => {
    const ten = [7, 3, 10, 1, 9, 2, 8, 4, 6, 5]
    expect(percentile(ten, 0.5)).toBe(5)
    expect(percentile(ten, 0.9)).toBe(9)
    expect(percentile(Array.from({length: 20}, (_, i) => 100 + i), 0.99)).toBe(119)
    expect(percentile(Array.from({length: 200}, (_, i) => i + 1), 0.99)).toBe(198)
    expect(percentile([42], 0.5)).toBe(42)
    expect(percentile([], 0.5)).toBeNull()
    expect(spread([300, 100, 200])).toEqual({n: 3, p50: 200, p99: 300, max: 300})
    expect(spread([])).toEqual({n: 0, p50: null, p99: null, max: null})
  })
})

describe('the takeover ring and the woken leader', () => {
  it('takes the earliest ring by another engine at or after the signal, never the old leader', () => {
    const events = [
      ev('agent.ringing', 'c1', 1000, {origin: 'engine:h:1'}),
      ev('agent.ringing', 'c2', 900, {origin: 'engine:h:2'}),
      ev('call.connected', 'c3', 1100, {origin: 'engine:h:2'}),
      ev('agent.ringing', 'c4', 1300, {origin: 'engine:h:2'}),
      ev('agent.ringing', 'c5', 1200, {origin: 'engine:h:2'}),
      ev('agent.ringing', 'c6', 1150, {origin: 'cli'}),
    ]
    expect(firstRingByAnother(events, 'engine:h:1', 1000)?.callId).toBe('c5')
    expect(firstRingByAnother(events, 'engine:h:2', 1000)?.callId).toBe('c1')
    expect(firstRingByAnother(events.slice(0, 3), 'engine:h:1', 1000)).toBeNull()
  })

  it('finds what a deposed leader wrote after a given event id', () => {
    const events = [ev('agent.ringing', 'c1', 1, {origin: 'engine:h:1'}), ev('engine.started', null, 2, {origin: 'engine:h:2'}), ev('call.ended', 'c1', 3, {origin: 'engine:h:1'}), ev('call.ended', 'c2', 4, {origin: 'engine:h:2'})]
    expect(writesAfter(events, 'engine:h:1', events[1]!.id).map((e) => e.callId)).toEqual(['c1'])
    expect(writesAfter(events, 'engine:h:1', events[2]!.id)).toEqual([])
  })
})

describe('calls lost, events duplicated and lost', () => {
  it('a clean run: every caller completed or abandoned, nothing duplicated or missing, whichever engine wrote what', () => {
    const events = [
      ...served('c1', '+1', 0),
      // Connected under the old leader, completed and ended under the new one.
      ...served('c2', '+2', 100).map((e) => (e.type === 'call.completed' || e.type === 'call.ended' ? {...e, origin: 'engine:h:2'} : e)),
      ev('call.started', 'c3', 200, {data: {number: '+3'}}),
      ev('queue.entered', 'c3', 201),
      ev('queue.abandoned', 'c3', 260, {data: {waitMs: 59}}),
      ev('call.ended', 'c3', 260, {data: {cause: 'abandoned'}}),
      // Its agent hung up while no engine led: the new leader closes it, talk estimated.
      ...served('c4', '+4', 300).map((e) => (e.type === 'call.ended' ? {...e, data: {cause: 'completed-while-engine-down'}} : e)),
      // An engine's own event, no call: not judged.
      ev('engine.started', null, 400),
    ]
    const r = checkCalls(events, ['+1', '+2', '+3', '+4'])
    expect(r).toMatchObject({offered: 4, completed: 3, completedWhileNoLeader: 1, abandoned: 1, lost: 0, duplicated: 0, missing: 0})
    expect([...r.lostCalls, ...r.duplicatedEvents, ...r.lostEvents]).toEqual([])
  })

  it('loses a caller with no call, a call never ended, and one ended by the engine (engine-restart, system-ended)', () => {
    const events = [
      ...served('c1', '+1', 0),
      ...served('c2', '+2', 100).filter((e) => e.type !== 'call.ended'),
      ev('call.started', 'c3', 200, {data: {number: '+3'}}),
      ev('queue.entered', 'c3', 201),
      ev('call.ended', 'c3', 230, {data: {cause: 'engine-restart'}}),
      ev('call.started', 'c4', 300, {data: {number: '+4'}}),
      ev('queue.entered', 'c4', 301),
      ev('queue.system_ended', 'c4', 330, {data: {reason: 'shutdown'}}),
      ev('call.ended', 'c4', 330, {data: {cause: 'system-ended'}}),
    ]
    const r = checkCalls(events, ['+1', '+2', '+3', '+4', '+5'])
    expect(r.lostCalls.map((f) => `${f.number} ${f.problem}`)).toEqual(['+2 never ended (last: call.completed)', '+3 ended engine-restart', '+4 ended system-ended', '+5 no call.started for this caller'])
    expect(r.lost).toBe(4)
    expect(r.completed).toBe(1)
    // The call that never ended also lacks its last event.
    expect(r.lostEvents.map((f) => f.problem)).toEqual(['call.ended missing (trail ends with call.completed)'])
  })

  it('counts a once-only event written twice, identical events, and a caller logged as two calls', () => {
    const c1 = served('c1', '+1', 0)
    const connected = c1.find((e) => e.type === 'call.connected')!
    const events = [
      ...c1,
      // The same connect by the new leader, a moment later (two engines, one fact).
      {...connected, id: nextId++, ts: connected.ts + 400, origin: 'engine:h:2'},
      // An event that may repeat (a ring) repeated identically: written twice.
      ...served('c2', '+2', 100),
      ev('agent.ring_noanswer', 'c2', 150, {agent: 'a2', data: {reason: 'timeout', ringMs: 15000}}),
      ev('agent.ring_noanswer', 'c2', 150, {agent: 'a2', data: {ringMs: 15000, reason: 'timeout'}}),
      ev('agent.ringing', 'c2', 140, {agent: 'a2', data: {endpoint: 'Local/a2', attempt: 1}}),
      ev('agent.ringing', 'c2', 149, {agent: 'a2', data: {endpoint: 'Local/a2', attempt: 2}}),
      // The same caller entering twice.
      ...served('c3', '+3', 200),
      ...served('c3b', '+3', 200),
    ]
    const r = checkCalls(events, ['+1', '+2', '+3'])
    expect(r.duplicatedEvents.map((f) => `${f.callId} ${f.problem.split(' (')[0]} x${f.count}`).sort()).toEqual(['c1 call.connected 2 times x1', 'c2 identical agent.ring_noanswer 2 times x1', 'c3,c3b the caller logged as 2 calls x1'])
    expect(r.duplicated).toBe(3)
    // Two connects for one ring also leave a connect without its ring (c2's rings all have their outcome).
    expect(r.lostEvents.map((f) => `${f.callId} ${f.problem.split(' (')[0]}`)).toEqual(['c1 agent.ringing missing'])
    expect(r.lost).toBe(0)
  })

  it('finds events missing from a trail: start, queue entry, completion, connect, abandon, ring outcomes', () => {
    const events = [
      // No call.started (the old leader died before writing it), the number known from a later event.
      ev('queue.entered', 'c1', 1, {data: {number: '+1'}}),
      ev('agent.ringing', 'c1', 2),
      ev('call.connected', 'c1', 3),
      ev('call.completed', 'c1', 9),
      ev('call.ended', 'c1', 10, {data: {cause: 'completed'}}),
      // Connected without a queue entry, and never completed.
      ev('call.started', 'c2', 100, {data: {number: '+2'}}),
      ev('agent.ringing', 'c2', 102),
      ev('call.connected', 'c2', 103),
      ev('call.ended', 'c2', 110, {data: {cause: 'completed'}}),
      // Completed without being connected; a ring with no outcome; abandoned without queue.abandoned.
      ev('call.started', 'c3', 200, {data: {number: '+3'}}),
      ev('queue.entered', 'c3', 201),
      ev('agent.ringing', 'c3', 202),
      ev('call.completed', 'c3', 209),
      ev('call.ended', 'c3', 210, {data: {cause: 'completed'}}),
      ev('call.started', 'c4', 300, {data: {number: '+4'}}),
      ev('queue.entered', 'c4', 301),
      ev('call.ended', 'c4', 390, {data: {cause: 'abandoned'}}),
    ]
    const r = checkCalls(events, ['+1', '+2', '+3', '+4'])
    expect(r.lostEvents.map((f) => `${f.callId} ${f.problem.split(' (')[0]}`)).toEqual([
      'c1 call.started missing',
      'c2 queue.entered missing',
      'c2 call.completed missing',
      'c3 call.connected missing',
      'c3 ring outcome missing',
      'c4 queue.abandoned missing',
    ])
    expect(r.missing).toBe(6)
    // +1's call has no call.started, so the caller has no call of theirs: lost as well.
    expect(r.lostCalls.map((f) => f.number)).toEqual(['+1'])
    expect(r.completed).toBe(2)
    expect(r.abandoned).toBe(1)
  })

  it('compares data whatever the order of its keys', () => {
    expect(stableJson({b: 1, a: {d: [1, {f: 2, e: 3}], c: null}})).toBe(stableJson({a: {c: null, d: [1, {e: 3, f: 2}]}, b: 1}))
    expect(stableJson({a: 1})).not.toBe(stableJson({a: '1'}))
  })
})

describe('explaining a lost call', () => {
  const signals: Signal[] = [
    {kind: 'kill', n: 1, at: 10_000, takeoverMs: 400},
    {kind: 'freeze', n: 1, at: 30_000, takeoverMs: 3500},
  ]
  const cel = (type: string, ms: number, app = '', extra = ''): CelEvent => ({type, us: ms * 1000, channel: 'Local/s@callctl-sim-caller-1;1', uniqueId: 'u1', linkedId: 'u1', app, callerNumber: '+9', extra})

  it('names the last signal before a moment, within a minute', () => {
    expect(afterSignal(10_120, signals)).toBe('120 ms after kill 1 (takeover 400 ms)')
    expect(afterSignal(31_000, signals)).toBe('1000 ms after freeze 1 (takeover 3500 ms)')
    expect(afterSignal(9_000, signals)).toBeNull()
    expect(afterSignal(95_000, signals)).toBeNull()
  })

  it("tells the caller's story from CEL: Stasis with no engine, the busy message, the hangup", () => {
    const events = [cel('CHAN_START', 10_100), cel('APP_START', 10_150, 'Stasis'), cel('ANSWER', 10_160), cel('HANGUP', 12_400, '', '{"hangupcause":16,"dialstatus":""}'), cel('CHAN_END', 12_401)]
    expect(celStory(events, '+9', signals)).toBe('CEL: reached Stasis 150 ms after kill 1 (takeover 400 ms), answered +10 ms, hung up +2250 ms (cause 16)')
    expect(celStory(events.slice(0, 1), '+9', signals)).toBe('CEL: never reached Stasis')
    expect(celStory(events, '+8', signals)).toBeNull()
    const lost = explainLost([{callId: null, number: '+9', problem: 'no call.started for this caller', count: 1}], {placedAt: new Map([['+9', 10_090]]), lastEventTs: new Map(), signals, cel: events})
    expect(lost[0]!.problem).toBe('no call.started for this caller; placed 90 ms after kill 1 (takeover 400 ms); CEL: reached Stasis 150 ms after kill 1 (takeover 400 ms), answered +10 ms, hung up +2250 ms (cause 16)')
  })
})

describe('targets', () => {
  const facts = (over: Partial<FailoverFacts> = {}): FailoverFacts => ({
    command: 'npm run bench:failover',
    machine: {cpus: 2, model: 'x', node: 'v20', asterisk: '22', postgres: '15', loadavgBefore: [0, 0, 0], loadavgAfter: [0, 0, 0]},
    settings: {kills: 2, freezes: 1, rate: 3, talkS: {min: 4, max: 8}, agents: 27, patienceS: 180, settleS: 5, leaseMs: 3000, seed: 1},
    takeovers: [
      {n: 1, kind: 'kill', at: 1000, ms: 400, from: 'e1', to: 'e2'},
      {n: 2, kind: 'kill', at: 20_000, ms: 600, from: 'e2', to: 'e3'},
      {n: 1, kind: 'freeze', at: 40_000, ms: 3500, from: 'e3', to: 'e4', steppedDown: true, writesAfterTakeover: 0},
    ],
    kills: spread([400, 600]),
    freezes: spread([3500]),
    calls: checkCalls([...served('c1', '+1', 0)], ['+1']),
    notPlaced: 0,
    engineErrors: [],
    logDir: '/tmp/x',
    abortedBecause: null,
    wallS: 100,
    ...over,
  })

  it('all met: no target missed; p50 and max carry no target', () => {
    expect(missed(facts())).toEqual([])
    const r = rows(facts())
    expect(r.find((x) => x.figure === 'SIGKILL: takeover p99')).toMatchObject({value: '600 ms', target: '<= 5000 ms', met: true})
    expect(r.find((x) => x.figure === 'SIGKILL: takeover p50')?.met).toBeNull()
  })

  it('misses: a slow takeover, one that never came, a woken leader that wrote, a lost call', () => {
    const f = facts({
      takeovers: [
        {n: 1, kind: 'kill', at: 1000, ms: 5200, from: 'e1', to: 'e2'},
        {n: 2, kind: 'kill', at: 20_000, ms: null, from: 'e2', to: null},
        {n: 1, kind: 'freeze', at: 40_000, ms: 3500, from: 'e3', to: 'e4', steppedDown: false, writesAfterTakeover: 2},
      ],
      kills: spread([5200]),
      calls: checkCalls([], ['+1']),
    })
    expect(missed(f)).toEqual([
      'SIGKILL: takeovers seen: 1 of 2 (target 2 of 2)',
      'SIGKILL: takeover p99: 5200 ms (target <= 5000 ms)',
      'woken leaders that stepped down: 0 of 1 (target 1 of 1)',
      "woken leaders' events after the takeover: 2 (target 0)",
      'calls lost: 1 (target 0)',
    ])
  })
})
