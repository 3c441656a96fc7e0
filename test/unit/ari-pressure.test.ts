import {describe, expect, it} from 'vitest'
import {AriPressure, type AriPressureView} from '../../src/engine/ari/pressure.js'

// The REST client's view of how hard Asterisk is pressed, on a clock the test moves.

function setup(random = () => 0.5) {
  let t = 1_000_000
  const p = new AriPressure({now: () => t, random})
  const changes: AriPressureView[] = []
  p.onChange((v) => changes.push(v))
  return {p, changes, advance: (ms: number) => (t += ms), now: () => t}
}

describe('AriPressure', () => {
  it('turns overloaded on when the p90 answer time passes 1 s, and off once answers are quick for the window', () => {
    const {p, changes, advance} = setup()
    for (let i = 0; i < 10; i++) {
      const done = p.begin()
      advance(20)
      done(true)
    }
    expect(p.view()).toMatchObject({overloaded: false, requests: 10, failures: 0})
    for (let i = 0; i < 10; i++) {
      const done = p.begin()
      advance(1500)
      done(true)
    }
    expect(p.view().overloaded).toBe(true)
    expect(changes.map((c) => c.overloaded)).toEqual([true])
    // Quick answers again; the slow ones age out of the 5 s window.
    for (let i = 0; i < 30; i++) {
      const done = p.begin()
      advance(300)
      done(true)
    }
    const fast = p.begin()
    advance(5)
    fast(true)
    expect(p.view().overloaded).toBe(true) // 300 ms answers are not below the 300 ms low mark
    for (let i = 0; i < 40; i++) {
      const done = p.begin()
      advance(150)
      done(true)
    }
    expect(p.view().overloaded).toBe(false)
    expect(changes.map((c) => c.overloaded)).toEqual([true, false])
  })

  it('a request unanswered for 2 s is a stall: overloaded before it ever completes', () => {
    const {p, advance} = setup()
    const done = p.begin()
    advance(1900)
    expect(p.view().overloaded).toBe(false)
    advance(200)
    expect(p.view()).toMatchObject({overloaded: true, inFlight: 1})
    done(true)
  })

  it('failures back off doubling from 250 ms with jitter, capped at 10 s; an answer resets the count', () => {
    let r = 0
    const {p, now, advance} = setup(() => r)
    const waits: number[] = []
    for (let i = 0; i < 10; i++) {
      p.begin()(false)
      waits.push(p.view().backoffUntil - now())
      advance(20_000) // past any back-off: each failure is measured on its own
    }
    // random() = 0: half the base; the base doubles and stops at 10 s.
    expect(waits).toEqual([125, 250, 500, 1000, 2000, 4000, 5000, 5000, 5000, 5000])
    r = 0.999
    p.begin()(true)
    p.begin()(false)
    const w = p.view().backoffUntil - now()
    expect(w).toBeGreaterThanOrEqual(374)
    expect(w).toBeLessThanOrEqual(375)
    expect(p.view().failures).toBe(11)
  })
})

describe('AriPressure p90 without sorting on every answer', () => {
  it('reports the exact p90 (in-flight requests at their age) and decides overload as sorting would', () => {
    let r = 7
    const rand = () => ((r = (r * 48271) % 2147483647) / 2147483647)
    const {p, advance} = setup()
    const ref: number[] = []
    for (let i = 0; i < 400; i++) {
      const done = p.begin()
      const ms = Math.floor(rand() * 1400)
      advance(ms)
      done(true)
      ref.push(ms)
    }
    // Everything above is older than the 5 s window by now except the last answers: compare on a fresh window.
    advance(10_000)
    ref.length = 0
    const open = p.begin()
    for (let i = 0; i < 60; i++) {
      const done = p.begin()
      const ms = Math.floor(rand() * 60)
      advance(ms)
      done(true)
      ref.push(ms)
    }
    const v = p.view()
    const all = [...ref, v.inFlight === 1 ? ref.reduce((a, b) => a + b, 0) : 0].sort((a, b) => a - b)
    expect(v.p90Ms).toBe(all[Math.min(all.length - 1, Math.floor(all.length * 0.9))])
    expect(v.overloaded).toBe(false)
    open(true)
  })
})
