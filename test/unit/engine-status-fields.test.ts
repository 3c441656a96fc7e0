import {describe, expect, it} from 'vitest'
import {statusFields} from '../../src/commands/engine/status.js'
import type {EngineStatusView} from '../../src/engine/run.js'

// What `engine status` prints for an engine that answers: the standby's view and several
// boxes all away (misuse report 21, findings 4 and 10).

const NOW = Date.UTC(2026, 11, 7, 20, 26, 0)
const base: EngineStatusView = {
  app: 'callctl', version: '1', pid: 42, startedAt: '2026-12-07T20:25:00.000Z', uptimeS: 60, api: 'ws://127.0.0.1:30199/', database: 'postgres://u:***@127.0.0.1:30500/cc',
  serving: true, link: {state: 'connected', url: 'http://127.0.0.1:30288, http://127.0.0.1:30298', since: NOW - 46_000, attempts: 0},
  origin: 'o1', liveCalls: 0, pendingEvents: 0, unauthorizedRequests: 0, agents: {total: 0, loggedIn: 0, idle: 0, busy: 0, paused: 0},
}

describe('engine status fields', () => {
  it('every box down: no box answers, each with how long', () => {
    const f = statusFields({running: true, ...base, boxes: [{name: 'box1', up: false, downSince: NOW - 14_000}, {name: 'box2', up: false, downSince: NOW - 20_000}]}, NOW)
    expect(f.asterisk).toBe('no box answers (box1 down 0:14, box2 down 0:20)')
  })

  it('one box of two up: the link as it is', () => {
    const f = statusFields({running: true, ...base, boxes: [{name: 'box1', up: true, downSince: null}, {name: 'box2', up: false, downSince: NOW - 20_000}]}, NOW)
    expect(f.asterisk).toBe('connected to http://127.0.0.1:30288, http://127.0.0.1:30298 for 0:46')
    expect(f.boxes).toBe('box1 up, box2 DOWN for 0:20')
  })

  it('a standby runs: it names the leader, and says when the database does not answer', () => {
    const standby = {running: true as const, ...base, serving: false, link: {state: 'connecting' as const, url: 'http://127.0.0.1:30188', since: NOW - 60_000, attempts: 0}, role: 'standby' as const, leader: {holder: 'vm:12913', api: 'ws://127.0.0.1:30189/', epoch: 4, live: true}}
    expect(statusFields(standby, NOW)).toMatchObject({running: 'yes, standing by', role: 'standby, vm:12913 leads at ws://127.0.0.1:30189/', database: base.database})
    const down = statusFields({...standby, databaseDown: {since: NOW - 9_000, error: 'connect ECONNREFUSED 127.0.0.1:30500'}}, NOW)
    expect(down).toMatchObject({running: 'yes, standing by', role: 'standby, last seen: vm:12913 leads at ws://127.0.0.1:30189/'})
    expect(down.database).toBe(`${base.database} DOES NOT ANSWER for 0:09 (connect ECONNREFUSED 127.0.0.1:30500)`)
    // Its own zero calls and agents are not the center's.
    expect(Object.keys(down)).not.toContain('agents')
    expect(Object.keys(down)).not.toContain('calls')
  })
})
