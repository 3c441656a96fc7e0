import {describe, expect, it} from 'vitest'
import {snakeName, toJsonContract} from '../../src/ui/json-contract.js'
import {contractBreaches} from '../support/json-contract.js'

// The transform every --json output goes through (docs/json.md), and the check the
// integration test holds every command's output to.

const T = Date.UTC(2026, 11, 7, 2, 15, 4, 120)

describe('toJsonContract', () => {
  it('names keys in snake_case, durations in seconds (*_s, 0.1 s half up), times as ISO-8601 UTC, ratios to 4 places', () => {
    const out = toJsonContract({
      at: T,
      calls: [{callId: 'c1', keyTrail: ['1'], startedAt: T - 60_000, connectedAt: null, waitedMs: 12_345, talkMs: 250, answerRate: 2 / 3}],
      uptimeS: 3600.04,
      backoffUntil: T + 5000,
      since: T,
    })
    expect(out).toEqual({
      at: '2026-12-07T02:15:04.120Z',
      calls: [{call_id: 'c1', key_trail: ['1'], started_at: '2026-12-07T02:14:04.120Z', connected_at: null, waited_s: 12.3, talk_s: 0.3, answer_rate: 0.6667}],
      uptime_s: 3600,
      backoff_until: '2026-12-07T02:15:09.120Z',
      since: '2026-12-07T02:15:04.120Z',
    })
  })

  it("writes an event's ts as at, and the fields of its data by the same rules", () => {
    expect(toJsonContract({id: 1, type: 'call.connected', ts: T, callId: 'c1', data: {waitMs: 20_050, ringMs: 1000}})).toEqual({
      id: 1,
      type: 'call.connected',
      at: '2026-12-07T02:15:04.120Z',
      call_id: 'c1',
      data: {wait_s: 20.1, ring_s: 1},
    })
  })

  it("writes a moment of an event's data named *Ts as *_at, and a field's change {from, to} in the field's unit", () => {
    expect(toJsonContract({ts: T, type: 'ticket.updated', data: {dueTs: T, changes: {dueTs: {from: T, to: T + 1000}, subject: {from: 'a', to: 'b'}}}})).toEqual({
      at: '2026-12-07T02:15:04.120Z',
      type: 'ticket.updated',
      data: {due_at: '2026-12-07T02:15:04.120Z', changes: {due_at: {from: '2026-12-07T02:15:04.120Z', to: '2026-12-07T02:15:05.120Z'}, subject: {from: 'a', to: 'b'}}},
    })
  })

  it('gives the unit-less seconds of queue settings and skill steps their _s', () => {
    expect(toJsonContract({settings: {ringTimeout: 15, wrapUp: 5, slSeconds: 20, strategy: 'ring-all', skillSteps: [{after: 30, require: ''}]}})).toEqual({
      settings: {ring_timeout_s: 15, wrap_up_s: 5, sl_s: 20, strategy: 'ring-all', skill_steps: [{after_s: 30, require: ''}]},
    })
  })

  it('keeps the keys of objects keyed by data: queue names, skills, agent ids, states', () => {
    expect(
      toJsonContract({
        agents: [{id: 'a1', queues: {客服: 0, 'Sales-EU': 2}, skills: {粤语: 3, englishUS: 1}}],
        stats: {agents: {agentOne: {talkMs: 1000}}, queues: {salesTeam: {asaMs: 2000}}},
        header: {agents: {'on-call': 1, 'wrap-up': 0}},
      }),
    ).toEqual({
      agents: [{id: 'a1', queues: {客服: 0, 'Sales-EU': 2}, skills: {粤语: 3, englishUS: 1}}],
      stats: {agents: {agentOne: {talk_s: 1}}, queues: {salesTeam: {asa_s: 2}}},
      header: {agents: {'on-call': 1, 'wrap-up': 0}},
    })
  })

  it('treats the elements of an array as records, whatever the array is called (queue list)', () => {
    expect(toJsonContract({queues: [{name: 'sales', createdAt: T, settings: {wrapUp: 5}}]})).toEqual({
      queues: [{name: 'sales', created_at: '2026-12-07T02:15:04.120Z', settings: {wrap_up_s: 5}}],
    })
  })

  it("writes a time another system gave as text the same way (Asterisk's +0000)", () => {
    expect(toJsonContract({data: {asteriskStartedAt: '2026-12-07T02:31:37.498+0000'}, startedAt: '2026-12-07T10:31:37+08:00'})).toEqual({
      data: {asterisk_started_at: '2026-12-07T02:31:37.498Z'},
      started_at: '2026-12-07T02:31:37.000Z',
    })
  })

  it('keeps nulls and leaves undefined out, as JSON would', () => {
    expect(toJsonContract({pauseReason: null, endedAt: null, ahtMs: null, why: undefined})).toEqual({pause_reason: null, ended_at: null, aht_s: null})
  })

  it('snake_cases camelCase, acronyms and kebab-case', () => {
    expect(['callId', 'p90Ms', 'SL2', 'dryRun', 'log-json', 'apiURLBase'].map(snakeName)).toEqual(['call_id', 'p90_ms', 'sl2', 'dry_run', 'log_json', 'api_url_base'])
  })
})

describe('the contract check', () => {
  it('passes what the transform makes', () => {
    expect(contractBreaches(toJsonContract({at: T, agents: [{id: 'a', state: 'idle', inStateMs: 100, queues: {q: 1}}]}))).toEqual([])
  })

  it('catches a field the transform tables would miss: an epoch number, a duration word without _s, an ms name, camelCase', () => {
    expect(contractBreaches({created: T, delay: 500, ring_ms: 3, callId: 'x'})).toEqual([
      `created: ${T} looks like epoch milliseconds`,
      'delay: a duration without its unit (_s)',
      'ring_ms: milliseconds or epoch name',
      'callId: key is not snake_case',
    ])
  })

  it('catches agent state synonyms and times that are not ISO-8601', () => {
    expect(contractBreaches({agents: [{state: 'available'}], engine: {ready: 2}, started_at: '2026-12-07 02:15:04'})).toEqual([
      'agents.state: agent state "available" is not one of offline, idle, ringing, on-call, wrap-up, paused, unreachable, other-call',
      'agents.state: state "available" (use offline / idle / ringing / on-call / wrap-up / paused / unreachable / other-call)',
      'engine.ready: agent state named "ready" (use offline / idle / ringing / on-call / wrap-up / paused / unreachable / other-call)',
      'started_at: a time must be an ISO-8601 string, got "2026-12-07 02:15:04"',
      'started_at: "2026-12-07 02:15:04" is a time but not ISO-8601 with a zone',
    ])
  })
})
