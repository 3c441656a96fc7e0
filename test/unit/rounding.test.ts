import {describe, expect, it} from 'vitest'
import {sec, share} from '../../src/engine/reports/report-context.js'
import {QueueLogConverter} from '../../src/engine/reports/queue-log.js'
import {duration, percent} from '../../src/ui/dashboard/format.js'

// One rounding rule for every screen and report (engine/reports/rounding.ts): half up, at
// the precision shown; whole seconds and whole percents are the report's 0.1 s and
// 4-place share rounded half up, so a screen never contradicts a report.

describe('one rounding rule, half up', () => {
  it('the dashboard shows ASA 21.6 s as 0:22, as the report rounds it (it used to cut it to 0:21)', () => {
    expect(sec(21_600)).toBe(21.6)
    expect(duration(21_600)).toBe('0:22')
  })

  it('whole seconds are the report’s tenths rounded half up', () => {
    const cases: [number, number, string][] = [
      [499, 0.5, '0:01'],
      [449, 0.4, '0:00'],
      [1_450, 1.5, '0:02'],
      [21_449, 21.4, '0:21'],
      [21_450, 21.5, '0:22'],
      [59_500, 59.5, '1:00'],
      [3_599_950, 3600, '1:00:00'],
    ]
    for (const [ms, report, screen] of cases) {
      expect(sec(ms), `${ms} ms in a report`).toBe(report)
      expect(duration(ms), `${ms} ms on the dashboard`).toBe(screen)
    }
  })

  it('shares round half up at 4 places and percents from them, binary fractions included', () => {
    // 0.285 * 100 is 28.499999999999996 in binary: Math.round alone made it 28 %.
    expect(percent(57 / 200)).toBe('29%')
    expect(percent(0.575)).toBe('58%')
    // 0.00015 * 10000 is 1.4999999999999998: Math.round alone made it 0.0001.
    expect(share(0.00015)).toBe(0.0002)
    // The report's 0.285 (from 0.28495) shows as 29 %, as rounding the report's column does.
    expect(share(0.28495)).toBe(0.285)
    expect(percent(0.28495)).toBe('29%')
    expect(percent(0.28494)).toBe('28%')
  })

  it('the queue_log’s whole seconds follow the same rule', () => {
    const c = new QueueLogConverter({membership: new Map(), loggedIn: [], callbackKey: () => '1'})
    c.lines({type: 'queue.entered', ts: 1_000, callId: 'c1', queue: 'q', data: {position: 1}})
    const [line] = c.lines({type: 'queue.abandoned', ts: 3_000, callId: 'c1', queue: 'q', data: {position: 1, waitMs: 21_450}})
    // 21.45 s: the report's 21.5, so 22.
    expect(line).toBe('3|c1|q|NONE|ABANDON|1|1|22')
  })
})
