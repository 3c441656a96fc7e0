import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {EngineClient} from '../../src/engine/api/client.js'
import {callsReport} from '../../src/engine/reports/calls-report.js'
import {addUser} from '../../src/engine/users/users.js'
import {DeskFeed} from '../../src/ui/desk/desk-feed.js'
import {startTestEngine, type Harness} from '../support/harness.js'
import {contextFor, rowsOf} from '../support/report-log.js'
import {until} from '../support/wait.js'

// On a real engine and Asterisk (misuse report 20): a desk opened while its agent is
// already talking builds the pop from desk.current (finding 18), and a hang-up asked for
// through the API is recorded by who asked (finding 19): the agent's token, or a desk
// (asAgent), is the agent (call.completed by agent, disconnect agent); an admin or a
// supervisor is not the caller (by supervisor, disconnect system).

describe('who hung up, and a desk opened mid-call, on the real sandbox', () => {
  let h: Harness
  let agentToken: string
  const from = Date.now() - 1000
  const clients: EngineClient[] = []

  beforeAll(async () => {
    h = await startTestEngine({queues: {q1: {wrapUp: 0, record: false}}, agents: [{id: 'a1', ring: 0, talk: {min: 120, max: 120}, queues: ['q1']}], api: true})
    agentToken = (await addUser(h.store, {name: 'li-na', role: 'agent', agent: 'a1'})).token!
  })

  afterAll(async () => {
    for (const c of clients) c.close()
    await h?.stop()
  })

  const client = async (token: string) => {
    const c = await EngineClient.connect(h.api!.url, token)
    clients.push(c)
    return c
  }

  /** A call answered by a1, and its id. */
  async function talking(number: string): Promise<string> {
    await until('a1 to be idle', () => h.engine.snapshot().agents.find((a) => a.id === 'a1')?.state === 'idle', 15_000)
    await h.call({number, did: 'q1', patience: 60})
    return until('the call to connect', () => h.engine.snapshot().calls.find((c) => c.caller.number === number && c.state === 'connected')?.id, 15_000)
  }

  /** The call's call.completed `by`, and its disconnect in the calls report. */
  async function recorded(number: string, callId: string): Promise<{by: unknown; disconnect: unknown}> {
    await h.ended(number)
    const completed = (await h.events()).find((e) => e.callId === callId && e.type === 'call.completed')
    const rows = rowsOf(callsReport(contextFor(h.store, {from: new Date(from).toISOString(), to: new Date(Date.now() + 1000).toISOString()})))
    const row = rows.find((r) => r.call_id === callId)
    return {by: completed?.data.by, disconnect: row?.disconnect}
  }

  it('a desk opened while its agent talks pops that call (desk.current), then its x hangs up as the agent', async () => {
    const number = '+15550700001'
    const callId = await talking(number)
    const feed = new DeskFeed(() => client(agentToken), 'a1', {pollMs: 200})
    feed.start()
    try {
      await until('the desk to pop the call it never saw ring', () => feed.getState().pop?.history !== null && feed.getState().pop?.callId === callId, 10_000)
      const s = feed.getState()
      expect(s.me?.state).toBe('on-call')
      expect(s.pop).toMatchObject({callId, ended: false, call: {caller: {number}, queue: 'q1', agent: 'a1', state: 'connected'}, history: {number}})
      expect(s.lastCall).toMatchObject({id: callId, queue: 'q1', number})
      // The desk's x (desk-actions.ts): call.hangup as the agent.
      await feed.request('call.hangup', {call: callId, asAgent: true})
    } finally {
      feed.stop()
    }
    expect(await recorded(number, callId)).toEqual({by: 'agent', disconnect: 'agent'})
  })

  it("the agent's own token hangs up as the agent", async () => {
    const number = '+15550700002'
    const callId = await talking(number)
    await (await client(agentToken)).request('call.hangup', {call: callId})
    expect(await recorded(number, callId)).toEqual({by: 'agent', disconnect: 'agent'})
  })

  it('an admin or supervisor (callctl call hangup) is not the caller: by supervisor, disconnect system', async () => {
    const number = '+15550700003'
    const callId = await talking(number)
    await (await client(h.api!.token)).request('call.hangup', {call: callId})
    expect(await recorded(number, callId)).toEqual({by: 'supervisor', disconnect: 'system'})
    const asked = (await h.events()).find((e) => e.callId === callId && e.type === 'call.hangup_requested')
    expect(asked?.data).toMatchObject({side: 'supervisor'})
  })
})
