import {afterEach, describe, expect, it, vi} from 'vitest'
import {EngineFeed, type FeedConnection} from '../../src/ui/dashboard/feed.js'
import {fixtureSnapshot, liveState, renderDashboard} from '../support/dashboard.js'

// The dashboard's one line about tickets: how many are overdue, asked of the engine now
// and then beside the snapshots, shown only when there are some.

describe('overdue tickets on the dashboard', () => {
  afterEach(() => void vi.useRealTimers())

  it('the feed counts them on connecting and every 30 s, not with every snapshot', async () => {
    vi.useFakeTimers({now: 1_000_000})
    const asked: unknown[] = []
    let overdue = 2
    const conn: FeedConnection = {
      request: (async (method: string, params: unknown) => {
        if (method === 'snapshot') return fixtureSnapshot()
        if (method === 'ticket.list') return asked.push(params), {tickets: [], total: overdue, overdue}
        return {subscribed: true}
      }) as FeedConnection['request'],
      onEvent: () => () => undefined,
      onClose: () => undefined,
      close: () => undefined,
    }
    const feed = new EngineFeed(async () => conn)
    feed.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(feed.state.overdueTickets).toBe(2)
    overdue = 5
    await vi.advanceTimersByTimeAsync(10_000)
    expect(asked).toEqual([{overdue: true, limit: 1}])
    await vi.advanceTimersByTimeAsync(21_000)
    expect(asked).toHaveLength(2)
    expect(feed.state.overdueTickets).toBe(5)
    feed.stop()
  })

  it("shows the count last on the figures' line when there are any, nothing otherwise", () => {
    const some = renderDashboard({state: {...liveState(), overdueTickets: 3}})
    expect(some.frame()).toMatch(/Abandon rate 22%   Overdue 3$/m)
    some.unmount()
    const none = renderDashboard({state: {...liveState(), overdueTickets: 0}})
    expect(none.frame()).not.toMatch(/overdue/)
    none.unmount()
    // At 80 columns it keeps its place on the line, shorter.
    const narrow = renderDashboard({state: {...liveState(), overdueTickets: 7}, props: {size: {columns: 80, rows: 24}}})
    expect(narrow.frame().split('\n').find((l) => l.startsWith('Waiting'))).toMatch(/Overdue 7$/)
    narrow.unmount()
  })
})
