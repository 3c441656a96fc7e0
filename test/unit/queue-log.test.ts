import {describe, expect, it} from 'vitest'
import {QueueLogConverter} from '../../src/engine/reports/queue-log.js'
import {queueLogReport} from '../../src/engine/reports/queue-log-report.js'
import {contextFor, Log} from '../support/report-log.js'
import {dayStore, T0} from '../support/report-scenario.js'

const S = T0 / 1000

function convert(log: Log, setup: Partial<ConstructorParameters<typeof QueueLogConverter>[0]> = {}): string[] {
  const c = new QueueLogConverter({membership: new Map(), loggedIn: [], callbackKey: () => '5', ...setup})
  return [...log.events.flatMap((e) => c.lines(e)), ...c.flush()]
}

describe('queue_log lines (Asterisk app_queue format)', () => {
  it('an answered call: ENTERQUEUE url|callerid|position, RINGNOANSWER ms, CONNECT hold|channel|ring, COMPLETECALLER hold|talk|origposition', () => {
    const L = new Log(T0)
    L.at(0, 'call.started', {call: 'c1', data: {number: '+8613800000001', name: 'X'}})
    L.at(1, 'queue.entered', {call: 'c1', queue: 'sales', data: {position: 2}})
    L.at(3, 'agent.ring_noanswer', {call: 'c1', queue: 'sales', agent: 'a2', data: {ringMs: 2004}})
    L.at(21, 'call.connected', {call: 'c1', queue: 'sales', agent: 'a1', data: {waitMs: 19_600, ringMs: 1400, channel: 'c1.r2'}})
    L.at(141, 'call.completed', {call: 'c1', queue: 'sales', agent: 'a1', data: {by: 'caller', talkMs: 120_400}})
    L.at(141, 'call.ended', {call: 'c1', queue: 'sales', agent: 'a1', data: {cause: 'completed'}})
    expect(convert(L)).toEqual([
      `${S + 1}|c1|sales|NONE|ENTERQUEUE||+8613800000001|2`,
      `${S + 3}|c1|sales|a2|RINGNOANSWER|2004`,
      `${S + 21}|c1|sales|a1|CONNECT|20|c1.r2|1`,
      `${S + 141}|c1|sales|a1|COMPLETECALLER|20|120|2`,
    ])
  })

  it('the agent hanging up is COMPLETEAGENT; a caller leaving is ABANDON, or EXITWITHTIMEOUT/EXITEMPTY/EXITWITHKEY', () => {
    const L = new Log(T0)
    L.at(0, 'queue.entered', {call: 'a', queue: 'q', data: {position: 1}})
    L.at(5, 'call.connected', {call: 'a', queue: 'q', agent: 'a1', data: {waitMs: 5000, ringMs: 0, channel: 'a.r1'}})
    L.at(65, 'call.completed', {call: 'a', queue: 'q', agent: 'a1', data: {by: 'agent', talkMs: 60_000}})
    L.at(70, 'queue.entered', {call: 'b', queue: 'q', data: {position: 3}})
    L.at(100, 'queue.abandoned', {call: 'b', queue: 'q', data: {position: 1, waitMs: 30_000}})
    L.at(110, 'queue.entered', {call: 'c', queue: 'q', data: {position: 1}})
    L.at(170, 'queue.exited', {call: 'c', queue: 'q', data: {reason: 'timeout', position: 1, waitMs: 60_000}})
    L.at(180, 'queue.entered', {call: 'd', queue: 'q', data: {position: 2}})
    L.at(190, 'queue.exited', {call: 'd', queue: 'q', data: {reason: 'empty', position: 2, waitMs: 10_000}})
    L.at(200, 'queue.entered', {call: 'e', queue: 'q', data: {position: 4}})
    L.at(212, 'queue.exited', {call: 'e', queue: 'q', data: {reason: 'key', action: 'callback', position: 3, waitMs: 12_000}})
    // Turned away at the door: app_queue never lets such a caller join, and writes nothing.
    L.at(220, 'queue.exited', {call: 'f', queue: 'q', data: {reason: 'full', position: 0, waitMs: 0}})
    expect(convert(L).map((l) => l.split('|').slice(4).join('|'))).toEqual([
      'ENTERQUEUE|||1',
      'CONNECT|5|a.r1|0',
      'COMPLETEAGENT|5|60|1',
      'ENTERQUEUE|||3',
      'ABANDON|1|3|30',
      'ENTERQUEUE|||1',
      'EXITWITHTIMEOUT|1|1|60',
      'ENTERQUEUE|||2',
      'EXITEMPTY|2|2|10',
      'ENTERQUEUE|||4',
      'EXITWITHKEY|5|3|4|12',
    ])
  })

  it('a visit the system ended (a shutdown) is EXITEMPTY position|origposition|waittime: unanswered, never an ABANDON', () => {
    const L = new Log(T0)
    L.at(0, 'queue.entered', {call: 'g', queue: 'q', data: {position: 2}})
    L.at(42, 'queue.system_ended', {call: 'g', queue: 'q', data: {reason: 'demo-stopped', position: 1, waitMs: 41_600}})
    L.at(42, 'call.ended', {call: 'g', queue: 'q', data: {cause: 'system-ended'}})
    expect(convert(L).map((l) => l.split('|').slice(1).join('|'))).toEqual(['g|q|NONE|ENTERQUEUE|||2', 'g|q|NONE|EXITEMPTY|1|2|42'])
  })

  it('a canceled ring is RINGCANCELED when the caller hung up, RINGNOANSWER when the queue timed out, nothing when another agent answered', () => {
    const L = new Log(T0)
    const ring = (call: string, at: number, agent: string) => L.at(at, 'agent.ring_canceled', {call, queue: 'q', agent, data: {ringMs: 3000}})
    L.at(0, 'queue.entered', {call: 'x', queue: 'q', data: {position: 1}})
    ring('x', 3, 'a1')
    L.at(3, 'queue.abandoned', {call: 'x', queue: 'q', data: {position: 1, waitMs: 3000}})
    L.at(10, 'queue.entered', {call: 'y', queue: 'q', data: {position: 1}})
    ring('y', 13, 'a1')
    L.at(13, 'queue.exited', {call: 'y', queue: 'q', data: {reason: 'timeout', position: 1, waitMs: 3000}})
    L.at(20, 'queue.entered', {call: 'z', queue: 'q', data: {position: 1}})
    ring('z', 23, 'a2')
    L.at(23, 'call.connected', {call: 'z', queue: 'q', agent: 'a1', data: {waitMs: 3000, ringMs: 3000, channel: 'z.r1'}})
    expect(convert(L).map((l) => l.split('|').slice(1).join('|'))).toEqual([
      'x|q|NONE|ENTERQUEUE|||1',
      'x|q|a1|RINGCANCELED|3000',
      'x|q|NONE|ABANDON|1|1|3',
      'y|q|NONE|ENTERQUEUE|||1',
      'y|q|a1|RINGNOANSWER|3000',
      'y|q|NONE|EXITWITHTIMEOUT|1|1|3',
      'z|q|NONE|ENTERQUEUE|||1',
      'z|q|a1|CONNECT|3|z.r1|3',
    ])
  })

  it('transfers: BLINDTRANSFER extension|context|hold|talk|origposition, ATTENDEDTRANSFER BRIDGE|bridge|hold|talk|origposition', () => {
    const L = new Log(T0)
    L.at(0, 'queue.entered', {call: 'b', queue: 'q', data: {position: 1}})
    L.at(4, 'call.connected', {call: 'b', queue: 'q', agent: 'a1', data: {waitMs: 4000, ringMs: 1000, channel: 'b.r1'}})
    L.at(34, 'call.transferred', {call: 'b', queue: 'q', agent: 'a1', data: {kind: 'blind', to: {queue: 'billing'}, by: 'a1'}})
    L.at(34, 'call.completed', {call: 'b', queue: 'q', agent: 'a1', data: {by: 'transfer', talkMs: 30_000}})
    L.at(34, 'queue.entered', {call: 'b', queue: 'billing', data: {position: 1}})
    L.at(40, 'queue.entered', {call: 'c', queue: 'q', data: {position: 1}})
    L.at(42, 'call.connected', {call: 'c', queue: 'q', agent: 'a1', data: {waitMs: 2000, ringMs: 1000, channel: 'c.r1'}})
    L.at(90, 'call.transferred', {call: 'c', queue: 'q', agent: 'a1', data: {kind: 'consult', to: {agent: 'a2'}, by: 'a1'}})
    L.at(90, 'call.completed', {call: 'c', queue: 'q', agent: 'a1', data: {by: 'transfer', talkMs: 48_000}})
    L.at(90, 'call.connected', {call: 'c', queue: 'q', agent: 'a2', data: {transfer: 'consult', from: 'a1'}})
    L.at(95, 'call.transferred', {call: 'n', queue: 'q', agent: 'a1', data: {kind: 'blind', to: {number: '+861234|5'}, by: 'a1'}})
    L.at(95, 'call.completed', {call: 'n', queue: 'q', agent: 'a1', data: {by: 'transfer', talkMs: 1000}})
    expect(convert(L).map((l) => l.split('|').slice(1).join('|'))).toEqual([
      'b|q|NONE|ENTERQUEUE|||1',
      'b|q|a1|CONNECT|4|b.r1|1',
      'b|q|a1|BLINDTRANSFER|billing|queue|4|30|1',
      'b|billing|NONE|ENTERQUEUE|||1',
      'c|q|NONE|ENTERQUEUE|||1',
      'c|q|a1|CONNECT|2|c.r1|1',
      'c|q|a1|ATTENDEDTRANSFER|BRIDGE|c.b|2|48|1',
      // A field never carries the separator: the number's "|" is replaced.
      'n|q|a1|BLINDTRANSFER|+861234_5|external|0|1|0',
    ])
  })

  it('agents: login/logout is ADDMEMBER/REMOVEMEMBER per queue; a pause is PAUSEALL then PAUSE per queue, as PauseQueueMember does', () => {
    const L = new Log(T0)
    L.at(0, 'agent.added', {agent: 'a1', data: {queues: {sales: 0, support: 1}}})
    L.at(1, 'agent.login', {agent: 'a1', data: {queues: []}})
    L.at(2, 'agent.member_added', {agent: 'a1', queue: 'vip', data: {penalty: 0}})
    L.at(3, 'agent.paused', {agent: 'a1', data: {reason: 'lunch'}})
    L.at(4, 'agent.unpaused', {agent: 'a1'})
    L.at(5, 'agent.member_removed', {agent: 'a1', queue: 'support'})
    L.at(6, 'agent.logout', {agent: 'a1'})
    L.at(7, 'agent.member_added', {agent: 'a1', queue: 'late'})
    expect(convert(L).map((l) => l.split('|').slice(1).join('|'))).toEqual([
      'MANAGER|sales|a1|ADDMEMBER|',
      'MANAGER|support|a1|ADDMEMBER|',
      'MANAGER|vip|a1|ADDMEMBER|',
      'NONE|NONE|a1|PAUSEALL|lunch',
      'NONE|sales|a1|PAUSE|lunch',
      'NONE|support|a1|PAUSE|lunch',
      'NONE|vip|a1|PAUSE|lunch',
      'NONE|NONE|a1|UNPAUSEALL|',
      'NONE|sales|a1|UNPAUSE|',
      'NONE|support|a1|UNPAUSE|',
      'NONE|vip|a1|UNPAUSE|',
      'MANAGER|support|a1|REMOVEMEMBER|',
      'MANAGER|sales|a1|REMOVEMEMBER|',
      'MANAGER|vip|a1|REMOVEMEMBER|',
    ])
  })

  it('exports the period from the store, following calls that started before it for their number', async () => {
    const lines = [...queueLogReport(contextFor(await dayStore(), {from: '2026-11-23', to: '2026-11-24', queue: 'sales'})).lines]
    expect(lines[0]).toBe(`${Date.UTC(2026, 10, 23, 0, 0, 30) / 1000}|c0|sales|NONE|ABANDON|1|1|89`)
    expect(lines.filter((l) => l.includes('|c1|')).map((l) => l.split('|').slice(4).join('|'))).toEqual([
      'ENTERQUEUE||+8613800000001|1',
      'RINGNOANSWER|15000',
      'CONNECT|20|c1.r2|5',
      'COMPLETECALLER|20|120|1',
    ])
    expect(lines.every((l) => l.split('|')[2] === 'sales')).toBe(true)
  })
})
