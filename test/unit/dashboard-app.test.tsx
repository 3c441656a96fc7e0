import chalk from 'chalk'
import {afterEach, describe, expect, it} from 'vitest'
import {AT, EVIL_NAME, fixtureSnapshot, KEYS, liveState, renderDashboard, stylesAt} from '../support/dashboard.js'

const level = chalk.level
afterEach(() => {
  chalk.level = level
})

describe('the dashboard screen (100 x 30)', () => {
  it('shows the header, the three panes and the keys, in the frame height', () => {
    const r = renderDashboard()
    expect(r.frame()).toMatchInlineSnapshot(`
      "callctl dashboard   09:30:00   live   Today 10 offered · 7 answered · 3 abandoned · AHT 2:40
      Agents 4 logged in: 1 on-call · 1 ringing · 1 wrap-up · 0 idle · 1 paused · 1 offline
      Waiting 2   Longest wait 0:45   SL (20 s) 56%   Answer rate 70%   Abandon rate 22%
       QUEUES  2
      QUEUE     WAITING LONGEST  IDLE BUSY PAUSED OFFERED ANSWERED ABANDONED ABAND%     SL (T)   ASA   AHT
      sales           2    0:45     1    2      1      10        7         3    22%  56% (20s)  0:20  2:40
      support         0       -     0    0      0       0        0         0      -    - (30s)     -     -
       AGENTS  5
      AGENT      NAME              STATE   IN STATE CALLER               CALLS    TALK  OCC NOTE
      a2         Wang Fang         on-call     1:35 +8613800000002 Zhou…     7   25:00  62%
      a1         Li Na             ringing     0:02 +15550000003 Evilame     4    0:00    -
      a5         Liu Yang          wrap-up     0:03                          5    0:00    -
      a3         Zhang Wei         paused      5:00                          2    0:00    - lunch
      a4         Chen Jie          offline  1:00:00                          0    0:00    -
       CALLS  3
      CALLER          NAME            TIER     QUEUE         AGENT      STATE       WAIT   TALK KEYS
      +8613800000001  黄磊            VIP      sales                    waiting     0:45      - menu:1
      +15550000003    Evilame                  sales         →a1        waiting     0:12      -
      +8613800000002  Zhou Min                 sales         a2         connected   0:08   1:35 menu:1
       LAST HOUR  callers offered per 5 minutes, and in the hour
                                           █████
                                           █████ ▄▄▄▄▄
                                           █████ █████                         ▆▆▆▆▆
                                     █████ █████ █████ ▂▂▂▂▂                   █████
                               ▄▄▄▄▄ █████ █████ █████ █████             ▄▄▄▄▄ █████
      sales              ▆▆▆▆▆ █████ █████ █████ █████ █████             █████ █████ ▆▆▆▆▆  32
      support                                                                               0
                   -60 min                                                             now
      Tab pane · ↑↓ select · / filter · m w b monitor/whisper/barge · p pause · ? help · q quit"
    `)
    // One line short of the terminal: a full-height frame makes Ink clear the screen on every update.
    expect(r.frame().split('\n')).toHaveLength(29)
  })

  it('renders a caller name carrying escape sequences inert, in every pane that shows it', () => {
    const r = renderDashboard()
    const frame = r.frame()
    expect(fixtureSnapshot().calls.some((c) => c.caller.name === EVIL_NAME)).toBe(true)
    expect(frame).not.toMatch(/[\u001b\u0007\u009b]/)
    expect(frame).not.toContain('pwned')
    expect(frame.match(/Evil/g)).toHaveLength(2) // the agent's current caller and the call
    expect(frame).toMatch(/^\+15550000003 +Evilame +sales/m)
  })

  it("also with colours on: only the dashboard's own styling reaches the terminal", () => {
    chalk.level = 1
    const frame = renderDashboard().frame()
    expect(frame).toContain('Evilame')
    expect(frame).not.toMatch(/\u001b\[2J|\u001b\]|\u0007|\u009b/)
  })

  it('adapts to the terminal: a narrow, short one shows fewer columns and only the focused pane', () => {
    const r = renderDashboard({props: {size: {columns: 60, rows: 12}}})
    const lines = r.frame().split('\n')
    expect(lines).toHaveLength(11)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(60)
    expect(r.frame()).toContain(' QUEUES ')
    expect(r.frame()).not.toContain(' AGENTS ')
    expect(r.frame()).not.toContain(' CALLS ')
  })
})

describe('keys', () => {
  it('Tab moves between panes and arrows move the selection, shown in reverse video', async () => {
    chalk.level = 1
    const r = renderDashboard()
    expect(stylesAt(r.frame(), ' QUEUES ')).toContain(7)
    expect(stylesAt(r.frame(), 'sales ')).toContain(7)
    await r.press(KEYS.tab)
    expect(stylesAt(r.frame(), ' AGENTS ')).toContain(7)
    expect(stylesAt(r.frame(), ' QUEUES ')).not.toContain(7)
    // Agents by state: a2 on-call, a1 ringing, a5 wrap-up, a3 paused, a4 offline.
    expect(stylesAt(r.frame(), 'a2 ')).toContain(7)
    await r.press(KEYS.down, KEYS.down)
    expect(stylesAt(r.frame(), 'a5 ')).toContain(7)
    expect(stylesAt(r.frame(), 'a2 ')).not.toContain(7)
    await r.press(KEYS.up)
    expect(stylesAt(r.frame(), 'a1 ')).toContain(7)
    await r.press(KEYS.shiftTab)
    expect(stylesAt(r.frame(), ' QUEUES ')).toContain(7)
  })

  it('the selection stays on the same agent when the rows above it change', async () => {
    const r = renderDashboard()
    await r.press(KEYS.tab, KEYS.down, KEYS.down, KEYS.down) // a3
    const snap = fixtureSnapshot()
    snap.agents = snap.agents.filter((a) => a.id !== 'a1')
    r.feed.set(liveState(snap))
    await r.press('p')
    expect(r.actions.unpause).toHaveBeenCalledWith('a3')
  })

  it('p pauses the selected agent, or unpauses a paused one, and says what happened', async () => {
    const r = renderDashboard()
    await r.press(KEYS.tab) // a2, on a call
    await r.press('p')
    expect(r.actions.pause).toHaveBeenCalledWith('a2')
    expect(r.frame()).toContain('Agent a2 is paused (supervisor).')
    expect(r.feed.refresh).toHaveBeenCalled()
    await r.press(KEYS.down, KEYS.down, KEYS.down, 'p') // a3, paused
    expect(r.actions.unpause).toHaveBeenCalledWith('a3')
    await r.press(KEYS.down, 'p') // a4, logged out
    expect(r.actions.pause).toHaveBeenCalledTimes(1)
    expect(r.frame()).toContain('Agent a4 is logged out')
  })

  it("m, w and b supervise the selected agent's call, or the selected call", async () => {
    const r = renderDashboard()
    await r.press('m')
    expect(r.actions.supervise).not.toHaveBeenCalled()
    expect(r.frame()).toContain('Select an agent or a call first')
    await r.press(KEYS.tab, 'w') // a2
    expect(r.actions.supervise).toHaveBeenLastCalledWith('whisper', 'a2', null)
    expect(r.frame()).toContain('whisper of a2 started')
    await r.press(KEYS.down, KEYS.down, KEYS.down, 'b') // a3 is paused, with no call
    expect(r.actions.supervise).toHaveBeenCalledTimes(1)
    expect(r.frame()).toContain('Agent a3 is not on a call')
    await r.press(KEYS.tab, KEYS.down, KEYS.down, 'm') // calls pane: the connected call
    expect(r.actions.supervise).toHaveBeenLastCalledWith('monitor', 'a2', 'call-talk')
  })

  it('shows an action that failed in the status line', async () => {
    const r = renderDashboard()
    r.actions.pause.mockRejectedValueOnce(new Error('Agent "a2" does not exist'))
    await r.press(KEYS.tab, 'p')
    // The key hints stay beside it.
    expect(r.frame().split('\n').at(-1)).toMatch(/^Agent "a2" does not exist +Tab .*q quit$/)
  })

  it('/ filters every pane as you type; Enter keeps the filter, Esc clears it', async () => {
    const r = renderDashboard()
    await r.press('/', 's', 'u', 'p')
    expect(r.frame().split('\n').at(-1)).toMatch(/^\/ sup\s+Enter keeps the filter · Esc clears it$/)
    await r.press(KEYS.enter)
    const frame = r.frame()
    expect(frame).toContain(' QUEUES  1 of 2')
    expect(frame).toMatch(/^support /m)
    expect(frame).not.toMatch(/^sales /m)
    expect(frame).toContain(' AGENTS  2 of 5')
    expect(frame).toMatch(/^a4 /m)
    expect(frame).toMatch(/^a5 /m)
    expect(frame).toContain(' CALLS  0 of 3')
    expect(frame).toContain('filter "sup" (Esc clears)')
    // Keys act on the filtered rows: the second agent now is a4.
    await r.press(KEYS.tab, KEYS.down, 'p')
    expect(r.frame()).toContain('Agent a4 is logged out')
    await r.press(KEYS.escape)
    expect(r.frame()).toContain(' AGENTS  5')
    expect(r.frame()).not.toContain('filter "')
  })

  it('a filter pasted (or typed faster than read) arrives as one chunk and is still each key: "/sup" then Enter', async () => {
    const r = renderDashboard()
    await r.press('/sup\r')
    expect(r.frame()).toContain('filter "sup" (Esc clears)')
    expect(r.frame()).toContain(' QUEUES  1 of 2')
  })

  it('? shows the help with the thresholds in effect; any key closes it; q quits', async () => {
    const r = renderDashboard()
    await r.press('?')
    expect(r.frame()).toMatch(/^ HELP$/m)
    expect(r.frame()).toContain('serviceLevel warn below 80%, alert below 60%')
    expect(r.frame()).toContain('Supervision rings PJSIP/2001.')
    await r.press('x')
    expect(r.frame()).not.toMatch(/^ HELP$/m)
    expect(r.onQuit).not.toHaveBeenCalled()
    await r.press('q')
    expect(r.onQuit).toHaveBeenCalledTimes(1)
  })

  it('Ctrl-C quits too', async () => {
    const r = renderDashboard()
    await r.press('\u0003')
    expect(r.onQuit).toHaveBeenCalledTimes(1)
  })
})

describe('when the engine is unreachable', () => {
  const error = 'Cannot reach the engine at ws://127.0.0.1:8089/ (ECONNREFUSED)'

  it('says so, says when it retries, and how to start the engine', () => {
    const r = renderDashboard({state: {status: 'unreachable', snapshot: null, error, retryAt: Date.now() + 2000, receivedAt: null}})
    const frame = r.frame()
    expect(frame).toMatch(/^ ENGINE UNREACHABLE · retrying in [12] s$/m)
    expect(frame).toContain('Cannot reach the engine at ws://127.0.0.1:8089/ (ECONNREFUSED)')
    expect(frame).toContain('No data from the engine yet.')
    expect(frame).toContain('Start it with: callctl engine start')
    expect(frame).toContain('--:--:--   not live')
  })

  it('keeps the last data on screen, marked as old, and clears the banner once the engine is back', async () => {
    const r = renderDashboard()
    r.feed.set({status: 'unreachable', snapshot: fixtureSnapshot(), error: 'the engine closed the connection', retryAt: Date.now() + 1000, receivedAt: AT})
    await new Promise((res) => setTimeout(res, 20))
    expect(r.frame()).toMatch(/^ ENGINE UNREACHABLE · retrying in 1 s · showing data from 09:30:00$/m)
    expect(r.frame()).toMatch(/^the engine closed the connection$/m)
    expect(r.frame()).toContain('not live')
    expect(r.frame()).toContain('Wang Fang')
    r.feed.set(liveState())
    await new Promise((res) => setTimeout(res, 20))
    expect(r.frame()).not.toContain('UNREACHABLE')
    expect(r.frame()).toContain('09:30:00   live')
  })

  it('while connecting the first time, says it is connecting', () => {
    const r = renderDashboard({state: {status: 'connecting', snapshot: null, error: null, retryAt: null, receivedAt: null}})
    expect(r.frame()).toContain('Connecting to the engine…')
  })
})
