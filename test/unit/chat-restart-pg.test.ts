import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {transcriptFromLog} from '../../src/engine/chat/transcript-log.js'
import {chatSettings} from '../../src/engine/config/chat-config.js'
import {PgStore} from '../../src/engine/store/pg/pg-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'
import {startPostgres, type TestPostgres} from '../support/postgres.js'

// Conversations kept across a restart on PostgreSQL (the shared store of two engines): the
// new engine folds the log back into the same states, slots and transcripts.

describe('chat restart on PostgreSQL', () => {
  let cluster: TestPostgres
  beforeAll(async () => {
    cluster = await startPostgres()
  })
  afterAll(() => cluster?.stop())

  it('a new engine on the same store takes back waiting, offered and active conversations', async () => {
    const store = await PgStore.open(cluster.createDatabase('chats'))
    const clock = new FakeClock()
    await addQueue(store, 'sales', {wrapUp: 0})
    for (const a of ['a1', 'a2']) {
      await addAgent(store, {id: a, endpoint: `PJSIP/${a}`, queues: ['sales']})
      await loginAgent(store, a)
    }
    const settings = chatSettings({queue: 'sales', limits: {web: 1, total: 1}, acceptTimeout: '30s'}, null)
    const boot = async () => {
      const e = new Engine({ari: new FakeAri(), store, log: silentLogger, clock, syncIntervalMs: 3_600_000, chat: {settings}})
      await e.start()
      await settle()
      return e
    }
    let engine = await boot()
    const write = async (customer: string) => (await engine.chat.receive({channel: 'web', customer, text: `hello from ${customer}`})).conversation
    const active = await write('v1')
    const offered = await write('v2')
    const waiting = await write('v3')
    const first = engine.chat.get(active)!.offeredTo!
    engine.chat.accept(active, first)
    engine.chat.send(active, first, {text: 'How can I help?'})
    const before = engine.chat.list().map((c) => [c.id, c.state, c.agent, c.offeredTo])
    expect(before.map((c) => c[1])).toEqual(['active', 'offered', 'queued'])
    const lines = engine.chat.transcript(active).lines
    await engine.stop()

    engine = await boot()
    expect(engine.chat.list().map((c) => [c.id, c.state, c.agent, c.offeredTo])).toEqual(before)
    expect(engine.chat.transcript(active).lines).toEqual(lines)
    expect((await transcriptFromLog(store, active)).lines).toEqual(lines)
    const other = first === 'a1' ? 'a2' : 'a1'
    expect([engine.chat.router.load(first).web, engine.chat.router.load(other).web]).toEqual([1, 1])
    // The offer runs out on the new engine's clock; nobody else has room, so it waits its turn.
    clock.advance(30_000)
    await settle()
    expect(engine.chat.get(offered)!.state).toBe('queued')
    engine.chat.close(active, 'agent', first, first)
    await settle()
    expect(engine.chat.get(offered)!.offeredTo ?? engine.chat.get(waiting)!.offeredTo).toBe(first)
    await engine.stop()
    await store.close()
  }, 60_000)
})
