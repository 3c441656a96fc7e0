import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import type {Channel} from '../../src/engine/ari/port.js'
import {EventLog} from '../../src/engine/calls/event-log.js'
import {Supervision} from '../../src/engine/calls/supervision.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {createLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// ARI answers a snoop request before the snoop channel's StasisStart, and a bridge refuses
// a channel not yet in Stasis (422): the supervisor heard nothing. On the sandbox this race
// showed once in a full run; here its order is forced.

const CALL = {callId: 'call-1', agent: 'a1', agentChannelId: 'agent-leg', bridgeId: 'call-bridge', queue: 'sales'}
const channel = (id: string) => ({id, name: id, state: 'Up', caller: {name: '', number: ''}}) as unknown as Channel

describe('supervision wiring (fake ARI, fake clock)', () => {
  let ari: FakeAri
  let clock: FakeClock
  let store: SqliteStore
  let lines: string[]
  let sup: Supervision
  let events: EventLog

  beforeEach(() => {
    ari = new FakeAri()
    clock = new FakeClock()
    store = new SqliteStore(':memory:')
    lines = []
    const log = createLogger({level: 'warn', write: (l) => lines.push(l)})
    events = new EventLog(store, clock, log, 'test')
    sup = new Supervision({ari, clock, log, events, ringTimeoutS: 30})
  })
  afterEach(() => store.close())

  it('bridges the snoop with the supervisor only once the snoop has entered the app', async () => {
    const view = await sup.start(CALL, 'monitor', 'PJSIP/lead', 'lead')
    const wiring = sup.onStasisStart('supervisor', channel(`${view.id}.s`))
    await settle()
    const [snoop] = ari.ops('snoop')
    expect(snoop?.[0]).toBe('agent-leg')
    const snoopId = (snoop![1] as {snoopId: string}).snoopId
    expect(ari.ops('addToBridge')).toEqual([])

    await sup.onStasisStart('snoop', channel(snoopId))
    await wiring
    expect(ari.ops('addToBridge')).toEqual([[`${view.id}.b`, [`${view.id}.s`, snoopId]]])
    expect(lines).toEqual([])
  })

  it('a snoop that never enters the app is given up after 5 s, with a warning, not a hang', async () => {
    const view = await sup.start(CALL, 'whisper', 'PJSIP/lead', 'lead')
    const wiring = sup.onStasisStart('supervisor', channel(`${view.id}.s`))
    await settle()
    clock.advance(5_000)
    await wiring
    expect(ari.ops('addToBridge')).toEqual([])
    expect(lines.join('\n')).toMatch(/supervision wiring failed.*did not enter the app within 5000 ms/)
  })

  it('a stop is logged as stopped by whoever asked, even when the end of the channel arrives before the answer to the hangup', async () => {
    const view = await sup.start(CALL, 'barge', 'PJSIP/lead', 'lead')
    await sup.onStasisStart('supervisor', channel(`${view.id}.s`))
    // Asterisk's event for the hung-up channel comes while the hangup request is in flight.
    const hangup = ari.hangup.bind(ari)
    ari.hangup = async (id: string) => {
      sup.onChannelGone(id)
      await hangup(id)
    }
    await sup.stop(view.id, 'qa-lead')
    await events.flush()
    const stopped = (store.db.prepare("SELECT data FROM events WHERE type = 'supervise.stopped'").all()) as {data: string}[]
    expect(stopped.map((r) => JSON.parse(r.data) as Record<string, unknown>)).toMatchObject([{reason: 'stopped', by: 'qa-lead'}])
  })
})
