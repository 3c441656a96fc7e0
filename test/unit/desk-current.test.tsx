import chalk from 'chalk'
import {render} from 'ink-testing-library'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import type {CallView, EngineSnapshot, ResultOf} from '../../src/engine/api/contract.js'
import type {FeedConnection} from '../../src/ui/dashboard/feed.js'
import {DeskFeed, type DeskState} from '../../src/ui/desk/desk-feed.js'
import {Desk, deskContext} from '../../src/ui/desk/desk.js'
import {INITIAL_DESK_UI} from '../../src/ui/desk/desk-keys.js'
import {AT, fixtureSnapshot} from '../support/dashboard.js'
import {fakeFeedEngine} from '../support/fake-feed.js'

// A desk opened or reconnected while its agent is on a call, or in a wrap-up owing a
// disposition (misuse report 20, findings 18 and 20): the pop and the call owing the code
// come from the engine (desk.current, read once the subscription is in place), and a call
// the snapshot shows that no ring announced gets its pop from the snapshot.

const level = chalk.level
afterEach(() => {
  chalk.level = level
  vi.useRealTimers()
})

type Current = ResultOf<'desk.current'>

/** The fixture's a2 is on call-talk (sales); sales asks for codes. */
function snapshot(over: (s: EngineSnapshot) => void = () => undefined): EngineSnapshot {
  const s = fixtureSnapshot()
  s.queues = s.queues.map((q) => (q.name === 'sales' ? {...q, settings: {...q.settings, dispositions: [{code: 'resolved', label: '已解决', key: '1'}, {code: 'follow-up', label: '需跟进', key: '2'}]}} : q))
  over(s)
  return s
}

const talk = (): CallView => fixtureSnapshot().calls.find((c) => c.id === 'call-talk')!

/** An engine whose answers the test changes; its connections can be closed (an engine restart). */
function engine(o: {snap: () => EngineSnapshot; current: () => Current | Error}) {
  const closers: (() => void)[] = []
  const fake = fakeFeedEngine<Record<string, unknown>>((method, params) => {
    if (method === 'snapshot') return o.snap()
    if (method === 'desk.current') {
      const c = o.current()
      if (c instanceof Error) throw c
      return c
    }
    if (method === 'call.get') {
      const c = o.snap().calls.find((x) => x.id === params.call)
      if (!c) throw new Error(`No live call "${String(params.call)}"`)
      return c
    }
    if (method === 'contact.history') return {number: '+8613800000002', contact: null, callTags: [], interactions: [{kind: 'call', at: AT - 86_400_000, id: 'call-old', direction: 'inbound', queue: 'sales', agent: 'a2', outcome: 'answered', disposition: null, notes: ['asked about a refund'], priority: null}], searchedFrom: 0}
    if (method === 'desk.settings') return {pauseReasons: ['break'], crmLink: null, quickReplies: [], historyDays: 180}
    return undefined
  })
  const connect = async (): Promise<FeedConnection> => ({...(await fake.connect()), onClose: (fn: () => void) => void closers.push(fn)})
  return {...fake, connect, restart: () => closers.splice(0).forEach((fn) => fn())}
}

const methods = (asked: {method: string}[]) => asked.map((a) => a.method)

describe('a desk opened mid-call', () => {
  beforeEach(() => void vi.useFakeTimers({now: AT}))

  it('builds the pop from the agent\'s current call: number, name, queue, wait, talk time, key trail, history; asked after subscribing', async () => {
    const e = engine({snap: () => snapshot(), current: () => ({call: talk(), last: null})})
    const feed = new DeskFeed(e.connect, 'a2')
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    const s = feed.getState()
    expect(s.me?.state).toBe('on-call')
    expect(s.pop).toMatchObject({callId: 'call-talk', ended: false, missed: false, call: {caller: {number: '+8613800000002', name: 'Zhou Min'}, queue: 'sales', keyTrail: ['menu:1']}, history: {interactions: [{id: 'call-old'}]}})
    // The call notes, x and the disposition go to.
    expect(s.lastCall).toEqual({id: 'call-talk', queue: 'sales', number: '+8613800000002', disposition: null, ticket: null})
    const m = methods(e.asked)
    expect(m.indexOf('events.subscribe')).toBeGreaterThanOrEqual(0)
    expect(m.indexOf('events.subscribe')).toBeLessThan(m.indexOf('desk.current'))
    expect(e.asked.find((a) => a.method === 'desk.current')?.params).toEqual({agent: 'a2'})

    // On screen: the pop, never "No call" next to ON-CALL.
    chalk.level = 0
    vi.useFakeTimers({now: AT, toFake: ['Date']})
    const frame = render(<Desk feed={feed} run={async () => undefined} onQuit={() => undefined} size={{columns: 80, rows: 24}} timeZone="UTC" hyperlinks={false} />).lastFrame()!
    expect(frame).not.toContain('No call')
    expect(frame).toMatch(/ON-CALL/)
    expect(frame).toMatch(/CONNECTED {2}\+8613800000002 {2}Zhou Min {2}queue sales · waited 0:08/)
    expect(frame).toMatch(/Talking 1:35/)
    expect(frame).toContain('menu:1')
    expect(frame).toContain('asked about a refund')
    feed.stop()
  })

  it('in a wrap-up owing a disposition: knows the call and its codes, so d and 1 work', async () => {
    const e = engine({
      snap: () => snapshot((s) => (s.calls = s.calls.filter((c) => c.id !== 'call-talk'), (s.agents = s.agents.map((a) => (a.id === 'a2' ? {...a, state: 'wrap-up', callId: null} : a))))),
      current: () => ({call: null, last: {callId: 'call-gone', queue: 'sales', number: '+8613700137000', disposition: null, owes: true}}),
    })
    const feed = new DeskFeed(e.connect, 'a2')
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    const s = feed.getState()
    expect(s.lastCall).toEqual({id: 'call-gone', queue: 'sales', number: '+8613700137000', disposition: null, ticket: null})
    const ctx = deskContext(s, INITIAL_DESK_UI, [])
    expect(ctx).toMatchObject({noteCall: 'call-gone', dispositionOwed: true, dispositions: [{code: 'resolved', key: '1'}, {code: 'follow-up', key: '2'}]})
    // No pop to fetch for a call that is over (no call.get of it).
    expect(methods(e.asked)).not.toContain('call.get')
    chalk.level = 0
    vi.useFakeTimers({now: AT, toFake: ['Date']})
    const frame = render(<Desk feed={feed} run={async () => undefined} onQuit={() => undefined} size={{columns: 80, rows: 24}} timeZone="UTC" hyperlinks={false} />).lastFrame()!
    expect(frame).toMatch(/WRAP-UP .* DISPOSITION OWED \(d\)/)
    expect(frame).toContain('Wrap-up of the call with +8613700137000 (call-gone)')
    expect(frame).not.toContain('No call')
    feed.stop()
  })

  it('a code chosen before the desk opened is known: nothing owed', async () => {
    const e = engine({snap: () => snapshot(), current: () => ({call: null, last: {callId: 'call-gone', queue: 'sales', number: '+8613700137000', disposition: {code: 'resolved', label: '已解决'}, owes: false}})})
    const feed = new DeskFeed(e.connect, 'a5')
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.getState().lastCall?.disposition).toEqual({code: 'resolved', label: '已解决'})
    expect(deskContext(feed.getState(), INITIAL_DESK_UI, []).dispositionOwed).toBe(false)
    feed.stop()
  })

  it('on every reconnect (an engine restart) reads the call again: the one that ended while away ends, the new one pops', async () => {
    let current: Current = {call: talk(), last: null}
    let snap = snapshot()
    const e = engine({snap: () => snap, current: () => current})
    const feed = new DeskFeed(e.connect, 'a2', {pollMs: 60_000})
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.getState().pop?.callId).toBe('call-talk')

    const next: CallView = {...talk(), id: 'call-next', caller: {number: '+8613900139000', name: 'Bob'}, connectedAt: AT + 5_000}
    current = {call: next, last: {callId: 'call-talk', queue: 'sales', number: '+8613800000002', disposition: {code: 'resolved', label: '已解决'}, owes: false}}
    snap = snapshot((s) => (s.calls = s.calls.map((c) => (c.id === 'call-talk' ? next : c))))
    e.restart()
    expect(feed.getState().feed.status).toBe('unreachable')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(feed.getState().feed.status).toBe('live')
    expect(methods(e.asked).filter((m) => m === 'desk.current')).toHaveLength(2)
    expect(feed.getState().pop).toMatchObject({callId: 'call-next', ended: false, call: {caller: {name: 'Bob'}}})
    expect(feed.getState().lastCall?.id).toBe('call-next')
    feed.stop()
  })

  it('a ring it did not see (it connected as the phone rang; an engine without desk.current): the snapshot brings the pop', async () => {
    const e = engine({snap: () => snapshot(), current: () => new Error('Unknown method desk.current')})
    const feed = new DeskFeed(e.connect, 'a1', {pollMs: 1000})
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.getState().pop).toBeNull()
    await vi.advanceTimersByTimeAsync(1000)
    expect(feed.getState().pop).toMatchObject({callId: 'call-evil', ended: false, missed: false, call: {ringing: ['a1']}})
    // Rung, not answered: nothing yet to write a note or a disposition on.
    expect(feed.getState().lastCall).toBeNull()
    feed.stop()
  })

  it('a snapshot older than the ring (asked for before it) never puts the previous caller back on the pop', async () => {
    // a2 free; then rung for call-next; the poll that answers next was made before the ring and
    // still shows a2 on its previous call (call-talk): the pop stays on call-next.
    let snap = snapshot((s) => (s.calls = s.calls.filter((c) => c.id !== 'call-talk')))
    const e = engine({snap: () => snap, current: () => ({call: null, last: null})})
    const feed = new DeskFeed(e.connect, 'a2', {pollMs: 1000})
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.getState().pop).toBeNull()
    e.emit({type: 'agent.ringing', ts: AT + 500, callId: 'call-next', agent: 'a2', queue: 'sales', data: {}})
    expect(feed.getState().pop?.callId).toBe('call-next')
    snap = snapshot((s) => (s.at = AT + 100))
    await vi.advanceTimersByTimeAsync(1000)
    expect(feed.getState().pop).toMatchObject({callId: 'call-next', ended: false})
    // A snapshot made after the ring that shows another call of the agent's is news: it is adopted.
    snap = snapshot((s) => (s.at = AT + 2_000))
    await vi.advanceTimersByTimeAsync(1000)
    expect(feed.getState().pop?.callId).toBe('call-talk')
    feed.stop()
  })
})
