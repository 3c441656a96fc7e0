import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {parseQueueFile} from '../../src/engine/admin/queue-file.js'
import {loadEngineConfig} from '../../src/engine/config/engine-config.js'
import {ConfigError, parseYaml} from '../../src/engine/config/yaml-errors.js'
import {dryRun} from '../../src/engine/ivr/dry-run.js'
import {checkFlow} from '../../src/engine/ivr/parse-flow.js'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import {Acd} from '../../src/engine/routing/acd.js'
import {importKb} from '../../src/engine/kb/import.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'

// Input the engine must refuse at the edge, in one clear line: YAML nested too deep or too
// big (a stack overflow, exit 70, before), and names that happen to be Object.prototype's.

const FIXTURE = new URL('../fixtures/edge/', import.meta.url)

/** `key: [[[…]]]` nested n deep, on one line. */
const deepFlowSeq = (n: number) => '['.repeat(n) + ']'.repeat(n)
/** A block mapping nested n deep, one level per line. */
const deepBlock = (n: number, indent = 0) => Array.from({length: n}, (_, i) => ' '.repeat(indent + i) + 'a:').join('\n') + ' 1\n'

function firstError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('no error')
}

describe('YAML depth and size limits', () => {
  it('a flow nested 5,000 deep is one located error, not a stack overflow', () => {
    const r = checkFlow(`flow: deep\nstart: a\nnodes:\n  a: ${deepFlowSeq(5000)}\n`, 'deep.yaml')
    expect(r.flow).toBeNull()
    expect(r.errors.map((e) => e.message)).toEqual(['deep.yaml:4:68: nested deeper than 64 levels'])
  })

  it('a flow nested 800 deep in block style points at the line of level 65', () => {
    const r = checkFlow(`flow: deep\nstart: a\nnodes:\n${deepBlock(800, 2)}`, 'block.yaml')
    // nodes is level 1, so the block's 64th mapping is level 65, on the file's line 3 + 64.
    expect(r.errors.map((e) => e.message)).toEqual(['block.yaml:67:66: nested deeper than 64 levels'])
  })

  it('a queue file nested 5,000 deep is refused with file:line:column', () => {
    const e = firstError(() => parseQueueFile(`queues:\n  sales: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`, 'q.yaml'))
    expect(e.message).toBe('q.yaml:2:258: nested deeper than 64 levels')
    expect(e.suggestion).toBe('Flatten the structure; no setting nests this deep.')
  })

  it('an engine config nested 5,000 deep is refused with file:line:column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callctl-edge-'))
    const file = join(dir, 'config.yaml')
    writeFileSync(file, `ari: ${deepFlowSeq(5000)}\n`)
    const e = firstError(() => loadEngineConfig({file, env: {CALLCTL_HOME: dir, CALLCTL_ARI_PASSWORD: 'pw'}}))
    expect(e.message).toBe(`${file}:1:69: nested deeper than 64 levels`)
  })

  it('64 levels are accepted, 65 are not', () => {
    expect(() => parseYaml(deepFlowSeq(64), 'ok.yaml')).not.toThrow()
    expect(firstError(() => parseYaml(deepFlowSeq(65), 'x.yaml')).message).toBe('x.yaml:1:65: nested deeper than 64 levels')
  })

  it('a file over 1 MiB is refused before it is parsed', () => {
    const big = `flow: big\n# ${'x'.repeat(1024 * 1024)}\n`
    expect(checkFlow(big, 'big.yaml').errors.map((e) => e.message)).toEqual(['big.yaml:2:1048567: file is larger than 1024 KiB'])
  })
})

describe('names that are Object.prototype members are plain names', () => {
  it('nodes and calendars named __proto__ and constructor are defined, counted and routed', async () => {
    const r = checkFlow(readFileSync(new URL('prototype-names.yaml', FIXTURE), 'utf8'), 'prototype-names.yaml')
    expect(r.errors).toEqual([])
    expect(Object.keys(r.flow!.nodes)).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])
    expect(Object.keys(r.flow!.calendars)).toEqual(['constructor', '__proto__'])
    // Monday 10:00 UTC: the office calendar ("constructor") is open, so the call goes on to the holiday check.
    const open = await dryRun(r.flow!, {inputs: [], at: new Date('2026-03-02T10:00:00Z')})
    expect(open.steps.map((s) => s.node)).toEqual(['__proto__', 'constructor', 'toString'])
    expect(open.outcome).toMatchObject({action: 'queue', queue: 'support'})
    // Sunday: closed.
    const closed = await dryRun(r.flow!, {inputs: [], at: new Date('2026-03-01T10:00:00Z')})
    expect(closed.steps.map((s) => s.node)).toEqual(['__proto__', 'toString'])
  })

  it('a field named like a prototype member is an unknown field, not a silent no-op', () => {
    const r = checkFlow('flow: f\nstart: a\nnodes:\n  a: {type: hangup, constructor: 1, toString: x}\n', 'f.yaml')
    expect(r.errors.map((e) => e.message)).toEqual(['f.yaml:4:21: unknown field "constructor" for a hangup node', 'f.yaml:4:37: unknown field "toString" for a hangup node'])
  })

  it('a collected variable named __proto__ is kept and branched on like any other', async () => {
    const text = [
      'flow: vars',
      'start: ask',
      'nodes:',
      '  ask: {type: collect, prompt: sound:enter-account, var: __proto__, min: 1, max: 4, next: route}',
      '  route: {type: branch, on: var.__proto__, cases: {"12": twelve}, default: other}',
      '  twelve: {type: queue, queue: sales}',
      '  other: {type: hangup}',
      '',
    ].join('\n')
    const r = checkFlow(text, 'vars.yaml')
    expect(r.errors).toEqual([])
    const out = await dryRun(r.flow!, {inputs: ['12'], at: new Date('2026-03-02T10:00:00Z')})
    expect(out.outcome).toMatchObject({action: 'queue', queue: 'sales'})
  })
})

describe('a queue named like a prototype member', () => {
  it('an agent taken out of queue "constructor" leaves it in the ACD', () => {
    const acd = new Acd()
    acd.setQueue('constructor', {...DEFAULT_QUEUE_SETTINGS}, 0)
    acd.setQueue('sales', {...DEFAULT_QUEUE_SETTINGS}, 0)
    const a = {id: 'a1', name: 'a1', endpoint: 'PJSIP/a1', skills: {}}
    acd.setAgent({...a, queues: {constructor: 0, sales: 0}}, 0)
    expect([...acd.agents.get('a1')!.queues.keys()]).toEqual(['constructor', 'sales'])
    acd.setAgent({...a, queues: {sales: 0}}, 1)
    expect([...acd.agents.get('a1')!.queues.keys()]).toEqual(['sales'])
  })
})

describe('the size limit is for configuration, not data', () => {
  it('a 2 MiB knowledge-base YAML still imports (its own 50 MB cap applies)', async () => {
    const store = new SqliteStore(':memory:')
    const kb = repositoriesOf(store).kb
    const entry = (i: number) => `- question: How do I reset password number ${i}?\n  answer: ${'Open settings, choose security, then reset. '.repeat(8)}\n  tags: [account]\n`
    const text = Array.from({length: 5000}, (_, i) => entry(i)).join('')
    expect(Buffer.byteLength(text)).toBeGreaterThan(2 * 1024 * 1024)
    expect(await importKb(kb, new TextEncoder().encode(text), {file: 'faq.yaml', format: 'yaml', dryRun: true})).toMatchObject({entries: 5000})
    await store.close()
  })
})
