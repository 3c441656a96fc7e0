import {describe, expect, it} from 'vitest'
import {EventBudget, RefusalLog} from '../../src/engine/api/refusal-log.js'
import {createLogger} from '../../src/engine/util/log.js'

describe('RefusalLog budget', () => {
  it('refills over time: after the burst, one line per 6 s at 10 a minute', () => {
    const lines: string[] = []
    let now = 0
    const r = new RefusalLog(createLogger({write: (l) => lines.push(l)}), {linesPerMinute: 10, now: () => now})
    for (let i = 0; i < 25; i++) r.refused({id: i, remote: 'x'}, 'snapshot')
    expect(lines).toHaveLength(10)
    now += 5_000
    r.refused({id: 100, remote: 'x'}, 'snapshot')
    expect(lines).toHaveLength(10)
    now += 1_000
    r.refused({id: 101, remote: 'x'}, 'snapshot')
    expect(lines).toHaveLength(11)
    expect(lines[10]).toContain('notLogged=16')
    expect(r.total).toBe(27)
  })
})

describe('EventBudget (auth.refused events)', () => {
  it('60 a minute per user, then counted; the next event says how many it stands for; one user’s flood leaves another’s budget', () => {
    let now = 0
    const b = new EventBudget(60, () => now)
    const taken = Array.from({length: 100}, () => b.take('王芳'))
    expect(taken.filter((t) => t !== null)).toHaveLength(60)
    expect(taken.slice(0, 60).every((t) => t?.skipped === 0)).toBe(true)
    expect(b.take('sup')).toEqual({skipped: 0})
    now += 999
    expect(b.take('王芳')).toBeNull()
    now += 1
    expect(b.take('王芳')).toEqual({skipped: 41})
  })
})
