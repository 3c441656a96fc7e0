import {describe, expect, it} from 'vitest'
import {loginAgent} from '../../src/engine/admin/admin.js'
import {isShutdownHangup} from '../../src/engine/calls/asterisk-stopping.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {settle} from '../support/fake-ari.js'
import {useFakeEngine} from '../support/fake-engine.js'

// Asterisk stopping hangs up every channel itself; the engine must not count its callers in
// line as abandoned (asterisk-stopping.ts). The requests are the ones Asterisk 22 sent when
// the sandbox went down under waiting callers: {soft: true, cause: 4} (AST_SOFTHANGUP_SHUTDOWN)
// on the caller's channel before its StasisEnd. The integration test is asterisk-restart's
// clean stop.

describe('Asterisk stopping under calls (fake ARI, fake clock)', () => {
  const f = useFakeEngine({queues: {sales: {ringTimeout: 15, wrapUp: 10}}, agents: [{id: 'a1', queues: ['sales'], login: false}]})

  async function trail(): Promise<StoredEvent[]> {
    await f.engine.events.flush()
    const out: StoredEvent[] = []
    for await (const e of f.store.events({types: undefined})) if (e.callId) out.push(e)
    return out
  }

  const hangupRequest = (channelId: string, cause: number, soft: boolean) =>
    f.ari.emit('ChannelHangupRequest', {channel: f.ari.channels.get(channelId)!, cause, ...(soft ? {soft} : {})})

  it('reads the shutdown bit of a soft hang-up, and nothing else', () => {
    expect(isShutdownHangup({soft: true, cause: 4})).toBe(true)
    expect(isShutdownHangup({soft: true, cause: 4 | 16})).toBe(true)
    expect(isShutdownHangup({soft: true, cause: 16})).toBe(false) // an app unloading
    expect(isShutdownHangup({soft: true, cause: 32})).toBe(false) // a hang-up asked over ARI
    expect(isShutdownHangup({cause: 4})).toBe(false) // not soft: a Q.850 cause (4 is unused there, but not ours to read)
    expect(isShutdownHangup({soft: true})).toBe(false)
  })

  it('a caller in line when Asterisk stops is system-ended (asterisk-stopped), never abandoned', async () => {
    f.ari.callerArrives('ch1', '5551000', 'sales')
    await settle()
    f.clock.advance(7_000)
    hangupRequest('ch1', 4, true)
    f.ari.hangsUp('ch1')
    await settle()
    const events = await trail()
    expect(events.map((e) => e.type)).toEqual(['call.started', 'queue.entered', 'queue.system_ended', 'call.ended'])
    expect(events[2]!.data).toMatchObject({reason: 'asterisk-stopped', waitMs: 7_000, position: 1, number: '5551000'})
    expect(events[3]!.data).toEqual({cause: 'system-ended'})
    expect(f.engine.acd.waiting.size).toBe(0)
  })

  it('a caller who hangs up, or whom the engine hangs up (soft, explicit), is abandoned as before', async () => {
    f.ari.callerArrives('ch1', '5551000', 'sales')
    f.ari.callerArrives('ch2', '5552000', 'sales')
    await settle()
    hangupRequest('ch1', 16, false)
    f.ari.hangsUp('ch1')
    hangupRequest('ch2', 32, true)
    f.ari.hangsUp('ch2')
    await settle()
    const types = (await trail()).map((e) => e.type)
    expect(types.filter((t) => t === 'queue.abandoned')).toHaveLength(2)
    expect(types).not.toContain('queue.system_ended')
  })

  it('a talking call cut by Asterisk stopping completes by the system, from either leg', async () => {
    await loginAgent(f.store, 'a1')
    await f.engine.applyAdminEvent({type: 'agent.login', agent: 'a1', queue: null, data: {}, ts: f.clock.now()})
    f.engine.scheduleDispatch()
    await settle()
    f.ari.callerArrives('ch1', '5551000', 'sales')
    await settle()
    const ring = f.ari.originated()[0]!
    f.ari.agentAnswers(ring.channelId!, ring.appArgs!.split(',')[1]!)
    await settle()
    f.clock.advance(20_000)
    // The agent's leg goes first here: without the mark it would read "the agent hung up".
    hangupRequest(ring.channelId!, 4, true)
    f.ari.hangsUp(ring.channelId!)
    f.ari.hangsUp('ch1')
    await settle()
    const completed = (await trail()).find((e) => e.type === 'call.completed')!
    expect(completed.data).toMatchObject({by: 'system', talkMs: 20_000})
  })
})
