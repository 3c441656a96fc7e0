import {describe, expect, it} from 'vitest'
import type {Bridge, Channel} from '../../src/engine/ari/port.js'
import {foldHistory, planRecovery} from '../../src/engine/calls/recovery.js'
import type {EventType, StoredEvent} from '../../src/engine/store/events.js'

// What the restarted engine makes of a call from its log and from what Asterisk still has.
// The histories are the events the engine writes, in its order (see call-control.ts).

const CALL = 'call-mxabc123-0a1b2c3d4e'
let seq = 0
const ev = (type: EventType, ts: number, data: Record<string, unknown> = {}, agent: string | null = null): StoredEvent => ({id: ++seq, type, ts, callId: CALL, queue: 'q', agent, data, origin: 'test'})
const chan = (id: string, o: Partial<Channel> = {}): Channel => ({id, name: `Local/${id}`, state: 'Up', caller: {number: '', name: ''}, connected: {number: '', name: ''}, creationtime: '', ...o})
const bridge = (channels: string[]): Bridge => ({id: `${CALL}.b`, technology: 'simple_bridge', bridge_type: 'mixing', bridge_class: 'stasis', name: CALL, channels})

/** Connected to a1, held at 2000, consulting a2 (ringing at 2001, answered at 2500 when `answered`). */
function consulting(answered: boolean): StoredEvent[] {
  return [
    ev('call.started', 0, {direction: 'inbound', number: '+15550001', did: 'q'}),
    ev('queue.entered', 10, {priority: 0}),
    ev('agent.ringing', 20, {channel: `${CALL}.r1`}, 'a1'),
    ev('call.connected', 30, {channel: `${CALL}.r1`, waitMs: 20}, 'a1'),
    ev('call.held', 2000, {by: 'a1'}, 'a1'),
    ev('call.consult_started', 2000, {to: {agent: 'a2'}, by: 'a1'}, 'a1'),
    ev('agent.ringing', 2001, {channel: `${CALL}.k1`, transfer: 'consult'}, 'a2'),
    ...(answered ? [ev('call.consult_answered', 2500, {to: {agent: 'a2'}}, 'a1')] : []),
  ]
}

describe('foldHistory', () => {
  it('keeps a consultation, who is held since when, and the first agent’s own leg', () => {
    const h = foldHistory(consulting(true))!
    expect(h).toMatchObject({phase: 'connected', agent: 'a1', agentChannel: `${CALL}.r1`, heldSince: 2000, holdMs: 0})
    expect(h.consult).toEqual({target: {agent: 'a2'}, agent: 'a2', channel: `${CALL}.k1`, answered: true, startedAt: 2000})
    // The consult ring is no queue ring left open.
    expect(h.openRings).toEqual([])
    expect(h.usedIds).toEqual({rings: 1, seq: 1})
  })

  it('a completed consultation: the consulted agent is the call’s agent, on the consult leg', () => {
    const h = foldHistory([
      ...consulting(true),
      ev('call.transferred', 3000, {kind: 'consult', to: {agent: 'a2'}}, 'a1'),
      ev('call.completed', 3000, {by: 'transfer', talkMs: 1000, holdMs: 1000}, 'a1'),
      ev('call.connected', 3001, {transfer: 'consult', from: 'a1'}, 'a2'),
    ])!
    expect(h).toMatchObject({phase: 'connected', agent: 'a2', agentChannel: `${CALL}.k1`, heldSince: null, consult: null})
  })

  it('a blind transfer ringing an agent, and a callback whose customer is being dialled', () => {
    const blind = foldHistory([
      ev('call.started', 0, {number: '+15550001'}),
      ev('call.connected', 30, {channel: `${CALL}.r1`}, 'a1'),
      ev('call.transferred', 100, {kind: 'blind', to: {agent: 'a2'}}, 'a1'),
      ev('call.completed', 100, {}, 'a1'),
      ev('agent.ringing', 101, {channel: `${CALL}.d1`, transfer: 'direct'}, 'a2'),
    ])!
    expect(blind).toMatchObject({phase: 'transferring', direct: {agent: 'a2', channel: `${CALL}.d1`}})
    const callback = foldHistory([
      ev('call.started', 0, {number: '+15550001'}),
      ev('queue.entered', 10),
      ev('callback.requested', 50, {number: '+15550001'}),
      ev('agent.ringing', 60, {channel: `${CALL}.r2`, callback: true}, 'a1'),
      ev('callback.attempt', 70, {attempt: 1, number: '+15550001'}, 'a1'),
    ])!
    expect(callback).toMatchObject({phase: 'callback', dialling: {agent: 'a1', at: 70}, agentChannel: `${CALL}.r2`, callbackAttempts: 1})
  })
})

describe('foldHistory: calls over but for the caller, and transfers out', () => {
  const connected = [ev('call.started', 0, {number: '+15550001'}), ev('queue.entered', 10), ev('call.connected', 30, {channel: `${CALL}.r1`}, 'a1')]

  it('a completed call (the caller rating it) is after-call; a transfer’s completed part is not', () => {
    expect(foldHistory([...connected, ev('call.completed', 90, {by: 'agent'}, 'a1')])!.phase).toBe('after-call')
    const toQueue = foldHistory([...connected, ev('call.transferred', 90, {kind: 'blind', to: {queue: 'b'}}, 'a1'), ev('call.completed', 90, {}, 'a1'), ev('queue.entered', 91)])!
    expect(toQueue.phase).toBe('waiting')
  })

  it('a blind transfer to a number (from an agent, or from the IVR) is transferring out', () => {
    const byAgent = foldHistory([...connected, ev('call.transferred', 90, {kind: 'blind', to: {number: '+15559990000'}}, 'a1'), ev('call.completed', 90, {}, 'a1')])!
    expect(byAgent).toMatchObject({phase: 'transferring', external: true})
    const byIvr = foldHistory([ev('call.started', 0, {number: '+15550001'}), ev('ivr.started', 1, {flow: 'f', version: 1}), ev('call.transferred', 5, {kind: 'blind', to: '+15559990000'})])!
    expect(byIvr).toMatchObject({phase: 'transferring', external: true})
  })

  it('sent from the queue to voicemail or a message is leaving; to another queue or a callback is not', () => {
    const exited = (action: string) => foldHistory([...connected.slice(0, 2), ev('queue.exited', 50, {reason: 'timeout', action})])!.phase
    expect(['voicemail', 'message', 'hangup', 'queue', 'callback'].map(exited)).toEqual(['leaving', 'leaving', 'leaving', 'waiting', 'waiting'])
  })

  it('a caller leaving a voicemail (queue overflow or IVR) goes on; one hearing a closing message is let go', () => {
    const caller = chan('1733.5', {channelvars: {CALLCTL_CALL: CALL}})
    const plan = (events: StoredEvent[]) => planRecovery([foldHistory(events)!], [caller], [], new Set([caller.id])).map((s) => s.kind)
    const started = ev('call.started', 0, {number: '+15550001'})
    expect(plan([started, ev('queue.entered', 10), ev('queue.exited', 50, {reason: 'timeout', action: 'voicemail'})])).toEqual(['voicemail'])
    expect(plan([started, ev('ivr.started', 1, {flow: 'f', version: 1}), ev('ivr.ended', 5, {flow: 'f', action: 'voicemail'})])).toEqual(['voicemail'])
    expect(plan([started, ev('queue.entered', 10), ev('queue.exited', 50, {reason: 'full', action: 'message'})])).toEqual(['closing'])
  })
})

describe('planRecovery', () => {
  const caller = chan('1733.42', {channelvars: {CALLCTL_CALL: CALL}})

  it('re-adopts a consultation: the first agent’s leg is the agent, the consult leg stays the consult', () => {
    const h = foldHistory(consulting(true))!
    // Asterisk lists the consult leg first; the far (;2) halves of the Local legs are subscribed too.
    const channels = [chan(`${CALL}.k1`), chan(`${CALL}.k1;2`), chan(`${CALL}.r1`), chan(`${CALL}.r1;2`), caller]
    const inApp = new Set(channels.map((c) => c.id))
    const steps = planRecovery([h], channels, [bridge([`${CALL}.k1`, `${CALL}.r1`])], inApp)
    expect(steps.map((s) => s.kind)).toEqual(['connected'])
    const step = steps[0] as Extract<(typeof steps)[number], {kind: 'connected'}>
    expect(step.agentChannel.id).toBe(`${CALL}.r1`)
    expect(step.consult?.id).toBe(`${CALL}.k1`)
    expect(step.customer.id).toBe(caller.id)
    expect(step.stale).toEqual([])
  })

  it('never takes a Local ;2 half, or a channel not in Stasis, for a call that arrived meanwhile', () => {
    const placed = chan('1733.99;2')
    const ringing = chan('1733.98', {dialplan: {context: 'x', exten: 's', priority: 1, app_name: 'AppDial2'}})
    const arrived = chan('1733.97', {dialplan: {context: 'callctl-stasis', exten: 's', priority: 1, app_name: 'Stasis', app_data: 'app,inbound,100'}})
    const steps = planRecovery([], [placed, ringing, arrived], [], new Set([placed.id, ringing.id, arrived.id]))
    expect(steps).toEqual([{kind: 'new-inbound', channel: arrived}])
  })

  it('a call whose caller left while the engine was down: every leg of it is hung up and its bridge goes', () => {
    const h = foldHistory(consulting(true))!
    const channels = [chan(`${CALL}.r1`), chan(`${CALL}.k1`)]
    const steps = planRecovery([h], channels, [bridge(channels.map((c) => c.id))], new Set(channels.map((c) => c.id)))
    expect(steps.map((s) => s.kind)).toEqual(['half'])
    const step = steps[0] as Extract<(typeof steps)[number], {kind: 'half'}>
    expect(step.stale.map((c) => c.id).sort()).toEqual([`${CALL}.k1`, `${CALL}.r1`])
    expect(step.bridges.map((b) => b.id)).toEqual([`${CALL}.b`])
  })
})
