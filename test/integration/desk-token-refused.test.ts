import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {EngineClient} from '../../src/engine/api/client.js'
import {addUser, issueToken, removeUser} from '../../src/engine/users/users.js'
import {EngineFeed} from '../../src/ui/dashboard/feed.js'
import {DeskFeed} from '../../src/ui/desk/desk-feed.js'
import {startTestEngine, type Harness} from '../support/harness.js'
import {until} from '../support/wait.js'

// The desk's feed on a real engine when an admin revokes the agent user's token or removes
// the user while the desk runs (misuse report 20, finding 10): the engine's own refusal
// (EngineClient, the server's 'unauthorized') stops the desk with the fix, as the unit
// tests' fake refusal does, instead of "engine unreachable" and a reconnection every 5 s.

describe('desk feed under a token revoked on a real engine', () => {
  let h: Harness
  const feeds: DeskFeed[] = []
  let connections = 0

  /** A live desk of agent a1 on a fresh token of user `name`. */
  const liveDesk = async (name: string) => {
    const token = (await addUser(h.store, {name, role: 'agent', agent: 'a1'})).token!
    const feed = new DeskFeed(() => (connections++, EngineClient.connect(h.api!.url, token)), 'a1', {user: name, pollMs: 100})
    feeds.push(feed)
    feed.start()
    await until(`${name}'s desk to show agent a1`, () => feed.getState().me !== null, 10_000)
    return feed
  }

  beforeAll(async () => {
    h = await startTestEngine({queues: {q1: {wrapUp: 0, record: false}}, agents: [{id: 'a1', ring: 0, talk: {min: 60, max: 60}, queues: ['q1']}], api: true})
  })

  afterAll(async () => {
    for (const f of feeds) f.stop()
    await h?.stop()
  })

  it('a revoked token stops the desk with the fix naming the user', async () => {
    const feed = await liveDesk('王芳')
    connections = 0
    await issueToken(h.store, '王芳', {revoke: true})
    await until('the desk to see its token refused', () => feed.getState().refused != null, 10_000)
    expect(feed.getState().refused).toEqual({
      message: 'Your token was revoked or replaced: the desk has stopped',
      suggestion: 'Ask an admin for a new one (callctl user token 王芳), set CALLCTL_TOKEN to it and start the desk again.',
    })
    // The refusal came on the open connection (the next snapshot) or at most one reconnection (the engine closing a revoked subscription).
    expect(connections).toBeLessThanOrEqual(1)
  })

  it('a removed user stops the desk as a token the engine does not know', async () => {
    const feed = await liveDesk('li')
    await removeUser(h.store, 'li')
    await until('the desk to see its token refused', () => feed.getState().refused != null, 10_000)
    expect(feed.getState().refused?.message).toBe('No user has your token (removed?): the desk has stopped')
    expect(feed.getState().refused?.suggestion).toContain('callctl user token li')
  })

  it('a supervisor\'s dashboard feed stops too, on the refusal, instead of retrying forever', async () => {
    const token = (await addUser(h.store, {name: 'zhang', role: 'supervisor'})).token!
    let opened = 0
    const feed = new EngineFeed(() => (opened++, EngineClient.connect(h.api!.url, token)), {pollMs: 100, retryMs: [100]})
    try {
      feed.start()
      await until('the dashboard feed live', () => feed.getState().status === 'live', 10_000)
      await issueToken(h.store, 'zhang', {revoke: true})
      await until('the dashboard feed to see its token refused', () => feed.getState().status === 'refused', 10_000)
      expect(feed.getState().error).toMatch(/revoked or replaced/)
      const after = opened
      // At a 100 ms retry it would have opened about ten more connections by now.
      await new Promise((r) => setTimeout(r, 1000))
      expect(opened).toBe(after)
    } finally {
      feed.stop()
    }
  })
})
