import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {pauseAgent, unpauseAgent} from '../../src/engine/admin/admin.js'
import {EngineClient} from '../../src/engine/api/client.js'
import {addUser} from '../../src/engine/users/users.js'
import {DeskFeed} from '../../src/ui/desk/desk-feed.js'
import {startTestEngine, type Harness} from '../support/harness.js'
import {until} from '../support/wait.js'

// A pause typed in a terminal (`callctl agent pause`, which writes the store) reached the
// agent's desk only at its next poll: the engine applied it from the store but told no API
// subscription (p50 0.7 s at a 1 s poll, noted last session). Now the engine passes admin
// changes it applies to the subscriptions, so a desk that would not poll for a minute shows
// the pause and the unpause anyway, as `agent pause` on the CLI writes them.

describe('an admin change made outside the engine reaches the desk without a poll', () => {
  let h: Harness
  let feed: DeskFeed

  beforeAll(async () => {
    h = await startTestEngine({queues: {q1: {wrapUp: 0, record: false}}, agents: [{id: 'a1', ring: 0, talk: {min: 60, max: 60}, queues: ['q1']}], api: true})
    const token = (await addUser(h.store, {name: 'li', role: 'agent', agent: 'a1'})).token!
    // Polls once a minute: what the desk shows within seconds came as an event.
    feed = new DeskFeed(() => EngineClient.connect(h.api!.url, token), 'a1', {user: 'li', pollMs: 60_000})
    feed.start()
    await until('the desk to show agent a1', () => feed.getState().me !== null, 10_000)
  }, 60_000)

  afterAll(async () => {
    feed?.stop()
    await h?.stop()
  })

  it('a pause and an unpause written to the store show on the desk', async () => {
    expect(feed.getState().me?.state).toBe('idle')
    await pauseAgent(h.store, 'a1', 'lunch')
    await until('the desk to show the pause', () => feed.getState().me?.state === 'paused', 10_000)
    expect(feed.getState().me?.pauseReason).toBe('lunch')
    await unpauseAgent(h.store, 'a1')
    await until('the desk to show the agent idle again', () => feed.getState().me?.state === 'idle', 10_000)
  }, 30_000)
})
