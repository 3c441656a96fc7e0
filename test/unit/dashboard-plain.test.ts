import {describe, expect, it} from 'vitest'
import {buildBoard} from '../../src/ui/dashboard/board.js'
import {plainBoard, summaryLine} from '../../src/ui/dashboard/plain.js'
import {toJsonContract} from '../../src/ui/json-contract.js'
import {DEFAULT_THRESHOLDS} from '../../src/ui/dashboard/thresholds.js'
import {fixtureSnapshot} from '../support/dashboard.js'

const board = buildBoard(fixtureSnapshot(), {thresholds: DEFAULT_THRESHOLDS})

describe('dashboard --once and the demo summaries', () => {
  it('prints the header figures and the three panes as plain tables, with outside text made inert', () => {
    const text = plainBoard(board, 'UTC')
    expect(text).not.toMatch(/[\u001b\u0007\u009b]/)
    const lines = text.split('\n')
    expect(lines.slice(0, 7)).toEqual([
      'time                  09:30:00',
      'agents                4 logged in: 0 idle, 1 ringing, 1 on-call, 1 wrap-up, 1 paused (1 offline)',
      'waiting               2 (longest 0:45)',
      'service level (20 s)  56%',
      'answer rate           70%',
      'abandon rate          22%',
      'today                 10 offered, 7 answered, 3 abandoned',
    ])
    expect(lines).toContain('QUEUES')
    expect(lines.find((l) => l.startsWith('sales'))!.split(/\s+/)).toEqual(['sales', '2', '0:45', '1', '2', '1', '10', '7', '3', '22%', '56%', '(20s)', '0:20', '2:40'])
    expect(lines.find((l) => l.startsWith('a3'))!.split(/\s{2,}/)).toEqual(['a3', 'Zhang Wei', 'paused', '5:00', '-', '2', 'lunch'])
    expect(lines.find((l) => l.startsWith('+15550000003'))!.split(/\s{2,}/)).toEqual(['+15550000003', 'Evilame', '-', 'sales', 'ringing a1', 'waiting', '0:12', '-', '-'])
  })

  it('adds the chats once there are any: per queue (waiting, active, longest) and per agent (per channel, load of limit, a call beside)', () => {
    expect(plainBoard(board, 'UTC')).not.toContain('CHATS')
    const snap = fixtureSnapshot()
    const chats = {
      waiting: 3,
      offered: 1,
      active: 2,
      withBot: 0,
      awaitingCustomer: 0,
      leavingMessage: 0,
      queues: {sales: {waiting: 3, active: 2, oldestJoinedAt: snap.at - 95_000}},
      agents: {a1: {web: 1, wechat: 1, webhook: 0, total: 2, limit: 4, onCall: true, blocksCalls: false}, 'a2\u001b[2J': {web: 1, wechat: 0, webhook: 0, total: 1, limit: 4, onCall: false, blocksCalls: false}},
    }
    const lines = plainBoard(buildBoard({...snap, chats}, {thresholds: DEFAULT_THRESHOLDS}), 'UTC').split('\n')
    const at = lines.indexOf('CHATS  3 waiting (1 offered), 2 active')
    expect(at).toBeGreaterThan(lines.indexOf('CALLS'))
    expect(lines[at + 2]!.split(/\s+/)).toEqual(['sales', '3', '2', '1:35'])
    expect(lines.slice(at).find((l) => l.startsWith('a1 '))!.split(/\s{2,}/)).toEqual(['a1', '1', '1', '0', '2/4', 'on a call'])
    expect(lines.join('\n')).not.toMatch(/[\u001b\u0007\u009b]/)
  })

  it('chats in no queue by stage in CHATS, the summary line and --json: with the bot, awaiting the customer, leaving a message', () => {
    const snap = fixtureSnapshot()
    const chats = {waiting: 2, offered: 1, active: 1, withBot: 1, awaitingCustomer: 3, leavingMessage: 1, queues: {sales: {waiting: 2, active: 1, oldestJoinedAt: snap.at - 5_000}}, agents: {}}
    const b = buildBoard({...snap, chats}, {thresholds: DEFAULT_THRESHOLDS})
    expect(plainBoard(b, 'UTC').split('\n')).toContain('CHATS  2 waiting (1 offered), 1 active, 1 with the bot, 3 awaiting the customer, 1 leaving a message')
    expect(summaryLine(b, 'UTC', b.chats)).toMatch(/ · chats 2 waiting, 1 active, 1 with the bot, 3 awaiting the customer, 1 leaving a message$/)
    expect(b.chats).toMatchObject({waiting: 2, withBot: 1, awaitingCustomer: 3, leavingMessage: 1})
    expect(toJsonContract(b)).toMatchObject({chats: {waiting: 2, offered: 1, active: 1, with_bot: 1, awaiting_customer: 3, leaving_message: 1}})
    // Only conversations with the bot or its customer: the section is there.
    const only = buildBoard({...snap, chats: {...chats, waiting: 0, offered: 0, active: 0, withBot: 0, leavingMessage: 0, queues: {}}}, {thresholds: DEFAULT_THRESHOLDS})
    expect(plainBoard(only, 'UTC')).toContain('CHATS  0 waiting (0 offered), 0 active, 3 awaiting the customer')
  })

  it('summarises the board in one line for logs', () => {
    expect(summaryLine(board, 'UTC')).toBe(
      '09:30:00 waiting 2 (longest 0:45) · agents 2 on call, 0 idle, 1 wrap-up, 1 paused · today 10 offered, 7 answered, 3 abandoned · SL 56% (20 s), answer 70%, abandon 22%',
    )
  })
})
