import {describe, expect, it} from 'vitest'
import {buildBoard} from '../../src/ui/dashboard/board.js'
import {plainBoard} from '../../src/ui/dashboard/plain.js'
import {DEFAULT_THRESHOLDS} from '../../src/ui/dashboard/thresholds.js'
import {AT, fixtureSnapshot, liveState, renderDashboard} from '../support/dashboard.js'

// Issue 12: the dashboard says when the engine sheds callers, and why an agent gets no calls.

function overloadedSnapshot() {
  const snap = fixtureSnapshot()
  snap.overload = {overloaded: true, since: AT - 42_000, p90Ms: 2300, shed: 17, requests: 5000, failures: 12}
  // a1's phone fails: backed off for 20 s more; a3 was paused by the engine after 3 missed rings.
  snap.agents = snap.agents.map((a) =>
    a.id === 'a1'
      ? {...a, state: 'idle', callId: null, backoffUntil: AT + 20_000, why: 'backoff until 09:30:20: Allocation failed'}
      : a.id === 'a3'
        ? {...a, pauseReason: 'no-answer', missedRings: 3, why: 'auto-paused: 3 missed rings (Allocation failed)'}
        : a,
  )
  return snap
}

describe('overload and failing phones on the dashboard', () => {
  it('shows an OVERLOADED banner while the engine sheds callers, and when a backed-off phone is tried again in the agents pane', () => {
    const r = renderDashboard({state: liveState(overloadedSnapshot())})
    const lines = r.frame().split("\n")
    expect(lines.find((l) => l.includes('OVERLOADED'))).toMatch(/OVERLOADED for 0:42 · Asterisk answers in 2300 ms \(p90\) · new callers refused: 17/)
    expect(lines.find((l) => l.trimStart().startsWith('a1 '))).toMatch(/retry 20s/)
    expect(lines.find((l) => l.trimStart().startsWith('a3 '))).toMatch(/no-answer/)
    r.unmount()
  })

  it('shows no banner when the engine is not overloaded', () => {
    const snap = fixtureSnapshot()
    snap.overload = {overloaded: false, since: null, p90Ms: 8, shed: 17, requests: 5000, failures: 0}
    const r = renderDashboard({state: liveState(snap)})
    expect(r.frame()).not.toMatch(/OVERLOADED/)
    r.unmount()
  })

  it('dashboard --once says so in words, with the full why of each agent', () => {
    const text = plainBoard(buildBoard(overloadedSnapshot(), {thresholds: DEFAULT_THRESHOLDS}), 'UTC')
    expect(text).toMatch(/overload +Asterisk answers slowly \(p90 2300 ms\) for 0:42: new callers refused \(17 so far\)/)
    expect(text).toMatch(/a1 .*backoff until 09:30:20: Allocation failed/)
    expect(text).toMatch(/a3 .*auto-paused: 3 missed rings \(Allocation failed\)/)
  })
})
