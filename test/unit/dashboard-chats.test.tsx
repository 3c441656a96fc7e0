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
      queues: {sales: {waiting: 3, active: 4, oldestJoinedAt: b.at - 30_000}},
      agents: {
        a1: {web: 2, wechat: 1, webhook: 0, total: 3, limit: 4, onCall: false},
        a2: {web: 1, wechat: 0, webhook: 0, total: 1, limit: 4, onCall: true},
        a3: {web: 0, wechat: 0, webhook: 0, total: 0, limit: 4, onCall: false},
      },
    })
    expect(line).toHaveLength(4)
    expect(line[3]).toBe('Chats 3 waiting · 4 active · a1 3/4 a2 1/4+call')
  })

  it('says nothing of chats where there are none', () => {
    expect(header(null)).toHaveLength(3)
    expect(header({waiting: 0, offered: 0, active: 0, queues: {}, agents: {a1: {web: 0, wechat: 0, webhook: 0, total: 0, limit: 4, onCall: false}}})).toHaveLength(3)
  })

  it('the whole dashboard keeps its height with the chat line: the panes give it a line', () => {
    const chats = {waiting: 1, offered: 0, active: 1, queues: {}, agents: {a1: {web: 1, wechat: 0, webhook: 0, total: 1, limit: 4, onCall: false}}}
    const frame = renderDashboard({state: liveState({...fixtureSnapshot(), chats})}).frame().split('\n')
    expect(frame).toHaveLength(renderDashboard().frame().split('\n').length)
    expect(frame.length).toBeLessThanOrEqual(SIZE.rows)
    expect(frame[3]).toBe('Chats 1 waiting · 1 active · a1 1/4')
  })
})
