import chalk from 'chalk'
import {render} from 'ink-testing-library'
import {afterEach, describe, expect, it} from 'vitest'
import {AgentsPane} from '../../src/ui/dashboard/agents-pane.js'
import {buildBoard} from '../../src/ui/dashboard/board.js'
import {CallsPane} from '../../src/ui/dashboard/calls-pane.js'
import {Header} from '../../src/ui/dashboard/header.js'
import {QueuesPane} from '../../src/ui/dashboard/queues-pane.js'
import {DEFAULT_THRESHOLDS, type Thresholds} from '../../src/ui/dashboard/thresholds.js'
import {fixtureSnapshot, SIZE, stylesAt} from '../support/dashboard.js'

const board = (thresholds: Thresholds = DEFAULT_THRESHOLDS) => buildBoard(fixtureSnapshot(), {thresholds})
const level = chalk.level
afterEach(() => {
  chalk.level = level
})

describe('dashboard panes at 100 columns', () => {
  it('header: time, agents by state, waiting, longest wait, SL with its T, answer and abandon rate', () => {
    const b = board()
    const {lastFrame} = render(<Header title="callctl dashboard" at={b.at} figures={b.header} timeZone="UTC" live width={100} />)
    expect(lastFrame()).toMatchInlineSnapshot(`
      "callctl dashboard   09:30:00   live   Today 10 offered · 7 answered · 3 abandoned · AHT 2:40
      Agents 4 logged in: 1 on-call · 1 ringing · 1 wrap-up · 0 idle · 1 paused · 1 offline
      Waiting 2   Longest wait 0:45   SL (20 s) 56%   Answer rate 70%   Abandon rate 22%"
    `)
  })

  it('queues: waiting, longest wait, agents, offered/answered/abandoned, SL (T), ASA, AHT', () => {
    const b = board()
    const {lastFrame} = render(<QueuesPane rows={b.queues} total={2} width={SIZE.columns} height={6} focused selected={0} />)
    expect(lastFrame()).toMatchInlineSnapshot(`
      " QUEUES  2
      QUEUE     WAITING LONGEST  IDLE BUSY PAUSED OFFERED ANSWERED ABANDONED ABAND%     SL (T)   ASA   AHT
      sales           2    0:45     1    2      1      10        7         3    22%  56% (20s)  0:20  2:40
      support         0       -     0    0      0       0        0         0      -    - (30s)     -     -

      "
    `)
  })

  it('agents: state and time in state, current caller, calls today, pause reason', () => {
    const b = board()
    const {lastFrame} = render(<AgentsPane rows={b.agents} total={5} width={SIZE.columns} height={8} focused={false} selected={0} />)
    expect(lastFrame()).toMatchInlineSnapshot(`
      " AGENTS  5
      AGENT      NAME              STATE   IN STATE CALLER               CALLS    TALK  OCC NOTE
      a2         Wang Fang         on-call     1:35 +8613800000002 Zhou…     7   25:00  62%
      a1         Li Na             ringing     0:02 +15550000003 Evilame     4    0:00    -
      a5         Liu Yang          wrap-up     0:03                          5    0:00    -
      a3         Zhang Wei         paused      5:00                          2    0:00    - lunch
      a4         Chen Jie          offline  1:00:00                          0    0:00    -
      "
    `)
  })

  it('agents at 80 columns: a phone problem fits the state column and says what it is in the note', () => {
    const snap = fixtureSnapshot()
    snap.agents[0] = {...snap.agents[0]!, state: 'unreachable', callId: null}
    snap.agents[1] = {...snap.agents[1]!, state: 'other-call', callId: null}
    const b = buildBoard(snap, {thresholds: DEFAULT_THRESHOLDS})
    const frame = render(<AgentsPane rows={b.agents} total={5} width={80} height={8} focused={false} selected={0} />).lastFrame()!
    expect(frame).toMatch(/unreach +[0-9:]+ .*phone down/)
    expect(frame).toMatch(/in-use +[0-9:]+ .*other call/)
    expect(frame).not.toContain('unreac…')
  })

  it('calls: caller number, name and tier, queue, agent, state, wait and talk, key trail; callers in line first', () => {
    const b = board()
    const {lastFrame} = render(<CallsPane rows={b.calls} total={3} width={SIZE.columns} height={6} focused={false} selected={0} />)
    expect(lastFrame()).toMatchInlineSnapshot(`
      " CALLS  3
      CALLER          NAME            TIER     QUEUE         AGENT      STATE       WAIT   TALK KEYS
      +8613800000001  黄磊            VIP      sales                    waiting     0:45      - menu:1
      +15550000003    Evilame                  sales         →a1        waiting     0:12      -
      +8613800000002  Zhou Min                 sales         a2         connected   0:08   1:35 menu:1
      "
    `)
  })

  it('a pane taller than its rows scrolls to keep the selection in view and says which rows are shown', () => {
    const b = board()
    const {lastFrame} = render(<AgentsPane rows={b.agents} total={5} width={SIZE.columns} height={4} focused selected={3} />)
    const lines = lastFrame()!.split('\n')
    expect(lines[0]).toBe(' AGENTS  5 · 3-4')
    expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(['a5', 'a3'])
  })

  it('a pane with no room for a row says so (+N more), not that there are no rows (misuse report: dashboard at 30x8)', () => {
    const b = board()
    const {lastFrame} = render(<QueuesPane rows={b.queues} total={2} width={30} height={2} focused selected={0} />)
    expect(lastFrame()).toBe(' QUEUES  2\n+2 more (no room to show them)')
    const none = render(<QueuesPane rows={[]} total={0} width={40} height={3} focused selected={0} />)
    expect(none.lastFrame()).toContain('No queues (callctl queue add NAME)')
  })

  it('a narrow pane drops the least important columns first and keeps the key ones', () => {
    const b = board()
    const {lastFrame} = render(<QueuesPane rows={b.queues} total={2} width={60} height={4} focused selected={0} />)
    const header = lastFrame()!.split('\n')[1]!.trim().split(/\s+(?=[A-Z])/)
    expect(header).toEqual(['QUEUE', 'WAITING', 'LONGEST', 'IDLE', 'BUSY', 'OFFERED', 'SL (T)'])
    for (const line of lastFrame()!.split('\n')) expect(line.length).toBeLessThanOrEqual(60)
  })
})

describe('thresholds in colour', () => {
  it('colours the threshold cells: red (bold) for alert, yellow for warn, green for ok', () => {
    chalk.level = 1
    const b = board()
    const frame = render(<QueuesPane rows={b.queues} total={2} width={SIZE.columns} height={6} focused={false} selected={0} />).lastFrame()!
    // sales: abandon rate 22 % (alert from 10 %), SL 56 % (alert below 60 %), longest wait 45 s
    // (warn from 30 s), ASA 20 s (warn from 20 s), AHT 2:40 (ok below 6 min), 2 waiting (ok).
    expect(stylesAt(frame, '22%')).toEqual([1, 31])
    expect(stylesAt(frame, '56% (20s)')).toEqual([1, 31])
    expect(stylesAt(frame, '0:45')).toEqual([33])
    expect(stylesAt(frame, '0:20')).toEqual([33])
    expect(stylesAt(frame, '2:40')).toEqual([32])
    // Figures that are not thresholds stay plain.
    expect(stylesAt(frame, 'sales')).toEqual([])
  })

  it('follows configured thresholds, and "off" leaves a figure uncoloured', () => {
    chalk.level = 1
    const b = board({...DEFAULT_THRESHOLDS, abandonRate: {warn: 25, alert: 50}, serviceLevel: null, longestWait: {warn: 60, alert: 120}})
    const frame = render(<QueuesPane rows={b.queues} total={2} width={SIZE.columns} height={6} focused={false} selected={0} />).lastFrame()!
    expect(stylesAt(frame, '22%')).toEqual([32])
    expect(stylesAt(frame, '56% (20s)')).toEqual([])
    expect(stylesAt(frame, '0:45')).toEqual([32])
  })

  it('colours a caller waiting too long, not a connected call with the same wait', () => {
    chalk.level = 1
    const b = board()
    const frame = render(<CallsPane rows={b.calls} total={3} width={SIZE.columns} height={6} focused={false} selected={0} />).lastFrame()!
    expect(stylesAt(frame, '0:45')).toEqual([33])
    expect(stylesAt(frame, '0:08')).toEqual([])
  })

  it('header figures take the same colours', () => {
    chalk.level = 1
    const b = board()
    const frame = render(<Header title="t" at={b.at} figures={b.header} timeZone="UTC" live width={100} />).lastFrame()!
    expect(stylesAt(frame, '56%')).toEqual([1, 31])
    expect(stylesAt(frame, '70%')).toEqual([1, 31])
    expect(stylesAt(frame, '22%')).toEqual([1, 31])
    expect(stylesAt(frame, '0:45')).toEqual([1, 33])
  })
})
