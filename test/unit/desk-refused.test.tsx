import {render} from 'ink-testing-library'
import {afterEach, describe, expect, it, vi} from 'vitest'
import {EngineRequestError} from '../../src/engine/api/client.js'
import {Desk} from '../../src/ui/desk/desk.js'
import {DeskFeed} from '../../src/ui/desk/desk-feed.js'
import {fixtureSnapshot} from '../support/dashboard.js'
import {fakeFeedEngine} from '../support/fake-feed.js'

// A desk whose token the engine refuses (misuse report 20, finding 10): a user removed
// ("Unknown API token") or a token revoked or replaced. It used to show ENGINE
// UNREACHABLE and connect again every 5 s for as long as it stayed open, each time a
// warning in the engine's log, with its actions still offered. Now it stops at the first
// refusal, says so with the fix, and only q is left.

const REVOKED = {code: 'unauthorized', message: 'This API token was revoked or replaced', suggestion: 'Ask an admin for a new one (callctl user token NAME) and set CALLCTL_TOKEN to it.'}
const UNKNOWN = {code: 'unauthorized', message: 'Unknown API token', suggestion: 'callctl sends CALLCTL_TOKEN when set'}

/** An engine whose answers flip to refusing the token once `revoke` is called; counts the connections. */
function engineRevoking(initially: typeof REVOKED | null = null) {
  let refusal = initially
  const engine = fakeFeedEngine<unknown>((method) => {
    if (refusal) throw new EngineRequestError(method, refusal)
    if (method === 'snapshot') return fixtureSnapshot()
    if (method === 'desk.settings') return {pauseReasons: ['break', 'lunch'], crmLink: null, quickReplies: [], historyDays: 180}
    return undefined
  })
  let connections = 0
  const connect = () => (connections++, engine.connect())
  return {...engine, connect, connections: () => connections, revoke: (r = REVOKED) => void (refusal = r)}
}

afterEach(() => void vi.useRealTimers())

describe('the desk with a refused token', () => {
  it('stops at the refusal of a removed user: no more connections, the fix names the user', async () => {
    vi.useFakeTimers({now: 1_000_000})
    const engine = engineRevoking(UNKNOWN)
    const feed = new DeskFeed(engine.connect, '1001', {user: '王芳'})
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.getState().refused).toEqual({
      message: 'No user has your token (removed?): the desk has stopped',
      suggestion: 'Ask an admin for a new one (callctl user token 王芳), set CALLCTL_TOKEN to it and start the desk again.',
    })
    const asked = engine.asked.length
    // Ten minutes: the feed used to connect again every 5 s (120 times).
    await vi.advanceTimersByTimeAsync(600_000)
    expect(engine.connections()).toBe(1)
    expect(engine.asked.length).toBe(asked)
  })

  it('stops when the token is revoked under a live desk', async () => {
    vi.useFakeTimers({now: 1_000_000})
    const engine = engineRevoking()
    const feed = new DeskFeed(engine.connect, '1001', {user: '王芳'})
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.getState().feed.status).toBe('live')
    expect(feed.getState().refused ?? null).toBeNull()
    engine.revoke()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(feed.getState().refused?.message).toBe('Your token was revoked or replaced: the desk has stopped')
    const asked = engine.asked.length
    await vi.advanceTimersByTimeAsync(600_000)
    expect(engine.connections()).toBe(1)
    expect(engine.asked.length).toBe(asked)
  })

  it('an engine away is not a refusal: the feed still connects again', async () => {
    vi.useFakeTimers({now: 1_000_000})
    let connections = 0
    const feed = new DeskFeed(async () => {
      connections++
      throw new Error('connect ECONNREFUSED 127.0.0.1:8089')
    }, '1001')
    feed.start()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(feed.getState().refused ?? null).toBeNull()
    expect(feed.getState().feed.status).toBe('unreachable')
    expect(connections).toBeGreaterThan(5)
  })

  it('on screen: one line with the fix, only q offered; p no longer unpauses, q quits', async () => {
    const engine = engineRevoking()
    // a3 is paused in the fixture: p would unpause it.
    const feed = new DeskFeed(engine.connect, 'a3', {user: '王芳', pollMs: 20})
    const run = vi.fn(async () => undefined)
    const onQuit = vi.fn()
    const app = render(<Desk feed={feed} run={run} onQuit={onQuit} size={{columns: 80, rows: 24}} timeZone="UTC" hyperlinks={false} />)
    feed.start()
    await vi.waitFor(() => expect(app.lastFrame()).toContain(' PAUSED '))
    engine.revoke()
    await vi.waitFor(() => expect(app.lastFrame()).toContain('TOKEN REFUSED'))
    const frame = app.lastFrame()!
    expect(frame).toContain('NOT LIVE')
    // The whole line at 80 columns: nothing cut off.
    expect(frame.split('\n')[1]!.trim()).toBe('TOKEN REFUSED · Your token was revoked or replaced: the desk has stopped')
    expect(frame).not.toContain('…')
    expect(frame).toContain('Ask an admin for a new one (callctl user token 王芳)')
    expect(frame.trimEnd().split('\n').at(-1)).toBe('q quit')
    expect(frame).not.toMatch(/ENGINE UNREACHABLE|PAUSED|\? help/)
    // Keys are read in order: once q has quit, p has had its turn.
    app.stdin.write('p')
    app.stdin.write('q')
    await vi.waitFor(() => expect(onQuit).toHaveBeenCalledTimes(1))
    expect(run).not.toHaveBeenCalled()
    feed.stop()
    app.unmount()
  })
})
