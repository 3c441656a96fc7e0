import {describe, expect, it} from 'vitest'
import {celTime, parseCel, type CelEvent} from '../../src/bench/load/cel.js'
import {runMetrics, type RunSpec} from '../../src/bench/load/metrics.js'
import {parseProcStat} from '../../src/bench/load/proc.js'

describe('bench:load CEL rows', () => {
  it('reads event times exactly and leaves a torn last line for the next read', () => {
    expect(celTime('1795443057.217351')).toBe(1795443057217351)
    expect(celTime('1795443057.2')).toBe(1795443057200000)
    const text = '"CHAN_START","1795443057.000001","Local/s@x-1;1","id1","id1","","+1",""\n"HANGUP","17954'
    const rows = parseCel(text)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({type: 'CHAN_START', us: 1795443057000001, uniqueId: 'id1', callerNumber: '+1'})
  })

  it('reads CPU time from /proc/PID/stat whatever the command name holds', () => {
    const fields = ['S', ...Array.from({length: 10}, () => '0'), '250', '50', '0']
    expect(parseProcStat(`42 (as ter) (isk)) ${fields.join(' ')}`, 100)).toBe(3)
  })
})

// Times in ms after t0; every channel as the sandbox names it.
const T0 = 1_800_000_000_000_000
let seq = 0
function ev(ms: number, type: string, channel: string, o: Partial<CelEvent> = {}): CelEvent {
  return {type, us: T0 + Math.round(ms * 1000), channel, uniqueId: o.uniqueId ?? channel, linkedId: o.linkedId ?? '', app: o.app ?? '', callerNumber: o.callerNumber ?? '', extra: o.extra ?? '', ...o}
}
const enter = (ms: number, id: string) => ev(ms, 'APP_START', `Local/s@callctl-sim-caller-${id};1`, {uniqueId: id, app: 'Stasis'})
const hangupCaller = (ms: number, id: string) => ev(ms, 'HANGUP', `Local/s@callctl-sim-caller-${id};1`, {uniqueId: id})
const bridge = (ms: number, id: string, b: string) => ev(ms, 'BRIDGE_ENTER', `x;1`, {uniqueId: id, extra: JSON.stringify({bridge_id: b})})

/** An agent's pair dialled for a caller: ring, answer, bridge (unless `bridged` is false), hangups of ;2 then ;1. */
function agentCall(agent: string, caller: string, number: string, at: {ring: number; talkMs?: number; lagMs?: number; bridged?: boolean; cancelAt?: number}): CelEvent[] {
  const name = `Local/0-2-2-${agent}@callctl-sim-agent-${(++seq).toString(16).padStart(8, '0')}`
  const one = `${name};1`
  const two = `${name};2`
  const o = {callerNumber: number}
  const out = [ev(at.ring, 'CHAN_START', one, o), ev(at.ring, 'CHAN_START', two, o)]
  if (at.cancelAt !== undefined) return [...out, ev(at.cancelAt, 'HANGUP', one, o), ev(at.cancelAt + 1, 'HANGUP', two, o)]
  out.push(ev(at.ring + 1, 'ANSWER', two, o), ev(at.ring + 1.5, 'ANSWER', one, o))
  if (at.bridged !== false) out.push(ev(at.ring + 2, 'BRIDGE_ENTER', one, {...o, extra: JSON.stringify({bridge_id: `b-${caller}`})}), bridge(at.ring + 2, caller, `b-${caller}`))
  const end = at.ring + 1 + (at.talkMs ?? 2000)
  out.push(ev(end, 'HANGUP', two, o), ev(end + (at.lagMs ?? 0), 'HANGUP', one, o))
  return out
}

function spec(callers: Record<string, number>, forced: string[] = []): RunSpec {
  return {
    enterApp: 'Stasis',
    callers: new Map(Object.entries(callers).map(([id, patienceS]) => [id, {number: `+1${id}`, patienceS}])),
    originateErrors: new Map(),
    forced: new Set(forced),
    agents: new Map([
      ['0-2-2-a1', 'a1'],
      ['0-2-2-a2', 'a2'],
    ]),
    talkS: 2,
  }
}

const sorted = (es: CelEvent[]) => [...es].sort((a, b) => a.us - b.us)

describe('bench:load figures from CEL', () => {
  it('ring latency with an idle agent, agent-free → next ring from the agent side hanging up, outcomes', () => {
    const events = sorted([
      enter(0, 'c1'),
      ...agentCall('a1', 'c1', '+1c1', {ring: 1, lagMs: 300}),
      enter(500, 'c2'),
      ...agentCall('a2', 'c2', '+1c2', {ring: 505}),
      enter(1000, 'c3'),
      enter(1100, 'c4'),
      // a1's agent hangs up at 2002 (;2), its ;1 goes at 2302: the router rang a1 at 2010, not a double booking.
      ...agentCall('a1', 'c3', '+1c3', {ring: 2010}),
      hangupCaller(2003, 'c1'),
      hangupCaller(2110, 'c4'),
      hangupCaller(2508, 'c2'),
      hangupCaller(4020, 'c3'),
    ])
    const m = runMetrics(events, spec({c1: 60, c2: 60, c3: 60, c4: 1}))
    expect(m).toMatchObject({placed: 4, completed: 3, abandoned: 1, failed: 0, doubleBooked: 0})
    expect(m.ringMs).toMatchObject({n: 2, p50: 1, max: 5})
    expect(m.freeToRingMs).toMatchObject({n: 1, p50: 8})
  })

  it('a caller whose patience runs out as it is connected abandoned; one cut off early failed; a canceled ring is no call', () => {
    const events = sorted([
      enter(0, 'c1'),
      // c1 (patience 1 s) connected at 999 ms and hung up at 1000 ms: the agent's leg ends at once.
      ...agentCall('a1', 'c1', '+1c1', {ring: 997, talkMs: 10}),
      hangupCaller(1000, 'c1'),
      enter(0, 'c2'),
      // c2 (patience 60 s) cut off 500 ms into the call.
      ...agentCall('a2', 'c2', '+1c2', {ring: 5, talkMs: 500}),
      hangupCaller(510, 'c2'),
      enter(3000, 'c3'),
      ...agentCall('a1', 'c3', '+1c3', {ring: 3001, cancelAt: 3500}),
      hangupCaller(3499, 'c3'),
    ])
    const m = runMetrics(events, spec({c1: 1, c2: 60, c3: 0.5}))
    expect(m).toMatchObject({completed: 0, abandoned: 2, failed: 1, failures: {'cut off while talking': 1}})
  })

  it('calls the bench hung up at its deadline failed', () => {
    const events = sorted([enter(0, 'c1'), hangupCaller(90_000, 'c1')])
    expect(runMetrics(events, spec({c1: 60}, ['c1']))).toMatchObject({abandoned: 0, failed: 1, failures: {'still up at the deadline': 1}})
  })
})
