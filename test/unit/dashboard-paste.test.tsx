import {describe, expect, it} from 'vitest'
import {guardKeyInput, PASTE_END, PASTE_START} from '../../src/ui/key-input.js'
import {KEYS, renderDashboard} from '../support/dashboard.js'

// The dashboard shares the full screen's bracketed paste (full-screen.tsx) and the key
// reader (use-keys.ts) with the desk (misuse report 21, finding 1): its filter line is a
// text field, and outside it a paste is never keys.

describe('the dashboard and pasted text', () => {
  it('a paste is typed into the filter; an Alt key there does nothing; outside the filter a paste is dropped', async () => {
    const r = renderDashboard()
    guardKeyInput(r.stdin as unknown as NodeJS.ReadStream)
    await r.press('/', `${PASTE_START}s\u001b[31mu${PASTE_END}`)
    // Alt+b (was Esc, then b: barge on the selected agent) and Alt+p.
    await r.press('\u001bb', '\u001bp', 'p')
    expect(r.frame().split('\n').at(-1)).toMatch(/^\/ sup\s+Enter keeps the filter/)
    await r.press(KEYS.enter, KEYS.tab)
    await r.press(`${PASTE_START}bpq${PASTE_END}`)
    expect(r.frame()).toContain('filter "sup" (Esc clears)')
    expect(r.actions.supervise).not.toHaveBeenCalled()
    expect(r.actions.pause).not.toHaveBeenCalled()
    expect(r.onQuit).not.toHaveBeenCalled()
  })
})
