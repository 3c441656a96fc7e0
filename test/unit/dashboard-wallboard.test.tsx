import chalk from 'chalk'
import {afterEach, describe, expect, it} from 'vitest'
import type {EngineSnapshot} from '../../src/engine/api/contract.js'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import {buildBoard} from '../../src/ui/dashboard/board.js'
import {DEFAULT_THRESHOLDS} from '../../src/ui/dashboard/thresholds.js'
import {AT, fixtureSnapshot, KEYS, liveState, renderDashboard} from '../support/dashboard.js'

// Issue 13: a wallboard read by urgency, at 80x24 as at 200x50, with or without colour.

const level = chalk.level
const noColor = process.env.NO_COLOR
afterEach(() => {
  chalk.level = level
  if (noColor === undefined) delete process.env.NO_COLOR
  else process.env.NO_COLOR = noColor
})

/** The fixture with five queues, as the engine lists them (by name): kefu, last, has 9 callers waiting. */
function fiveQueues(): EngineSnapshot {
  const snap = fixtureSnapshot()
  const none = snap.queues[1]!.agents // support's: nobody
  const waiting = Array.from({length: 9}, (_, i) => ({callId: `kefu-${i}`, number: `+86139000000${i}`, priority: 0, joinedAt: AT - (i + 1) * 10_000, kind: 'caller', ringing: []}))
  snap.queues = [
    {name: 'billing', settings: DEFAULT_QUEUE_SETTINGS, waiting: [], agents: none},
    {name: 'claims', settings: DEFAULT_QUEUE_SETTINGS, waiting: [], agents: none},
    {name: 'kefu', settings: DEFAULT_QUEUE_SETTINGS, waiting, agents: none},
    ...snap.queues,
  ]
  return snap
}

const lines = (frame: string) => frame.split('\n')
const queueRows = (frame: string) => lines(frame).filter((l) => /^(billing|claims|kefu|sales|support) /.test(l)).map((l) => l.split(' ')[0])

describe('queues and agents by urgency', () => {
  it('at 60x16 the queue with callers waiting is the one shown, not the first by name', () => {
    const r = renderDashboard({state: liveState(fiveQueues()), props: {size: {columns: 60, rows: 16}}})
    const shown = queueRows(r.frame())
    expect(shown[0]).toBe('kefu')
    expect(shown).not.toContain('billing')
  })

  it('queues: a breach first, then callers in line (longest line first), then the rest by name', () => {
    const b = buildBoard(fiveQueues(), {thresholds: DEFAULT_THRESHOLDS})
    // kefu: 9 waiting (warn), 90 s longest (alert); sales: 2 waiting, 45 s (warn); the others nobody.
    expect(b.queues.map((q) => q.name)).toEqual(['kefu', 'sales', 'billing', 'claims', 'support'])
  })

  it('agents: talking, ringing, wrap-up, ready, paused, offline last; the longest in a state first', () => {
    const snap = fixtureSnapshot()
    snap.agents.push({...snap.agents[3]!, id: 'a6', name: 'Idle Long', state: 'idle', since: AT - 600_000}, {...snap.agents[3]!, id: 'a7', name: 'Idle Short', state: 'idle', since: AT - 5000})
    const b = buildBoard(snap, {thresholds: DEFAULT_THRESHOLDS})
    expect(b.agents.map((a) => `${a.id} ${a.state}`)).toEqual(['a2 on-call', 'a1 ringing', 'a5 wrap-up', 'a6 idle', 'a7 idle', 'a3 paused', 'a4 offline'])
    const r = renderDashboard({state: liveState(snap)})
    const agentRows = lines(r.frame()).filter((l) => /^a\d /.test(l))
    expect(agentRows[0]).toMatch(/^a2 /)
    expect(agentRows.at(-1)).toMatch(/^a4 .*offline/)
  })
})

describe('the header at 80x24', () => {
  it("keeps today's totals, AHT and the paused count on screen, and shows all five queues", () => {
    const r = renderDashboard({state: liveState(fiveQueues()), props: {size: {columns: 80, rows: 24}}})
    const frame = r.frame()
    for (const l of lines(frame)) expect(l.length).toBeLessThanOrEqual(80)
    expect(frame).toContain('Today 10 offered · 7 answered · 3 abandoned · AHT 2:40')
    expect(frame).toMatch(/^Agents 4: .*· 1 paused/m)
    expect(queueRows(frame)).toEqual(['kefu', 'sales', 'billing', 'claims', 'support'])
  })

  it('counts an agent paused during a call as paused (its state still says on-call)', () => {
    const snap = fixtureSnapshot()
    snap.agents[1]!.pauseReason = 'supervisor' // a2, on its call
    const b = buildBoard(snap, {thresholds: DEFAULT_THRESHOLDS})
    expect(b.header.paused).toBe(2)
    expect(b.queues.find((q) => q.name === 'sales')!.paused).toBe(2)
    const r = renderDashboard({state: liveState(snap), props: {size: {columns: 80, rows: 24}}})
    expect(r.frame()).toMatch(/· 2 paused/)
    expect(r.frame()).toMatch(/^a2 .*on-call .*paused: sup/m)
  })
})

describe('the room at 200x50', () => {
  it("shows each agent's talk today and occupancy, callbacks pending, callers in the IVR and the last hour per queue", () => {
    const snap = fixtureSnapshot()
    snap.calls.push(
      {...snap.calls[1]!, id: 'call-ivr', state: 'ivr', queue: null, joinedAt: null, caller: {number: '+15550000009', name: 'In Menu'}, contact: null},
      {...snap.calls[1]!, id: 'call-cb', state: 'callback-pending', caller: {number: '+15550000010', name: 'Call Me'}, contact: null},
    )
    const r = renderDashboard({state: liveState(snap), props: {size: {columns: 200, rows: 50}}})
    const frame = r.frame()
    expect(frame).toMatch(/In IVR 1 +Callbacks pending 1/)
    const queueHeader = lines(frame).find((l) => l.startsWith('QUEUE '))!
    expect(queueHeader).toMatch(/CALLBACKS LAST HOUR$/)
    // The last hour on one scale: 8 callers is a full bar, nobody a dot.
    expect(frame).toMatch(/^sales .* 1 ·▁▂▄█▆▃··▂▅▁$/m)
    expect(frame).toMatch(/^support .* 0 ············$/m)
    expect(lines(frame).find((l) => l.startsWith('AGENT '))).toMatch(/CALLS +TALK +OCC NOTE +QUEUES/)
    expect(frame).toMatch(/^a2 .*on-call .* 7 +25:00 +62% /m)
  })

  it('draws the last hour large in the lines the panes leave, instead of leaving them blank', () => {
    const frame = renderDashboard({props: {size: {columns: 200, rows: 50}}}).frame()
    const all = lines(frame)
    const chart = all.findIndex((l) => l.startsWith(' LAST HOUR '))
    expect(chart).toBeGreaterThan(all.findIndex((l) => l.startsWith(' CALLS ')))
    // sales: bars several lines high, the busiest 5 minutes (8 callers) full height, 32 callers in the hour.
    const sales = all.findIndex((l) => /^sales +[ ▁▂▃▄▅▆▇█]+ 32$/.test(l))
    expect(sales).toBeGreaterThan(chart + 1)
    expect(all.slice(chart + 1, sales).every((l) => /^ +[ ▁▂▃▄▅▆▇█]+$/.test(l))).toBe(true)
    // Eight lines of bars, the most a queue gets; support, called by nobody, one line.
    expect(sales - chart).toBe(8)
    expect(all[sales + 1]).toMatch(/^support +0$/)
    expect(all[sales + 2]).toMatch(/^ +-60 min +now$/)
  })

  it('marks an agent under supervision, with the mode, in every width', () => {
    const snap = fixtureSnapshot()
    snap.supervisions = [{id: 'sup-1', callId: 'call-talk', agent: 'a2', mode: 'whisper', from: 'PJSIP/2001', by: 'dashboard', state: 'active', startedAt: AT - 20_000}]
    for (const size of [{columns: 80, rows: 24}, {columns: 200, rows: 50}]) {
      const frame = renderDashboard({state: liveState(snap), props: {size}}).frame()
      expect(frame).toMatch(/^a2 .*on-call.* WHISPER/m)
      expect(frame.match(/WHISPER/g)).toHaveLength(1)
    }
  })
})

describe('the status line', () => {
  it("keeps the key hints on screen beside an action's outcome, at 80 and at 120 columns", async () => {
    for (const columns of [80, 120]) {
      const r = renderDashboard({props: {size: {columns, rows: 24}}})
      await r.press('m')
      const last = lines(r.frame()).at(-1)!
      expect(last).toContain('Select an agent or a call first')
      expect(last).toMatch(/\? help · q quit$/)
      await r.press(KEYS.tab, 'w')
      expect(lines(r.frame()).at(-1)).toMatch(/^whisper of a2 started .*\? help · q quit$/)
    }
  })
})

describe('NO_COLOR', () => {
  it('emits no ANSI style at all, even with colour forced on, and marks warn and alert by a symbol', async () => {
    chalk.level = 1 // as FORCE_COLOR would
    process.env.NO_COLOR = '1'
    const r = renderDashboard()
    const frame = r.frame()
    expect(frame).not.toMatch(/\u001b\[[\d;]*m/)
    // SL 56 % and abandon rate 22 % are alerts, the longest wait 0:45 a warning; 2 waiting is fine.
    expect(frame).toMatch(/SL \(20 s\) !!56% +Answer rate !!70% +Abandon rate !!22%/)
    expect(frame).toMatch(/Longest wait !0:45/)
    expect(frame).toMatch(/Waiting 2 /)
    expect(frame).toMatch(/^> sales .* !!22% +!!56% \(20s\) +!0:20 +2:40$/m)
    // The focused pane and the selected row, without reverse video.
    expect(frame).toMatch(/^\[QUEUES\]/m)
    expect(frame).toMatch(/^> sales /m)
    expect(frame).toMatch(/^ {2}support /m)
    await r.press(KEYS.tab, '/', 'x')
    expect(r.frame()).not.toMatch(/\u001b\[[\d;]*m/)
    expect(r.frame()).toMatch(/^\[AGENTS\]/m)
    expect(lines(r.frame()).at(-1)).toMatch(/^\/ x_ /)
  })

  it('an empty NO_COLOR changes nothing (no-color.org: present and not empty)', () => {
    chalk.level = 1
    process.env.NO_COLOR = ''
    expect(renderDashboard().frame()).toMatch(/\u001b\[[\d;]*m/)
  })
})
