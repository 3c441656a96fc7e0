import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import type {Bridge, Channel} from '../../src/engine/ari/port.js'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {EventLog} from '../../src/engine/calls/event-log.js'
import {onAriReconnected} from '../../src/engine/calls/recovery-runner.js'
import {Supervision} from '../../src/engine/calls/supervision.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {connectFirstCaller, FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// A supervision does not survive the engine (its session, the snoop's wiring): after a
// restart it is closed with an event, and what it left in Asterisk is removed.

const channel = (id: string) => ({id, name: id, state: 'Up', caller: {name: '', number: ''}}) as unknown as Channel
const bridge = (id: string): Bridge => ({id, technology: 'simple_bridge', bridge_type: 'mixing', bridge_class: 'stasis', name: `supervise ${id}`, channels: []})

describe('supervisions after an engine restart (fake ARI)', () => {
  let ari: FakeAri
  let store: SqliteStore
  let events: EventLog
  let sup: Supervision
  const clock = new FakeClock()

  beforeEach(() => {
    ari = new FakeAri()
    store = new SqliteStore(':memory:')
    events = new EventLog(store, clock, silentLogger, 'test')
    sup = new Supervision({ari, clock, log: silentLogger, events, ringTimeoutS: 30})
  })
  afterEach(() => store.close())

  it('closes each open one with supervise.stopped (engine-restart) and removes the channels and bridges of known ones only', async () => {
    const open = {id: 'sup-1', callId: 'call-1', agent: 'a1', mode: 'whisper' as const, from: 'PJSIP/lead', by: 'lead', state: 'active' as const, startedAt: clock.now() - 60_000}
    const channels = [channel('sup-1.s'), channel('sup-1.n2'), channel('sup-2.s'), channel('sup-9.s'), channel('call-1.r1')]
    const bridges = [bridge('sup-1.b'), bridge('sup-2.b'), bridge('sup-9.b')]
    for (const c of channels) ari.channels.set(c.id, c)
    for (const b of bridges) ari.bridges.set(b.id, b)
    // sup-2 was stopped before the kill but its bridge stayed; sup-9 is not in this engine's log.
    const removed = await sup.closeAfterRestart([open], new Set(['sup-1', 'sup-2']), channels, bridges)
    expect(removed).toBe(5)
    expect(ari.ops('hangup').map((a) => a[0])).toEqual(['sup-1.s', 'sup-1.n2', 'sup-2.s'])
    expect(ari.ops('destroyBridge').map((a) => a[0])).toEqual(['sup-1.b', 'sup-2.b'])
    await events.flush()
    const logged: StoredEvent[] = []
    for await (const e of store.events()) logged.push(e)
    expect(logged.map((e) => [e.type, e.callId, e.agent, e.data.supervision, e.data.reason, e.data.mode, e.data.durationMs])).toEqual([['supervise.stopped', 'call-1', 'a1', 'sup-1', 'engine-restart', 'whisper', 60_000]])
    expect(sup.list()).toEqual([])
  })
})

describe('a reconnect to the same Asterisk (fake ARI)', () => {
  it('keeps a live supervision: its supervisor’s phone is no leftover to hang up', async () => {
    const ari = new FakeAri()
    const clock = new FakeClock()
    const store = new SqliteStore(':memory:')
    await addQueue(store, 'sales', {wrapUp: 0})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
    await loginAgent(store, 'a1')
    const engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000})
    await engine.start()
    const callId = await connectFirstCaller(ari, 'ch1', '5551000', 'sales')
    const view = await engine.supervision.start(engine.control.supervised(engine.control.connected(callId)), 'monitor', 'PJSIP/lead', 'lead')
    await onAriReconnected(engine.core)
    await settle()
    expect(ari.ops('hangup').map((a) => a[0])).not.toContain(`${view.id}.s`)
    expect(engine.supervision.list().map((s) => s.id)).toEqual([view.id])
    await engine.stop()
    await store.close()
  })
})
