import {expect, it} from 'vitest'
import {callView} from '../../src/engine/api/views.js'
import {connectFirstCaller, settle} from '../support/fake-ari.js'
import {useFakeEngine} from '../support/fake-engine.js'
import {Value} from '@sinclair/typebox/value'

// Hold was folded from live events by the desk that pressed it, and nowhere else: calls,
// calls --json, the dashboard and a desk opened later said "connected" (misuse report 21,
// finding 8). The call's view carries it: since when, how long so far, and a consultation.

const f = useFakeEngine({queues: {sales: {wrapUp: 0}, support: {wrapUp: 0}}, agents: [{id: 'a1', queues: ['sales']}, {id: 'a2', queues: ['support']}]})

const viewOf = (id: string) => f.engine.snapshot().calls.find((c) => c.id === id)!

it('a held call says so in every view of it, with its hold time counted to now; unheld, the time stays', async () => {
  const callId = await connectFirstCaller(f.ari, 'ch1', '5551000', 'sales')
  expect(viewOf(callId)).toMatchObject({state: 'connected', heldSince: null, holdMs: 0, consulting: false})

  const heldAt = f.clock.now()
  await f.engine.control.hold(callId, 'a1')
  f.clock.advance(42_000)
  const held = viewOf(callId)
  expect(held).toMatchObject({state: 'connected', heldSince: heldAt, holdMs: 42_000, consulting: false})
  expect(Value.Check(callView, held)).toBe(true)
  // The agent's own snapshot (its desk's poll) and call.get read the same view.
  expect(f.engine.agentSnapshot('a1').calls[0]).toMatchObject({id: callId, heldSince: heldAt, holdMs: 42_000})

  await f.engine.control.unhold(callId, 'a1')
  f.clock.advance(5_000)
  expect(viewOf(callId)).toMatchObject({heldSince: null, holdMs: 42_000})
})

it('a consultation shows the caller held and the call consulting until it is cancelled', async () => {
  const callId = await connectFirstCaller(f.ari, 'ch1', '5551000', 'sales')
  await f.engine.control.consult(callId, {agent: 'a2'}, 'a1')
  await settle()
  expect(viewOf(callId)).toMatchObject({consulting: true, heldSince: f.clock.now()})
  await f.engine.control.cancelConsult(callId, 'a1')
  await settle()
  expect(viewOf(callId)).toMatchObject({consulting: false})
})
