import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {parseQueueFile} from '../../src/engine/admin/queue-file.js'
import {dryRun} from '../../src/engine/ivr/dry-run.js'
import {checkFlow} from '../../src/engine/ivr/parse-flow.js'
import {isUserError} from '../../src/engine/util/errors.js'
import {prng} from '../../src/bench/prng.js'

// Thousands of broken flows and queue files, made by mutating valid ones with a seeded
// generator: the checks must never crash, and every refusal must say where and what.


const NASTY = [':', '-', '[', ']', '{', '}', '"', "'", '&', '*', '!', '|', '>', '%', '@', '#', '\t', '\n', '  ', '\u0000', '\u001b[2J', '\ud800', '张', '🙂', '..', '/', '\\', '0x', '1e309', '-1', 'null', '~', '<<: *a', '&a', '*a', '!!binary', '? ', '---', '...']
const VALUES = ['', 'null', '-5', '0', '3.5', '1e309', '[]', '{}', '[1, [2, [3]]]', '"x"', 'true', "'" + 'x'.repeat(10_000) + "'", '{type: play}', '!!str 1', '__proto__', 'constructor', '0123']

function mutate(text: string, rnd: () => number): string {
  const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!
  let out = text
  const n = 1 + Math.floor(rnd() * 4)
  for (let i = 0; i < n; i++) {
    const lines = out.split('\n')
    const at = Math.floor(rnd() * Math.max(1, out.length))
    switch (Math.floor(rnd() * 8)) {
      case 0: // delete a stretch
        out = out.slice(0, at) + out.slice(at + Math.floor(rnd() * 20))
        break
      case 1: // insert something YAML cares about
        out = out.slice(0, at) + pick(NASTY) + out.slice(at)
        break
      case 2: {
        // replace a value after a colon
        const li = Math.floor(rnd() * lines.length)
        lines[li] = lines[li]!.replace(/:\s.*$/, `: ${pick(VALUES)}`)
        out = lines.join('\n')
        break
      }
      case 3: {
        // re-indent a line
        const li = Math.floor(rnd() * lines.length)
        lines[li] = ' '.repeat(Math.floor(rnd() * 7)) + lines[li]!.trimStart()
        out = lines.join('\n')
        break
      }
      case 4: {
        // duplicate or drop a line
        const li = Math.floor(rnd() * lines.length)
        if (rnd() < 0.5) lines.splice(li, 0, lines[li]!)
        else lines.splice(li, 1)
        out = lines.join('\n')
        break
      }
      case 5: // truncate
        out = out.slice(0, at)
        break
      case 6: {
        // rename a key
        const li = Math.floor(rnd() * lines.length)
        lines[li] = lines[li]!.replace(/^(\s*)([A-Za-z]+):/, (_, s: string) => `${s}${pick(['type', 'next', 'nodes', 'x', 'choices', 'prompt', '__proto__', 'toString'])}:`)
        out = lines.join('\n')
        break
      }
      default: // swap two lines
        {
          const a = Math.floor(rnd() * lines.length)
          const b = Math.floor(rnd() * lines.length)
          ;[lines[a], lines[b]] = [lines[b]!, lines[a]!]
          out = lines.join('\n')
        }
    }
  }
  return out
}

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'flows')
const validFlows = [
  readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'flows', 'main.yaml'), 'utf8'),
  ...readdirSync(fixtures)
    .filter((f) => f.startsWith('valid'))
    .map((f) => readFileSync(join(fixtures, f), 'utf8')),
]

const QUEUES = `queues:
  sales:
    strategy: round-robin
    ringTimeout: 15
    wrapUp: 10
    requiredSkills: sales & (english | mandarin)
    skillSteps: [{after: 30, require: sales}, {after: 90, require: ""}]
    maxWait: 300
    overflow: {action: queue, queue: support}
    announceEvery: 30
    callbackKey: "*"
  support:
    strategy: longest-idle
    dids: ["100", "200"]
`

describe('fuzzed configuration never crashes the checks', () => {
  it('IVR flows: 3,000 mutations give a flow or located errors, never a crash; valid ones walk to an end', async () => {
    const rnd = prng(20261123)
    let refused = 0
    let accepted = 0
    for (let i = 0; i < 3000; i++) {
      const text = mutate(validFlows[i % validFlows.length]!, rnd)
      const r = checkFlow(text, 'fuzz.yaml')
      if (r.flow) {
        accepted++
        // A flow that passes must also run: random keys, and it must end.
        const inputs = Array.from({length: 6}, () => (rnd() < 0.3 ? '-' : String(Math.floor(rnd() * 10))))
        const run = await dryRun(r.flow, {inputs, at: new Date(Date.UTC(2026, 10, 23, Math.floor(rnd() * 24)))})
        expect(['queue', 'voicemail', 'transfer', 'hangup']).toContain(run.outcome.action)
        continue
      }
      refused++
      expect(r.errors.length, text).toBeGreaterThan(0)
      for (const e of r.errors) expect(e.message, text).toMatch(/^fuzz\.yaml:\d+:\d+: \S/)
    }
    expect(refused).toBeGreaterThan(1000)
    expect(accepted).toBeGreaterThan(50)
    // CPU-bound (about 10 s on an idle 2-core machine): a busy one must not fail it on vitest's 30 s default.
  }, 120_000)

  it('queue files: 3,000 mutations are saved or refused with file:line:column, never a crash', () => {
    const rnd = prng(7)
    let refused = 0
    for (let i = 0; i < 3000; i++) {
      const text = mutate(QUEUES, rnd)
      try {
        const queues = parseQueueFile(text, 'queues.yaml')
        for (const q of queues) expect(q.name).toMatch(/^[\p{L}\p{N}][\p{L}\p{M}\p{N}_.-]{0,63}$/u)
      } catch (err) {
        refused++
        expect(isUserError(err), `${String(err)}\n${text}`).toBe(true)
        expect((err as Error).message).toMatch(/^queues\.yaml:\d+:\d+: \S/)
      }
    }
    expect(refused).toBeGreaterThan(1000)
  }, 120_000)
})
