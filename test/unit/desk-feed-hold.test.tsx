import chalk from 'chalk'
import {render} from 'ink-testing-library'
import {afterEach, expect, it, vi} from 'vitest'
import type {EngineSnapshot} from '../../src/engine/api/contract.js'
import {DeskFeed} from '../../src/ui/desk/desk-feed.js'
import {Desk, deskContext} from '../../src/ui/desk/desk.js'
import {INITIAL_DESK_UI} from '../../src/ui/desk/desk-keys.js'
import {AT, fixtureSnapshot} from '../support/dashboard.js'
import {fakeFeedEngine} from '../support/fake-feed.js'

// A held call looked connected to every desk but the one that pressed h: hold was folded
// from live events only (misuse report 21, finding 8). A desk opened or reopened during a
// hold (or a consultation) takes it from its first snapshot; an event newer than a
// snapshot still wins over it.

const level = chalk.level
afterEach(() => {
  chalk.level = level
  vi.useRealTimers()
})

/** The fixture's a2 is on call-talk; `at` and the call's hold as the test sets them. */
function snapshotAt(at: number, hold: {heldSince: number | null; consulting?: boolean}): EngineSnapshot {
  const s = fixtureSnapshot()
  s.at = at
  s.calls = s.calls.map((c) => (c.id === 'call-talk' ? {...c, heldSince: hold.heldSince, holdMs: hold.heldSince === null ? 0 : at - hold.heldSince, consulting: hold.consulting ?? false} : c))
  return s
}

function deskOn(snap: () => EngineSnapshot) {
  const e = fakeFeedEngine((method, params: Record<string, unknown>) => {
    if (method === 'snapshot') return snap()
    if (method === 'desk.current') return {call: snap().calls.find((c) => c.id === 'call-talk'), last: null}
    if (method === 'call.get') return snap().calls.find((c) => c.id === params.call)
    if (method === 'contact.history') return {number: '+8613800000002', contact: null, callTags: [], interactions: [], searchedFrom: 0}
    if (method === 'desk.settings') return {pauseReasons: ['break'], crmLink: null, quickReplies: [], historyDays: 180}
    return undefined
  })
  const feed = new DeskFeed(e.connect, 'a2', {pollMs: 1000})
  return {e, feed}
}

it('a desk opened while its call is on hold shows ON HOLD, the hold time and h unhold from its first snapshot', async () => {
  vi.useFakeTimers({now: AT})
  const {feed} = deskOn(() => snapshotAt(AT, {heldSince: AT - 30_000}))
  feed.start()
  await vi.advanceTimersByTimeAsync(0)
  expect(feed.getState().held.has('call-talk')).toBe(true)
  expect(deskContext(feed.getState(), INITIAL_DESK_UI, []).connected).toEqual({id: 'call-talk', held: true, consulting: false})

  chalk.level = 0
  vi.useFakeTimers({now: AT, toFake: ['Date']})
  const frame = render(<Desk feed={feed} run={async () => undefined} onQuit={() => undefined} size={{columns: 80, rows: 24}} timeZone="UTC" hyperlinks={false} />).lastFrame()!
  expect(frame).toMatch(/ON HOLD {2}\+8613800000002/)
  expect(frame).toMatch(/Talking 1:35 · on hold 0:30/)
  expect(frame).toContain('h unhold')
  expect(frame).not.toContain('CONNECTED')
  feed.stop()
})

it('an unhold event is not undone by a snapshot made before it; a consultation comes from the snapshot too', async () => {
  vi.useFakeTimers({now: AT})
  let snap = snapshotAt(AT, {heldSince: AT - 30_000})
  const {e, feed} = deskOn(() => snap)
  feed.start()
  await vi.advanceTimersByTimeAsync(0)
  expect(feed.getState().held.has('call-talk')).toBe(true)

  e.emit({type: 'call.unheld', ts: AT + 500, callId: 'call-talk', agent: 'a2', data: {holdMs: 30_500}})
  expect(feed.getState().held.has('call-talk')).toBe(false)
  // The engine answers a poll with a snapshot made before the unhold (still held): the event stands.
  await vi.advanceTimersByTimeAsync(1500)
  expect(feed.getState().feed.snapshot?.at).toBe(AT)
  expect(feed.getState().held.has('call-talk')).toBe(false)

  // Later snapshots decide: a consultation started elsewhere (the CLI), the caller held for it.
  snap = snapshotAt(AT + 2000, {heldSince: AT + 1800, consulting: true})
  await vi.advanceTimersByTimeAsync(1500)
  expect(feed.getState().feed.snapshot?.at).toBe(AT + 2000)
  expect(deskContext(feed.getState(), INITIAL_DESK_UI, []).connected).toEqual({id: 'call-talk', held: true, consulting: true})
  snap = snapshotAt(AT + 4000, {heldSince: null})
  await vi.advanceTimersByTimeAsync(1500)
  expect(deskContext(feed.getState(), INITIAL_DESK_UI, []).connected).toEqual({id: 'call-talk', held: false, consulting: false})
  feed.stop()
})
