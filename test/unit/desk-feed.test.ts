import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {DeskFeed} from '../../src/ui/desk/desk-feed.js'
import {fixtureSnapshot} from '../support/dashboard.js'
import {fakeFeedEngine} from '../support/fake-feed.js'

// What the desk learns from events besides the snapshot: the pop asked for the moment its
// agent is rung, wrap-up's countdown, hold and consultation, the disposition owed, and
// callers lost on its ring owed a call back.

function fakeEngine() {
  return fakeFeedEngine<unknown>((method, params) => {
    if (method === 'snapshot') return fixtureSnapshot()
    if (method === 'call.get') return {...fixtureSnapshot().calls[0]!, id: (params as {call: string}).call, caller: {number: '+8613800000005', name: 'Wu'}}
    if (method === 'contact.history') return {number: '+8613800000005', contact: null, callTags: [], interactions: [], searchedFrom: 0}
    if (method === 'desk.settings') return {pauseReasons: ['break'], crmLink: null, quickReplies: [], historyDays: 180}
    return undefined
  })
}

describe('the desk feed', () => {
  beforeEach(() => void vi.useFakeTimers({now: 1_000_000}))
  afterEach(() => void vi.useRealTimers())

  it('on its ring, asks for the call and the history at once and pops both; other agents ring unnoticed', async () => {
    const engine = fakeEngine()
    const feed = new DeskFeed(engine.connect, 'a1')
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.getState().settings?.pauseReasons).toEqual(['break'])
    engine.emit({type: 'agent.ringing', ts: 999_000, callId: 'other', agent: 'a2'})
    expect(feed.getState().pop).toBeNull()
    engine.emit({type: 'agent.ringing', ts: 999_500, callId: 'c9', agent: 'a1'})
    expect(feed.getState().pop).toMatchObject({callId: 'c9', ringAt: 999_500, call: null, history: null})
    expect(engine.asked.slice(-2)).toEqual([
      {method: 'call.get', params: {call: 'c9'}},
      {method: 'contact.history', params: {call: 'c9', limit: 5}},
    ])
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.getState().pop).toMatchObject({callId: 'c9', call: {caller: {number: '+8613800000005'}}, history: {interactions: []}, error: null})
    feed.stop()
  })

  it('follows the call: connected, held, wrap-up countdown, disposition; a caller lost on its ring is owed a callback', async () => {
    const engine = fakeEngine()
    const feed = new DeskFeed(engine.connect, 'a1')
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    engine.emit({type: 'agent.ringing', ts: 1, callId: 'c9', agent: 'a1'})
    await vi.advanceTimersByTimeAsync(0)
    engine.emit({type: 'call.connected', ts: 2, callId: 'c9', queue: 'sales', agent: 'a1'})
    expect(feed.getState().lastCall).toEqual({id: 'c9', queue: 'sales', number: '+8613800000005', disposition: null, ticket: null})
    engine.emit({type: 'call.held', ts: 3, callId: 'c9', agent: 'a1'})
    expect(feed.getState().held.has('c9')).toBe(true)
    engine.emit({type: 'call.unheld', ts: 4, callId: 'c9', agent: 'a1'})
    expect(feed.getState().held.has('c9')).toBe(false)
    engine.emit({type: 'agent.wrapup_started', ts: 10_000, agent: 'a1', data: {seconds: 30}})
    expect(feed.getState().wrapUpEndsAt).toBe(40_000)
    engine.emit({type: 'agent.wrapup_extended', ts: 20_000, agent: 'a1', data: {seconds: 15}})
    expect(feed.getState().wrapUpEndsAt).toBe(55_000)
    engine.emit({type: 'call.disposition', ts: 21_000, callId: 'c9', agent: 'a1', data: {code: 'resolved', label: 'Resolved'}})
    expect(feed.getState().lastCall?.disposition).toEqual({code: 'resolved', label: 'Resolved'})

    engine.emit({type: 'agent.ringing', ts: 30_000, callId: 'c10', agent: 'a1'})
    await vi.advanceTimersByTimeAsync(0)
    engine.emit({type: 'agent.ring_canceled', ts: 31_000, callId: 'c10', agent: 'a1'})
    expect(feed.getState().pop).toMatchObject({callId: 'c10', missed: true})
    engine.emit({type: 'queue.abandoned', ts: 31_000, callId: 'c10', queue: 'sales'})
    expect(feed.getState().owed).toEqual([{callId: 'c10', number: '+8613800000005', name: 'Wu', at: 31_000, why: 'hung up waiting'}])
    expect(feed.takeOwed()?.callId).toBe('c10')
    expect(feed.getState().owed).toEqual([])
    feed.stop()
  })
})
