import {expect, it} from 'vitest'
import {AriRequestError} from '../../src/engine/ari/port.js'
import {connectFirstCaller, settle} from '../support/fake-ari.js'
import {useFakeEngine} from '../support/fake-engine.js'

// A call shows connected as soon as the agent answers, while the engine is still adding
// the caller to the bridge; a hold (or a consultation, which holds first) asked for in
// that moment got 422 "Channel not in this bridge" and failed as an engine bug.

const f = useFakeEngine({queues: {sales: {wrapUp: 0}}, agents: [{id: 'a1', queues: ['sales']}]})

it('a hold asked for while the caller is still being bridged waits for it instead of failing', async () => {
  const callId = await connectFirstCaller(f.ari, 'ch1', '5551000', 'sales')
  // Asterisk has not put the caller in the bridge yet: twice 422, then it is there.
  let refusals = 2
  const remove = f.ari.removeFromBridge.bind(f.ari)
  f.ari.removeFromBridge = async (id, channels) => {
    if (refusals-- > 0) throw new AriRequestError(422, `POST /bridges/${id}/removeChannel`, 'Channel not in this bridge')
    return remove(id, channels)
  }
  const held = f.engine.control.hold(callId, 'lead')
  for (let i = 0; i < 3; i++) {
    await settle()
    f.clock.advance(100)
  }
  await expect(held).resolves.toEqual({callId, held: true})
  expect(f.ari.ops('removeFromBridge')).toEqual([[`${callId}.b`, ['ch1']]])
  expect(f.ari.ops('startMoh').at(-1)?.[0]).toBe('ch1')
})
