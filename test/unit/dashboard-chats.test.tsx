import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import {buildBoard} from '../../src/ui/dashboard/board.js'
import {Header} from '../../src/ui/dashboard/header.js'
import {DEFAULT_THRESHOLDS} from '../../src/ui/dashboard/thresholds.js'
import {fixtureSnapshot, liveState, renderDashboard, SIZE} from '../support/dashboard.js'

// The dashboard's chat figures: a fourth header line, only once there are chats.

describe('dashboard chats', () => {
  const b = buildBoard(fixtureSnapshot(), {thresholds: DEFAULT_THRESHOLDS})
  const header = (chats: Parameters<typeof Header>[0]['chats'], width = 160) =>
    render(<Header title="callctl dashboard" at={b.at} figures={b.header} timeZone="UTC" live width={width} chats={chats} />).lastFrame()!.split('\n')

  it('shows waiting and active chats and each agent holding chats as chats/limit, +call when on a call', () => {
    const line = header({
      waiting: 3,
      offered: 1,
      active: 4,
      withBot: 0,
      awaitingCustomer: 0,
      leavingMessage: 0,
      queues: {sales: {waiting: 3, active: 4, oldestJoinedAt: b.at - 30_000}},
      agents: {
        a1: {web: 2, wechat: 1, webhook: 0, total: 3, limit: 4, onCall: false, blocksCalls: false},
        a2: {web: 1, wechat: 0, webhook: 0, total: 1, limit: 4, onCall: true, blocksCalls: false},
        a3: {web: 0, wechat: 0, webhook: 0, total: 0, limit: 4, onCall: false, blocksCalls: false},
      },
    })
    expect(line).toHaveLength(4)
    expect(line[3]).toBe('Chats 3 waiting · 4 active · a1 3/4 a2 1/4+call')
  })

  it('tells the chats in no queue apart: with the bot, awaiting the customer, leaving a message; none of them counted as waiting', () => {
    const chats = {waiting: 1, offered: 0, active: 0, withBot: 1, awaitingCustomer: 2, leavingMessage: 1, queues: {}, agents: {}}
    expect(header(chats)[3]).toBe('Chats 1 waiting · 0 active · 1 with the bot · 2 awaiting the customer · 1 leaving a message')
    // Only the customer's turn: the line is there, the figures that are 0 are not.
    const line = header({...chats, waiting: 0, withBot: 0, leavingMessage: 0})
    expect(line).toHaveLength(4)
    expect(line[3]).toBe('Chats 0 waiting · 0 active · 2 awaiting the customer')
  })

  it('says nothing of chats where there are none', () => {
    expect(header(null)).toHaveLength(3)
    expect(header({waiting: 0, offered: 0, active: 0, withBot: 0, awaitingCustomer: 0, leavingMessage: 0, queues: {}, agents: {a1: {web: 0, wechat: 0, webhook: 0, total: 0, limit: 4, onCall: false, blocksCalls: false}}})).toHaveLength(3)
  })

  it('the whole dashboard keeps its height with the chat line: the panes give it a line', () => {
    const chats = {waiting: 1, offered: 0, active: 1, withBot: 0, awaitingCustomer: 0, leavingMessage: 0, queues: {}, agents: {a1: {web: 1, wechat: 0, webhook: 0, total: 1, limit: 4, onCall: false, blocksCalls: false}}}
    const frame = renderDashboard({state: liveState({...fixtureSnapshot(), chats})}).frame().split('\n')
    expect(frame).toHaveLength(renderDashboard().frame().split('\n').length)
    expect(frame.length).toBeLessThanOrEqual(SIZE.rows)
    expect(frame[3]).toBe('Chats 1 waiting · 1 active · a1 1/4')
  })

  it('an idle agent whose chats leave no room for a call: counted in the header, "chats 2/3 no calls" in its note, and in --once', () => {
    const snap = fixtureSnapshot()
    const idle = {...snap, agents: snap.agents.map((a) => (a.id === 'a5' ? {...a, state: 'idle' as const, callId: null} : a))}
    const chats = {waiting: 0, offered: 0, active: 2, withBot: 0, awaitingCustomer: 0, leavingMessage: 0, queues: {}, agents: {a5: {web: 2, wechat: 0, webhook: 0, total: 2, limit: 3, onCall: false, blocksCalls: true}}}
    const board = buildBoard({...idle, chats}, {thresholds: DEFAULT_THRESHOLDS})
    expect(board.header.idleFullOfChats).toBe(1)
    expect(board.agents.find((a) => a.id === 'a5')!.chats).toEqual({held: 2, limit: 3, blocksCalls: true})
    const frame = renderDashboard({state: liveState({...idle, chats}), props: {size: {columns: 160, rows: 30}}}).frame()
    expect(frame).toContain('1 idle (1 full of chats)')
    expect(frame.split('\n').find((l) => l.includes('Liu Yang'))).toContain('chats 2/3 no calls')
    // Room left for a call: the load, without "no calls"; nobody counted full.
    const roomy = buildBoard({...idle, chats: {...chats, agents: {a5: {...chats.agents.a5, total: 1, web: 1, blocksCalls: false}}}}, {thresholds: DEFAULT_THRESHOLDS})
    expect(roomy.header.idleFullOfChats).toBe(0)
    expect(roomy.agents.find((a) => a.id === 'a5')!.chats).toEqual({held: 1, limit: 3, blocksCalls: false})
  })

  it("the demo's widget URL leads the chat line from the start, at 80 columns too, where the title gives way", () => {
    const url = 'http://127.0.0.1:8090/chat/'
    const lines = render(<Header title="callctl demo: dial 100, chat http://127.0.0.1:8090/chat/" at={b.at} figures={b.header} timeZone="UTC" live width={80} chats={null} chatUrl={url} />).lastFrame()!.split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[3]).toBe(`${url} Chats 0 waiting · 0 active`)
    const frame = renderDashboard({props: {chatUrl: url, size: {columns: 80, rows: 24}}}).frame().split('\n')
    expect(frame.length).toBeLessThanOrEqual(24)
    expect(frame[3]).toBe(`${url} Chats 0 waiting · 0 active`)
    expect(frame.every((l) => l.length <= 80)).toBe(true)
  })
})
