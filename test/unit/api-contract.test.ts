import {describe, expect, it} from 'vitest'
import {CALL_STATES, CONTRACT, contractJsonSchema, METHODS} from '../../src/engine/api/contract.js'
import {engineHandlers} from '../../src/engine/api/handlers.js'
import {checkParams, resultProblem} from '../../src/engine/api/validate.js'
import type {Engine} from '../../src/engine/calls/engine.js'
import {prng} from '../../src/bench/prng.js'
import type {EngineStatusView} from '../../src/engine/run.js'

// The API contract is the one list of methods: the engine serves exactly these, and every
// request's params are checked against it before a handler runs.

/** Enough of an engine for engineHandlers to build its table (no method is called). */
const engine = {control: {}, supervision: {}, core: {store: {}}, events: {}} as unknown as Engine

describe('API contract', () => {
  it('every handler the engine serves is in the contract, and every contract method has a handler', () => {
    const served = Object.keys(engineHandlers(engine, {app: 'callctl', version: 'test'})).sort()
    expect(served).toEqual([...METHODS].sort())
    expect(METHODS.length).toBeGreaterThanOrEqual(21)
  })

  it('each method declares object params that refuse unknown keys, a result and a summary', () => {
    for (const m of METHODS) {
      const spec = CONTRACT[m]
      expect(spec.params.type, m).toBe('object')
      expect(spec.params.additionalProperties, m).toBe(false)
      expect(spec.result, m).toBeTruthy()
      expect(spec.summary.length, m).toBeGreaterThan(10)
    }
  })

  it("engine.status: everything the engine process adds is in the contract (a standby's, several boxes', the chat server's)", () => {
    const status: EngineStatusView = {
      app: 'callctl', version: '1', pid: 42, startedAt: '2026-12-07T10:00:00.000Z', uptimeS: 5, api: 'ws://127.0.0.1:8089', database: 'postgres://u:***@h/db',
      serving: true, link: {state: 'connected', url: 'http://127.0.0.1:8088', since: 1, attempts: 0},
      origin: 'o1', liveCalls: 0, pendingEvents: 0, unauthorizedRequests: 0, agents: {total: 1, loggedIn: 1, idle: 1, busy: 0, paused: 0},
      role: 'standby', epoch: 3, leader: {holder: 'e1', api: 'ws://10.0.0.1:8089', epoch: 3, live: true}, databaseDown: {since: 1, error: 'connect ECONNREFUSED'},
      boxes: [{name: 'a', up: false, downSince: 1}], chat: 'http://127.0.0.1:8090',
    }
    const declared = Object.keys((CONTRACT['engine.status'].result as unknown as {properties: object}).properties)
    expect(Object.keys(status).filter((k) => !declared.includes(k))).toEqual([])
    expect(resultProblem('engine.status', status)).toBeNull()
    expect(resultProblem('engine.status', {...status, boxes: [{name: 'a', up: 'yes'}]})).not.toBeNull()
  })

  it.each([
    // [method, params, message]
    ['call.transfer', {call: 'c1', to: {agent: '1002'}, consult: 'true'}, 'consult: expected boolean, got string'],
    ['call.transfer', {call: 'c1', to: {agent: '1002'}, consult: 1}, 'consult: expected boolean, got number'],
    ['call.transfer', {call: 'c1', to: 'agent 1002'}, 'to: expected {agent} or {queue} or {number}, got string'],
    ['call.transfer', {call: 'c1', to: {agent: ''}}, 'to: expected {agent} or {queue} or {number}, got object'],
    ['call.transfer', {call: 'c1'}, 'to: required, expected {agent} or {queue} or {number}'],
    ['agent.wrapup', {agent: '1001', seconds: '30'}, 'seconds: expected number from 1 to 3600, got string'],
    ['agent.wrapup', {agent: '1001', seconds: 0}, 'seconds: expected number from 1 to 3600, got 0'],
    ['agent.wrapup', {agent: '1001', seconds: 7200}, 'seconds: expected number from 1 to 3600, got 7200'],
    ['agent.ready', {agent: null}, 'agent: expected string of 1 to 256 characters, got null'],
    ['agent.ready', {agent: 'x'.repeat(300)}, 'agent: expected string of 1 to 256 characters, got 300 characters'],
    ['agent.pause', {agent: '1001', reason: 'a'.repeat(33)}, 'reason: expected string of 1 to 32 characters, got 33 characters'],
    ['call.dial', {number: ['+1555'], agent: '1001'}, 'number: expected string of 1 to 32 characters, got a list'],
    ['calls.list', {state: 'dancing'}, `state: expected one of ${CALL_STATES.join(', ')}, got "dancing"`],
    ['supervise.start', {agent: '1001', mode: 'spy', from: 'PJSIP/2001'}, 'mode: expected one of monitor, whisper, barge, got "spy"'],
    ['supervise.stop', {all: 'yes'}, 'all: expected boolean, got string'],
    ['events.subscribe', {types: ['call.started', 7]}, 'types.1: expected string of 1 to 64 characters, got number'],
    ['events.subscribe', {types: 'call.started'}, 'types: expected list of string of 1 to 64 characters (at most 200), got string'],
  ] as const)('%s %j → bad_request "%s"', (method, params, message) => {
    expect(checkParams(method, params)).toEqual({ok: false, error: {code: 'bad_request', message}})
  })

  it('unknown params are refused by name, with the params the method takes', () => {
    expect(checkParams('agent.ready', {agent: '1001', seconds: 5})).toEqual({ok: false, error: {code: 'bad_request', message: 'seconds: unknown parameter', suggestion: 'agent.ready takes: agent'}})
    expect(checkParams('snapshot', {verbose: true})).toEqual({ok: false, error: {code: 'bad_request', message: 'verbose: unknown parameter', suggestion: 'snapshot takes no parameters'}})
    // A misspelt name is reported as unknown rather than as the required one it leaves out.
    expect(checkParams('call.hold', {cal: 'c1'})).toMatchObject({ok: false, error: {message: 'cal: unknown parameter', suggestion: 'call.hold takes: call, by'}})
    expect(checkParams('call.transfer', {call: 'c1', to: {agent: '1', extension: '2'}})).toMatchObject({ok: false, error: {code: 'bad_request'}})
    expect(checkParams('call.hold', JSON.parse('{"call":"c1","constructor":1}'))).toMatchObject({ok: false, error: {message: 'constructor: unknown parameter'}})
  })

  it('params must be an object; none at all is an empty object', () => {
    expect(checkParams('snapshot', [1, 2])).toEqual({ok: false, error: {code: 'bad_request', message: '"params" must be an object'}})
    expect(checkParams('snapshot', undefined)).toEqual({ok: true, params: {}})
  })

  it('accepts what the commands and the dashboard send', () => {
    const ok = (method: Parameters<typeof checkParams>[0], params: object) => expect(checkParams(method, params), method).toEqual({ok: true, params})
    ok('call.transfer', {call: 'c1', to: {queue: 'billing'}, consult: false, by: 'li'})
    ok('call.transfer', {call: 'c1', to: {number: '+8613800138000'}, by: 'li'})
    ok('agent.wrapup', {agent: '1001', seconds: 30})
    ok('agent.pause', {agent: '1001', reason: 'supervisor', by: 'li'})
    ok('supervise.start', {call: 'call-1', mode: 'whisper', from: 'PJSIP/2001', by: 'li'})
    ok('supervise.stop', {all: true, by: 'li'})
    ok('events.subscribe', {types: ['call.started']})
    ok('calls.list', {queue: 'sales', state: 'waiting'})
    ok('engine.status', {})
  })
})

describe('API contract as JSON Schema', () => {
  it('is plain JSON that covers every method with params, result, summary and version', () => {
    const text = JSON.stringify(contractJsonSchema())
    const s = JSON.parse(text) as {$schema: string; version: number; request: {properties: {method: {anyOf: {const: string}[]}}}; methods: Record<string, {summary: string; version: number; params: {type: string; properties: Record<string, unknown>; required?: string[]; additionalProperties: boolean}; result: object}>}
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(Object.keys(s.methods).sort()).toEqual([...METHODS].sort())
    expect(s.request.properties.method.anyOf.map((m) => m.const).sort()).toEqual([...METHODS].sort())
    for (const [name, m] of Object.entries(s.methods)) {
      expect(m.version, name).toBe(s.version)
      expect(m.params.type, name).toBe('object')
      expect(m.params.additionalProperties, name).toBe(false)
      expect(Object.keys(m.params.properties).sort(), name).toEqual(Object.keys(CONTRACT[name as keyof typeof CONTRACT].params.properties).sort())
      expect(Object.keys(m.result).length, name).toBeGreaterThan(0)
    }
    expect(s.methods['call.transfer']!.params.properties.consult).toEqual({description: 'hold the caller and talk to the target first', type: 'boolean'})
    expect(s.methods['call.transfer']!.params.required).toEqual(['call', 'to'])
    // Views are spelled out: a script can see what an agent in a snapshot has.
    const snapshot = s.methods.snapshot!.result as {properties: {agents: {items: {title: string; properties: Record<string, unknown>}}}}
    expect(snapshot.properties.agents.items.title).toBe('AgentView')
    expect(Object.keys(snapshot.properties.agents.items.properties)).toEqual(expect.arrayContaining(['id', 'state', 'callId', 'backoffUntil', 'why']))
  })

  it('results are checked against the declared views (what the test harness does with every answer)', () => {
    const agent = {id: 'a1', name: 'A', endpoint: 'PJSIP/a1', state: 'idle', since: 1, pauseReason: null, callId: null, queues: {sales: 0}, skills: {}, callsTaken: 0, callsToday: 0, talkMs: 0, missedRings: 0, backoffUntil: null, why: null}
    expect(resultProblem('agent.ready', agent)).toBeNull()
    expect(resultProblem('agent.ready', {...agent, state: 'napping'})).toBe('state: expected one of offline, idle, ringing, on-call, wrap-up, paused, unreachable, other-call, got "napping"')
    expect(resultProblem('agent.wrapup', {...agent, wrapUpEndsAt: 'soon'})).toMatch(/^wrapUpEndsAt: expected number, got string$/)
    expect(resultProblem('call.hold', {callId: 'c1', held: true})).toBeNull()
    expect(resultProblem('snapshot', {at: 1, queues: [{name: 'sales'}], agents: [agent], calls: [], stats: {}})).toBeNull()
    expect(resultProblem('snapshot', {at: 1, queues: [], agents: [{...agent, callsTaken: '3'}], calls: [], stats: {}})).toBe('agents.0.callsTaken: expected number, got string')
  })
})

describe('fuzzed params never crash the check', () => {
  it('20,000 random params over every method: accepted as they are, or bad_request naming a field', () => {
    const rnd = prng(12)
    const pick = <T,>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!
    const KEYS = ['call', 'agent', 'to', 'consult', 'by', 'mode', 'from', 'id', 'all', 'types', 'queue', 'state', 'seconds', 'reason', 'number', '__proto__', 'constructor', 'toString', '']
    const value = (depth: number): unknown => {
      switch (Math.floor(rnd() * 9)) {
        case 0: return null
        case 1: return rnd() < 0.5
        case 2: return pick([0, -1, 1.5, 3600, 3601, 1e308, Number.MAX_SAFE_INTEGER])
        case 3: return pick(['', 'x', 'true', 'monitor', 'waiting', 'call-1', 'x'.repeat(300), '\u0000', '🙂'])
        case 4: return depth > 2 ? [] : Array.from({length: Math.floor(rnd() * 3)}, () => value(depth + 1))
        case 5: return depth > 2 ? {} : {[pick(['agent', 'queue', 'number', 'x'])]: value(depth + 1)}
        default: return undefined
      }
    }
    let accepted = 0
    for (let i = 0; i < 20_000; i++) {
      const method = pick(METHODS)
      // JSON round trip: what a client can actually send (an own "__proto__" key included).
      const entries = Array.from({length: Math.floor(rnd() * 4)}, () => `${JSON.stringify(pick(KEYS))}:${JSON.stringify(value(0)) ?? 'null'}`)
      const params: unknown = JSON.parse(`{${entries.join(',')}}`)
      const r = checkParams(method, params)
      if (r.ok) {
        accepted++
        expect(r.params).toBe(params)
      } else {
        expect(r.error.code).toBe('bad_request')
        // A field path: plain names joined by dots, any other name as a JSON string.
        expect(r.error.message).toMatch(/^(?:"params" must be an object|(?:"(?:[^"\\]|\\.)*"|[\w$-]+)(?:\.(?:"(?:[^"\\]|\\.)*"|[\w$-]+))*): /)
      }
    }
    // The generator reaches both outcomes.
    expect(accepted).toBeGreaterThan(100)
    expect(accepted).toBeLessThan(20_000)
  })
})

describe('field names in refusals', () => {
  it('a name that is not a plain word is quoted and cut to 64 characters; JSON pointer escapes are undone', () => {
    expect(checkParams('snapshot', {'a/b~c': 1})).toMatchObject({error: {message: '"a/b~c": unknown parameter'}})
    expect(checkParams('snapshot', {'\u001b[2J': 1})).toMatchObject({error: {message: '"\\u001b[2J": unknown parameter'}})
    expect(checkParams('snapshot', {['x'.repeat(5000)]: 1})).toMatchObject({error: {message: `"${'x'.repeat(64)}": unknown parameter`}})
    expect(checkParams('snapshot', {'': 1})).toMatchObject({error: {message: '"": unknown parameter'}})
  })
})
