import {afterEach, beforeEach, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {AriRequestError} from '../../src/engine/ari/port.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {connectFirstCaller, FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// A call shows connected as soon as the agent answers, while the engine is still adding
// the caller to the bridge; a hold (or a consultation, which holds first) asked for in
// that moment got 422 "Channel not in this bridge" and failed as an engine bug.

let ari: FakeAri
let clock: FakeClock
let store: SqliteStore
let engine: Engine

beforeEach(async () => {
  ari = new FakeAri()
  clock = new FakeClock()
  store = new SqliteStore(':memory:')
  await addQueue(store, 'sales', {wrapUp: 0})
  await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
  await loginAgent(store, 'a1')
  engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000})
  await engine.start()
})
afterEach(async () => {
  await engine.stop()
  await store.close()
})

it('a hold asked for while the caller is still being bridged waits for it instead of failing', async () => {
  const callId = await connectFirstCaller(ari, 'ch1', '5551000', 'sales')
  // Asterisk has not put the caller in the bridge yet: twice 422, then it is there.
  let refusals = 2
  const remove = ari.removeFromBridge.bind(ari)
  ari.removeFromBridge = async (id, channels) => {
    if (refusals-- > 0) throw new AriRequestError(422, `POST /bridges/${id}/removeChannel`, 'Channel not in this bridge')
    return remove(id, channels)
  }
  const held = engine.control.hold(callId, 'lead')
  for (let i = 0; i < 3; i++) {
    await settle()
    clock.advance(100)
  }
  await expect(held).resolves.toEqual({callId, held: true})
  expect(ari.ops('removeFromBridge')).toEqual([[`${callId}.b`, ['ch1']]])
  expect(ari.ops('startMoh').at(-1)?.[0]).toBe('ch1')
})
