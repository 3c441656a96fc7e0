import {describe, expect, it} from 'vitest'
import {mayReceive, narrowed, refusal, type CallParties, type Ownership} from '../../src/engine/api/access-policy.js'
import type {EngineSnapshot} from '../../src/engine/api/contract.js'
import type {Principal} from '../../src/engine/users/roles.js'

// The access policy's decisions on hand-made calls and snapshots (the same table on a real
// engine, every method by every role: test/integration/roles.test.ts).

const agent: Principal = {user: '王芳', role: 'agent', agent: 'a1'}
const supervisor: Principal = {user: 'sup', role: 'supervisor', agent: null}
const admin: Principal = {user: 'admin', role: 'admin', agent: null}
const live = new Map<string, CallParties>([
  ['c1', {agent: 'a1', ringing: []}],
  ['c2', {agent: 'a2', ringing: []}],
  ['c3', {agent: null, ringing: ['a1', 'a3']}],
])
const engine: Ownership = {call: (id) => live.get(id)}

describe('refusal', () => {
  it('lets an agent act on its own agent and on calls it answered, see calls that ring it, and nothing else', async () => {
    expect(await refusal('agent.pause', {agent: 'a1'}, agent, engine)).toBeNull()
    expect(await refusal('agent.pause', {agent: 'a2'}, agent, engine)).toBe('role agent may call agent.pause only for its own agent a1, not a2')
    expect(await refusal('call.hold', {call: 'c1'}, agent, engine)).toBeNull()
    expect(await refusal('call.get', {call: 'c3'}, agent, engine)).toBeNull()
    expect(await refusal('call.hold', {call: 'c2'}, agent, engine)).toBe('role agent may call call.hold only on calls its agent a1 answered')
    // Ringing it: seen, not hung up.
    expect(await refusal('call.hangup', {call: 'c3'}, agent, engine)).toBe('role agent may call call.hangup only on calls its agent a1 answered')
    expect(await refusal('call.get', {call: 'c2'}, agent, engine)).toBe('role agent may call call.get only on calls of its agent a1')
    // A call that does not exist is refused as another's would be: nothing learnt from the answer.
    expect(await refusal('call.hold', {call: 'gone'}, agent, engine)).toBe('role agent may call call.hold only on calls its agent a1 answered')
    expect(await refusal('call.get', {call: 'gone'}, agent, engine)).toBe('role agent may call call.get only on calls of its agent a1')
    expect(await refusal('supervise.list', {}, agent, engine)).toBe('role agent may not call supervise.list')
    expect(await refusal('agent.pause', {agent: 'a1'}, {user: 'odd', role: 'agent', agent: null}, engine)).toBe('user odd has the agent role but no agent')
  })

  it('lets a supervisor watch, supervise and move calls but not place them; an admin everything', async () => {
    expect(await refusal('supervise.start', {agent: 'a2', mode: 'monitor', from: 'PJSIP/2001'}, supervisor, engine)).toBeNull()
    expect(await refusal('call.hangup', {call: 'c2'}, supervisor, engine)).toBeNull()
    expect(await refusal('call.dial', {number: '+15550000001', agent: 'a2'}, supervisor, engine)).toBe('role supervisor may not call call.dial')
    expect(await refusal('call.dial', {number: '+15550000001', agent: 'a2'}, admin, engine)).toBeNull()
  })
})

describe('what an agent sees', () => {
  it('gets its own agent’s events and its calls’, to the call’s last event after it left the live list', () => {
    const mine = new Set<string>()
    const gets = (e: {agent?: string | null; callId?: string | null}) => mayReceive(e, agent, engine, mine)
    expect(gets({agent: 'a1'})).toBe(true)
    expect(gets({agent: 'a2'})).toBe(false)
    expect(gets({callId: 'c1'})).toBe(true)
    expect(gets({callId: 'c3'})).toBe(true)
    expect(gets({callId: 'c2'})).toBe(false)
    expect(gets({})).toBe(false)
    live.delete('c1')
    expect(gets({callId: 'c1'})).toBe(true)
    live.set('c1', {agent: 'a1', ringing: []})
    expect(mayReceive({agent: 'a2'}, supervisor, engine, new Set())).toBe(true)
  })

  it('a snapshot with its own agent and calls only, waiting callers counted but not named unless they ring it, no supervisions', () => {
    const call = (id: string, agentId: string | null, ringing: string[]) => ({id, agent: agentId, ringing}) as unknown as EngineSnapshot['calls'][number]
    const snap = {
      at: 1,
      queues: [{name: 'q1', waiting: [{callId: 'c3', number: '+15550000003', ringing: ['a1']}, {callId: 'c4', number: '+15550000004', ringing: []}]}],
      agents: [{id: 'a1'}, {id: 'a2'}],
      calls: [call('c1', 'a1', []), call('c2', 'a2', []), call('c3', null, ['a1'])],
      stats: {since: 0, queues: {}, agents: {a1: {}, a2: {}}},
      supervisions: [{id: 's1'}],
    } as unknown as EngineSnapshot
    const seen = narrowed('snapshot', snap, agent)
    expect(seen.agents.map((a) => a.id)).toEqual(['a1'])
    expect(seen.calls.map((c) => c.id)).toEqual(['c1', 'c3'])
    expect(seen.queues[0]!.waiting.map((w) => w.number)).toEqual(['+15550000003', ''])
    expect(Object.keys(seen.stats.agents)).toEqual(['a1'])
    expect(seen.supervisions).toBeUndefined()
    expect(narrowed('snapshot', snap, supervisor)).toBe(snap)
  })
})
