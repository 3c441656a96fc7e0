import {describe, expect, it} from 'vitest'
import {DEFAULT_QUEUE_SETTINGS, type QueueSettings, type Strategy} from '../../src/engine/model.js'
import {Acd} from '../../src/engine/routing/acd.js'
import {NO_REQUIREMENT, parseSkillRequirement, SkillExpressionError} from '../../src/engine/routing/skills.js'
import {UserError} from '../../src/engine/util/errors.js'
import {FakeClock} from '../support/fake-clock.js'

const req = parseSkillRequirement
const key = (s: string) => parseSkillRequirement(s).key

describe('skill expressions: parsing and normalised keys', () => {
  it('an empty (or blank, null, undefined) expression requires nothing', () => {
    for (const e of ['', '   ', '\t', null, undefined]) {
      const r = req(e)
      expect(r).toBe(NO_REQUIREMENT)
      expect(r.key).toBe('')
      expect(r.skills).toEqual([])
      expect(r.matches({})).toBe(true)
      expect(r.score({billing: 5})).toBe(0)
    }
  })

  it('a bare name, name>=1 and name:1 are the same requirement', () => {
    expect(key('billing')).toBe('billing')
    expect(key('billing>=1')).toBe('billing')
    expect(key('billing:1')).toBe('billing')
    expect(key('billing >= 2')).toBe('billing>=2')
    expect(key('billing:2')).toBe('billing>=2')
  })

  it('keeps every operator in the key', () => {
    expect(key('billing>2')).toBe('billing>2')
    expect(key('billing=2')).toBe('billing=2')
    expect(key('billing<=2')).toBe('billing<=2')
    expect(key('billing<2')).toBe('billing<2')
    expect(key('billing>=0')).toBe('billing>=0')
    expect(key('!trainee')).toBe('!trainee')
  })

  it('equal requirements give equal keys regardless of order and whitespace', () => {
    const same = [
      ['billing>=2 & english', 'english&billing>=2'],
      ['billing>=2 & english', '  english ,  billing:2 '],
      ['english | mandarin', 'mandarin|english'],
      ['billing>=2 & (english | mandarin) & !trainee', '!trainee&(mandarin |english)&billing: 2'],
      ['a & b & c', 'c,b,a'],
      ['a | b | c', 'c | a | b'],
      ['!(a | b)', '! ( b|a )'],
      ['(a & b) | (c & d)', '(d & c) | (b & a)'],
      ['a\t&\tb', 'b & a'],
    ]
    for (const [x, y] of same) expect(key(x!), `${x} vs ${y}`).toBe(key(y!))
  })

  it('different requirements give different keys', () => {
    const distinct = ['billing', 'billing>=2', 'billing>2', 'billing=2', 'billing<2', 'billing<=2', '!billing', 'billing & english', 'billing | english', '!(billing & english)', '!billing & english']
    expect(new Set(distinct.map(key)).size).toBe(distinct.length)
  })

  it('writes the normalised form: sorted parts, groups in parentheses, ! before a term or a group', () => {
    expect(key('english & billing>=2')).toBe('billing>=2&english')
    expect(key('trainee<1 & (mandarin | english) & billing>=2')).toBe('(english|mandarin)&billing>=2&trainee<1')
    expect(key('!(a & b)')).toBe('!(a&b)')
    expect(key('!a & b')).toBe('!a&b')
  })

  it('lists each named skill once', () => {
    expect([...req('billing>=2 & (english | mandarin) & !trainee').skills].sort()).toEqual(['billing', 'english', 'mandarin', 'trainee'])
    expect(req('a | a & a>=2').skills).toEqual(['a'])
  })

  it('accepts names with digits, "_" and "-" and up to 32 characters', () => {
    expect(req('lang_de-2 >= 3').matches({'lang_de-2': 3})).toBe(true)
    const long = 'a'.repeat(32)
    expect(req(long).key).toBe(long)
  })

  it('caches: the same text gives the same requirement object', () => {
    expect(req('x & y')).toBe(req('x & y'))
    expect(req(' x & y ')).toBe(req('x & y'))
  })
})

describe('skill expressions: matches()', () => {
  const cases: [string, Record<string, number>, boolean][] = [
    // bare name: the skill at level 1 or more
    ['billing', {billing: 1}, true],
    ['billing', {billing: 7}, true],
    ['billing', {}, false],
    ['billing', {billing: 0}, false],
    // >=
    ['billing>=2', {billing: 2}, true],
    ['billing>=2', {billing: 3}, true],
    ['billing>=2', {billing: 1}, false],
    ['billing>=2', {}, false],
    // >
    ['billing>2', {billing: 3}, true],
    ['billing>2', {billing: 2}, false],
    // =
    ['billing=2', {billing: 2}, true],
    ['billing=2', {billing: 3}, false],
    ['billing=2', {billing: 1}, false],
    // <= and < also match agents without the skill (level 0)
    ['billing<=2', {billing: 2}, true],
    ['billing<=2', {billing: 1}, true],
    ['billing<=2', {}, true],
    ['billing<=2', {billing: 3}, false],
    ['billing<2', {billing: 1}, true],
    ['billing<2', {}, true],
    ['billing<2', {billing: 2}, false],
    // name:N is at least N
    ['billing:3', {billing: 3}, true],
    ['billing:3', {billing: 4}, true],
    ['billing:3', {billing: 2}, false],
    // !
    ['!trainee', {}, true],
    ['!trainee', {trainee: 1}, false],
    ['!trainee', {trainee: 0}, true],
    ['!!trainee', {trainee: 1}, true],
    ['!billing>=3', {billing: 2}, true],
    ['!billing>=3', {billing: 3}, false],
    // |
    ['english | mandarin', {english: 1}, true],
    ['english | mandarin', {mandarin: 2}, true],
    ['english | mandarin', {french: 2}, false],
    // & and comma
    ['billing & english', {billing: 1, english: 1}, true],
    ['billing & english', {billing: 1}, false],
    ['billing, english', {billing: 1, english: 1}, true],
    ['billing, english', {english: 1}, false],
    // precedence: ! binds tighter than &, & tighter than |
    ['a | b & c', {a: 1}, true],
    ['a | b & c', {b: 1}, false],
    ['a | b & c', {b: 1, c: 1}, true],
    ['a, b | c', {c: 1}, true],
    ['!a & b', {b: 1}, true],
    ['!a & b', {a: 1, b: 1}, false],
    ['!a | b', {a: 1}, false],
    ['!a | b', {a: 1, b: 1}, true],
    // three or more items
    ['a & b & c', {a: 1, b: 1}, false],
    ['a & b & c', {a: 1, b: 1, c: 1}, true],
    ['a | b | c', {c: 1}, true],
    ['a | b | c', {d: 1}, false],
    ['a, b, c, d', {a: 1, b: 1, c: 1, d: 1}, true],
    // parentheses
    ['(a | b) & c', {a: 1}, false],
    ['(a | b) & c', {a: 1, c: 1}, true],
    ['!(a & b)', {a: 1}, true],
    ['!(a & b)', {a: 1, b: 1}, false],
    ['((a))', {a: 1}, true],
    // the full example
    ['billing>=2 & (english | mandarin) & !trainee', {billing: 2, mandarin: 1}, true],
    ['billing>=2 & (english | mandarin) & !trainee', {billing: 2, mandarin: 1, trainee: 1}, false],
    ['billing>=2 & (english | mandarin) & !trainee', {billing: 1, english: 3}, false],
    ['billing>=2 & (english | mandarin) & !trainee', {billing: 5}, false],
  ]

  it.each(cases)('%s with %j → %s', (expr, skills, want) => {
    expect(req(expr).matches(skills)).toBe(want)
  })
})

describe('skill expressions: score()', () => {
  it('is the sum of the agent\'s levels in the skills named', () => {
    const r = req('billing>=2 & (english | mandarin)')
    expect(r.score({billing: 3, english: 2})).toBe(5)
    expect(r.score({billing: 3, english: 2, mandarin: 4})).toBe(9)
    expect(r.score({billing: 3, french: 9})).toBe(3)
    expect(r.score({})).toBe(0)
  })

  it('counts a skill named twice only once', () => {
    expect(req('a>=1 & a<=5').score({a: 4})).toBe(4)
  })
})

describe('skill expressions: errors', () => {
  const broken: [string, number, string][] = [
    ['billing>=', 10, 'expected a level (a whole number from 0 to 99)'],
    ['billing:', 9, 'expected a level (a whole number from 0 to 99)'],
    ['billing >= x', 12, 'expected a level (a whole number from 0 to 99)'],
    ['billing &', 10, 'expected a skill name, found the end'],
    ['&billing', 1, 'expected a skill name, found "&"'],
    ['2fast', 1, 'expected a skill name, found "2"'],
    ['a | | b', 5, 'expected a skill name, found "|"'],
    ['()', 2, 'expected a skill name, found ")"'],
    ['(billing | english', 19, 'expected ")"'],
    ['billing >= 2 english', 14, 'unexpected "e"'],
    ['billing)', 8, 'unexpected ")"'],
    ['billing>=100', 12, 'unexpected "0"'],
    ['billing=>2', 9, 'expected a level (a whole number from 0 to 99)'],
    ['!', 2, 'expected a skill name, found the end'],
  ]

  it.each(broken)('%j fails at column %i: %s', (expr, column, detail) => {
    let err: unknown
    try {
      req(expr)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(SkillExpressionError)
    const e = err as SkillExpressionError
    expect(e.message).toBe(`Invalid skill expression "${expr}" at column ${column}: ${detail}`)
    expect(e.column).toBe(column)
    expect(e.expression).toBe(expr)
  })

  it('the exact message for a missing level', () => {
    expect(() => req('billing>=')).toThrow('Invalid skill expression "billing>=" at column 10: expected a level (a whole number from 0 to 99)')
  })

  it('is a user error with a suggestion, exit code 2 and code invalid_skills', () => {
    try {
      req('billing & (')
      expect.unreachable('should have thrown')
    } catch (e) {
      expect(e).toBeInstanceOf(UserError)
      const u = e as UserError
      expect(u.exitCode).toBe(2)
      expect(u.code).toBe('invalid_skills')
      expect(u.suggestion).toMatch(/billing>=2 & \(english \| mandarin\) & !trainee/)
    }
  })

  it('columns count in the trimmed expression', () => {
    expect(() => req('   billing>=  ')).toThrow('Invalid skill expression "billing>=" at column 10: expected a level (a whole number from 0 to 99)')
  })

  it('a name longer than 32 characters is cut where it becomes unexpected', () => {
    const name = 'a'.repeat(33)
    expect(() => req(name)).toThrow(`Invalid skill expression "${name}" at column 33: unexpected "a"`)
  })
})

describe('skills through the Acd (fake clock)', () => {
  let clock: FakeClock
  let acd: Acd

  function setup(settings: Partial<QueueSettings> = {}, strategy: Strategy = 'linear'): void {
    clock = new FakeClock()
    acd = new Acd({random: () => 0})
    acd.setQueue('sales', {...DEFAULT_QUEUE_SETTINGS, strategy, wrapUp: 0, ...settings}, clock.now())
  }
  function agent(id: string, skills: Record<string, number>, penalty = 0): void {
    acd.setAgent({id, name: id, endpoint: `PJSIP/${id}`, queues: {sales: penalty}, skills}, clock.now())
    acd.setPresence(id, 'available', null, clock.now())
  }
  function call(callId: string, o: {requiredSkills?: string | null; priority?: number} = {}): void {
    acd.enqueue({callId, queue: 'sales', number: '555', ...o}, clock.now())
  }
  const offers = () => acd.dispatch(clock.now()).map((o) => `${o.callId}→${o.agentId}`)

  it('the best-matching free agent wins: highest score in the tier, before the strategy', () => {
    setup({requiredSkills: 'billing'})
    agent('low', {billing: 1}) // first in linear order
    agent('high', {billing: 4})
    agent('mid', {billing: 2})
    call('c1')
    expect(offers()).toEqual(['c1→high'])
    call('c2')
    expect(offers()).toEqual(['c2→mid'])
  })

  it('the score counts every skill named in the requirement', () => {
    setup({requiredSkills: 'billing & (english | mandarin)'})
    agent('a1', {billing: 3, english: 1}) // 4
    agent('a2', {billing: 1, english: 2, mandarin: 2}) // 5
    call('c1')
    expect(offers()).toEqual(['c1→a2'])
  })

  it('ties in score are broken by the strategy (linear: membership order)', () => {
    setup({requiredSkills: 'billing'})
    agent('a1', {billing: 1})
    agent('a2', {billing: 3})
    agent('a3', {billing: 3})
    call('c1')
    expect(offers()).toEqual(['c1→a2'])
  })

  it('ties in score are broken by the strategy (longest-idle)', () => {
    setup({requiredSkills: 'billing'}, 'longest-idle')
    agent('a2', {billing: 3})
    clock.advance(1000)
    agent('a1', {billing: 1})
    agent('a3', {billing: 3})
    acd.agents.get('a3')!.idleSince = clock.now() - 10_000
    call('c1')
    expect(offers()).toEqual(['c1→a3'])
  })

  it('ring-all rings only the best-scoring agents of the tier', () => {
    setup({requiredSkills: 'billing'}, 'ring-all')
    agent('a1', {billing: 1})
    agent('a2', {billing: 3})
    agent('a3', {billing: 3})
    call('c1')
    expect(offers().sort()).toEqual(['c1→a2', 'c1→a3'])
  })

  it('the penalty tier comes before the score', () => {
    setup({requiredSkills: 'billing'})
    agent('expert', {billing: 9}, 1)
    agent('novice', {billing: 1}, 0)
    call('c1')
    expect(offers()).toEqual(['c1→novice'])
  })

  it('callers only go to agents matching their requirement', () => {
    setup({requiredSkills: 'mandarin'})
    agent('en', {english: 3})
    call('c1')
    expect(offers()).toEqual([])
    expect(acd.agentState(acd.agents.get('en')!)).toBe('idle')
    agent('zh', {mandarin: 1})
    expect(offers()).toEqual(['c1→zh'])
  })

  it('a waiting caller nobody can serve does not block the callers behind it', () => {
    setup()
    agent('en', {english: 1})
    call('c1', {requiredSkills: 'mandarin'})
    clock.advance(1000)
    call('c2', {requiredSkills: 'english'})
    call('c3')
    expect(offers()).toEqual(['c2→en'])
    agent('zh', {mandarin: 1})
    expect(offers()).toEqual(['c1→zh'])
  })

  it('a caller-specific requirement replaces the queue\'s', () => {
    setup({requiredSkills: 'billing'})
    agent('biller', {billing: 5})
    agent('tech', {tech: 1})
    call('c1', {requiredSkills: 'tech'})
    expect(offers()).toEqual(['c1→tech'])
    call('c2')
    expect(offers()).toEqual(['c2→biller'])
  })

  it('a caller-specific requirement is not combined with the queue\'s', () => {
    setup({requiredSkills: 'billing'})
    agent('tech', {tech: 1})
    call('c1', {requiredSkills: 'tech'})
    expect(offers()).toEqual(['c1→tech'])
  })

  it('a negated requirement keeps trainees away', () => {
    setup({requiredSkills: '!trainee'})
    agent('t', {trainee: 1})
    call('c1')
    expect(offers()).toEqual([])
    agent('pro', {})
    expect(offers()).toEqual(['c1→pro'])
  })

  it('widens the requirement via skillSteps after N seconds (nextWakeAt says when)', () => {
    setup({
      requiredSkills: 'billing>=3',
      skillSteps: [
        {after: 60, require: ''},
        {after: 30, require: 'billing'},
      ],
    })
    agent('junior', {billing: 1})
    const t0 = clock.now()
    call('c1')
    expect(offers()).toEqual([])
    expect(acd.nextWakeAt()).toBe(t0 + 30_000)
    clock.advance(29_999)
    expect(offers()).toEqual([])
    clock.advance(1)
    expect(offers()).toEqual(['c1→junior'])
  })

  it('steps follow one another: the last one accepts any agent of the queue', () => {
    setup({
      requiredSkills: 'billing>=3',
      skillSteps: [
        {after: 30, require: 'billing'},
        {after: 60, require: ''},
      ],
    })
    agent('newbie', {})
    const t0 = clock.now()
    call('c1')
    expect(offers()).toEqual([])
    clock.advance(30_000)
    expect(offers()).toEqual([])
    expect(acd.nextWakeAt()).toBe(t0 + 60_000)
    clock.advance(29_999)
    expect(offers()).toEqual([])
    clock.advance(1)
    expect(offers()).toEqual(['c1→newbie'])
  })

  it('steps count from the time the caller joined, each caller on its own', () => {
    setup({requiredSkills: 'billing>=3', skillSteps: [{after: 30, require: ''}]})
    const t0 = clock.now()
    call('c1')
    clock.advance(10_000)
    call('c2')
    agent('any', {})
    expect(offers()).toEqual([])
    expect(acd.nextWakeAt()).toBe(t0 + 30_000)
    clock.advance(20_000)
    expect(offers()).toEqual(['c1→any'])
    expect(acd.nextWakeAt()).toBe(t0 + 40_000)
    agent('other', {})
    clock.advance(9_999)
    expect(offers()).toEqual([])
    clock.advance(1)
    expect(offers()).toEqual(['c2→other'])
  })

  it('a caller that can be served at once is served before the step', () => {
    setup({requiredSkills: 'billing>=3', skillSteps: [{after: 30, require: ''}]})
    agent('any', {})
    agent('expert', {billing: 3})
    call('c1')
    expect(offers()).toEqual(['c1→expert'])
  })

  it('changing the queue\'s requirement regroups the callers already waiting', () => {
    setup({requiredSkills: 'mandarin'})
    agent('en', {english: 1})
    call('c1')
    expect(offers()).toEqual([])
    acd.setQueue('sales', {...DEFAULT_QUEUE_SETTINGS, strategy: 'linear', wrapUp: 0, requiredSkills: 'english'}, clock.now())
    expect(offers()).toEqual(['c1→en'])
  })
})
