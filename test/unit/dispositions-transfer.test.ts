import {describe, expect, it} from 'vitest'
import {ticketHandlers} from '../../src/engine/api/ticket-handlers.js'
import type {Connection} from '../../src/engine/api/server.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {LOCAL_ADMIN, type Principal} from '../../src/engine/users/roles.js'
import {settle} from '../support/fake-ari.js'
import {useFakeEngine} from '../support/fake-engine.js'

// An agent that transfers a call of a queue with codes leaves it owing the call's code
// (misuse report 21, finding 3): its own call.disposition, through the API as its desk
// and CLI send it, is its part of the call, whoever has the call now; and any accepted
// code of a call an agent owes releases that agent, the event naming it. Before, the
// still-live call (its agent gone) refused the agent as not its own, and a supervisor's
// code was accepted, named no agent and released no one: held in wrap-up until a restart.

const CODES = [
  {code: 'resolved', label: '已解决', key: '1'},
  {code: 'follow-up', label: '需跟进', key: '2'},
]

const f = useFakeEngine({
  queues: {support: {wrapUp: 10, dispositions: CODES}, sales: {wrapUp: 10, dispositions: CODES}},
  agents: [
    {id: 'desk1', queues: ['support']},
    {id: 'desk2', queues: ['sales']},
  ],
})

const desk1: Principal = {user: '王芳', role: 'agent', agent: 'desk1'}
const desk2: Principal = {user: 'Bo', role: 'agent', agent: 'desk2'}
const conn = {id: 1} as Connection

async function dispose(call: string, code: string, who: Principal): Promise<{released: boolean}> {
  const h = ticketHandlers(f.engine)['call.disposition'] as (p: unknown, c: Connection, w: Principal) => Promise<{released: boolean}>
  return h({call, code}, conn, who)
}

const state = (agent: string) => f.engine.acd.agentView(f.engine.acd.agents.get(agent)!).state

async function events(type: string): Promise<StoredEvent[]> {
  await f.engine.events.flush()
  const out: StoredEvent[] = []
  for await (const e of f.store.events()) if (e.type === type) out.push(e)
  return out
}

/** A caller on support, answered by desk1: the call id. */
async function desk1Answers(): Promise<string> {
  f.ari.callerArrives('ch-carol', '+8613800138000', 'support', 'Carol')
  await settle()
  const ring = f.ari.originated().at(-1)!
  const callId = ring.appArgs!.split(',')[1]!
  f.ari.agentAnswers(ring.channelId!, callId)
  await settle()
  expect(state('desk1')).toBe('on-call')
  return callId
}

/** desk1's wrap-up time runs out: held for the code it owes. */
function heldInWrapUp(): void {
  f.clock.advance(11_000)
  expect(state('desk1')).toBe('wrap-up')
  expect(() => f.engine.agentReady('desk1')).toThrow(expect.objectContaining({code: 'disposition_required'}))
}

/** The engine's last originated leg answers, entering the app with its own args (external, direct, consult). */
async function lastLegAnswers(): Promise<string> {
  const leg = f.ari.originated().at(-1)!
  const ch = {id: leg.channelId!, name: `Fake/${leg.channelId!}`, state: 'Up', caller: {number: '', name: ''}, connected: {number: '', name: ''}, creationtime: ''}
  f.ari.emit('StasisStart', {args: leg.appArgs!.split(','), channel: ch})
  await settle()
  return leg.channelId!
}

/** The number's leg answers: the blind transfer to it is done, the call lives on with no agent. */
async function transferredToNumber(callId: string): Promise<void> {
  await f.engine.control.blindTransfer(callId, {number: '+8613800000000'}, '王芳')
  await settle()
  expect(f.ari.originated().at(-1)!.appArgs).toBe(`external,${callId}`)
  await lastLegAnswers()
  expect(f.engine.core.sessions.get(callId)?.agentId).toBeNull()
}

describe('the code of a transferred call (fake ARI)', () => {
  it('blind to a number: the transferring agent disposes its part from its desk and is released; the event names it', async () => {
    const callId = await desk1Answers()
    await transferredToNumber(callId)
    heldInWrapUp()
    // Another agent may not write about it.
    await expect(dispose(callId, 'resolved', desk2)).rejects.toMatchObject({code: 'forbidden'})
    await expect(dispose(callId, 'resolved', desk1)).resolves.toMatchObject({released: true})
    expect(state('desk1')).toBe('idle')
    const [d] = await events('call.disposition')
    expect(d).toMatchObject({callId, agent: 'desk1', queue: 'support', data: {code: 'resolved', by: '王芳', number: '+8613800138000'}})
    expect((await events('agent.wrapup_ended')).map((e) => [e.agent, e.data.how])).toEqual([['desk1', 'disposition']])
  })

  it("blind to a number: a supervisor's code releases the agent that owes it, and names it", async () => {
    const callId = await desk1Answers()
    await transferredToNumber(callId)
    heldInWrapUp()
    await expect(dispose(callId, 'follow-up', LOCAL_ADMIN)).resolves.toMatchObject({released: true})
    expect(state('desk1')).toBe('idle')
    expect((await events('call.disposition'))[0]).toMatchObject({callId, agent: 'desk1', queue: 'support', data: {code: 'follow-up', by: 'admin'}})
  })

  it('a code given before the held time ends: the wrap-up ends on time, not held', async () => {
    const callId = await desk1Answers()
    await transferredToNumber(callId)
    await dispose(callId, 'resolved', LOCAL_ADMIN)
    f.clock.advance(11_000)
    expect(state('desk1')).toBe('idle')
  })

  it("blind to another agent: each agent owes its own part's code; desk1's does not settle desk2's", async () => {
    const callId = await desk1Answers()
    // A code chosen during the call covers desk1's part only.
    await dispose(callId, 'follow-up', desk1)
    await f.engine.control.blindTransfer(callId, {agent: 'desk2'}, '王芳')
    await settle()
    const desk2Leg = await lastLegAnswers()
    expect(f.engine.core.sessions.get(callId)?.agentId).toBe('desk2')
    f.clock.advance(11_000)
    // desk1 chose its code before it left: not held.
    expect(state('desk1')).toBe('idle')
    // desk2 hangs up: it owes its own code, and its desk may give it.
    f.ari.hangsUp(desk2Leg)
    await settle()
    f.clock.advance(11_000)
    expect(state('desk2')).toBe('wrap-up')
    await expect(dispose(callId, 'resolved', desk2)).resolves.toMatchObject({released: true})
    expect(state('desk2')).toBe('idle')
    expect((await events('call.disposition')).map((e) => [e.agent, e.data.code])).toEqual([
      ['desk1', 'follow-up'],
      ['desk2', 'resolved'],
    ])
  })

  it("blind to another agent while it talks: the first agent disposes its own part, the live call's code stays desk2's to choose", async () => {
    const callId = await desk1Answers()
    await f.engine.control.blindTransfer(callId, {agent: 'desk2'}, '王芳')
    await settle()
    await lastLegAnswers()
    expect(f.engine.core.sessions.get(callId)?.agentId).toBe('desk2')
    heldInWrapUp()
    // desk1's own code: its part, released; desk2 (on the call) untouched.
    await expect(dispose(callId, 'follow-up', desk1)).resolves.toMatchObject({released: true})
    expect(state('desk1')).toBe('idle')
    expect(f.engine.core.sessions.get(callId)?.disposition).toBeNull()
    expect((await events('call.disposition'))[0]).toMatchObject({agent: 'desk1', queue: 'support'})
  })

  it("blind to a queue: while the call waits there, the transferring agent disposes its part", async () => {
    const callId = await desk1Answers()
    // desk2 is paused in sales: the call waits there.
    f.engine.acd.setPresence('desk2', 'paused', 'lunch', f.clock.now())
    await f.engine.control.blindTransfer(callId, {queue: 'sales'}, '王芳')
    await settle()
    expect(f.engine.core.sessions.get(callId)?.state).toBe('waiting')
    heldInWrapUp()
    await expect(dispose(callId, 'resolved', desk1)).resolves.toMatchObject({released: true})
    expect((await events('call.disposition'))[0]).toMatchObject({agent: 'desk1', queue: 'support'})
  })

  it('blind to a queue, the supervisor: released, the event names the agent', async () => {
    const callId = await desk1Answers()
    f.engine.acd.setPresence('desk2', 'paused', 'lunch', f.clock.now())
    await f.engine.control.blindTransfer(callId, {queue: 'sales'}, '王芳')
    await settle()
    heldInWrapUp()
    await expect(dispose(callId, 'resolved', LOCAL_ADMIN)).resolves.toMatchObject({released: true})
    expect(state('desk1')).toBe('idle')
    expect((await events('call.disposition'))[0]).toMatchObject({agent: 'desk1', queue: 'support', data: {by: 'admin'}})
  })

  it("consult transfer to another agent, completed: the first agent disposes its part (the live call is desk2's)", async () => {
    const callId = await desk1Answers()
    await f.engine.control.consult(callId, {agent: 'desk2'}, '王芳')
    await settle()
    expect(f.ari.originated().at(-1)!.appArgs).toBe(`consult,${callId}`)
    await lastLegAnswers()
    await f.engine.control.completeConsult(callId, '王芳')
    await settle()
    expect(f.engine.core.sessions.get(callId)?.agentId).toBe('desk2')
    heldInWrapUp()
    // desk1's CLI with its token: before, Forbidden (the live call is desk2's).
    await expect(dispose(callId, 'follow-up', desk1)).resolves.toMatchObject({released: true})
    expect(state('desk1')).toBe('idle')
    expect((await events('call.disposition'))[0]).toMatchObject({agent: 'desk1', data: {code: 'follow-up'}})
  })

  it('consult transfer, completed: a supervisor disposing the live call releases the first agent held for it', async () => {
    const callId = await desk1Answers()
    await f.engine.control.consult(callId, {agent: 'desk2'}, '王芳')
    await settle()
    await lastLegAnswers()
    await f.engine.control.completeConsult(callId, '王芳')
    await settle()
    heldInWrapUp()
    await expect(dispose(callId, 'resolved', LOCAL_ADMIN)).resolves.toMatchObject({released: true})
    expect(state('desk1')).toBe('idle')
    // The live call's agent (desk2) owes nothing after it now: the supervisor chose for the call.
    expect((await events('call.disposition'))[0]).toMatchObject({agent: 'desk2', data: {code: 'resolved', by: 'admin'}})
  })
})
