import {describe, expect, it} from 'vitest'
import {buildBoard} from '../../src/ui/dashboard/board.js'
import {INITIAL_UI, onKey, selectedIndex, type UiState} from '../../src/ui/dashboard/keys.js'
import {DEFAULT_THRESHOLDS} from '../../src/ui/dashboard/thresholds.js'
import {fixtureSnapshot} from '../support/dashboard.js'

const board = buildBoard(fixtureSnapshot(), {thresholds: DEFAULT_THRESHOLDS})
const agents: UiState = {...INITIAL_UI, focus: 'agents'}

describe('what a key does', () => {
  it('selection stops at the first and last rows; PgDn, Home and End jump', () => {
    let ui = onKey(agents, '', {upArrow: true}, board, 3).ui
    expect(selectedIndex(board, ui)).toBe(0)
    // Agents by state: a2 on-call, a1 ringing, a5 wrap-up, a3 paused, a4 offline.
    ui = onKey(ui, '', {pageDown: true}, board, 3).ui
    expect(ui.selected.agents).toBe('a3')
    ui = onKey(ui, '', {pageDown: true}, board, 3).ui
    expect(ui.selected.agents).toBe('a4')
    ui = onKey(ui, '', {home: true}, board, 3).ui
    expect(ui.selected.agents).toBe('a2')
    ui = onKey(ui, 'j', {}, board, 3).ui
    expect(ui.selected.agents).toBe('a1')
    ui = onKey(ui, '', {end: true}, board, 3).ui
    expect(ui.selected.agents).toBe('a4')
    // Each pane keeps its own selection.
    expect(ui.selected.queues).toBeNull()
  })

  it('the filter takes printable text only: pasted escape sequences and controls are dropped', () => {
    let ui = onKey(INITIAL_UI, '/', {}, board, 3).ui
    ui = onKey(ui, 'a\u001b[2Jb\u0007\u009bc', {}, board, 3).ui
    expect(ui.filter).toBe('a[2Jbc')
    ui = onKey(ui, '', {backspace: true}, board, 3).ui
    expect(ui.filter).toBe('a[2Jb')
    ui = onKey(ui, 'x'.repeat(100), {}, board, 3).ui
    expect(ui.filter).toHaveLength(60)
    // While typing, q and p are text, not commands.
    const typed = onKey(ui, 'q', {}, board, 3)
    expect(typed.action).toBeUndefined()
  })

  it('keys that need data do nothing before the first snapshot', () => {
    expect(onKey(agents, '', {downArrow: true}, null, 3)).toEqual({ui: agents})
    expect(onKey(agents, 'p', {}, null, 3)).toEqual({ui: agents})
    expect(onKey(agents, 'q', {}, null, 3).action).toEqual({type: 'quit'})
  })

  it('p on a call acts on its agent; on a call without one it says why', () => {
    const calls: UiState = {...INITIAL_UI, focus: 'calls'}
    expect(onKey({...calls, selected: {...calls.selected, calls: 'call-talk'}}, 'p', {}, board, 3).action).toEqual({type: 'pause', agent: 'a2'})
    expect(onKey(calls, 'p', {}, board, 3).action).toEqual({type: 'say', text: 'This call has no agent yet'})
    expect(onKey(calls, 'b', {}, board, 3).action).toEqual({type: 'say', text: 'This call has no agent yet'})
  })

  it('p unpauses an agent paused during a call (still on-call, with a pause reason)', () => {
    const snap = fixtureSnapshot()
    snap.agents[1]!.pauseReason = 'break'
    const b = buildBoard(snap, {thresholds: DEFAULT_THRESHOLDS})
    expect(onKey({...agents, selected: {...agents.selected, agents: 'a2'}}, 'p', {}, b, 3).action).toEqual({type: 'unpause', agent: 'a2'})
    expect(onKey({...agents, selected: {...agents.selected, agents: 'a5'}}, 'p', {}, b, 3).action).toEqual({type: 'pause', agent: 'a5'})
  })

  it('an empty pane has nothing to act on', () => {
    const empty = buildBoard(fixtureSnapshot(), {thresholds: DEFAULT_THRESHOLDS, filter: 'nobody'})
    expect(onKey(agents, 'p', {}, empty, 3).action).toEqual({type: 'say', text: 'No agent selected'})
    expect(onKey(agents, '', {downArrow: true}, empty, 3).ui).toBe(agents)
  })
})
