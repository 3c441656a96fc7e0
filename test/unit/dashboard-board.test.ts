import {describe, expect, it} from 'vitest'
import {buildBoard} from '../../src/ui/dashboard/board.js'
import {DEFAULT_THRESHOLDS} from '../../src/ui/dashboard/thresholds.js'
import {AT, fixtureSnapshot} from '../support/dashboard.js'

const board = (filter?: string) => buildBoard(fixtureSnapshot(), {thresholds: DEFAULT_THRESHOLDS, filter})

describe('the dashboard model', () => {
  it('header: agents by state, callers waiting, longest wait and the day’s figures (metrics.ts definitions)', () => {
    const h = board().header
    expect(h.agents).toEqual({idle: 0, ringing: 1, 'on-call': 1, 'wrap-up': 1, paused: 1, unreachable: 0, 'other-call': 0, offline: 1})
    expect(h.loggedIn).toBe(4)
    expect(h.waiting).toBe(2)
    expect(h.longestWaitMs).toBe(45_000)
    expect([h.offered, h.answered, h.abandoned]).toEqual([10, 7, 3])
    expect(h.serviceLevel).toBeCloseTo(5 / (7 + 2)) // default formula: within T / (answered + abandoned after T)
    expect(h.slSeconds).toBe(20)
    expect(h.answerRate).toBeCloseTo(0.7)
    expect(h.abandonRate).toBeCloseTo(2 / 9) // (abandoned − short) / (offered − short)
    expect(h.paused).toBe(1)
    expect(h.ahtMs).toBe(160_000) // (talk + hold + wrap-up) / handled over every queue
    expect(h.levels).toEqual({waiting: 'ok', longestWait: 'warn', serviceLevel: 'alert', answerRate: 'alert', abandonRate: 'alert', aht: 'ok'})
  })

  it('header SL over queues with different T says so (slSeconds null) and sums their counts', () => {
    const snap = fixtureSnapshot()
    const sales = snap.stats.queues.sales!
    snap.stats.queues.support = {...sales, sl: {...sales.sl, seconds: 30}}
    const h = buildBoard(snap, {thresholds: DEFAULT_THRESHOLDS}).header
    expect(h.slSeconds).toBeNull()
    expect(h.offered).toBe(20)
    expect(h.serviceLevel).toBeCloseTo(10 / 18)
  })

  it('queue rows: waiting and longest wait from the line, agents, the day’s counts and SL with its T', () => {
    const [sales, support] = board().queues
    expect(sales).toMatchObject({name: 'sales', waiting: 2, longestWaitMs: 45_000, idle: 1, busy: 2, paused: 1, offered: 10, answered: 7, abandoned: 3, slSeconds: 20, asaMs: 20_000, ahtMs: 160_000})
    expect(sales!.levels).toEqual({waiting: 'ok', longestWait: 'warn', serviceLevel: 'alert', abandonRate: 'alert', asa: 'warn', aht: 'ok'})
    // No calls today: no figures (not 0 %), and the queue's own T.
    expect(support).toMatchObject({waiting: 0, longestWaitMs: null, offered: 0, serviceLevel: null, answerRate: null, asaMs: null, slSeconds: 30})
    expect(support!.levels.serviceLevel).toBe('none')
  })

  it('agent rows: time in state to the snapshot, the caller on the current call, calls today, pause reason', () => {
    const agents = board().agents
    expect(agents.map((a) => [a.id, a.state, a.inStateMs])).toEqual([
      ['a2', 'on-call', 95_000],
      ['a1', 'ringing', 2000],
      ['a5', 'wrap-up', 3000],
      ['a3', 'paused', 300_000],
      ['a4', 'offline', 3_600_000],
    ])
    expect(agents[0]).toMatchObject({caller: {number: '+8613800000002', name: 'Zhou Min'}, callsToday: 7, pauseReason: null, talkTodayMs: 1_500_000, occupancy: 0.62})
    expect(agents[3]).toMatchObject({caller: null, pauseReason: 'lunch', paused: true})
    expect(agents[2]!.queues).toEqual(['sales', 'support'])
  })

  it('call rows: callers in line first (longest wait first), contact name and tier, wait and talk times', () => {
    const calls = board().calls
    expect(calls.map((c) => c.id)).toEqual(['call-vip', 'call-evil', 'call-talk'])
    expect(calls[0]).toMatchObject({number: '+8613800000001', name: '黄磊', tier: 'VIP', vip: true, priority: 10, waitMs: 45_000, talkMs: null, keys: ['menu:1'], levels: {wait: 'warn'}})
    expect(calls[2]).toMatchObject({agent: 'a2', state: 'connected', waitMs: 8000, talkMs: 95_000, levels: {wait: 'none'}})
    expect(board().at).toBe(AT)
    // Calls not in line: the oldest first.
    const snap = fixtureSnapshot()
    snap.calls.push({...snap.calls[0]!, id: 'call-older', startedAt: AT - 300_000}, {...snap.calls[0]!, id: 'call-ivr', state: 'ivr', joinedAt: null, connectedAt: null, agent: null, startedAt: AT - 5000})
    expect(buildBoard(snap, {thresholds: DEFAULT_THRESHOLDS}).calls.map((c) => c.id)).toEqual(['call-vip', 'call-evil', 'call-older', 'call-talk', 'call-ivr'])
  })

  it('the filter matches names, ids, states, queues and numbers in every pane; the header stays whole', () => {
    const b = board('LUNCH')
    expect(b.agents.map((a) => a.id)).toEqual(['a3'])
    expect(b.queues).toEqual([])
    expect(b.calls).toEqual([])
    expect(b.totals).toEqual({queues: 2, agents: 5, calls: 3})
    expect(b.header.waiting).toBe(2)
    expect(board('+86138').calls.map((c) => c.id)).toEqual(['call-vip', 'call-talk'])
    expect(board('+86138').agents.map((a) => a.id)).toEqual(['a2']) // by its caller's number
    expect(board('黄').calls.map((c) => c.id)).toEqual(['call-vip'])
    expect(board('support').agents.map((a) => a.id)).toEqual(['a5', 'a4'])
    expect(board('  ').agents).toHaveLength(5)
  })
})
