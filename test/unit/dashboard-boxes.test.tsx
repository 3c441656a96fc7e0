import {describe, expect, it} from 'vitest'
import {AT, fixtureSnapshot, liveState, renderDashboard} from '../support/dashboard.js'

// Issue 16: with several Asterisk boxes the dashboard says which one is away while the others serve.

describe('several boxes on the dashboard', () => {
  it('shows a banner naming the box that is down, for how long, and how many serve', () => {
    const snap = fixtureSnapshot()
    snap.boxes = [
      {name: 'box1', up: true, downSince: null},
      {name: 'box2', up: false, downSince: AT - 75_000},
    ]
    const r = renderDashboard({state: liveState(snap)})
    const line = r.frame().split('\n').find((l) => l.includes('BOX2'))
    expect(line).toMatch(/BOX BOX2 DOWN 1:15 · 1 of 2 boxes serving/)
    r.unmount()
  })

  it('shows no banner while every box serves', () => {
    const snap = fixtureSnapshot()
    snap.boxes = [
      {name: 'box1', up: true, downSince: null},
      {name: 'box2', up: true, downSince: null},
    ]
    const r = renderDashboard({state: liveState(snap)})
    expect(r.frame()).not.toMatch(/DOWN/)
    r.unmount()
  })

  it('a hostile box name from a config is shown inert', () => {
    const snap = fixtureSnapshot()
    snap.boxes = [
      {name: 'box1', up: true, downSince: null},
      {name: 'b\u001b[2Jx', up: false, downSince: AT - 1000},
    ]
    const r = renderDashboard({state: liveState(snap)})
    expect(r.frame()).not.toContain('\u001b[2J')
    r.unmount()
  })
})
