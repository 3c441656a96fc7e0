import {UserError} from '../util/errors.js'
import {IDENTIFIER_PART, shownName} from '../util/names.js'

// Skill requirements, e.g. `billing>=2 & (english | mandarin) & !trainee`.
//   term:   name            the agent has the skill (level 1 or more)
//           name>=N name:N  at least level N (also >, =, <=, <)
//   and:    &  or  ,        or:  |        not:  !        grouping: ( )
// An empty expression requires nothing.
// Skill names are letters of any script (粤语>=2 & 英语), digits, "_", "." and "-": none
// of them is an operator character, so names and operators never run into each other.
// The text is read in NFKC, so a skill typed once as 粤语 and once through a full-width
// input method (粤语＆英语, ｅｎｇｌｉｓｈ) is the same skill with the same operators.

/** One skill name: starts with a letter of any script, at most 32 code points. */
export const SKILL_NAME = new RegExp(`^\\p{L}[${IDENTIFIER_PART}]{0,31}`, 'u')

/** A skill name in the form agents' skills and requirements are compared in. */
export function skillKey(name: string): string {
  return name.normalize('NFKC')
}

export type Skills = Readonly<Record<string, number>>

export interface SkillRequirement {
  /** Normalised text; equal requirements have equal keys (callers are grouped by it). */
  readonly key: string
  readonly skills: readonly string[]
  matches(agent: Skills): boolean
  /** How well an agent fits: the sum of its levels in the skills named. */
  score(agent: Skills): number
}

type Node =
  | {t: 'term'; name: string; op: '>=' | '>' | '=' | '<=' | '<'; level: number}
  | {t: 'and' | 'or'; items: Node[]}
  | {t: 'not'; item: Node}

export class SkillExpressionError extends UserError {
  constructor(
    readonly expression: string,
    readonly column: number,
    detail: string,
  ) {
    // shownName: a bidi override or zero-width character in the text is shown as \u202E, not obeyed.
    super(`Invalid skill expression "${shownName(expression, 200)}" at column ${column}: ${shownName(detail, 200)}`, {
      suggestion: 'Write skills like billing>=2 & (english | mandarin) & !trainee; levels are whole numbers.',
      exitCode: 2,
      code: 'invalid_skills',
    })
  }
}

export const NO_REQUIREMENT: SkillRequirement = {key: '', skills: [], matches: () => true, score: () => 0}

const cache = new Map<string, SkillRequirement>()

export function parseSkillRequirement(text: string | undefined | null): SkillRequirement {
  const src = skillKey(text ?? '').trim()
  if (src === '') return NO_REQUIREMENT
  const hit = cache.get(src)
  if (hit) return hit
  const node = new Parser(src).parse()
  const skills = [...new Set(collect(node, []))]
  const req: SkillRequirement = {
    key: print(node),
    skills,
    matches: compile(node),
    score: (agent) => {
      let s = 0
      for (const k of skills) s += agent[k] ?? 0
      return s
    },
  }
  if (cache.size > 10_000) cache.clear()
  cache.set(src, req)
  return req
}

// Routing asks "does this agent match" for many agents per decision, so the tree is
// turned into closures once instead of being walked on every call.
type Matcher = (a: Skills) => boolean

function compile(n: Node): Matcher {
  switch (n.t) {
    case 'term': {
      const {name, level} = n
      // Only < and <= can hold for a skill the agent lacks (level 0).
      switch (n.op) {
        case '>=':
          return (a) => {
            const v = a[name] ?? 0
            return v > 0 && v >= level
          }
        case '>':
          return (a) => {
            const v = a[name] ?? 0
            return v > 0 && v > level
          }
        case '=':
          return (a) => {
            const v = a[name] ?? 0
            return v > 0 && v === level
          }
        case '<=':
          return (a) => (a[name] ?? 0) <= level
        case '<':
          return (a) => (a[name] ?? 0) < level
      }
    }
    // falls through: every term op returns above
    case 'and': {
      const fs = n.items.map(compile)
      if (fs.length === 2) {
        const [f, g] = fs as [Matcher, Matcher]
        return (a) => f(a) && g(a)
      }
      return (a) => {
        for (const f of fs) if (!f(a)) return false
        return true
      }
    }
    case 'or': {
      const fs = n.items.map(compile)
      if (fs.length === 2) {
        const [f, g] = fs as [Matcher, Matcher]
        return (a) => f(a) || g(a)
      }
      return (a) => {
        for (const f of fs) if (f(a)) return true
        return false
      }
    }
    case 'not': {
      const f = compile(n.item)
      return (a) => !f(a)
    }
  }
}

function collect(n: Node, out: string[]): string[] {
  if (n.t === 'term') out.push(n.name)
  else if (n.t === 'not') collect(n.item, out)
  else for (const i of n.items) collect(i, out)
  return out
}

function print(n: Node): string {
  switch (n.t) {
    case 'term':
      return n.op === '>=' && n.level === 1 ? n.name : `${n.name}${n.op}${n.level}`
    case 'not':
      return `!${n.item.t === 'term' ? print(n.item) : `(${print(n.item)})`}`
    case 'and':
    case 'or': {
      const parts = n.items.map((i) => (i.t === 'and' || i.t === 'or' ? `(${print(i)})` : print(i))).sort()
      return parts.join(n.t === 'and' ? '&' : '|')
    }
  }
}

class Parser {
  private i = 0
  constructor(private readonly s: string) {}

  parse(): Node {
    const n = this.or()
    this.ws()
    if (this.i < this.s.length) this.fail(`unexpected "${String.fromCodePoint(this.s.codePointAt(this.i)!)}"`)
    return n
  }

  private or(): Node {
    const items = [this.and()]
    while (this.eat('|')) items.push(this.and())
    return items.length === 1 ? items[0]! : {t: 'or', items}
  }

  private and(): Node {
    const items = [this.unary()]
    while (this.eat('&') || this.eat(',')) items.push(this.unary())
    return items.length === 1 ? items[0]! : {t: 'and', items}
  }

  private unary(): Node {
    if (this.eat('!')) return {t: 'not', item: this.unary()}
    if (this.eat('(')) {
      const n = this.or()
      if (!this.eat(')')) this.fail('expected ")"')
      return n
    }
    return this.term()
  }

  private term(): Node {
    this.ws()
    const m = SKILL_NAME.exec(this.s.slice(this.i))
    if (!m) this.fail(this.i >= this.s.length ? 'expected a skill name, found the end' : `expected a skill name, found "${String.fromCodePoint(this.s.codePointAt(this.i)!)}"`)
    this.i += m![0].length
    this.ws()
    const opm = /^(>=|<=|>|<|=|:)/.exec(this.s.slice(this.i))
    if (!opm) return {t: 'term', name: m![0], op: '>=', level: 1}
    this.i += opm[0].length
    this.ws()
    const lv = /^\d{1,2}/.exec(this.s.slice(this.i))
    if (!lv) this.fail('expected a level (a whole number from 0 to 99)')
    this.i += lv![0].length
    const op = opm[0] === ':' ? '>=' : (opm[0] as '>=' | '>' | '=' | '<=' | '<')
    return {t: 'term', name: m![0], op, level: Number(lv![0])}
  }

  private eat(ch: string): boolean {
    this.ws()
    if (this.s[this.i] === ch) {
      this.i++
      return true
    }
    return false
  }

  private ws(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++
  }

  private fail(detail: string): never {
    throw new SkillExpressionError(this.s, this.i + 1, detail)
  }
}
