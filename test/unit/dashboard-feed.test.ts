import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import type {EngineSnapshot} from '../../src/engine/calls/engine.js'
import {UserError} from '../../src/engine/util/errors.js'
import {EngineFeed, type FeedConnection} from '../../src/ui/dashboard/feed.js'
import {fixtureSnapshot} from '../support/dashboard.js'

/** An engine on the other end of a connection: counts snapshot requests, sends events, hangs up. */
function fakeEngine() {
  const conns: {events: ((e: unknown) => void)[]; close: (() => void)[]; closed: boolean}[] = []
  let snapshots = 0
  let down: string | null = null
  let refusing = false
  const connect = vi.fn(async (): Promise<FeedConnection> => {
    if (down) throw new Error(down)
    const c = {events: [] as ((e: unknown) => void)[], close: [] as (() => void)[], closed: false}
    conns.push(c)
    return {
      // Answers any method: the feed is what is under test, not the contract.
      request: (async (method: string) => {
        if (c.closed) throw new Error('closed')
        // What EngineClient makes of the server's 'unauthorized' reply.
        if (refusing) throw new UserError('CALLCTL_TOKEN was revoked or replaced (user li)', {code: 'unauthorized', exitCode: 2})
        if (method === 'snapshot') return {...fixtureSnapshot(), at: ++snapshots}
        return {subscribed: true}
      }) as FeedConnection['request'],
      onEvent: (fn) => (c.events.push(fn), () => undefined),
      onClose: (fn) => void c.close.push(fn),
      close: () => void (c.closed = true),
    }
  })
  return {
    connect,
    get snapshots() {
      return snapshots
    },
    event: () => conns.at(-1)!.events.forEach((f) => f({type: 'call.started'})),
    /** The engine goes away: the live connection closes, new ones are refused. */
    stop(reason: string) {
      down = reason
      const c = conns.at(-1)!
      c.closed = true
      c.close.forEach((f) => f())
    },
    start() {
      down = null
    },
    /** An admin revokes the token: every request on any connection is refused. */
    revoke() {
      refusing = true
    },
    get connections() {
      return conns.length
    },
  }
}

describe('the engine feed', () => {
  beforeEach(() => void vi.useFakeTimers({now: 1_000_000}))
  afterEach(() => void vi.useRealTimers())

  it('a refused token stops the feed (status refused, the engine\'s words kept): no reconnection every few seconds', async () => {
    const engine = fakeEngine()
    const feed = new EngineFeed(engine.connect)
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.state.status).toBe('live')
    engine.revoke()
    await vi.advanceTimersByTimeAsync(1000)
    expect(feed.state).toMatchObject({status: 'refused', error: 'CALLCTL_TOKEN was revoked or replaced (user li)', retryAt: null})
    // The snapshot stays on screen, marked by the banner; nothing is asked again.
    expect(feed.state.snapshot).not.toBeNull()
    const asked = engine.snapshots
    await vi.advanceTimersByTimeAsync(60_000)
    expect(engine.connections).toBe(1)
    expect(engine.snapshots).toBe(asked)
    await expect(feed.request('snapshot')).rejects.toThrow(/revoked or replaced/)
  })

  it('goes live with the first snapshot and polls once a second', async () => {
    const engine = fakeEngine()
    const feed = new EngineFeed(engine.connect)
    expect(feed.state.status).toBe('connecting')
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.state).toMatchObject({status: 'live', error: null, receivedAt: 1_000_000})
    expect((feed.state.snapshot as EngineSnapshot).at).toBe(1)
    await vi.advanceTimersByTimeAsync(3000)
    expect(engine.snapshots).toBe(4)
    feed.stop()
    await vi.advanceTimersByTimeAsync(5000)
    expect(engine.snapshots).toBe(4)
  })

  it('an event brings the next snapshot forward, and a burst of events costs one snapshot', async () => {
    const engine = fakeEngine()
    const feed = new EngineFeed(engine.connect, {pollMs: 1000, eventGapMs: 250})
    feed.start()
    await vi.advanceTimersByTimeAsync(500)
    expect(engine.snapshots).toBe(1)
    for (let i = 0; i < 20; i++) engine.event()
    await vi.advanceTimersByTimeAsync(10)
    expect(engine.snapshots).toBe(2)
    feed.stop()
  })

  it('a big call center (slow snapshots) is not refreshed faster than once a second by its events', async () => {
    const engine = fakeEngine()
    let extra = 0
    // Each snapshot takes 60 ms of the dashboard's time to fetch and render.
    const feed = new EngineFeed(engine.connect, {pollMs: 1000, eventGapMs: 250, costFactor: 20, now: () => Date.now() + extra})
    feed.subscribe(() => void (extra += 60))
    feed.start()
    await vi.advanceTimersByTimeAsync(300)
    expect(engine.snapshots).toBe(1)
    engine.event()
    await vi.advanceTimersByTimeAsync(500)
    expect(engine.snapshots).toBe(1)
    await vi.advanceTimersByTimeAsync(300)
    expect(engine.snapshots).toBe(2)
    feed.stop()
  })

  it('says the engine is unreachable, with why and when it retries, keeps the last data, and comes back by itself', async () => {
    const engine = fakeEngine()
    const seen: string[] = []
    const feed = new EngineFeed(engine.connect, {retryMs: [500, 2000]})
    feed.subscribe(() => seen.push(feed.state.status))
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    const last = feed.state.snapshot
    engine.stop('Cannot reach the engine at ws://127.0.0.1:8089/ (ECONNREFUSED)')
    expect(feed.state).toMatchObject({status: 'unreachable', error: 'the engine closed the connection', retryAt: Date.now() + 500, snapshot: last})
    await vi.advanceTimersByTimeAsync(500)
    expect(feed.state).toMatchObject({status: 'unreachable', error: 'Cannot reach the engine at ws://127.0.0.1:8089/ (ECONNREFUSED)', retryAt: Date.now() + 2000})
    await vi.advanceTimersByTimeAsync(2000)
    expect(engine.connect).toHaveBeenCalledTimes(3)
    engine.start()
    await vi.advanceTimersByTimeAsync(2000)
    expect(feed.state).toMatchObject({status: 'live', error: null, retryAt: null})
    expect(feed.state.snapshot).not.toBe(last)
    expect(seen).toEqual(['live', 'unreachable', 'unreachable', 'unreachable', 'live'])
    feed.stop()
  })

  it('a request (pause, supervise) goes over the live connection, and fails clearly without one', async () => {
    const engine = fakeEngine()
    const feed = new EngineFeed(engine.connect)
    await expect(feed.request('agent.pause', {agent: 'a1'})).rejects.toThrow('Not connected to the engine yet')
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    await expect(feed.request('events.subscribe')).resolves.toEqual({subscribed: true})
    engine.stop('ECONNREFUSED')
    await expect(feed.request('agent.pause', {agent: 'a1'})).rejects.toThrow('The engine is unreachable: the engine closed the connection')
    feed.stop()
  })
})
