import {describe, expect, it} from 'vitest'
import {listAgents} from '../../src/engine/admin/admin.js'
import {agentHandlers} from '../../src/engine/api/agent-handlers.js'
import type {Connection} from '../../src/engine/api/server.js'
import {LOCAL_ADMIN} from '../../src/engine/users/roles.js'
import {listedAgent} from '../../src/ui/presence.js'
import {settle} from '../support/fake-ari.js'
import {useFakeEngine} from '../support/fake-engine.js'

// A logout during a call (misuse report 21, finding 7, "Related"): the agent finishes the
// call it is on and is offered nothing more; when the call ends it is offline, with no
// wrap-up (as app_queue's member removed mid-call). Meanwhile every screen says the same:
// the snapshot and `agent list` on-call, why "logged out: offline when this call ends".
// Before, `agent list` said offline while the snapshot said on-call, and a 30 s wrap-up
// (held for good in a queue with codes) ran for the offline agent after the call.

const CODES = [{code: 'resolved', label: '已解决', key: '1'}]

const f = useFakeEngine({
  queues: {support: {wrapUp: 30}, coded: {wrapUp: 0, dispositions: CODES}},
  agents: [{id: 'desk1', queues: ['support', 'coded']}],
})

const view = () => f.engine.snapshot().agents.find((a) => a.id === 'desk1')!

/** `agent list`'s row: the store's listing with the engine's state. */
async function listed(): Promise<string> {
  const listing = (await listAgents(f.store)).find((a) => a.id === 'desk1')!
  return listedAgent(listing, view().state).state
}

async function logout(): Promise<void> {
  const h = agentHandlers(f.engine)['agent.logout'] as (p: unknown, c: Connection, w: unknown) => Promise<unknown>
  await h({agent: 'desk1', by: 'admin'}, {id: 1} as Connection, LOCAL_ADMIN)
}

async function answered(did: string, channel: string): Promise<{callId: string; agentLeg: string}> {
  f.ari.callerArrives(channel, '+8613800138000', did)
  await settle()
  const ring = f.ari.originated().at(-1)!
  const callId = ring.appArgs!.split(',')[1]!
  f.ari.agentAnswers(ring.channelId!, callId)
  await settle()
  return {callId, agentLeg: ring.channelId!}
}

async function wrapUpsStarted(): Promise<number> {
  await f.engine.events.flush()
  let n = 0
  for await (const e of f.store.events()) if (e.type === 'agent.wrapup_started') n++
  return n
}

describe('a logout during a call (fake ARI)', () => {
  it('the agent shows on-call (logging out) everywhere until the call ends, then offline with no wrap-up', async () => {
    const {agentLeg} = await answered('support', 'ch-1')
    await logout()
    expect(view()).toMatchObject({state: 'on-call', why: 'logged out: offline when this call ends'})
    expect(await listed()).toBe('on-call')
    // Offered nothing more.
    const rings = f.ari.originated().length
    f.ari.callerArrives('ch-2', '+8613900000002', 'support')
    await settle()
    expect(f.ari.originated()).toHaveLength(rings)
    f.ari.hangsUp(agentLeg)
    await settle()
    expect(view()).toMatchObject({state: 'offline', why: null})
    expect(await listed()).toBe('offline')
    expect(await wrapUpsStarted()).toBe(0)
  })

  it('in a queue with codes: offline after the call, not held in wrap-up for the code', async () => {
    const {agentLeg} = await answered('coded', 'ch-1')
    await logout()
    f.ari.hangsUp(agentLeg)
    await settle()
    f.clock.advance(60_000)
    expect(view().state).toBe('offline')
    expect(await wrapUpsStarted()).toBe(0)
  })

  it('a logout during wrap-up: the wrap-up shows everywhere, said to end in offline, and does', async () => {
    const {agentLeg} = await answered('support', 'ch-1')
    f.ari.hangsUp(agentLeg)
    await settle()
    expect(view().state).toBe('wrap-up')
    await logout()
    expect(view()).toMatchObject({state: 'wrap-up', why: 'logged out: offline when its wrap-up ends'})
    expect(await listed()).toBe('wrap-up')
    f.clock.advance(30_000)
    expect(view().state).toBe('offline')
    expect(await listed()).toBe('offline')
  })
})
