import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {EngineClient, EngineRequestError} from '../../src/engine/api/client.js'
import type {OutboundMessage} from '../../src/engine/chat/channel.js'
import {chatSettings} from '../../src/engine/config/chat-config.js'
import type {NewEvent} from '../../src/engine/store/events.js'
import {addUser} from '../../src/engine/users/users.js'
import {finish, startTestEngine, type Harness} from '../support/harness.js'

// The chat core on a real engine with a real Asterisk, over the API: a customer writes (the
// channels' side, ChatCoreForChannels, driven directly), the agent's desk (an agent-role
// token) sees the offer, accepts, answers and gets the customer's lines live; a supervisor
// reads the transcript and sends the agent a private note; an agent cannot touch another
// agent's conversation. Then one capacity model across a real call and chats: with
// call-counts-as 2 and 3 slots, an agent holding two chats is not rung for a caller until
// one ends, and on the call takes no more chats than fit beside it.

describe('chat core over the API (real engine, real Asterisk)', () => {
  let h: Harness
  let agent: EngineClient
  let other: EngineClient
  let supervisor: EngineClient
  const delivered: {customer: string; m: OutboundMessage}[] = []
  const pushed: NewEvent[] = []

  beforeAll(async () => {
    h = await startTestEngine({
      queues: {sales: {wrapUp: 0}, other: {}},
      // a1 answers a call after 1 s and talks 4 s; a2 is there to be "another agent".
      agents: [
        {id: 'a1', queues: ['sales'], ring: 1, talk: {min: 4, max: 4}},
        {id: 'a2', queues: ['other'], ring: 1, talk: {min: 4, max: 4}, loggedIn: false},
      ],
      api: true,
      engine: {chat: {settings: chatSettings({queue: 'sales', capacity: {mode: 'call-counts-as', slots: 2}, limits: {web: 3, total: 3}, acceptTimeout: '60s'}, null)}},
    })
    h.engine.chat.register({kind: 'web', deliver: async (customer, m) => void delivered.push({customer, m})})
    const token = async (name: string, role: string, a?: string) => (await addUser(h.store, {name, role, ...(a ? {agent: a} : {})})).token!
    agent = await EngineClient.connect(h.api!.url, await token('alice', 'agent', 'a1'))
    other = await EngineClient.connect(h.api!.url, await token('bob', 'agent', 'a2'))
    supervisor = await EngineClient.connect(h.api!.url, await token('sue', 'supervisor'))
    agent.onEvent((e) => pushed.push(e as NewEvent))
    await agent.request('events.subscribe', {types: ['chat.offered', 'chat.message', 'chat.note', 'chat.closed']})
  })

  afterAll(async () => {
    for (const c of [agent, other, supervisor]) c?.close()
    await finish(h)
  })

  const said = (customer: string) => delivered.filter((d) => d.customer === customer).map((d) => d.m.text)

  it('a customer writes, the agent accepts, answers and hears back; the supervisor reads and coaches', async () => {
    const {conversation: id} = await h.engine.chat.receive({channel: 'web', customer: 'visitor-1', name: 'Li Lei', text: 'Where is my parcel?'})
    await h.waitFor('the offer to reach the agent', () => pushed.find((e) => e.type === 'chat.offered' && e.callId === id))
    const mine = await agent.request('chat.list', {agent: 'a1'})
    expect(mine.conversations.map((c) => [c.id, c.state, c.offeredTo])).toEqual([[id, 'offered', 'a1']])
    // Another agent sees nothing of it and may not take it.
    expect((await other.request('chat.list')).conversations).toEqual([])
    await expect(other.request('chat.accept', {conversation: id, agent: 'a1'})).rejects.toMatchObject({code: 'forbidden'})
    await expect(other.request('chat.transcript', {conversation: id})).rejects.toMatchObject({code: 'forbidden'})

    expect(await agent.request('chat.accept', {conversation: id, agent: 'a1'})).toMatchObject({id, state: 'active', agent: 'a1'})
    expect(said('visitor-1')).toContain('You are now chatting with a1.')
    const sent = await agent.request('chat.send', {conversation: id, agent: 'a1', text: 'Let me check, one moment.'})
    expect(said('visitor-1')).toContain('Let me check, one moment.')
    const back = await h.engine.chat.receive({channel: 'web', customer: 'visitor-1', text: 'Thanks!'})
    expect(back).toEqual({conversation: id, seq: sent.seq + 1})
    await h.waitFor('the customer line to reach the agent live', () => pushed.find((e) => e.type === 'chat.message' && e.callId === id && e.data?.text === 'Thanks!'))

    const t = await supervisor.request('chat.transcript', {conversation: id})
    expect(t.lines.map((l) => `${l.from}: ${l.text}`)).toEqual([
      'customer: Where is my parcel?',
      'system: You are next in line: an agent will be with you shortly.',
      'system: You are now chatting with a1.',
      'agent: Let me check, one moment.',
      'customer: Thanks!',
    ])
    await expect(agent.request('chat.note', {conversation: id, text: 'hello'})).rejects.toMatchObject({code: 'forbidden'})
    expect(await supervisor.request('chat.note', {conversation: id, text: 'Offer the express refund'})).toEqual({conversation: id, agent: 'a1'})
    await h.waitFor('the note to reach the agent', () => pushed.find((e) => e.type === 'chat.note' && e.data?.text === 'Offer the express refund'))
    expect(said('visitor-1')).not.toContain('Offer the express refund')

    // The agent closes its own: the customer is asked for a rating and gives one.
    await expect(other.request('chat.close', {conversation: id, agent: 'a2'})).rejects.toMatchObject({code: 'forbidden'})
    expect(await agent.request('chat.close', {conversation: id, agent: 'a1'})).toMatchObject({state: 'closed', closeReason: 'agent'})
    expect(delivered.at(-1)!.m).toMatchObject({kind: 'rating-request', conversation: id})
    await h.engine.chat.receive({channel: 'web', customer: 'visitor-1', event: 'button', payload: '5'})
    expect((await supervisor.request('chat.transcript', {conversation: id})).conversation.rating).toBe(5)
  })

  it('one capacity model: two chats keep a call from the agent, a chat ending lets it ring, and on the call only one chat fits', async () => {
    const open = async (customer: string) => {
      const {conversation} = await h.engine.chat.receive({channel: 'web', customer, text: 'hello'})
      await h.waitFor(`${customer} offered`, async () => (await agent.request('chat.list', {agent: 'a1'})).conversations.find((c) => c.id === conversation && c.state === 'offered'))
      await agent.request('chat.accept', {conversation, agent: 'a1'})
      return conversation
    }
    const c1 = await open('visitor-2')
    const c2 = await open('visitor-3')
    await h.call({number: '+15550180001', did: 'sales', patience: 120})
    // The caller is in line; the dispatch that put it there rang nobody: 2 chats + 2 slots > 3.
    const waiting = await h.waitFor('the caller in line', async () => (await h.events()).find((e) => e.type === 'queue.entered' && e.queue === 'sales'))
    expect((await h.events()).filter((e) => e.type === 'agent.ringing' && e.callId === waiting.callId)).toEqual([])
    const snap = await supervisor.request('snapshot')
    expect(snap.agents.find((a) => a.id === 'a1')!.why).toMatch(/chat limit/)
    expect(snap.chats!.agents.a1).toMatchObject({web: 2, total: 2, limit: 3})

    await agent.request('chat.close', {conversation: c1, agent: 'a1'})
    await h.waitFor('the call to connect to a1 once a chat ended', async () => (await h.events()).find((e) => e.type === 'call.connected' && e.callId === waiting.callId && e.agent === 'a1'))
    // On the call with one chat: 2 + 1 = 3 slots. A new chat waits for the call to end.
    const {conversation: c3} = await h.engine.chat.receive({channel: 'web', customer: 'visitor-4', text: 'anyone?'})
    expect(h.engine.chat.get(c3)!.state).toBe('queued')
    await h.waitFor('the chat offered once the call ended', () => h.engine.chat.get(c3)!.state === 'offered', 30_000)
    const ended = (await h.events()).find((e) => e.type === 'call.completed' && e.callId === waiting.callId)!
    const offered = (await h.events()).find((e) => e.type === 'chat.offered' && e.callId === c3)!
    expect(offered.ts).toBeGreaterThanOrEqual(ended.ts)
    await agent.request('chat.close', {conversation: c2, agent: 'a1'})
  })

  it('refuses what an agent may not do, with reasons the desk can show', async () => {
    const {conversation: id} = await h.engine.chat.receive({channel: 'web', customer: 'visitor-5', text: 'hi'})
    await expect(agent.request('chat.send', {conversation: id, agent: 'a1', text: 'too early'})).rejects.toMatchObject({code: 'not_yours'})
    await expect(agent.request('chat.accept', {conversation: 'chat-nope', agent: 'a1'})).rejects.toBeInstanceOf(EngineRequestError)
  })
})
