import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent, logoutAgent, pauseAgent, removeQueue, unpauseAgent} from '../../src/engine/admin/admin.js'
import type {OriginateParams} from '../../src/engine/ari/port.js'
import {Engine} from '../../src/engine/calls/engine.js'
import type {EventType, StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {UserError} from '../../src/engine/util/errors.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// Queue-level decisions of the engine with a recorded ARI, a fake clock and an
// in-memory store: limits, overflow, resume, last agent, auto-pause, wrap-up requests,
// announcements and callbacks.

interface AgentSpec {
  id: string
  queues: string[]
  presence?: 'available' | 'paused' | 'offline'
}

describe('engine queue decisions (fake ARI, fake clock)', () => {
  let ari: FakeAri
  let clock: FakeClock
  let store: SqliteStore
  let engine: Engine | undefined

  beforeEach(() => {
    ari = new FakeAri()
    clock = new FakeClock()
    store = new SqliteStore(':memory:')
    engine = undefined
  })

  afterEach(async () => {
    await engine?.stop()
    await store.close()
  })

  async function boot(queues: [string, Record<string, unknown>][], agents: AgentSpec[] = [], o: {dialString?: string} = {}): Promise<Engine> {
    for (const [name, settings] of queues) await addQueue(store, name, settings)
    for (const a of agents) {
      await addAgent(store, {id: a.id, endpoint: `PJSIP/${a.id}`, queues: a.queues})
      if (a.presence !== 'offline') await loginAgent(store, a.id)
      if (a.presence === 'paused') await pauseAgent(store, a.id, 'break')
    }
    engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000, dialString: o.dialString})
    await engine.start()
    return engine
  }
  const eng = () => engine!

  /** An admin change applied the way the engine's sync loop applies it. */
  async function adminEvent(type: EventType, agent: string, data: Record<string, unknown> = {}): Promise<void> {
    await eng().applyAdminEvent({type, agent, queue: null, data, ts: clock.now()})
    eng().scheduleDispatch()
    await settle()
  }

  async function events(): Promise<StoredEvent[]> {
    await eng().events.flush()
    const out: StoredEvent[] = []
    for await (const e of store.events({})) out.push(e)
    return out
  }
  const trail = async (callId: string) => (await events()).filter((e) => e.callId === callId)
  const types = async (callId: string) => (await trail(callId)).map((e) => e.type)
  const find = async (callId: string, type: EventType) => (await trail(callId)).filter((e) => e.type === type)

  async function arrive(ch: string, number = '5551000', did = 'sales', name = ''): Promise<string> {
    ari.callerArrives(ch, number, did, name)
    await settle()
    // The engine names the call in call.started (no channel variable is set on the caller).
    const started = (await events()).filter((e) => e.type === 'call.started' && e.data.channel === ch).at(-1)
    expect(started, `call id for ${ch}`).toBeDefined()
    return started!.callId!
  }
  async function advance(ms: number): Promise<void> {
    clock.advance(ms)
    await settle()
  }
  const rings = (): OriginateParams[] => ari.originated().filter((o) => o.appArgs?.startsWith('agent,'))
  const customerDials = (): OriginateParams[] => ari.originated().filter((o) => o.appArgs?.startsWith('customer,'))
  const plays = (ch: string) => ari.ops('playOnChannel').filter((a) => a[0] === ch) as [string, string | string[], string][]
  async function finishPlayback(id: string, ch: string): Promise<void> {
    ari.emit('PlaybackFinished', {playback: {id, media_uri: 'x', target_uri: `channel:${ch}`, state: 'done'}})
    await settle()
  }
  async function dtmf(ch: string, digits: string): Promise<void> {
    for (const digit of digits) {
      ari.emit('ChannelDtmfReceived', {channel: ari.channels.get(ch)!, digit, duration_ms: 100})
      await settle()
    }
  }
  const agentState = (id: string) => eng().acd.agentView(eng().acd.agents.get(id)!).state
  const hangups = () => ari.ops('hangup').map((a) => a[0])

  /** Rings the agent, answers, talks and lets the agent hang up. */
  async function connectAndComplete(ch: string, talkMs = 30_000, by: 'agent' | 'caller' = 'agent'): Promise<string> {
    const ring = rings().at(-1)!
    const callId = ring.appArgs!.split(',')[1]!
    ari.agentAnswers(ring.channelId!, callId)
    await settle()
    await advance(talkMs)
    ari.hangsUp(by === 'agent' ? ring.channelId! : ch)
    await settle()
    return callId
  }

  // ---- maxWait and overflow -------------------------------------------------

  describe('maxWait and overflow', () => {
    it('timeout with overflow hangup: queue.exited {reason: timeout}, hang up, call.ended exit-timeout', async () => {
      await boot([['sales', {maxWait: 30}]])
      const t0 = clock.now()
      const id = await arrive('ch1')
      await advance(29_999)
      expect(hangups()).toEqual([])
      await advance(1)
      expect(hangups()).toEqual(['ch1'])
      expect(await types(id)).toEqual(['call.started', 'queue.entered', 'queue.exited', 'call.ended'])
      const [exited] = await find(id, 'queue.exited')
      expect(exited!.data).toEqual({reason: 'timeout', position: 1, waitMs: 30_000, action: 'hangup', to: null})
      expect(exited!.ts).toBe(t0 + 30_000)
      expect((await find(id, 'call.ended'))[0]!.data).toEqual({cause: 'exit-timeout'})
      expect(eng().acd.waiting.has(id)).toBe(false)
      expect(eng().liveCalls).toBe(0)
    })

    it('overflow to another queue keeps joinedAt (and the place in line) and logs overflowFrom', async () => {
      await boot(
        [
          ['backup', {}],
          ['sales', {maxWait: 30, overflow: {action: 'queue', queue: 'backup'}}],
        ],
        [{id: 'b1', queues: ['backup'], presence: 'paused'}],
      )
      const t0 = clock.now()
      const id = await arrive('ch1')
      await advance(10_000)
      const direct = await arrive('ch2', '5552000', 'backup')
      await advance(20_000)
      const [exited] = await find(id, 'queue.exited')
      expect(exited!.data).toMatchObject({reason: 'timeout', action: 'queue', to: 'backup'})
      const entered = await find(id, 'queue.entered')
      expect(entered).toHaveLength(2)
      expect(entered[1]!.queue).toBe('backup')
      expect(entered[1]!.data).toMatchObject({overflowFrom: 'sales', joinedAt: t0, position: 1})
      const w = eng().acd.waiting.get(id)!
      expect([w.queue, w.joinedAt]).toEqual(['backup', t0])
      // it joined backup 20 s after the direct caller but keeps its earlier place
      expect(eng().acd.position(id)).toBe(1)
      expect(eng().acd.position(direct)).toBe(2)
      const view = eng().snapshot().calls.find((c) => c.id === id)!
      expect(view).toMatchObject({queue: 'backup', joinedAt: t0, enteredQueueAt: t0 + 30_000, state: 'waiting'})
      // the caller's music keeps playing across the move
      expect(ari.ops('startMoh').filter((a) => a[0] === 'ch1')).toHaveLength(1)
      expect(hangups()).toEqual([])
      // the backup agent takes the overflowed caller first
      await unpauseAgent(store, 'b1')
      await adminEvent('agent.unpaused', 'b1')
      expect(rings().map((r) => [r.endpoint, r.appArgs])).toEqual([['PJSIP/b1', `agent,${id}`]])
    })

    it('overflow "message" plays the prompt and hangs up after PlaybackFinished (cause exit-timeout)', async () => {
      await boot([['sales', {maxWait: 30, overflow: {action: 'message', prompt: 'sorry-closed'}}]])
      const id = await arrive('ch1')
      await advance(30_000)
      const [ch, media, playback] = plays('ch1')[0]!
      expect([ch, media]).toEqual(['ch1', 'sound:sorry-closed'])
      expect(ari.ops('stopMoh')).toContainEqual(['ch1'])
      expect(hangups()).toEqual([])
      expect(eng().snapshot().calls[0]!.state).toBe('leaving')
      const [exited] = await find(id, 'queue.exited')
      expect(exited!.data).toMatchObject({reason: 'timeout', action: 'message'})
      expect(await find(id, 'call.ended')).toEqual([])
      await finishPlayback(playback, 'ch1')
      expect(hangups()).toEqual(['ch1'])
      expect((await find(id, 'call.ended'))[0]!.data).toEqual({cause: 'exit-timeout'})
      expect(eng().liveCalls).toBe(0)
    })

    it('overflow "voicemail" plays the prompt then records; RecordingFinished → voicemail.left and hangup', async () => {
      await boot([['sales', {maxWait: 30, overflow: {action: 'voicemail', prompt: 'vm-intro'}}]])
      const id = await arrive('ch1')
      await advance(30_000)
      const order = ari.requests.filter((r) => r.op === 'playOnChannel' || r.op === 'recordChannel').map((r) => r.op)
      expect(order).toEqual(['playOnChannel', 'recordChannel'])
      expect(plays('ch1')[0]!.slice(0, 2)).toEqual(['ch1', 'sound:vm-intro'])
      const name = `voicemail-${id}`
      expect(ari.ops('recordChannel')).toEqual([['ch1', {name, format: 'wav', maxDurationSeconds: 120, beep: true, ifExists: 'overwrite', terminateOn: '#'}]])
      expect(hangups()).toEqual([])
      // the caller hanging up ends the recording; the call ends when Asterisk says it is saved
      ari.hangsUp('ch1')
      await settle()
      expect(eng().liveCalls).toBe(1)
      ari.emit('RecordingFinished', {recording: {name, format: 'wav', state: 'done', target_uri: 'channel:ch1', duration: 12}})
      await settle()
      expect(hangups()).toEqual(['ch1'])
      const [left] = await find(id, 'voicemail.left')
      expect(left!.data).toEqual({recording: name, durationSec: 12, state: 'done', number: '5551000'})
      expect(await types(id)).toEqual(['call.started', 'queue.entered', 'queue.exited', 'voicemail.left', 'call.ended'])
      expect((await find(id, 'call.ended'))[0]!.data).toEqual({cause: 'voicemail'})
      expect(eng().liveCalls).toBe(0)
    })

    it('queues overflowing into each other stop bouncing a caller after 3 hops', async () => {
      await boot([
        ['sales', {maxWait: 10, overflow: {action: 'queue', queue: 'backup'}}],
        ['backup', {maxWait: 10, overflow: {action: 'queue', queue: 'sales'}}],
      ])
      const t0 = clock.now()
      const id = await arrive('ch1')
      await advance(40_000)
      const entered = await find(id, 'queue.entered')
      expect(entered.map((e) => e.queue)).toEqual(['sales', 'backup', 'sales', 'backup'])
      for (const e of entered.slice(1)) expect(e.data.joinedAt).toBe(t0)
      expect((await find(id, 'queue.exited')).map((e) => e.queue)).toEqual(['sales', 'backup', 'sales', 'backup'])
      const last = plays('ch1').at(-1)!
      expect(last[1]).toBe('sound:vm-nobodyavail')
      await finishPlayback(last[2], 'ch1')
      expect((await find(id, 'call.ended'))[0]!.data).toEqual({cause: 'exit-timeout'})
    })

    it('overflow "callback" on timeout keeps the place in line as a callback to the caller\'s number', async () => {
      await boot([['sales', {maxWait: 30, overflow: {action: 'callback'}}]])
      const t0 = clock.now()
      const id = await arrive('ch1', '5551000')
      await advance(30_000)
      expect((await find(id, 'queue.exited'))[0]!.data).toMatchObject({reason: 'timeout', action: 'callback'})
      expect((await find(id, 'callback.requested'))[0]!.data).toMatchObject({number: '5551000', reason: 'timeout', joinedAt: t0})
      const [, media, playback] = plays('ch1')[0]!
      expect(media).toBe('sound:auth-thankyou')
      await finishPlayback(playback, 'ch1')
      expect(hangups()).toEqual(['ch1'])
      const w = eng().acd.waiting.get(id)!
      expect([w.kind, w.joinedAt]).toEqual(['callback', t0])
      expect(await find(id, 'call.ended')).toEqual([])
    })

    it('a caller already ringing an agent at maxWait has the ring canceled', async () => {
      await boot([['sales', {maxWait: 20, ringTimeout: 30}]], [{id: 'a1', queues: ['sales']}])
      const id = await arrive('ch1')
      const ring = rings()[0]!
      await advance(20_000)
      expect(hangups()).toContain(ring.channelId)
      expect(hangups()).toContain('ch1')
      expect(agentState('a1')).toBe('idle')
      expect(await types(id)).toEqual(['call.started', 'queue.entered', 'agent.ringing', 'agent.ring_canceled', 'queue.exited', 'call.ended'])
    })
  })

  // ---- limits -----------------------------------------------------------------

  describe('queue limits', () => {
    it('maxCallers: a caller beyond the limit is refused with reason full', async () => {
      await boot([['sales', {maxCallers: 1}]])
      const first = await arrive('ch1')
      const second = await arrive('ch2', '5552000')
      expect(await types(second)).toEqual(['call.started', 'queue.exited', 'call.ended'])
      const [exited] = await find(second, 'queue.exited')
      expect(exited!.queue).toBe('sales')
      expect(exited!.data).toEqual({reason: 'full', position: 0, waitMs: 0, action: 'hangup'})
      expect((await find(second, 'call.ended'))[0]!.data).toEqual({cause: 'exit-full'})
      expect(hangups()).toEqual(['ch2'])
      expect(eng().acd.waitingIn('sales')).toBe(1)
      expect(eng().acd.waiting.has(first)).toBe(true)
      // room again once the first caller leaves
      ari.hangsUp('ch1')
      await settle()
      const third = await arrive('ch3', '5553000')
      expect(await types(third)).toEqual(['call.started', 'queue.entered'])
    })

    it('joinEmpty false: nobody logged in → refused with reason empty; a paused agent counts as logged in', async () => {
      await boot([['sales', {joinEmpty: false}]], [{id: 'a1', queues: ['sales'], presence: 'offline'}])
      const id = await arrive('ch1')
      const [exited] = await find(id, 'queue.exited')
      expect(exited!.data).toEqual({reason: 'empty', position: 0, waitMs: 0, action: 'hangup'})
      expect((await find(id, 'call.ended'))[0]!.data).toEqual({cause: 'exit-empty'})
      expect(hangups()).toEqual(['ch1'])

      await loginAgent(store, 'a1')
      await pauseAgent(store, 'a1', 'break')
      await adminEvent('agent.login', 'a1')
      await adminEvent('agent.paused', 'a1', {reason: 'break'})
      expect(agentState('a1')).toBe('paused')
      const next = await arrive('ch2', '5552000')
      expect(await types(next)).toEqual(['call.started', 'queue.entered'])
    })

    it('leaveWhenEmpty: when the last agent logs out the waiting callers leave with reason empty', async () => {
      await boot(
        [['sales', {leaveWhenEmpty: true}]],
        [
          {id: 'a1', queues: ['sales'], presence: 'paused'},
          {id: 'a2', queues: ['sales'], presence: 'paused'},
        ],
      )
      const id = await arrive('ch1')
      await advance(5000)
      await logoutAgent(store, 'a2')
      await adminEvent('agent.logout', 'a2')
      expect(agentState('a2')).toBe('offline')
      expect(await find(id, 'queue.exited')).toEqual([])
      await logoutAgent(store, 'a1')
      await adminEvent('agent.logout', 'a1')
      const [exited] = await find(id, 'queue.exited')
      expect(exited!.data).toMatchObject({reason: 'empty', position: 1, waitMs: 5000, action: 'hangup'})
      expect((await find(id, 'call.ended'))[0]!.data).toEqual({cause: 'exit-empty'})
      expect(hangups()).toEqual(['ch1'])
    })

    it('removing a queue while a caller rings an agent cancels the ring and frees the agent', async () => {
      await boot(
        [
          ['sales', {ringTimeout: 15, autoPauseAfter: 1}],
          ['support', {}],
        ],
        [{id: 'a1', queues: ['sales', 'support']}],
      )
      const id = await arrive('ch1')
      const ring = rings()[0]!
      await removeQueue(store, 'sales')
      await eng().applyAdminEvent({type: 'queue.removed', queue: 'sales', agent: null, data: {}, ts: clock.now()})
      await settle()
      const [, media, playback] = plays('ch1')[0]!
      expect(media).toBe('sound:vm-nobodyavail')
      await finishPlayback(playback, 'ch1')
      expect((await find(id, 'call.ended'))[0]!.data).toEqual({cause: 'queue-removed'})
      // the agent's phone stops ringing and the agent is free for its other queue at once
      expect(hangups()).toContain(ring.channelId)
      expect(agentState('a1')).toBe('idle')
      const other = await arrive('ch2', '5552000', 'support')
      expect(rings().at(-1)!.appArgs).toBe(`agent,${other}`)
      // and the abandoned ring does not count against it
      await advance(15_000)
      expect(eng().acd.agents.get('a1')!.presence).toBe('available')
    })

    it('without leaveWhenEmpty the callers stay when the last agent logs out', async () => {
      await boot([['sales', {}]], [{id: 'a1', queues: ['sales'], presence: 'paused'}])
      const id = await arrive('ch1')
      await logoutAgent(store, 'a1')
      await adminEvent('agent.logout', 'a1')
      expect(await types(id)).toEqual(['call.started', 'queue.entered'])
      expect(eng().acd.waiting.has(id)).toBe(true)
    })
  })

  // ---- caller memory ------------------------------------------------------------

  describe('abandon and resume', () => {
    it('a caller who hangs up and calls again within resumeWindow keeps its old joinedAt', async () => {
      await boot([['sales', {resumeWindow: 120}]])
      const t0 = clock.now()
      const first = await arrive('ch1', '5551000')
      await advance(10_000)
      const other = await arrive('ch2', '5552000')
      await advance(5000)
      ari.hangsUp('ch1')
      await settle()
      const [abandoned] = await find(first, 'queue.abandoned')
      expect(abandoned!.data).toMatchObject({waitMs: 15_000, position: 1, number: '5551000', joinedAt: t0})
      await advance(30_000)
      const again = await arrive('ch3', '5551000')
      const [entered] = await find(again, 'queue.entered')
      expect(entered!.data).toMatchObject({resumed: true, joinedAt: t0, position: 1})
      expect(eng().acd.waiting.get(again)!.joinedAt).toBe(t0)
      expect(eng().acd.position(other)).toBe(2)
      // the kept place is taken once: a second line from the same number starts afresh
      const third = await arrive('ch4', '5551000')
      const [entered4] = await find(third, 'queue.entered')
      expect(entered4!.data.resumed).toBeUndefined()
      expect(eng().acd.waiting.get(third)!.joinedAt).toBe(clock.now())
    })

    it('after the window the caller starts at the back', async () => {
      await boot([['sales', {resumeWindow: 60}]])
      await arrive('ch1', '5551000')
      ari.hangsUp('ch1')
      await settle()
      await advance(60_001)
      const again = await arrive('ch2', '5551000')
      const [entered] = await find(again, 'queue.entered')
      expect(entered!.data).toEqual({position: 1, priority: 0})
      expect(eng().acd.waiting.get(again)!.joinedAt).toBe(clock.now())
    })

    it('without resumeWindow nothing is kept', async () => {
      await boot([['sales', {}]])
      const t0 = clock.now()
      await arrive('ch1', '5551000')
      ari.hangsUp('ch1')
      await settle()
      await advance(1000)
      const again = await arrive('ch2', '5551000')
      expect(eng().acd.waiting.get(again)!.joinedAt).toBe(t0 + 1000)
    })
  })

  describe('last-agent preference end to end', () => {
    async function servedByA2(settings: Record<string, unknown>): Promise<void> {
      await boot(
        [['sales', {lastAgentWindow: 3600, lastAgentWait: 20, ...settings}]],
        [
          {id: 'a1', queues: ['sales']},
          {id: 'a2', queues: ['sales']},
        ],
      )
      // first call: a2 is idle longest
      eng().acd.agents.get('a2')!.idleSince = clock.now() - 120_000
      eng().acd.agents.get('a1')!.idleSince = clock.now() - 60_000
      await arrive('ch1', '5551000')
      expect(rings()[0]!.endpoint).toBe('PJSIP/a2')
      await connectAndComplete('ch1', 30_000, 'caller')
      // a1 is now idle longer than a2, who just finished
      expect(eng().acd.agents.get('a1')!.idleSince).toBeLessThan(eng().acd.agents.get('a2')!.idleSince)
    }

    it('the second call from the same number rings the agent who served the first', async () => {
      await servedByA2({wrapUp: 0})
      const id = await arrive('ch2', '5551000')
      expect((await find(id, 'queue.entered'))[0]!.data).toMatchObject({lastAgent: 'a2'})
      expect(rings().map((r) => r.endpoint)).toEqual(['PJSIP/a2', 'PJSIP/a2'])
      // another number goes the normal way
      await arrive('ch3', '5559999')
      expect(rings().at(-1)!.endpoint).toBe('PJSIP/a1')
    })

    it('holds the caller while its agent is in wrap-up, then rings it', async () => {
      await servedByA2({wrapUp: 10})
      expect(agentState('a2')).toBe('wrap-up')
      await arrive('ch2', '5551000')
      expect(rings()).toHaveLength(1)
      expect(agentState('a1')).toBe('idle')
      await advance(10_000)
      expect(rings().map((r) => r.endpoint)).toEqual(['PJSIP/a2', 'PJSIP/a2'])
    })

    it('routes normally once lastAgentWait has passed', async () => {
      await servedByA2({wrapUp: 60})
      await arrive('ch2', '5551000')
      await advance(19_999)
      expect(rings()).toHaveLength(1)
      await advance(1)
      expect(rings().map((r) => r.endpoint)).toEqual(['PJSIP/a2', 'PJSIP/a1'])
    })

    it('once the wait has passed and another agent answered, the preferred agent is not rung for that call later', async () => {
      await servedByA2({wrapUp: 60, autoPauseAfter: 1})
      const id = await arrive('ch2', '5551000')
      await advance(20_000)
      const ring = rings().at(-1)!
      expect(ring.endpoint).toBe('PJSIP/a1')
      ari.agentAnswers(ring.channelId!, id)
      await settle()
      expect(eng().snapshot().calls.find((c) => c.id === id)!.state).toBe('connected')
      // a2's wrap-up ends while the call is connected to a1
      await advance(40_000)
      expect(agentState('a2')).toBe('idle')
      expect(rings().map((r) => r.endpoint)).toEqual(['PJSIP/a2', 'PJSIP/a1'])
      expect((await find(id, 'agent.ringing')).map((e) => e.agent)).toEqual(['a1'])
    })

    it('outside lastAgentWindow there is no preference', async () => {
      await servedByA2({wrapUp: 0, lastAgentWindow: 60})
      await advance(61_000)
      const id = await arrive('ch2', '5551000')
      expect((await find(id, 'queue.entered'))[0]!.data.lastAgent).toBeUndefined()
      expect(rings().at(-1)!.endpoint).toBe('PJSIP/a1')
    })
  })

  // ---- agents ---------------------------------------------------------------------

  describe('auto-pause', () => {
    it('pauses an agent with reason no-answer after autoPauseAfter missed rings in a row', async () => {
      await boot([['sales', {autoPauseAfter: 2, ringTimeout: 15}]], [{id: 'a1', queues: ['sales']}])
      await arrive('ch1')
      expect(rings()).toHaveLength(1)
      await advance(15_000)
      expect(eng().acd.agents.get('a1')!.missedRings).toBe(1)
      expect(agentState('a1')).toBe('idle')
      // the same agent is tried again for this caller after the retry pause
      await advance(5000)
      expect(rings()).toHaveLength(2)
      await advance(15_000)
      const a1 = eng().acd.agents.get('a1')!
      expect(a1.missedRings).toBe(2)
      expect([a1.presence, a1.pauseReason]).toEqual(['paused', 'no-answer'])
      expect(agentState('a1')).toBe('paused')
      const presence = (await store.listPresence()).find((p) => p.agent === 'a1')!
      expect([presence.status, presence.reason]).toEqual(['paused', 'no-answer'])
      const paused = (await events()).filter((e) => e.type === 'agent.paused' && e.agent === 'a1')
      expect(paused).toHaveLength(1)
      expect(paused[0]!.data).toEqual({reason: 'no-answer', auto: true, missedRings: 2})
      expect(paused[0]!.queue).toBe('sales')
      // paused: no more rings
      await advance(60_000)
      expect(rings()).toHaveLength(2)
    })

    it('an answered call resets the count of missed rings', async () => {
      await boot([['sales', {autoPauseAfter: 2, ringTimeout: 15, wrapUp: 0}]], [{id: 'a1', queues: ['sales']}])
      await arrive('ch1')
      await advance(15_000)
      expect(eng().acd.agents.get('a1')!.missedRings).toBe(1)
      await advance(5000)
      await connectAndComplete('ch1')
      expect(eng().acd.agents.get('a1')!.missedRings).toBe(0)
      await arrive('ch2', '5552000')
      await advance(15_000)
      expect(eng().acd.agents.get('a1')!.missedRings).toBe(1)
      expect(agentState('a1')).toBe('idle')
    })
  })

  describe('agentReady / agentWrapUp', () => {
    async function afterCall(): Promise<number> {
      await boot(
        [['sales', {wrapUp: 10}]],
        [
          {id: 'a1', queues: ['sales']},
          {id: 'a2', queues: ['sales'], presence: 'offline'},
        ],
      )
      await arrive('ch1')
      await connectAndComplete('ch1')
      expect(agentState('a1')).toBe('wrap-up')
      return clock.now()
    }

    it('agentReady ends a running wrap-up at once', async () => {
      await afterCall()
      const view = eng().agentReady('a1')
      expect(view.state).toBe('idle')
      const ended = (await events()).filter((e) => e.type === 'agent.wrapup_ended')
      expect(ended.map((e) => [e.agent, e.data])).toEqual([['a1', {how: 'agent'}]])
      // the next caller is rung at once
      await arrive('ch2', '5552000')
      expect(rings().at(-1)!.endpoint).toBe('PJSIP/a1')
    })

    it('agentWrapUp extends a running wrap-up by the seconds given', async () => {
      const end = await afterCall()
      await advance(4000)
      const view = eng().agentWrapUp('a1', 30)
      expect(view.state).toBe('wrap-up')
      expect(view.wrapUpEndsAt).toBe(end + 40_000)
      await advance(6000) // the original end: still in wrap-up
      expect(agentState('a1')).toBe('wrap-up')
      await advance(29_999)
      expect(agentState('a1')).toBe('wrap-up')
      await advance(1)
      expect(agentState('a1')).toBe('idle')
      const all = await events()
      expect(all.filter((e) => e.type === 'agent.wrapup_extended').map((e) => e.data)).toEqual([{seconds: 30}])
      expect(all.filter((e) => e.type === 'agent.wrapup_ended').map((e) => e.data)).toEqual([{how: 'timer'}])
    })

    it('agentWrapUp starts a wrap-up for an idle agent, which then gets no calls until it ends', async () => {
      await boot([['sales', {}]], [{id: 'a1', queues: ['sales']}])
      const t0 = clock.now()
      const view = eng().agentWrapUp('a1', 20)
      expect(view.state).toBe('wrap-up')
      expect(view.wrapUpEndsAt).toBe(t0 + 20_000)
      await arrive('ch1')
      expect(rings()).toHaveLength(0)
      await advance(20_000)
      expect(rings().map((r) => r.endpoint)).toEqual(['PJSIP/a1'])
      const started = (await events()).filter((e) => e.type === 'agent.wrapup_started')
      expect(started.map((e) => [e.agent, e.callId, e.data])).toEqual([['a1', null, {seconds: 20}]])
    })

    it('errors: not in wrap-up, offline, busy, unknown agent, invalid seconds', async () => {
      await afterCall()
      eng().agentReady('a1')
      const err = (fn: () => unknown): UserError => {
        try {
          fn()
        } catch (e) {
          expect(e).toBeInstanceOf(UserError)
          return e as UserError
        }
        throw new Error('expected a UserError')
      }
      const notInWrapUp = err(() => eng().agentReady('a1'))
      expect(notInWrapUp.message).toBe('Agent "a1" is not in wrap-up (it is idle)')
      expect(notInWrapUp.code).toBe('not_in_wrapup')

      const offline = err(() => eng().agentWrapUp('a2', 10))
      expect(offline.message).toBe('Agent "a2" is offline: wrap-up starts after a call')
      expect(offline.code).toBe('busy')

      await arrive('ch2', '5552000')
      expect(agentState('a1')).toBe('ringing')
      const ringing = err(() => eng().agentWrapUp('a1', 10))
      expect(ringing.message).toBe('Agent "a1" is ringing: wrap-up starts after a call')
      expect(ringing.code).toBe('busy')

      const unknown = err(() => eng().agentReady('zz'))
      expect(unknown.message).toBe('Agent "zz" does not exist')
      expect(unknown.code).toBe('unknown_agent')
      expect(err(() => eng().agentWrapUp('zz', 10)).code).toBe('unknown_agent')

      for (const s of [0, -5, 3601, Number.NaN]) expect(err(() => eng().agentWrapUp('a1', s)).message).toBe(`Invalid wrap-up seconds ${s}`)
    })
  })

  // ---- announcements -------------------------------------------------------------------

  describe('periodic announcements', () => {
    it('plays the position, logs queue.announced after PlaybackFinished and restarts music', async () => {
      await boot([['sales', {announceEvery: 30}]], [{id: 'a1', queues: ['sales'], presence: 'paused'}])
      await arrive('ch1', '5551000')
      const id2 = await arrive('ch2', '5552000')
      const t0 = clock.now()
      await advance(29_999)
      expect(plays('ch2')).toEqual([])
      await advance(1)
      expect(plays('ch1').map((p) => p[1])).toEqual([['sound:queue-youarenext']])
      // a paused agent serves nobody: no expected wait is said
      const [, media, playback] = plays('ch2')[0]!
      expect(media).toEqual(['sound:queue-thereare', 'number:2', 'sound:queue-callswaiting'])
      expect(ari.ops('stopMoh')).toContainEqual(['ch2'])
      expect(ari.ops('startMoh').filter((a) => a[0] === 'ch2')).toHaveLength(1)
      expect(await find(id2, 'queue.announced')).toEqual([])
      await finishPlayback(playback, 'ch2')
      const [announced] = await find(id2, 'queue.announced')
      // logged when the playback finished, about what was said (and estimated) at t0 + 30 s
      expect(announced!.data).toMatchObject({position: 2, expectedWaitMs: null, playback})
      expect(announced!.data.estimatedAt).toBe(t0 + 30_000)
      expect(ari.ops('startMoh').filter((a) => a[0] === 'ch2')).toEqual([
        ['ch2', 'default'],
        ['ch2', 'default'],
      ])
      // the next announcement comes announceEvery seconds later
      await advance(29_999)
      expect(plays('ch2')).toHaveLength(1)
      await advance(1)
      expect(plays('ch2')).toHaveLength(2)
    })

    it('says the expected wait in minutes when someone serves the queue', async () => {
      await boot([['sales', {announceEvery: 30, wrapUp: 0, defaultHandleTime: 180}]], [{id: 'a1', queues: ['sales']}])
      await arrive('ch1', '5551000')
      const ring = rings()[0]!
      ari.agentAnswers(ring.channelId!, ring.appArgs!.split(',')[1]!)
      await settle()
      await arrive('ch2', '5552000')
      const id3 = await arrive('ch3', '5553000')
      await advance(30_000)
      // a1 is 30 s into an average 180 s call: free in 150 s; ch2 then takes 180 s → 330 s → 6 minutes
      expect(plays('ch2')[0]![1]).toEqual(['sound:queue-youarenext'])
      const [, media, playback] = plays('ch3')[0]!
      expect(media).toEqual(['sound:queue-thereare', 'number:2', 'sound:queue-callswaiting', 'sound:queue-holdtime', 'number:6', 'sound:queue-minutes'])
      expect(eng().expectedWait(id3)).toBe(330_000)
      await finishPlayback(playback, 'ch3')
      expect((await find(id3, 'queue.announced'))[0]!.data).toMatchObject({position: 2, expectedWaitMs: 330_000, playback})
    })
  })

  // ---- callback ---------------------------------------------------------------------------

  describe('callback (virtual hold)', () => {
    const settings = {callbackKey: '*', callbackAttempts: 3, callbackRetryDelay: 60, wrapUp: 10, ringTimeout: 15, maxWait: 60}

    async function bootCallback(): Promise<void> {
      await boot([['sales', settings]], [{id: 'a1', queues: ['sales'], presence: 'paused'}], {dialString: 'Local/{number}@callee'})
    }
    async function agentReturns(): Promise<void> {
      await unpauseAgent(store, 'a1')
      await adminEvent('agent.unpaused', 'a1')
    }
    /** The newest ring is answered by the agent. */
    async function agentAnswers(callId: string): Promise<string> {
      const ring = rings().at(-1)!
      expect(ring.appArgs).toBe(`agent,${callId}`)
      ari.agentAnswers(ring.channelId!, callId)
      await settle()
      return ring.channelId!
    }
    async function customerAnswers(callId: string, channelId: string): Promise<void> {
      ari.emit('StasisStart', {args: ['customer', callId], channel: ari.channels.get(channelId)!})
      await settle()
    }
    async function customerNoAnswer(channelId: string): Promise<void> {
      ari.emit('ChannelDestroyed', {channel: ari.channels.get(channelId)!, cause: 19, cause_txt: 'No answer'})
      ari.channels.delete(channelId)
      await settle()
    }

    it('key, confirm own number → callback.requested; thanked, hung up; stays in line as a callback', async () => {
      await bootCallback()
      const t0 = clock.now()
      const id = await arrive('ch1', '5551000', 'sales', 'Alice')
      await advance(10_000)
      await dtmf('ch1', '*')
      const [offer] = plays('ch1')
      expect(offer![1]).toEqual(['sound:to-call-this-number', 'digits:5551000', 'sound:if-correct-press', 'digits:1', 'sound:vm-enter-num-to-call', 'sound:vm-then-pound'])
      expect((await find(id, 'callback.offered'))[0]!.data).toEqual({number: '5551000'})
      await dtmf('ch1', '1')
      expect(ari.ops('stopPlayback')).toContainEqual([offer![2]])
      const [requested] = await find(id, 'callback.requested')
      expect(requested!.data).toEqual({number: '5551000', position: 1, joinedAt: t0})
      const exits = await find(id, 'queue.exited')
      expect(exits.map((e) => e.data)).toEqual([{reason: 'key', key: '*', action: 'callback', position: 1, waitMs: 10_000}])
      const thanks = plays('ch1')[1]!
      expect(thanks[1]).toEqual(['sound:auth-thankyou', 'sound:vm-goodbye'])
      expect(hangups()).toEqual([])
      await finishPlayback(thanks[2], 'ch1')
      expect(hangups()).toEqual(['ch1'])
      ari.hangsUp('ch1')
      await settle()

      // still in line, as a callback, and the max wait no longer applies
      const w = eng().acd.waiting.get(id)!
      expect([w.kind, w.joinedAt]).toEqual(['callback', t0])
      expect(eng().acd.queueView('sales')!.waiting.map((x) => [x.callId, x.kind])).toEqual([[id, 'callback']])
      expect(eng().snapshot().calls.find((c) => c.id === id)).toMatchObject({state: 'callback-pending', callbackNumber: '5551000'})
      await advance(120_000)
      expect((await find(id, 'queue.exited')).map((e) => e.data.reason)).toEqual(['key'])
      expect(eng().liveCalls).toBe(1)
    })

    it('an agent answering dials the customer with the dial string and bridges on the customer\'s StasisStart', async () => {
      await bootCallback()
      const id = await arrive('ch1', '5551000', 'sales', 'Alice')
      await dtmf('ch1', '*1')
      ari.hangsUp('ch1')
      await settle()
      await agentReturns()
      const [ring] = rings()
      expect(ring).toMatchObject({endpoint: 'PJSIP/a1', callerId: '"Callback Alice" <5551000>', appArgs: `agent,${id}`})
      expect((await find(id, 'agent.ringing'))[0]!.data).toMatchObject({callback: true})
      const agentCh = await agentAnswers(id)
      const bridge = `${id}.b`
      expect(ari.ops('createBridge')).toEqual([['mixing', bridge, id]])
      expect(ari.ops('addToBridge')).toEqual([[bridge, [agentCh]]])
      const [dial] = customerDials()
      expect(dial).toMatchObject({endpoint: 'Local/5551000@callee', app: 'fake', appArgs: `customer,${id}`, channelId: `${id}.c1`, timeout: 30})
      expect(ari.ops('startBridgeMoh')).toEqual([[bridge]])
      expect((await find(id, 'callback.attempt'))[0]!.data).toEqual({attempt: 1, number: '5551000'})
      expect(agentState('a1')).toBe('on-call')

      await advance(3000)
      await customerAnswers(id, `${id}.c1`)
      expect(ari.ops('stopBridgeMoh')).toEqual([[bridge]])
      expect(ari.ops('addToBridge')).toEqual([[bridge, [agentCh]], [bridge, [`${id}.c1`]]])
      const [connected] = await find(id, 'call.connected')
      expect(connected!.data).toMatchObject({callback: true, attempt: 1, number: '5551000'})
      expect(eng().snapshot().calls[0]!.state).toBe('connected')

      await advance(40_000)
      ari.hangsUp(`${id}.c1`)
      await settle()
      const [completed] = await find(id, 'call.completed')
      expect(completed!.data).toMatchObject({by: 'caller', talkMs: 40_000, number: '5551000'})
      expect(hangups()).toContain(agentCh)
      expect((await find(id, 'call.ended'))[0]!.data).toEqual({cause: 'completed'})
      expect(agentState('a1')).toBe('wrap-up')
    })

    it('an unanswered customer leg: attempt_failed, agent freed without wrap-up, retries with doubling back-off, then callback.failed', async () => {
      await bootCallback()
      const id = await arrive('ch1', '5551000')
      await dtmf('ch1', '*1')
      ari.hangsUp('ch1')
      await settle()
      await agentReturns()

      // attempt 1
      const agentCh1 = await agentAnswers(id)
      expect(customerDials().map((d) => d.channelId)).toEqual([`${id}.c1`])
      await advance(30_000)
      await customerNoAnswer(`${id}.c1`)
      expect((await find(id, 'callback.attempt_failed')).map((e) => e.data)).toEqual([{attempt: 1, reason: 'no-answer'}])
      expect(hangups()).toContain(agentCh1)
      expect(ari.ops('destroyBridge')).toEqual([[`${id}.b`]])
      const a1 = eng().acd.agents.get('a1')!
      expect(agentState('a1')).toBe('idle')
      expect(a1.callsTaken).toBe(0)
      expect((await events()).filter((e) => e.type === 'agent.wrapup_started')).toEqual([])
      expect((await find(id, 'callback.retry_scheduled')).map((e) => e.data)).toEqual([{attempt: 1, inMs: 60_000}])
      expect(eng().acd.waiting.get(id)!.kind).toBe('callback')
      // Asterisk reports the agent's leg gone: nothing more happens
      ari.hangsUp(agentCh1)
      await settle()
      expect(eng().liveCalls).toBe(1)

      // not before the back-off
      await advance(59_999)
      expect(rings()).toHaveLength(1)
      await advance(1)
      expect(rings()).toHaveLength(2)

      // attempt 2: back-off doubles
      await agentAnswers(id)
      expect(customerDials().map((d) => d.channelId)).toEqual([`${id}.c1`, `${id}.c2`])
      await customerNoAnswer(`${id}.c2`)
      expect((await find(id, 'callback.retry_scheduled')).map((e) => e.data)).toEqual([
        {attempt: 1, inMs: 60_000},
        {attempt: 2, inMs: 120_000},
      ])
      await advance(119_999)
      expect(rings()).toHaveLength(2)
      await advance(1)
      expect(rings()).toHaveLength(3)

      // attempt 3 is the last
      await agentAnswers(id)
      await customerNoAnswer(`${id}.c3`)
      expect((await find(id, 'callback.attempt_failed')).map((e) => e.data.attempt)).toEqual([1, 2, 3])
      expect((await find(id, 'callback.failed'))[0]!.data).toEqual({attempts: 3, number: '5551000'})
      expect((await find(id, 'call.ended'))[0]!.data).toEqual({cause: 'callback-failed'})
      expect(eng().liveCalls).toBe(0)
      expect(eng().acd.waiting.has(id)).toBe(false)
      expect(agentState('a1')).toBe('idle')
      await advance(600_000)
      expect(rings()).toHaveLength(3)
    })

    it('a customer leg that cannot be dialled counts as a failed attempt and is retried', async () => {
      await bootCallback()
      ari.failingEndpoints.add('Local/5551000@callee')
      const id = await arrive('ch1', '5551000')
      await dtmf('ch1', '*1')
      ari.hangsUp('ch1')
      await settle()
      await agentReturns()
      await agentAnswers(id)
      const [failed] = await find(id, 'callback.attempt_failed')
      expect(failed!.data.attempt).toBe(1)
      expect(String(failed!.data.reason)).toMatch(/Allocation failed/)
      expect((await find(id, 'callback.retry_scheduled')).map((e) => e.data)).toEqual([{attempt: 1, inMs: 60_000}])
      expect(agentState('a1')).toBe('idle')
    })

    it('the agent hanging up before the customer answers ends that attempt; the retry waits callbackRetryDelay', async () => {
      await bootCallback()
      const id = await arrive('ch1', '5551000')
      await dtmf('ch1', '*1')
      ari.hangsUp('ch1')
      await settle()
      await agentReturns()
      const agentCh = await agentAnswers(id)
      expect(customerDials()).toHaveLength(1)
      await advance(5000)
      ari.hangsUp(agentCh)
      await settle()
      expect(hangups()).toContain(`${id}.c1`)
      expect(agentState('a1')).toBe('idle')
      const [failed] = await find(id, 'callback.attempt_failed')
      expect(failed!.data).toMatchObject({reason: 'agent hung up'})
      const [retry] = await find(id, 'callback.retry_scheduled')
      // the first retry waits the configured delay, not less
      expect(retry!.data).toMatchObject({inMs: 60_000})
      expect(retry!.data.attempt).toBe(failed!.data.attempt)
      expect(eng().acd.waiting.get(id)!.kind).toBe('callback')
      await advance(59_999)
      expect(rings()).toHaveLength(1)
      await advance(1)
      expect(rings()).toHaveLength(2)
    })

    it('the caller can key another number: digits, #, then 1 to confirm', async () => {
      await bootCallback()
      const id = await arrive('ch1', '5551000')
      await dtmf('ch1', '*')
      await dtmf('ch1', '0612345#')
      const confirm = plays('ch1').at(-1)!
      expect(confirm[1]).toEqual(['sound:you-entered', 'digits:0612345', 'sound:if-correct-press', 'digits:1'])
      expect(await find(id, 'callback.requested')).toEqual([])
      await dtmf('ch1', '1')
      expect((await find(id, 'callback.requested'))[0]!.data).toMatchObject({number: '0612345'})
      expect(eng().snapshot().calls[0]!.callbackNumber).toBe('0612345')
      ari.hangsUp('ch1')
      await settle()
      await agentReturns()
      expect(rings()[0]!.callerId).toBe('"Callback" <0612345>')
      await agentAnswers(id)
      expect(customerDials()[0]!.endpoint).toBe('Local/0612345@callee')
    })

    it('a number too short is declined and the caller stays a live caller in line', async () => {
      await bootCallback()
      const id = await arrive('ch1', '5551000')
      await dtmf('ch1', '*98#')
      expect((await find(id, 'callback.declined'))[0]!.data).toEqual({reason: 'invalid-number'})
      expect(await find(id, 'callback.requested')).toEqual([])
      expect(eng().acd.waiting.get(id)!.kind).toBe('caller')
      expect(eng().snapshot().calls[0]!.state).toBe('waiting')
      // the max wait still applies to a live caller
      await advance(60_000)
      expect((await find(id, 'queue.exited')).map((e) => e.data.reason)).toEqual(['timeout'])
    })
  })
})
