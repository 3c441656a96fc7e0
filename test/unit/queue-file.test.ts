import {describe, expect, it} from 'vitest'
import {parseQueueFile} from '../../src/engine/admin/queue-file.js'

const err = (text: string): {message: string; suggestion?: string} => {
  try {
    parseQueueFile(text, 'queues.yaml')
  } catch (e) {
    return e as {message: string; suggestion?: string}
  }
  throw new Error('expected an error')
}

describe('queue files (YAML)', () => {
  it('accepts a complete file', () => {
    const q = parseQueueFile(
      `queues:
  sales:
    strategy: round-robin
    requiredSkills: sales & (english | mandarin)
    skillSteps: [{after: 30, require: sales}, {after: 60, require: ""}]
    maxWait: 300
    overflow: {action: queue, queue: support}
    announceEvery: 30
    callbackKey: "*"
  support: {}
`,
      'queues.yaml',
    )
    expect(q.map((x) => x.name)).toEqual(['sales', 'support'])
    expect(q[0]!.settings).toMatchObject({strategy: 'round-robin', skillSteps: [{after: 30, require: 'sales'}, {after: 60, require: ''}], overflow: {action: 'queue', queue: 'support'}})
  })

  it('names the field, its line and column, and the accepted values for an unknown strategy', () => {
    const e = err('queues:\n  sales:\n    strategy: fastest\n')
    expect(e.message).toBe('queues.yaml:3:15: queue sales: Invalid strategy "fastest" for a queue')
    expect(e.suggestion).toBe('strategy accepts: ring-all, round-robin, linear, longest-idle, fewest-calls, least-talk, random, weighted-random.')
  })

  it('rejects a negative timeout', () => {
    const e = err('queues:\n  sales:\n    ringTimeout: -5\n')
    expect(e.message).toBe('queues.yaml:3:18: queue sales: Invalid ringTimeout -5 for a queue')
    expect(e.suggestion).toBe('ringTimeout accepts: seconds from 1 to 600.')
  })

  it('points into a skill expression that does not parse', () => {
    const e = err('queues:\n  sales:\n    requiredSkills: "billing>= & english"\n')
    expect(e.message).toBe('queues.yaml:3:21: queue sales: Invalid requiredSkills: expression "billing>= & english" at column 11: expected a level (a whole number from 0 to 99)')
    expect(e.suggestion).toContain('billing>=2 & (english | mandarin)')
  })

  it('points at the bad element of a skill step', () => {
    const e = err('queues:\n  sales:\n    skillSteps:\n      - {after: 30, require: "a |"}\n')
    expect(e.message).toMatch(/^queues\.yaml:4:30: queue sales: Invalid skillSteps\[0\]\.require: expression "a \|" at column 4: expected a skill name, found the end$/)
  })

  it('rejects unknown settings by name, with the list of known ones', () => {
    const e = err('queues:\n  sales:\n    ringtimeout: 5\n')
    expect(e.message).toBe('queues.yaml:3:5: queue sales: Unknown queue setting "ringtimeout"')
    expect(e.suggestion).toContain('ringTimeout')
  })

  it('requires a queue for overflow to a queue', () => {
    const e = err('queues:\n  sales:\n    overflow: {action: queue}\n')
    expect(e.message).toBe('queues.yaml:3:15: queue sales: overflow to a queue needs the queue name')
  })

  it('reports YAML syntax errors and a wrong shape', () => {
    expect(err('queues:\n  sales: [\n').message).toMatch(/^queues\.yaml:\d+:\d+: /)
    expect(err('sales: {}\n').message).toBe('queues.yaml:1:1: expected a mapping with "queues:"')
    expect(err('queues:\n  "bad name": {}\n').message).toBe('queues.yaml:2:3: Invalid queue name "bad name"')
  })
})
