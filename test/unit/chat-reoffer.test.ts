import {afterEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {SKIP_AFTER_EXPIRY_MS} from '../../src/engine/routing/chat-router.js'
import {chatSettings} from '../../src/engine/config/chat-config.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

// An agent who lets a chat's offer expire is skipped for that chat a while. Found by hand:
// with that agent the only one, nothing offered the chat again when the skip ended; it
// waited for an unrelated change (another customer writing), for ever on a quiet day.

describe('a chat whose offer expired', () => {
  let engine: Engine | undefined
  const store = new SqliteStore(':memory:')
  afterEach(async () => {
    await engine?.stop()
  })

  it('is offered again to the only agent when its skip ends, with no other event', async () => {
    const clock = new FakeClock()
    await addQueue(store, 'support', {wrapUp: 0})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['support']})
    await loginAgent(store, 'a1')
    engine = new Engine({ari: new FakeAri(), store, log: silentLogger, clock, syncIntervalMs: 3_600_000, chat: {settings: chatSettings({queue: 'support', autoAccept: false, acceptTimeout: '20s'}, null)}})
    await engine.start()
    engine.chat.register({kind: 'web', deliver: async () => undefined})
    await settle()
    const {conversation: id} = await engine.chat.receive({channel: 'web', customer: 'v1', text: 'hello?'})
    await settle()
    expect(engine.chat.get(id)!.offeredTo).toBe('a1')

    clock.advance(20_000)
    await settle()
    expect(engine.chat.get(id)).toMatchObject({state: 'queued', offeredTo: null})
    // Skipped until the skip ends; then offered again by itself.
    clock.advance(SKIP_AFTER_EXPIRY_MS - 1)
    await settle()
    expect(engine.chat.get(id)!.offeredTo).toBeNull()
    clock.advance(1)
    await settle()
    expect(engine.chat.get(id)).toMatchObject({state: 'offered', offeredTo: 'a1'})
    engine.chat.accept(id, 'a1')
    expect(engine.chat.get(id)!.state).toBe('active')
  })

  it('an agent who lets autoPauseAfter offers run out in a row is paused (no-answer), as after missed rings; a chat taken starts the count again', async () => {
    const clock = new FakeClock()
    const mem = new SqliteStore(':memory:')
    await addQueue(mem, 'desk', {wrapUp: 0, autoPauseAfter: 2})
    await addAgent(mem, {id: 'b1', endpoint: 'PJSIP/b1', queues: ['desk']})
    await loginAgent(mem, 'b1')
    engine = new Engine({ari: new FakeAri(), store: mem, log: silentLogger, clock, syncIntervalMs: 3_600_000, chat: {settings: chatSettings({queue: 'desk', autoAccept: false, acceptTimeout: '20s'}, null)}})
    await engine.start()
    engine.chat.register({kind: 'web', deliver: async () => undefined})
    const e = engine
    const write = async (customer: string) => {
      const {conversation} = await e.chat.receive({channel: 'web', customer, text: 'hello?'})
      await settle()
      return conversation
    }
    const state = () => e.acd.agentView(e.acd.agents.get('b1')!)
    // One missed, one taken: the count starts again.
    await write('v1')
    clock.advance(20_000)
    await settle()
    clock.advance(SKIP_AFTER_EXPIRY_MS)
    await settle()
    const taken = e.chat.list().find((c) => c.offeredTo === 'b1')!
    e.chat.accept(taken.id, 'b1')
    e.chat.close(taken.id, 'agent', 'b1', 'b1')
    await settle()
    // Two in a row: paused, and the line waits for someone else.
    const v2 = await write('v2')
    expect(e.chat.get(v2)!.offeredTo).toBe('b1')
    clock.advance(20_000)
    await settle()
    expect(state().state).toBe('idle')
    clock.advance(SKIP_AFTER_EXPIRY_MS)
    await settle()
    expect(e.chat.get(v2)!.offeredTo).toBe('b1')
    clock.advance(20_000)
    await settle()
    expect(state()).toMatchObject({state: 'paused', pauseReason: 'no-answer'})
    clock.advance(SKIP_AFTER_EXPIRY_MS)
    await settle()
    expect(e.chat.get(v2)).toMatchObject({state: 'queued', offeredTo: null})
    await e.events.flush()
    const paused = []
    for await (const ev of mem.events({})) if (ev.type === 'agent.paused') paused.push(ev)
    expect(paused).toMatchObject([{agent: 'b1', data: {reason: 'no-answer', auto: true, missedRings: 2}}])
  })
})
