import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import type {ConnectionState} from '../../src/engine/ari/port.js'
import type {AriPressureView} from '../../src/engine/ari/pressure.js'
import {BOX_LOST_MS, BoxRouter} from '../../src/engine/boxes/box-router.js'
import {followBoxes} from '../../src/engine/boxes/box-link.js'
import {AsteriskLink} from '../../src/engine/asterisk-link.js'
import type {Logger} from '../../src/engine/util/log.js'
import {Engine} from '../../src/engine/calls/engine.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// Several Asterisk boxes behind one port (boxes/box-router.ts), with two recorded fake
// boxes: where each request goes, what the boxes' phone states merge into, and what the
// engine does with a call whose box is lost. Real boxes and the proxy: the integration suite.

/** A box's pressure (ari/pressure.ts) the test sets by hand. */
class FakePressure {
  v: AriPressureView = {overloaded: false, p90Ms: 5, backoffUntil: 0, requests: 0, failures: 0, inFlight: 0}
  private readonly fns = new Set<(v: AriPressureView) => void>()
  view(): AriPressureView {
    return this.v
  }
  onChange(fn: (v: AriPressureView) => void): () => void {
    this.fns.add(fn)
    return () => this.fns.delete(fn)
  }
  set(v: Partial<AriPressureView>): void {
    this.v = {...this.v, ...v}
    for (const fn of this.fns) fn(this.v)
  }
}

class FakeBox extends FakeAri {
  readonly pressure = new FakePressure()
  private readonly conn: ((s: ConnectionState) => void)[] = []
  startup = '2026-12-07T08:00:00.000+0000'
  override onConnection(h: (s: ConnectionState) => void): void {
    this.conn.push(h)
  }
  override async asteriskInfo() {
    return {system: {version: 'fake', entity_id: 'x'}, status: {startup_time: this.startup, last_reload_time: this.startup}}
  }
  state(s: ConnectionState): void {
    for (const h of this.conn) h(s)
  }
  phone(id: string, state: 'online' | 'offline', device = state === 'online' ? 'NOT_INUSE' : 'UNAVAILABLE'): void {
    this.emit('EndpointStateChange', {endpoint: {technology: 'PJSIP', resource: id, state, channel_ids: []}})
    this.emit('DeviceStateChanged', {device_state: {name: `PJSIP/${id}`, state: device}})
  }
}

function boxes() {
  const b1 = new FakeBox()
  const b2 = new FakeBox()
  const router = new BoxRouter([
    {name: 'box1', port: b1, sip: {host: '127.0.0.1', port: 5060}},
    {name: 'box2', port: b2, sip: {host: '127.0.0.1', port: 5070}},
  ])
  return {b1, b2, router}
}

describe('box router', () => {
  it('sends every request about a call to the box its caller is on', async () => {
    const {b1, b2, router} = boxes()
    router.on('StasisStart', () => {})
    b2.callerArrives('box2-1.1', '5551000', 'sales')
    router.bindCall('call-abc-0a1b', 'box2-1.1')
    await router.answer('box2-1.1')
    await router.originate({endpoint: 'PJSIP/9', channelId: 'call-abc-0a1b.r1', app: 'fake'})
    await router.createBridge('mixing', 'call-abc-0a1b.b', 'call-abc-0a1b')
    await router.addToBridge('call-abc-0a1b.b', ['box2-1.1', 'call-abc-0a1b.r1'])
    await router.playOnBridge('call-abc-0a1b.b', 'sound:x', 'call-abc-0a1b.p1')
    await router.stopPlayback('call-abc-0a1b.p1')
    // A supervision's ids carry no call id: bound to the call, its leg and bridge go to the call's box too.
    router.aliasCall('sup-q1w2', 'call-abc-0a1b')
    await router.originate({endpoint: 'PJSIP/9', channelId: 'sup-q1w2.s', app: 'fake'})
    await router.createBridge('mixing', 'sup-q1w2.b', 'supervise')
    expect(b1.requests.filter((r) => r.op !== 'subscribe')).toEqual([])
    expect(b2.requests.map((r) => r.op)).toEqual(['answer', 'originate', 'createBridge', 'addToBridge', 'playOnBridge', 'stopPlayback', 'originate', 'createBridge'])
    // A call with no caller channel (a callback) takes a box at its first leg, and keeps it.
    await router.originate({endpoint: 'PJSIP/9', channelId: 'call-cb-99.r1', app: 'fake'})
    const first = b1.ops('originate').length === 1 ? b1 : b2
    await router.originate({endpoint: 'Local/5@x', channelId: 'call-cb-99.c1', app: 'fake'})
    expect(first.ops('originate').filter((a) => String((a[0] as {channelId: string}).channelId).startsWith('call-cb-99'))).toHaveLength(2)
  })

  it('merges phone states: online where registered, offline only when offline everywhere, told once', () => {
    const {b1, b2, router} = boxes()
    const seen: string[] = []
    router.on('EndpointStateChange', (e) => seen.push(`${e.endpoint.resource} ${e.endpoint.state}`))
    router.on('DeviceStateChanged', (e) => seen.push(`${e.device_state.name} ${e.device_state.state}`))
    b1.phone('1001', 'offline')
    b2.phone('1001', 'online')
    b1.phone('1001', 'offline') // box1 repeating itself changes nothing
    b2.emit('DeviceStateChanged', {device_state: {name: 'PJSIP/1001', state: 'INUSE'}})
    b1.emit('DeviceStateChanged', {device_state: {name: 'PJSIP/1001', state: 'UNAVAILABLE'}})
    expect(seen).toEqual(['1001 offline', 'PJSIP/1001 UNAVAILABLE', '1001 online', 'PJSIP/1001 NOT_INUSE', 'PJSIP/1001 INUSE'])
  })

  it('rings a phone registered on the other box over the trunk between boxes, and a local phone directly', async () => {
    const {b1, b2, router} = boxes()
    router.on('StasisStart', () => {})
    b1.phone('1001', 'online')
    b2.phone('1001', 'offline')
    b2.callerArrives('box2-1.1', '5551000', 'sales')
    router.bindCall('call-x-01', 'box2-1.1')
    await router.originate({endpoint: 'PJSIP/1001', channelId: 'call-x-01.r1', app: 'fake'})
    expect(b2.originated()[0]!.endpoint).toBe('PJSIP/interbox/sip:1001@127.0.0.1:5060')
    b1.callerArrives('box1-1.1', '5552000', 'sales')
    router.bindCall('call-y-02', 'box1-1.1')
    await router.originate({endpoint: 'PJSIP/1001', channelId: 'call-y-02.r1', app: 'fake'})
    expect(b1.originated()[0]!.endpoint).toBe('PJSIP/1001')
    // Not a phone of ours: left as given.
    await router.originate({endpoint: 'PJSIP/+15551234@carrier', channelId: 'call-y-02.x1', app: 'fake'})
    expect(b1.originated()[1]!.endpoint).toBe('PJSIP/+15551234@carrier')
  })

  it('a phone registered before the engine asked is placed by the endpoint read, and rung over the trunk at once', async () => {
    const {b1, b2, router} = boxes()
    router.on('StasisStart', () => {})
    b1.getEndpoint = async (technology: string, resource: string) => ({technology, resource, state: 'offline', channel_ids: []})
    b2.getEndpoint = async (technology: string, resource: string) => ({technology, resource, state: 'online', channel_ids: []})
    expect((await router.getEndpoint('PJSIP', '1001')).state).toBe('online')
    b1.callerArrives('box1-1.1', '1', 'q')
    router.bindCall('call-r-01', 'box1-1.1')
    await router.originate({endpoint: 'PJSIP/1001', channelId: 'call-r-01.r1', app: 'fake'})
    expect(b1.originated()[0]!.endpoint).toBe('PJSIP/interbox/sip:1001@127.0.0.1:5070')
  })

  it('pushes phone configuration to every box, and lists channels from all of them', async () => {
    const {b1, b2, router} = boxes()
    router.on('StasisStart', () => {})
    await router.putConfigObject('res_pjsip', 'endpoint', '1001', [{attribute: 'context', value: 'x'}])
    expect(b1.configObjects.has('res_pjsip/endpoint/1001')).toBe(true)
    expect(b2.configObjects.has('res_pjsip/endpoint/1001')).toBe(true)
    b1.callerArrives('box1-1.1', '1', 'q')
    b2.callerArrives('box2-1.1', '2', 'q')
    expect((await router.listChannels()).map((c) => c.id).sort()).toEqual(['box1-1.1', 'box2-1.1'])
  })

  it('a box lacking one endpoint still gets the other sources; an endpoint no box has is refused (422) as one box refuses it', async () => {
    // Asterisk refuses a whole subscription naming one endpoint it lacks (misuse report 20, finding 5).
    const {b1, b2, router} = boxes()
    const sources = ['endpoint:PJSIP/1001', 'deviceState:PJSIP/1001', 'endpoint:PJSIP/1009', 'deviceState:PJSIP/1009']
    b2.unknownEndpoints.add('PJSIP/1009')
    await router.subscribe('app', sources)
    expect(b1.ops('subscribe').map((a) => a[1])).toEqual([sources])
    expect(b2.ops('subscribe').map((a) => a[1])).toEqual([sources, ...sources.map((s) => [s])])
    b1.unknownEndpoints.add('PJSIP/1009')
    await expect(router.subscribe('app', sources)).rejects.toMatchObject({status: 422, message: expect.stringContaining('endpoint:PJSIP/1009')})
    await expect(router.subscribe('app', sources.slice(0, 2))).resolves.toBeUndefined()
  })

  it("pressure: engine-wide only when every box up is overloaded; each call's own box by viewFor; no ring held back while one box can take it", () => {
    const {b1, b2, router} = boxes()
    router.on('StasisStart', () => {})
    b2.callerArrives('box2-1.1', '2', 'q')
    const changes: boolean[] = []
    router.pressure.onChange((v) => changes.push(v.overloaded))
    b2.pressure.set({overloaded: true, p90Ms: 900, backoffUntil: 5_000})
    expect(router.pressure.view()).toMatchObject({overloaded: false, p90Ms: 5, backoffUntil: 0})
    expect(router.pressure.viewFor!('box2-1.1')).toMatchObject({overloaded: true, p90Ms: 900})
    expect(router.pressure.viewFor!('box1-9.9')).toBeNull()
    b1.pressure.set({overloaded: true, p90Ms: 700, backoffUntil: 4_000})
    expect(router.pressure.view()).toMatchObject({overloaded: true, p90Ms: 700, backoffUntil: 4_000})
    b1.pressure.set({overloaded: false, p90Ms: 10, backoffUntil: 0})
    expect(changes).toEqual([true, false])
  })

  describe('a box lost', () => {
    beforeEach(() => vi.useFakeTimers())
    afterEach(() => vi.useRealTimers())

    it('is lost after BOX_LOST_MS away: its channels are reported, its phones go offline; back, it is told as a reconnect', async () => {
      const {b1, b2, router} = boxes()
      const lost: [string, string[]][] = []
      const links: string[] = []
      const phones: string[] = []
      router.on('StasisStart', () => {})
      router.on('EndpointStateChange', (e) => phones.push(`${e.endpoint.resource} ${e.endpoint.state}`))
      router.onBoxLost((box, ch) => lost.push([box, ch.sort()]))
      router.onConnection((s) => links.push(s.state))
      await router.asteriskInfo()
      b1.callerArrives('box1-1.1', '1', 'q')
      b2.callerArrives('box2-1.1', '2', 'q')
      b2.phone('2002', 'online')
      b2.state({state: 'unreachable', attempt: 1, retryInMs: 250, error: 'ECONNREFUSED'})
      vi.advanceTimersByTime(BOX_LOST_MS - 1)
      expect(lost).toEqual([])
      vi.advanceTimersByTime(1)
      expect(lost).toEqual([['box2', ['box2-1.1']]])
      expect(phones).toEqual(['2002 online', '2002 offline'])
      expect(links).toEqual([]) // box1 served all along
      // New calls of no box go to the box that is up.
      await router.originate({endpoint: 'PJSIP/9', channelId: 'call-n-01.r1', app: 'fake'})
      await router.originate({endpoint: 'PJSIP/9', channelId: 'call-n-02.r1', app: 'fake'})
      expect(b1.ops('originate')).toHaveLength(2)
      b2.state({state: 'connected'})
      await vi.advanceTimersByTimeAsync(0)
      expect(links).toEqual(['connected'])
    })

    it("a leg on box1 ringing a phone through box2 is hung up when box2 is lost (nobody is left to end it)", async () => {
      const {b1, b2, router} = boxes()
      router.on('StasisStart', () => {})
      b2.phone('1001', 'online')
      b1.phone('1001', 'offline')
      b1.callerArrives('box1-1.1', '1', 'q')
      router.bindCall('call-z-09', 'box1-1.1')
      await router.originate({endpoint: 'PJSIP/1001', channelId: 'call-z-09.r1', app: 'fake'})
      expect(b1.originated()[0]!.endpoint).toMatch(/^PJSIP\/interbox\//)
      b2.state({state: 'unreachable', attempt: 1, retryInMs: 250, error: 'ECONNREFUSED'})
      vi.advanceTimersByTime(BOX_LOST_MS)
      expect(b1.ops('hangup')).toEqual([['call-z-09.r1']])
    })

    it('a box back with a new startup time restarted: its calls are reported lost at once', async () => {
      const {b2, router} = boxes()
      const lost: string[] = []
      router.on('StasisStart', () => {})
      router.onBoxLost((box) => lost.push(box))
      await router.asteriskInfo()
      b2.callerArrives('box2-1.1', '2', 'q')
      b2.state({state: 'unreachable', attempt: 1, retryInMs: 250, error: 'ECONNREFUSED'})
      b2.startup = '2026-12-07T08:01:00.000+0000'
      b2.state({state: 'connected'})
      await vi.advanceTimersByTimeAsync(0)
      expect(lost).toEqual(['box2'])
      // The engine is told one steady startup time: no box's restart is taken for all of them.
      expect((await router.asteriskInfo()).status!.startup_time).toBe((await router.asteriskInfo()).status!.startup_time)
    })

    it('a box lost, then back restarted, is reported lost once: its return is no second loss', async () => {
      const {b2, router} = boxes()
      const lost: string[] = []
      router.on('StasisStart', () => {})
      router.onBoxLost((box) => lost.push(box))
      await router.asteriskInfo()
      b2.callerArrives('box2-1.1', '2', 'q')
      b2.state({state: 'connecting', attempt: 1})
      vi.advanceTimersByTime(BOX_LOST_MS + 9_000)
      expect(lost).toEqual(['box2'])
      b2.startup = '2026-12-07T08:01:00.000+0000'
      b2.state({state: 'connected'})
      await vi.advanceTimersByTimeAsync(0)
      expect(lost).toEqual(['box2'])
      // A later outage is a new loss.
      b2.state({state: 'connecting', attempt: 1})
      vi.advanceTimersByTime(BOX_LOST_MS)
      expect(lost).toEqual(['box2', 'box2'])
    })

    it('a lost box says how long ago it was last seen (when its calls ended), a restart found on a quick return too', async () => {
      const {b2, router} = boxes()
      const lost: number[] = []
      router.onBoxLost((_box, _ch, _st, awayMs) => lost.push(awayMs))
      await router.asteriskInfo()
      b2.state({state: 'connecting', attempt: 1})
      vi.advanceTimersByTime(BOX_LOST_MS + 1_000)
      expect(lost).toEqual([BOX_LOST_MS])
      b2.state({state: 'connected'})
      await vi.advanceTimersByTimeAsync(0)
      lost.length = 0
      b2.state({state: 'connecting', attempt: 1})
      vi.advanceTimersByTime(2_000)
      b2.startup = '2026-12-07T08:01:00.000+0000'
      b2.state({state: 'connected'})
      await vi.advanceTimersByTimeAsync(0)
      expect(lost).toEqual([2_000])
    })

    it('every box gone is an outage of the link (a dropped socket first says "connecting"); a box back while another serves is no news for it', async () => {
      const {b1, b2, router} = boxes()
      const lines: string[] = []
      const log: Logger = {debug() {}, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`)}
      const link = new AsteriskLink({url: 'http://b1:8088, http://b2:8088', log})
      const told: string[] = []
      followBoxes(router, link, (s) => told.push(s.state))
      lines.length = 0
      b2.state({state: 'connecting', attempt: 1})
      expect(link.current.state).toBe('connected')
      b1.state({state: 'connecting', attempt: 1})
      expect(link.current).toMatchObject({state: 'unreachable', error: 'no box answers'})
      b1.state({state: 'unreachable', attempt: 2, retryInMs: 250, error: 'ECONNREFUSED'})
      expect(link.current).toMatchObject({state: 'unreachable', attempts: 2, error: 'ECONNREFUSED'})
      b1.state({state: 'connected'})
      await vi.advanceTimersByTimeAsync(0)
      b2.state({state: 'connected'})
      await vi.advanceTimersByTimeAsync(0)
      expect(link.current.state).toBe('connected')
      expect(told).toEqual(['unreachable', 'unreachable', 'connected', 'connected'])
      // One line when the last box went, one when the first came back; box2's return is connect-boxes' to say.
      expect(lines).toEqual([expect.stringMatching(/^warn Asterisk at http:\/\/b1:8088, http:\/\/b2:8088 is unreachable \(no box answers\)/), expect.stringMatching(/^info Asterisk at .* is back after/)])
    })
  })
})

describe('the engine on two boxes', () => {
  let clock: FakeClock
  let store: SqliteStore
  let engine: Engine
  let b1: FakeBox
  let b2: FakeBox

  beforeEach(async () => {
    clock = new FakeClock()
    store = new SqliteStore(':memory:')
    await addQueue(store, 'sales', {ringTimeout: 15, wrapUp: 0})
    for (const id of ['a1', 'a2']) {
      await addAgent(store, {id, endpoint: `PJSIP/${id}`, queues: ['sales']})
      await loginAgent(store, id)
    }
    const r = boxes()
    b1 = r.b1
    b2 = r.b2
    engine = new Engine({ari: r.router, store, log: silentLogger, clock, syncIntervalMs: 3_600_000})
    await engine.start()
    b1.phone('a1', 'online')
    b2.phone('a1', 'offline')
    b1.phone('a2', 'offline')
    b2.phone('a2', 'online')
    engine.acd.agents.get('a1')!.idleSince = clock.now() - 60_000
    await settle()
  })

  afterEach(async () => {
    await engine.stop()
    await store.close()
  })

  /** box2 away for BOX_LOST_MS: lost, with what the engine does about it settled. */
  async function loseBox2(): Promise<void> {
    vi.useFakeTimers()
    try {
      b2.state({state: 'unreachable', attempt: 1, retryInMs: 250, error: 'ECONNREFUSED'})
      vi.advanceTimersByTime(BOX_LOST_MS)
    } finally {
      vi.useRealTimers()
    }
    await settle()
  }

  async function events(): Promise<StoredEvent[]> {
    await engine.events.flush()
    const out: StoredEvent[] = []
    for await (const e of store.events({})) out.push(e)
    return out
  }

  it('serves a caller on box2 with an agent registered on box1: the ring crosses the trunk, the bridge is on box2', async () => {
    b2.callerArrives('box2-1.1', '5551000', 'sales')
    await settle()
    const ring = b2.originated()[0]!
    expect(ring.endpoint).toBe('PJSIP/interbox/sip:a1@127.0.0.1:5060')
    const callId = ring.appArgs!.split(',')[1]!
    b2.agentAnswers(ring.channelId!, callId)
    await settle()
    expect(b2.ops('createBridge')).toHaveLength(1)
    expect(b2.ops('addToBridge')).toEqual([[`${callId}.b`, ['box2-1.1', ring.channelId]]])
    expect(b1.ops('originate')).toEqual([])
  })

  it('a lost box closes only its calls (box-lost) and frees their agents; calls on the other box go on', async () => {
    b1.callerArrives('box1-1.1', '5551000', 'sales')
    await settle()
    b2.callerArrives('box2-1.1', '5552000', 'sales')
    await settle()
    const r1 = b1.originated()[0]!
    const r2 = b2.originated()[0]!
    b1.agentAnswers(r1.channelId!, r1.appArgs!.split(',')[1]!)
    b2.agentAnswers(r2.channelId!, r2.appArgs!.split(',')[1]!)
    await settle()
    await loseBox2()
    const all = await events()
    const ended = all.filter((e) => e.type === 'call.ended')
    expect(ended.map((e) => e.data.cause)).toEqual(['box-lost'])
    expect(ended[0]!.callId).toBe(r2.appArgs!.split(',')[1])
    expect(all.some((e) => e.type === 'engine.box_lost' && e.data.box === 'box2')).toBe(true)
    const states = Object.fromEntries(engine.snapshot().agents.map((a) => [a.id, a.state]))
    expect(states.a1).toBe('on-call')
    expect(states.a2).not.toBe('on-call')
  })

  it("a box1 caller whose agent's phone was on box2 goes back in line when box2 is lost, its place kept, and is served by the next free agent", async () => {
    b1.callerArrives('box1-1.1', '5551000', 'sales')
    await settle()
    b1.callerArrives('box1-1.2', '5551001', 'sales')
    await settle()
    const [r1, r2] = b1.originated()
    expect(r2!.endpoint).toBe('PJSIP/interbox/sip:a2@127.0.0.1:5070')
    const [c1, c2] = [r1!.appArgs!.split(',')[1]!, r2!.appArgs!.split(',')[1]!]
    b1.agentAnswers(r1!.channelId!, c1)
    b1.agentAnswers(r2!.channelId!, c2)
    await settle()
    await loseBox2()
    const all = await events()
    expect(all.find((e) => e.type === 'engine.box_lost')!.data).toMatchObject({box: 'box2', calls: 0, requeued: 1})
    expect(all.find((e) => e.type === 'call.transferred' && e.callId === c2)!.data).toMatchObject({by: 'system', reason: 'agent-box-lost', to: {queue: 'sales'}})
    expect(all.filter((e) => e.type === 'call.ended')).toEqual([])
    const entered = all.filter((e) => e.type === 'queue.entered' && e.callId === c2)
    expect(entered).toHaveLength(2)
    // The stranded leg is hung up on box1; the caller hears music in line again.
    expect(b1.ops('hangup')).toContainEqual([r2!.channelId])
    expect(engine.snapshot().calls.find((c) => c.id === c2)?.state).toBe('waiting')
    // a1 free again: the requeued caller is the one rung.
    b1.hangsUp(r1!.channelId!)
    await settle()
    expect(b1.originated().at(-1)!.appArgs).toContain(c2)
  })

  it("a lost box's call ends when the box was last seen: its talk is not counted on through BOX_LOST_MS", async () => {
    b2.callerArrives('box2-1.1', '5552000', 'sales')
    await settle()
    const r2 = b2.originated()[0]!
    const callId = r2.appArgs!.split(',')[1]!
    b2.agentAnswers(r2.channelId!, callId)
    await settle()
    clock.advance(3_000)
    vi.useFakeTimers()
    try {
      b2.state({state: 'unreachable', attempt: 1, retryInMs: 250, error: 'ECONNREFUSED'})
      // Both clocks run on while the engine waits to declare the box lost.
      clock.advance(BOX_LOST_MS)
      vi.advanceTimersByTime(BOX_LOST_MS)
    } finally {
      vi.useRealTimers()
    }
    await settle()
    const completed = (await events()).find((e) => e.type === 'call.completed' && e.callId === callId)!
    expect(completed.data).toMatchObject({by: 'system', talkMs: 3_000})
  })

  it('a slow box sheds its own new callers; the other box serves on', async () => {
    b2.pressure.set({overloaded: true, p90Ms: 900})
    b2.callerArrives('box2-1.1', '5552000', 'sales')
    b1.callerArrives('box1-1.1', '5551000', 'sales')
    await settle()
    const all = await events()
    const shed = all.filter((e) => e.type === 'call.shed')
    expect(shed).toHaveLength(1)
    expect(shed[0]!.data).toMatchObject({number: '5552000', p90Ms: 900})
    expect(b2.ops('hangup')).toContainEqual(['box2-1.1', 'congestion'])
    expect(all.filter((e) => e.type === 'queue.entered').map((e) => e.callId)).toHaveLength(1)
    expect(b1.originated()).toHaveLength(1)
  })
})
