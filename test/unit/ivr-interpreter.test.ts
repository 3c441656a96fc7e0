import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import type {Flow} from '../../src/engine/ivr/flow.js'
import {dryRun} from '../../src/engine/ivr/dry-run.js'
import {CallGone, runFlow, type CallerContact, type IvrIO, type IvrOutcome, type IvrState, type IvrTrace} from '../../src/engine/ivr/interpreter.js'
import {parseFlow} from '../../src/engine/ivr/parse-flow.js'

// The IVR interpreter over many key sequences: through dryRun (what `callctl ivr test`
// runs: one scripted input per question) and through runFlow with a hand-made keypad
// that behaves like a live call (keys pressed during a prompt stop it and answer the
// next question).

const flow = (yaml: string): Flow => parseFlow(yaml, 'test.yaml')
const MAIN = parseFlow(readFileSync(fileURLToPath(new URL('../../examples/flows/main.yaml', import.meta.url)), 'utf8'), 'main.yaml')

/** Monday 2 March 2026, 12:00 in Shanghai. */
const MONDAY_NOON_SHANGHAI = new Date('2026-03-02T04:00:00Z')

const queued = (queue: string, o: {priority?: number; skills?: string | null; tags?: string[]} = {}): IvrOutcome => ({action: 'queue', queue, priority: o.priority ?? 0, skills: o.skills ?? null, tags: o.tags ?? []})
const hungUp = (prompt: string[], reason = 'flow'): IvrOutcome => ({action: 'hangup', prompt, reason})
const IMPLICIT_HANGUP: IvrOutcome = {action: 'hangup', prompt: ['sound:vm-goodbye'], reason: 'no-input'}

function contact(o: Partial<CallerContact> = {}): CallerContact {
  return {name: 'Li Lei', tier: '', vip: false, language: '', company: '', notes: '', ...o}
}

function state(o: Partial<IvrState> = {}): IvrState {
  return {caller: {number: '', name: ''}, did: '', contact: null, language: 'en', vars: {}, priority: 0, tags: [], skills: null, ...o}
}

function recorder() {
  const events: string[] = []
  const trace: IvrTrace = {
    node: (id, n) => events.push(`node ${id} (${n.type})`),
    keys: (id, keys, result) => events.push(`keys ${id} "${keys}" ${result}`),
    timeout: (id) => events.push(`timeout ${id}`),
  }
  return {events, trace}
}

/**
 * A caller on a keypad, behaving like CallMedia on a live call: `answers` are what the
 * caller types when a question waits for keys (then silence; "" is silence at once);
 * `during` presses keys while a given prompt plays, which stops the playback and keeps
 * the keys for the next question, whose own prompt is then skipped. Keys left over
 * from one answer stay typed ahead for the next question.
 */
class Keypad implements IvrIO {
  readonly buffer: string[] = []
  readonly log: string[] = []
  lookups = 0
  private readonly answers: string[]
  private readonly during: Map<string, string>

  constructor(
    private readonly o: {
      answers?: string[]
      during?: Record<string, string>
      at?: Date
      lookup?: CallerContact | null
      /** The caller hangs up instead of answering once the answers run out. */
      hangUpWhenDone?: boolean
      /** The caller hangs up while this prompt plays. */
      hangUpDuring?: string
      hangUpOnLookup?: boolean
    } = {},
  ) {
    this.answers = [...(o.answers ?? [])]
    this.during = new Map(Object.entries(o.during ?? {}))
  }

  async play(prompts: string[], language: string): Promise<void> {
    if (this.buffer.length > 0 || prompts.length === 0) {
      this.log.push(`skip ${prompts.join(' ')}`)
      return
    }
    this.log.push(`play ${prompts.join(' ')} [${language}]`)
    for (const p of prompts) {
      if (p === this.o.hangUpDuring) throw new CallGone()
      const keys = this.during.get(p)
      if (keys !== undefined) {
        this.during.delete(p)
        this.buffer.push(...keys)
        this.log.push(`pressed ${keys} during ${p}`)
        return
      }
    }
  }

  async readDigits(o: {max: number; terminator: string | null; timeoutMs: number}): Promise<{digits: string; timedOut: boolean}> {
    let digits = ''
    let answered = false
    for (;;) {
      while (this.buffer.length > 0) {
        const d = this.buffer.shift()!
        if (o.terminator && d === o.terminator) return {digits, timedOut: false}
        digits += d
        if (digits.length >= o.max) return {digits, timedOut: false}
      }
      if (answered) return {digits, timedOut: true}
      const next = this.answers.shift()
      if (next === undefined && this.o.hangUpWhenDone) throw new CallGone()
      if (!next) return {digits, timedOut: true}
      this.buffer.push(...next)
      answered = true
    }
  }

  async lookupContact(): Promise<CallerContact | null> {
    this.lookups++
    if (this.o.hangUpOnLookup) throw new CallGone()
    return this.o.lookup ?? null
  }

  now(): Date {
    return this.o.at ?? MONDAY_NOON_SHANGHAI
  }
}

// ---------------------------------------------------------------------------------------

const MENU = flow(`
flow: menu
start: menu
nodes:
  menu:
    type: menu
    prompt: [sound:vm-press, digits:1]
    invalidPrompt: sound:pbx-invalid
    choices: {"1": sales, "2": support, "0": operator, "*": vm, "#": bye}
    retries: 2
    onTimeout: no-answer
    onInvalid: wrong-keys
  sales: {type: queue, queue: sales}
  support: {type: queue, queue: support}
  no-answer: {type: queue, queue: support, priority: 3}
  operator: {type: transfer, number: "+861012345678"}
  vm: {type: voicemail, prompt: sound:vm-intro}
  bye: {type: hangup, prompt: sound:vm-goodbye}
  wrong-keys: {type: hangup, prompt: sound:pbx-invalid}
`)

const SALES = queued('sales')
const SUPPORT = queued('support')
const NO_ANSWER = queued('support', {priority: 3})
const OPERATOR: IvrOutcome = {action: 'transfer', number: '+861012345678'}
const VOICEMAIL: IvrOutcome = {action: 'voicemail', prompt: ['sound:vm-intro']}
const BYE = hungUp(['sound:vm-goodbye'])
const WRONG_KEYS = hungUp(['sound:pbx-invalid'])

describe('menu: dry run over key sequences', () => {
  it.each<[string, string[], IvrOutcome, string[], string[]]>([
    ['1 → sales', ['1'], SALES, ['menu:1'], []],
    ['2 → support', ['2'], SUPPORT, ['menu:2'], []],
    ['0 → operator', ['0'], OPERATOR, ['menu:0'], []],
    ['* → voicemail', ['*'], VOICEMAIL, ['menu:*'], []],
    ['# → goodbye', ['#'], BYE, ['menu:#'], []],
    ['a wrong key, then 1', ['5', '1'], SALES, ['menu:5', 'menu:1'], []],
    ['a wrong key, then *', ['9', '*'], VOICEMAIL, ['menu:9', 'menu:*'], []],
    ['two wrong keys, then 2 on the last try', ['5', '7', '2'], SUPPORT, ['menu:5', 'menu:7', 'menu:2'], []],
    ['three wrong keys: the tries run out → onInvalid', ['5', '7', '9'], WRONG_KEYS, ['menu:5', 'menu:7', 'menu:9'], []],
    ['three wrong keys; the fourth is never asked for', ['3', '3', '3', '1'], WRONG_KEYS, ['menu:3', 'menu:3', 'menu:3'], ['1']],
    ['silence, then 1', ['', '1'], SALES, ['menu:1'], []],
    ['silence twice ("-"), then 0', ['-', '-', '0'], OPERATOR, ['menu:0'], []],
    ['silence three times → onTimeout', ['', '', ''], NO_ANSWER, [], []],
    ['no input at all → onTimeout', [], NO_ANSWER, [], []],
    ['wrong, silence, wrong: the last try was a wrong key → onInvalid', ['5', '', '7'], WRONG_KEYS, ['menu:5', 'menu:7'], []],
    ['silence, wrong, silence: the last try was silence → onTimeout', ['', '5', ''], NO_ANSWER, ['menu:5'], []],
    ['wrong, then silence twice → onTimeout', ['5', '', ''], NO_ANSWER, ['menu:5'], []],
    ['"12": a menu takes one key', ['12'], SALES, ['menu:1'], []],
    ['1, with an input left over', ['1', '2'], SALES, ['menu:1'], ['2']],
  ])('%s', async (_name, inputs, outcome, keyTrail, unused) => {
    const r = await dryRun(MENU, {inputs, at: MONDAY_NOON_SHANGHAI})
    expect(r.outcome).toEqual(outcome)
    expect(r.keyTrail).toEqual(keyTrail)
    expect(r.unusedInputs).toEqual(unused)
  })

  it('lists the prompts heard and the keys pressed at each step', async () => {
    const r = await dryRun(MENU, {inputs: ['5', '', '1'], at: MONDAY_NOON_SHANGHAI})
    expect(r).toEqual({
      flow: 'menu',
      at: '2026-03-02T04:00:00.000Z',
      steps: [
        {
          node: 'menu',
          kind: 'menu',
          prompts: ['sound:vm-press', 'digits:1', 'sound:pbx-invalid', 'sound:vm-press', 'digits:1', 'sound:vm-press', 'digits:1'],
          keys: '5,1',
          result: 'choice',
        },
        {node: 'sales', kind: 'queue'},
      ],
      keyTrail: ['menu:5', 'menu:1'],
      outcome: SALES,
      unusedInputs: [],
    })
  })

  it('marks a step that only timed out', async () => {
    const r = await dryRun(MENU, {inputs: [], at: MONDAY_NOON_SHANGHAI})
    expect(r.steps).toEqual([
      {node: 'menu', kind: 'menu', prompts: ['sound:vm-press', 'digits:1', 'sound:vm-press', 'digits:1', 'sound:vm-press', 'digits:1'], result: 'timeout'},
      {node: 'no-answer', kind: 'queue'},
    ])
  })
})

describe('menu: runFlow with a keypad', () => {
  it.each<[string, string[], IvrOutcome, string[]]>([
    ['1', ['1'], SALES, ['node menu (menu)', 'keys menu "1" choice', 'node sales (queue)']],
    ['wrong key then 2', ['8', '2'], SUPPORT, ['node menu (menu)', 'keys menu "8" invalid', 'keys menu "2" choice', 'node support (queue)']],
    [
      'silence until the tries run out',
      [],
      NO_ANSWER,
      ['node menu (menu)', 'timeout menu', 'timeout menu', 'timeout menu', 'node no-answer (queue)'],
    ],
    [
      'wrong keys until the tries run out',
      ['4', '5', '6'],
      WRONG_KEYS,
      ['node menu (menu)', 'keys menu "4" invalid', 'keys menu "5" invalid', 'keys menu "6" invalid', 'node wrong-keys (hangup)'],
    ],
    ['"81": the second key is typed ahead and answers the retry', ['81'], SALES, ['node menu (menu)', 'keys menu "8" invalid', 'keys menu "1" choice', 'node sales (queue)']],
  ])('%s', async (_name, answers, outcome, events) => {
    const io = new Keypad({answers})
    const {events: seen, trace} = recorder()
    expect(await runFlow(MENU, io, state(), trace)).toEqual(outcome)
    expect(seen).toEqual(events)
  })

  it('plays the invalid prompt after a wrong key, then the menu again', async () => {
    const io = new Keypad({answers: ['8', '1']})
    await runFlow(MENU, io, state(), recorder().trace)
    expect(io.log).toEqual(['play sound:vm-press digits:1 [en]', 'play sound:pbx-invalid [en]', 'play sound:vm-press digits:1 [en]'])
  })

  it('waits the menu timeout in milliseconds, one key at a time', async () => {
    const asked: {max: number; terminator: string | null; timeoutMs: number}[] = []
    const io = new Keypad({answers: ['2']})
    const read = io.readDigits.bind(io)
    io.readDigits = (o) => (asked.push(o), read(o))
    const f = flow('flow: t\nstart: m\nnodes:\n  m: {type: menu, prompt: p, choices: {"2": q}, timeout: 7}\n  q: {type: queue, queue: q}\n')
    await runFlow(f, io, state(), recorder().trace)
    expect(asked).toEqual([{max: 1, terminator: null, timeoutMs: 7000}])
  })
})

// ---------------------------------------------------------------------------------------

const IMPLICIT = flow(`
flow: implicit
start: menu
nodes:
  menu: {type: menu, prompt: sound:vm-press, choices: {"1": account}, retries: 1}
  account: {type: collect, prompt: sound:enter-account, var: account, min: 4, max: 4, retries: 0, next: done}
  done: {type: queue, queue: support}
`)

describe('implicit hangup when onTimeout / onInvalid are not given', () => {
  it.each<[string, string[], IvrOutcome, string[]]>([
    ['menu: silence twice', ['', ''], IMPLICIT_HANGUP, []],
    ['menu: wrong keys twice', ['7', '8'], IMPLICIT_HANGUP, ['menu:7', 'menu:8']],
    ['menu: wrong, then silence', ['7', ''], IMPLICIT_HANGUP, ['menu:7']],
    ['collect: silence', ['1', ''], IMPLICIT_HANGUP, ['menu:1']],
    ['collect: too short', ['1', '12#'], IMPLICIT_HANGUP, ['menu:1', 'account:12']],
    ['collect: right length', ['1', '1234'], queued('support'), ['menu:1', 'account:1234']],
  ])('%s', async (_name, inputs, outcome, keyTrail) => {
    const r = await dryRun(IMPLICIT, {inputs, at: MONDAY_NOON_SHANGHAI})
    expect(r.outcome).toEqual(outcome)
    expect(r.keyTrail).toEqual(keyTrail)
  })

  it('the implicit hangup is not a node: the walk ends without entering one', async () => {
    const {events, trace} = recorder()
    expect(await runFlow(IMPLICIT, new Keypad({answers: ['9', '9']}), state(), trace)).toEqual(IMPLICIT_HANGUP)
    expect(events).toEqual(['node menu (menu)', 'keys menu "9" invalid', 'keys menu "9" invalid'])
  })
})

// ---------------------------------------------------------------------------------------

const COLLECT = flow(`
flow: collect
start: account
nodes:
  account:
    type: collect
    prompt: sound:enter-account
    var: account
    min: 4
    max: 6
    retries: 1
    next: check
    onTimeout: no-answer
    onInvalid: wrong
  check: {type: branch, on: var.account, cases: {"1234": gold, "99999": silver}, default: normal}
  gold: {type: queue, queue: gold}
  silver: {type: queue, queue: silver}
  normal: {type: queue, queue: normal}
  no-answer: {type: voicemail}
  wrong: {type: hangup, prompt: sound:pbx-invalid}
`)

const GOLD = queued('gold')
const SILVER = queued('silver')
const NORMAL = queued('normal')
const NO_ANSWER_VM: IvrOutcome = {action: 'voicemail', prompt: ['sound:vm-intro']}
const WRONG = hungUp(['sound:pbx-invalid'])

describe('collect: dry run over key sequences', () => {
  it.each<[string, string[], IvrOutcome, string[]]>([
    ['1234# (terminator)', ['1234#'], GOLD, ['account:1234']],
    ['1234 (no terminator: entry ends on silence)', ['1234'], GOLD, ['account:1234']],
    ['99999#', ['99999#'], SILVER, ['account:99999']],
    ['555555# (max length)', ['555555#'], NORMAL, ['account:555555']],
    ['5555555# (past max: the first six keys)', ['5555555#'], NORMAL, ['account:555555']],
    ['12*4# (* is a key like a digit)', ['12*4#'], NORMAL, ['account:12*4']],
    ['too short, then right', ['123#', '1234#'], GOLD, ['account:123', 'account:1234']],
    ['too short twice → onInvalid', ['12#', '34#'], WRONG, ['account:12', 'account:34']],
    ['only the terminator: nothing entered is invalid', ['#', '1234#'], GOLD, ['account:', 'account:1234']],
    ['silence, then 99999', ['', '99999#'], SILVER, ['account:99999']],
    ['silence twice → onTimeout', ['', ''], NO_ANSWER_VM, []],
    ['no input → onTimeout', [], NO_ANSWER_VM, []],
    ['too short, then silence → onTimeout', ['12', ''], NO_ANSWER_VM, ['account:12']],
    ['silence, then too short → onInvalid', ['', '12'], WRONG, ['account:12']],
  ])('%s', async (_name, inputs, outcome, keyTrail) => {
    const r = await dryRun(COLLECT, {inputs, at: MONDAY_NOON_SHANGHAI})
    expect(r.outcome).toEqual(outcome)
    expect(r.keyTrail).toEqual(keyTrail)
  })

  it('records the collected digits on the step', async () => {
    const r = await dryRun(COLLECT, {inputs: ['12#', '1234#'], at: MONDAY_NOON_SHANGHAI})
    expect(r.steps).toEqual([
      {node: 'account', kind: 'collect', prompts: ['sound:enter-account', 'sound:enter-account'], keys: '12,1234', result: 'collected'},
      {node: 'check', kind: 'branch'},
      {node: 'gold', kind: 'queue'},
    ])
  })

  it('a custom terminator ends the entry', async () => {
    const pin = flow(`
flow: pin
start: pin
nodes:
  pin: {type: collect, prompt: sound:enter-pin, var: pin, min: 1, max: 8, terminator: "*", next: check}
  check: {type: branch, on: var.pin, cases: {"4321": ok}, default: bad}
  ok: {type: queue, queue: ok}
  bad: {type: queue, queue: bad}
`)
    expect((await dryRun(pin, {inputs: ['4321*'], at: MONDAY_NOON_SHANGHAI})).outcome).toEqual(queued('ok'))
    expect((await dryRun(pin, {inputs: ['4321#'], at: MONDAY_NOON_SHANGHAI})).keyTrail).toEqual(['pin:4321#'])
    expect((await runFlow(pin, new Keypad({answers: ['4321*']}), state(), recorder().trace))).toEqual(queued('ok'))
  })

  // BUG: the dry run only strips a terminator at the very end of an input; a live call
  // (CallMedia.readDigits, and IvrIO's contract) ends the entry at the terminator.
  it('a terminator in the middle of an input ends the entry there, as on a live call', async () => {
    const live = await runFlow(COLLECT, new Keypad({answers: ['1234#99']}), state(), recorder().trace)
    expect(live).toEqual(GOLD)
    const r = await dryRun(COLLECT, {inputs: ['1234#99'], at: MONDAY_NOON_SHANGHAI})
    expect(r.keyTrail).toEqual(['account:1234'])
    expect(r.outcome).toEqual(live)
  })
})

describe('collect: runFlow with a keypad', () => {
  it.each<[string, string[], IvrOutcome, Record<string, string>]>([
    ['1234#', ['1234#'], GOLD, {account: '1234'}],
    ['1234 then silence', ['1234'], GOLD, {account: '1234'}],
    ['six keys end the entry without a terminator', ['123456'], NORMAL, {account: '123456'}],
    ['too short, then 99999#', ['12#', '99999#'], SILVER, {account: '99999'}],
    ['too short twice', ['1#', '2#'], WRONG, {}],
    ['silence twice', [], NO_ANSWER_VM, {}],
  ])('%s', async (_name, answers, outcome, vars) => {
    const s = state()
    expect(await runFlow(COLLECT, new Keypad({answers}), s, recorder().trace)).toEqual(outcome)
    expect(s.vars).toEqual(vars)
  })

  it('asks for up to max keys with the terminator and the timeout', async () => {
    const asked: unknown[] = []
    const io = new Keypad({answers: ['1234#']})
    const read = io.readDigits.bind(io)
    io.readDigits = (o) => (asked.push(o), read(o))
    await runFlow(COLLECT, io, state(), recorder().trace)
    expect(asked).toEqual([{max: 6, terminator: '#', timeoutMs: 5000}])
  })

  it('keys that time out half-way count as the entry', async () => {
    const s = state()
    const {events, trace} = recorder()
    expect(await runFlow(COLLECT, new Keypad({answers: ['99999']}), s, trace)).toEqual(SILVER)
    expect(events).toEqual(['node account (collect)', 'keys account "99999" collected', 'node check (branch)', 'node silver (queue)'])
  })

  it('keys past max are typed ahead into the next question', async () => {
    const two = flow(`
flow: two
start: a
nodes:
  a: {type: collect, prompt: sound:a, var: a, min: 2, max: 2, next: b}
  b: {type: collect, prompt: sound:b, var: b, min: 2, max: 2, next: q}
  q: {type: queue, queue: q}
`)
    const s = state()
    const io = new Keypad({answers: ['1234']})
    await runFlow(two, io, s, recorder().trace)
    expect(s.vars).toEqual({a: '12', b: '34'})
    expect(io.log).toEqual(['play sound:a [en]', 'skip sound:b'])
  })
})

// ---------------------------------------------------------------------------------------

const TYPE_AHEAD = flow(`
flow: typeahead
start: welcome
nodes:
  welcome: {type: play, prompt: [sound:hello-world, sound:welcome-long], next: menu}
  menu:
    type: menu
    prompt: [sound:vm-press, digits:1]
    choices: {"1": account, "2": support}
    onTimeout: support
  account: {type: collect, prompt: sound:enter-account, var: account, min: 4, max: 4, next: check}
  check: {type: branch, on: var.account, cases: {"1234": gold}, default: support}
  gold: {type: queue, queue: gold}
  support: {type: queue, queue: support}
`)

describe('type-ahead: keys pressed during a prompt answer the next question', () => {
  it('a key pressed during the welcome answers the menu without playing it', async () => {
    const io = new Keypad({during: {'sound:welcome-long': '2'}})
    const {events, trace} = recorder()
    expect(await runFlow(TYPE_AHEAD, io, state(), trace)).toEqual(queued('support'))
    expect(io.log).toEqual(['play sound:hello-world sound:welcome-long [en]', 'pressed 2 during sound:welcome-long', 'skip sound:vm-press digits:1'])
    expect(events).toEqual(['node welcome (play)', 'node menu (menu)', 'keys menu "2" choice', 'node support (queue)'])
  })

  it('keys typed ahead through two questions: the menu choice and the whole account number', async () => {
    const io = new Keypad({during: {'sound:hello-world': '11234'}})
    const s = state()
    expect(await runFlow(TYPE_AHEAD, io, s, recorder().trace)).toEqual(queued('gold'))
    expect(s.vars.account).toBe('1234')
    expect(io.log).toEqual(['play sound:hello-world sound:welcome-long [en]', 'pressed 11234 during sound:hello-world', 'skip sound:vm-press digits:1', 'skip sound:enter-account'])
  })

  it('once the typed-ahead keys are used up, the next prompt plays again', async () => {
    const io = new Keypad({during: {'sound:hello-world': '1'}, answers: ['1234']})
    expect(await runFlow(TYPE_AHEAD, io, state(), recorder().trace)).toEqual(queued('gold'))
    expect(io.log).toEqual(['play sound:hello-world sound:welcome-long [en]', 'pressed 1 during sound:hello-world', 'skip sound:vm-press digits:1', 'play sound:enter-account [en]'])
  })

  it('a key pressed during the menu prompt stops it and answers it', async () => {
    const io = new Keypad({during: {'digits:1': '1', 'sound:enter-account': '12'}, answers: ['34']})
    const s = state()
    expect(await runFlow(TYPE_AHEAD, io, s, recorder().trace)).toEqual(queued('gold'))
    expect(s.vars.account).toBe('1234')
  })

  it('part of an account number typed ahead is completed by the caller', async () => {
    const io = new Keypad({during: {'sound:welcome-long': '112'}, answers: ['34']})
    const s = state()
    expect(await runFlow(TYPE_AHEAD, io, s, recorder().trace)).toEqual(queued('gold'))
    expect(s.vars.account).toBe('1234')
    expect(io.log.at(-1)).toBe('skip sound:enter-account')
  })

  it('a wrong key typed ahead is refused and the menu is played after the invalid prompt', async () => {
    const io = new Keypad({during: {'sound:hello-world': '9'}, answers: ['2']})
    const {events, trace} = recorder()
    expect(await runFlow(TYPE_AHEAD, io, state(), trace)).toEqual(queued('support'))
    expect(events).toEqual(['node welcome (play)', 'node menu (menu)', 'keys menu "9" invalid', 'keys menu "2" choice', 'node support (queue)'])
    expect(io.log).toEqual(['play sound:hello-world sound:welcome-long [en]', 'pressed 9 during sound:hello-world', 'skip sound:vm-press digits:1', 'play sound:pbx-invalid [en]', 'play sound:vm-press digits:1 [en]'])
  })

  it('without type-ahead every prompt plays in full', async () => {
    const io = new Keypad({answers: ['2']})
    await runFlow(TYPE_AHEAD, io, state(), recorder().trace)
    expect(io.log).toEqual(['play sound:hello-world sound:welcome-long [en]', 'play sound:vm-press digits:1 [en]'])
  })
})

// ---------------------------------------------------------------------------------------

const SET = flow(`
flow: set
start: base
nodes:
  base: {type: set, priority: 5, tags: [web], next: vip}
  vip: {type: branch, on: contact.vip, cases: {"true": vip-set}, default: tier}
  vip-set: {type: set, priority: 20, tags: [vip, web], skills: "english & billing>=2", next: tier}
  tier: {type: branch, on: contact.tier, cases: {gold: gold-set, silver: silver-set}, default: lang}
  gold-set: {type: set, priority: 10, tag: gold, next: lang}
  silver-set: {type: set, priority: 1, tags: silver, skills: english, next: lang}
  lang: {type: branch, on: contact.language, cases: {zh: zh-set}, default: route}
  zh-set: {type: set, language: zh, skills: mandarin, vars: {greeting: nihao}, next: route}
  route: {type: branch, on: language, cases: {zh: q-zh}, default: q}
  q: {type: queue, queue: support}
  q-zh: {type: queue, queue: support-zh}
`)

describe('set: priority only goes up, tags accumulate, skills and language', () => {
  it.each<[string, CallerContact | null, IvrOutcome]>([
    ['no contact', null, queued('support', {priority: 5, tags: ['web']})],
    ['VIP', contact({vip: true}), queued('support', {priority: 20, tags: ['web', 'vip'], skills: 'english & billing>=2'})],
    ['VIP and gold: 10 does not lower 20', contact({vip: true, tier: 'gold'}), queued('support', {priority: 20, tags: ['web', 'vip', 'gold'], skills: 'english & billing>=2'})],
    ['gold', contact({tier: 'gold'}), queued('support', {priority: 10, tags: ['web', 'gold']})],
    ['silver: 1 does not lower 5', contact({tier: 'silver'}), queued('support', {priority: 5, tags: ['web', 'silver'], skills: 'english'})],
    ['VIP and silver: the later skills win', contact({vip: true, tier: 'silver'}), queued('support', {priority: 20, tags: ['web', 'vip', 'silver'], skills: 'english'})],
    ['tier GOLD (case-insensitive)', contact({tier: 'GOLD'}), queued('support', {priority: 10, tags: ['web', 'gold']})],
    ['tier Silver (case-insensitive)', contact({tier: 'Silver'}), queued('support', {priority: 5, tags: ['web', 'silver'], skills: 'english'})],
    ['tier platinum → default', contact({tier: 'platinum'}), queued('support', {priority: 5, tags: ['web']})],
    ['Chinese speaker', contact({language: 'zh'}), queued('support-zh', {priority: 5, tags: ['web'], skills: 'mandarin'})],
    ['Chinese-speaking gold VIP', contact({language: 'ZH', vip: true, tier: 'gold'}), queued('support-zh', {priority: 20, tags: ['web', 'vip', 'gold'], skills: 'mandarin'})],
  ])('%s', async (_name, who, outcome) => {
    const r = await dryRun(SET, {inputs: [], at: MONDAY_NOON_SHANGHAI, contact: who})
    expect(r.outcome).toEqual(outcome)
  })

  it('changes the state in place: language for later prompts, vars, and tags without duplicates', async () => {
    const f = flow(`
flow: lang
start: a
nodes:
  a: {type: play, prompt: sound:hello, next: b}
  b: {type: set, language: zh, tags: [x, y], vars: {n: 1, ok: true}, next: c}
  c: {type: set, tags: [y, z], priority: 3, next: d}
  d: {type: play, prompt: sound:hello, next: q}
  q: {type: queue, queue: q, priority: 2, skills: "cantonese"}
`)
    const s = state({priority: 7, tags: ['caller-tag'], skills: 'english'})
    const io = new Keypad()
    expect(await runFlow(f, io, s, recorder().trace)).toEqual(queued('q', {priority: 7, tags: ['caller-tag', 'x', 'y', 'z'], skills: 'cantonese'}))
    expect(io.log).toEqual(['play sound:hello [en]', 'play sound:hello [zh]'])
    expect(s).toMatchObject({language: 'zh', priority: 7, tags: ['caller-tag', 'x', 'y', 'z'], skills: 'english', vars: {n: '1', ok: 'true'}})
  })
})

describe('queue outcome: priority, skills and tags', () => {
  const Q = flow(`
flow: q
start: s
nodes:
  s: {type: set, priority: 4, tags: [t1], skills: english, next: b}
  b: {type: branch, on: caller.number, cases: {"100": plain, "200": urgent, "300": skilled}, default: plain}
  plain: {type: queue, queue: support}
  urgent: {type: queue, queue: support, priority: 50}
  skilled: {type: queue, queue: support, priority: 2, skills: "billing>=3"}
`)
  it.each<[string, IvrOutcome]>([
    ['100', queued('support', {priority: 4, tags: ['t1'], skills: 'english'})],
    ['200', queued('support', {priority: 50, tags: ['t1'], skills: 'english'})],
    ['300', queued('support', {priority: 4, tags: ['t1'], skills: 'billing>=3'})],
  ])('caller %s', async (number, outcome) => {
    expect((await dryRun(Q, {inputs: [], at: MONDAY_NOON_SHANGHAI, caller: {number, name: ''}})).outcome).toEqual(outcome)
  })

  it('the tags are a copy: later changes to the state do not reach the outcome', async () => {
    const s = state()
    const out = await runFlow(Q, new Keypad(), s, recorder().trace)
    s.tags.push('later')
    expect(out).toEqual(queued('support', {priority: 4, tags: ['t1'], skills: 'english'}))
  })
})

// ---------------------------------------------------------------------------------------

const BRANCH = flow(`
flow: branch
start: number
nodes:
  number: {type: branch, on: caller.number, cases: {"+8613800138000": boss, "10086": carrier}, default: did}
  did: {type: branch, on: did, cases: {"4008001234": hotline}, default: company}
  company: {type: branch, on: contact.company, cases: {acme: key-account}, default: name}
  name: {type: branch, on: caller.name, cases: {"Han Meimei": friend}, default: vip}
  vip: {type: branch, on: contact.vip, cases: {"true": vip-q, "false": known}, default: other}
  boss: {type: queue, queue: boss}
  carrier: {type: queue, queue: carrier}
  hotline: {type: queue, queue: hotline}
  key-account: {type: queue, queue: key-account}
  friend: {type: queue, queue: friend}
  vip-q: {type: queue, queue: vip}
  known: {type: queue, queue: known}
  other: {type: queue, queue: other}
`)

describe('branch on caller, DID and contact fields', () => {
  it.each<[string, {number?: string; name?: string; did?: string; contact?: CallerContact | null}, string]>([
    ['caller.number with +', {number: '+8613800138000'}, 'boss'],
    ['caller.number', {number: '10086'}, 'carrier'],
    ['did', {number: '555', did: '4008001234'}, 'hotline'],
    ['contact.company', {contact: contact({company: 'acme'})}, 'key-account'],
    ['contact.company, other case', {contact: contact({company: 'ACME'})}, 'key-account'],
    ['caller.name', {name: 'Han Meimei', contact: contact()}, 'friend'],
    ['caller.name, other case', {name: 'han meimei', contact: contact()}, 'friend'],
    ['contact.vip true', {contact: contact({vip: true})}, 'vip'],
    ['contact.vip false', {contact: contact({vip: false})}, 'known'],
    // No contact reads as vip "false" as well.
    ['no contact', {}, 'known'],
    ['caller number that matches nothing', {number: '13800138000'}, 'known'],
    ['the number branch comes first', {number: '10086', did: '4008001234', contact: contact({vip: true})}, 'carrier'],
  ])('%s → %s', async (_name, o, queue) => {
    const r = await dryRun(BRANCH, {inputs: [], at: MONDAY_NOON_SHANGHAI, caller: {number: o.number ?? '', name: o.name ?? ''}, did: o.did ?? '', contact: o.contact ?? null})
    expect(r.outcome).toEqual(queued(queue))
  })

  it('branches on var.X from a collect, with the default for anything else', async () => {
    const f = flow(`
flow: v
start: ask
nodes:
  ask: {type: collect, prompt: sound:enter, var: choice, min: 1, max: 3, next: b}
  b: {type: branch, on: var.choice, cases: {"1": one, "22": two, "*": star}, default: other}
  one: {type: queue, queue: one}
  two: {type: queue, queue: two}
  star: {type: queue, queue: star}
  other: {type: queue, queue: other}
`)
    const cases: [string, string][] = [
      ['1#', 'one'],
      ['22#', 'two'],
      ['*#', 'star'],
      ['2#', 'other'],
      ['222', 'other'],
      ['01#', 'other'],
    ]
    for (const [input, queue] of cases) expect((await dryRun(f, {inputs: [input], at: MONDAY_NOON_SHANGHAI})).outcome, input).toEqual(queued(queue))
    // A var never collected is "" and takes the default.
    const unset = flow('flow: w\nstart: b\nnodes:\n  b: {type: branch, on: var.none, cases: {"": empty, x: q}, default: q}\n  empty: {type: queue, queue: empty}\n  q: {type: queue, queue: q}\n')
    expect((await dryRun(unset, {inputs: [], at: MONDAY_NOON_SHANGHAI})).outcome).toEqual(queued('empty'))
  })
})

// ---------------------------------------------------------------------------------------

describe('lookup replaces the contact', () => {
  const L = flow(`
flow: lookup
start: lookup
nodes:
  lookup: {type: lookup, next: tier}
  tier: {type: branch, on: contact.tier, cases: {gold: gold, silver: silver}, default: normal}
  gold: {type: queue, queue: gold}
  silver: {type: queue, queue: silver}
  normal: {type: queue, queue: normal}
`)
  it.each<[string, CallerContact | null, CallerContact | null, string]>([
    ['unknown caller found as gold', null, contact({tier: 'gold'}), 'gold'],
    ['silver caller now gold', contact({tier: 'silver'}), contact({tier: 'gold'}), 'gold'],
    ['gold caller not found again: the contact is kept', contact({tier: 'gold'}), null, 'gold'],
    ['unknown and not found', null, null, 'normal'],
    ['found with another tier', contact({tier: 'gold'}), contact({tier: 'bronze'}), 'normal'],
  ])('%s', async (_name, before, found, queue) => {
    const s = state({contact: before})
    const io = new Keypad({lookup: found})
    expect(await runFlow(L, io, s, recorder().trace)).toEqual(queued(queue))
    expect(io.lookups).toBe(1)
    expect(s.contact).toEqual(found ?? before)
  })
})

// ---------------------------------------------------------------------------------------

describe('examples/flows/main.yaml: hours in Asia/Shanghai checked at UTC instants', () => {
  const VIP = contact({vip: true})
  const AFTER_HOURS: IvrOutcome = {action: 'voicemail', prompt: ['sound:vm-nobodyavail']}
  it.each<[string, string, CallerContact | null, string[], IvrOutcome]>([
    ['Mon 09:30 (01:30 UTC)', '2026-03-02T01:30:00Z', null, ['1'], queued('sales')],
    ['Mon 08:59 (00:59 UTC)', '2026-03-02T00:59:00Z', null, ['1'], AFTER_HOURS],
    ['Mon 12:00, 2', '2026-03-02T04:00:00Z', null, ['2'], queued('support')],
    ['Mon 12:00, 0 → operator at priority 5', '2026-03-02T04:00:00Z', null, ['0'], queued('support', {priority: 5})],
    ['Mon 12:00, VIP presses 1', '2026-03-02T04:00:00Z', VIP, ['1'], queued('sales', {priority: 10, tags: ['vip']})],
    ['Mon 12:00, VIP presses 0: 5 does not lower 10', '2026-03-02T04:00:00Z', VIP, ['0'], queued('support', {priority: 10, tags: ['vip']})],
    ['Mon 12:00, silence → support', '2026-03-02T04:00:00Z', null, [], queued('support')],
    ['Mon 12:00, wrong keys → goodbye', '2026-03-02T04:00:00Z', null, ['7', '8', '9'], hungUp(['sound:vm-goodbye'])],
    ['Mon 12:00, wrong key then 1', '2026-03-02T04:00:00Z', null, ['7', '1'], queued('sales')],
    ['Fri 17:30 (09:30 UTC)', '2026-03-06T09:30:00Z', null, ['1'], queued('sales')],
    ['Fri 18:30 (10:30 UTC: open hours in UTC, closed in Shanghai)', '2026-03-06T10:30:00Z', null, ['1'], AFTER_HOURS],
    ['Sat 00:30 (Fri 16:30 UTC)', '2026-03-06T16:30:00Z', null, ['1'], AFTER_HOURS],
    ['Sat 13:59 (05:59 UTC)', '2026-03-07T05:59:00Z', null, ['2'], queued('support')],
    ['Sat 14:00 (06:00 UTC)', '2026-03-07T06:00:00Z', null, ['2'], AFTER_HOURS],
    ['Sun 12:00', '2026-03-08T04:00:00Z', VIP, ['1'], AFTER_HOURS],
    ['Thu 1 Oct 10:00: a holiday', '2026-10-01T02:00:00Z', null, ['1'], AFTER_HOURS],
    ['Fri 2 Oct 10:00: a holiday', '2026-10-02T02:00:00Z', null, ['1'], AFTER_HOURS],
    ['Mon 5 Oct 10:00: back to work', '2026-10-05T02:00:00Z', null, ['1'], queued('sales')],
  ])('%s', async (_name, iso, who, inputs, outcome) => {
    const r = await dryRun(MAIN, {inputs, at: new Date(iso), contact: who})
    expect(r.outcome).toEqual(outcome)
  })

  it('walks VIP callers through the greeting and the priority bump', async () => {
    const r = await dryRun(MAIN, {inputs: ['1'], at: MONDAY_NOON_SHANGHAI, contact: VIP})
    expect(r.steps.map((s) => s.node)).toEqual(['vip-check', 'vip-greeting', 'vip-queue', 'hours', 'menu', 'sales'])
    expect(r.steps[1]).toEqual({node: 'vip-greeting', kind: 'play', prompts: ['sound:hello']})
    const plain = await dryRun(MAIN, {inputs: ['1'], at: MONDAY_NOON_SHANGHAI})
    expect(plain.steps.map((s) => s.node)).toEqual(['vip-check', 'welcome', 'hours', 'menu', 'sales'])
  })
})

describe('holiday and hours nodes: special dates, two calendars in two zones', () => {
  const H = flow(`
flow: holidays
timezone: Europe/London
start: holiday
calendars:
  uk:
    open: {mon-fri: "09:00-17:00"}
    closed: [2026-12-25]
    special: {"2026-12-24": "09:00-12:00", "2026-12-27": "10:00-14:00"}
  us: {timezone: America/New_York, open: {mon-fri: "09:00-17:00"}}
nodes:
  holiday: {type: holiday, calendar: uk, holiday: holiday-msg, next: hours}
  hours: {type: hours, calendar: uk, open: uk-queue, closed: us-hours}
  us-hours: {type: hours, calendar: us, open: us-queue, closed: vm}
  holiday-msg: {type: hangup, prompt: sound:holiday}
  uk-queue: {type: queue, queue: uk}
  us-queue: {type: queue, queue: us}
  vm: {type: voicemail}
`)
  const HOLIDAY = hungUp(['sound:holiday'])
  const VM: IvrOutcome = {action: 'voicemail', prompt: ['sound:vm-intro']}
  it.each<[string, string, IvrOutcome]>([
    ['Christmas Day', '2026-12-25T11:00:00Z', HOLIDAY],
    ['Christmas Day, while New York is open', '2026-12-25T15:00:00Z', HOLIDAY],
    ['Christmas Eve 11:00: special hours', '2026-12-24T11:00:00Z', queued('uk')],
    ['Christmas Eve 13:00: the UK closed at noon, New York not open yet', '2026-12-24T13:00:00Z', VM],
    ['Christmas Eve 15:00: New York open (10:00 EST)', '2026-12-24T15:00:00Z', queued('us')],
    ['Sunday 27 Dec 11:00: a special working Sunday', '2026-12-27T11:00:00Z', queued('uk')],
    ['Sunday 20 Dec 11:00: no hours', '2026-12-20T11:00:00Z', VM],
    ['Wed 16:59 GMT', '2026-12-23T16:59:00Z', queued('uk')],
    ['Wed 17:00 GMT = 12:00 EST', '2026-12-23T17:00:00Z', queued('us')],
    ['Wed 21:59 UTC = 16:59 EST', '2026-12-23T21:59:00Z', queued('us')],
    ['Wed 22:00 UTC = 17:00 EST', '2026-12-23T22:00:00Z', VM],
    ['July 08:30 UTC = 09:30 BST', '2026-07-01T08:30:00Z', queued('uk')],
    ['July 07:30 UTC = 08:30 BST, 03:30 EDT', '2026-07-01T07:30:00Z', VM],
    ['July 16:30 UTC = 17:30 BST, 12:30 EDT', '2026-07-01T16:30:00Z', queued('us')],
    ['July 21:00 UTC = 17:00 EDT', '2026-07-01T21:00:00Z', VM],
  ])('%s', async (_name, iso, outcome) => {
    const io = new Keypad({at: new Date(iso)})
    expect(await runFlow(H, io, state(), recorder().trace)).toEqual(outcome)
    expect((await dryRun(H, {inputs: [], at: new Date(iso)})).outcome).toEqual(outcome)
  })
})

// ---------------------------------------------------------------------------------------

describe('the call ends: outcomes, the key trail, hang-ups', () => {
  it('voicemail, transfer and hangup carry their prompt or number', async () => {
    const f = flow(`
flow: ends
start: m
nodes:
  m: {type: menu, prompt: p, choices: {"1": vm, "2": xfer, "3": bye, "4": quiet, "5": vm-default}}
  vm: {type: voicemail, prompt: [sound:vm-nobodyavail, sound:vm-intro]}
  vm-default: {type: voicemail}
  xfer: {type: transfer, number: "4008001234"}
  bye: {type: hangup, prompt: [sound:thanks, sound:vm-goodbye]}
  quiet: {type: hangup}
`)
    const cases: [string, IvrOutcome][] = [
      ['1', {action: 'voicemail', prompt: ['sound:vm-nobodyavail', 'sound:vm-intro']}],
      ['2', {action: 'transfer', number: '4008001234'}],
      ['3', hungUp(['sound:thanks', 'sound:vm-goodbye'])],
      ['4', hungUp([])],
      ['5', {action: 'voicemail', prompt: ['sound:vm-intro']}],
    ]
    for (const [key, outcome] of cases) {
      expect((await dryRun(f, {inputs: [key], at: MONDAY_NOON_SHANGHAI})).outcome, key).toEqual(outcome)
      expect(await runFlow(f, new Keypad({answers: [key]}), state(), recorder().trace), key).toEqual(outcome)
    }
  })

  it('keeps the key trail across nodes: menus, collects, wrong keys and retries', async () => {
    const f = flow(`
flow: trail
start: m
nodes:
  m: {type: menu, prompt: p, choices: {"1": acct, "2": sub}}
  sub: {type: menu, prompt: p, choices: {"9": m, "1": acct}}
  acct: {type: collect, prompt: p, var: a, min: 3, max: 5, next: q}
  q: {type: queue, queue: q}
`)
    const r = await dryRun(f, {inputs: ['7', '2', '9', '', '1', '12#', '12345'], at: MONDAY_NOON_SHANGHAI})
    expect(r.keyTrail).toEqual(['m:7', 'm:2', 'sub:9', 'm:1', 'acct:12', 'acct:12345'])
    expect(r.steps.map((s) => [s.node, s.keys ?? null, s.result ?? null])).toEqual([
      ['m', '7,2', 'choice'],
      ['sub', '9', 'choice'],
      ['m', '1', 'choice'],
      ['acct', '12,12345', 'collected'],
      ['q', null, null],
    ])
    expect(r.outcome).toEqual(queued('q'))
  })

  it('a caller going round a menu forever is stopped after 1000 steps', async () => {
    const f = flow(`
flow: forever
start: m
nodes:
  m: {type: menu, prompt: p, choices: {"*": again, "1": q}}
  again: {type: goto, target: m}
  q: {type: queue, queue: q}
`)
    const r = await dryRun(f, {inputs: Array<string>(600).fill('*'), at: MONDAY_NOON_SHANGHAI})
    expect(r.outcome).toEqual(hungUp(['sound:vm-goodbye'], 'too-many-steps'))
    expect(r.steps).toHaveLength(1000)
    expect(r.keyTrail).toHaveLength(500)
    expect(r.unusedInputs).toHaveLength(100)
  })

  it('a caller who hangs up while asked: CallGone propagates out of runFlow', async () => {
    const {events, trace} = recorder()
    const io = new Keypad({answers: ['5'], hangUpWhenDone: true})
    await expect(runFlow(MENU, io, state(), trace)).rejects.toBeInstanceOf(CallGone)
    expect(events).toEqual(['node menu (menu)', 'keys menu "5" invalid'])
  })

  it('a caller who hangs up during a prompt: CallGone propagates, the walk stops there', async () => {
    const {events, trace} = recorder()
    const io = new Keypad({answers: ['1'], hangUpDuring: 'sound:welcome-long'})
    await expect(runFlow(TYPE_AHEAD, io, state(), trace)).rejects.toThrow(new CallGone())
    expect(events).toEqual(['node welcome (play)'])
    expect(io.log).toEqual(['play sound:hello-world sound:welcome-long [en]'])
  })

  it('a caller who hangs up during the contact lookup: CallGone propagates', async () => {
    const f = flow('flow: l\nstart: l\nnodes:\n  l: {type: lookup, next: q}\n  q: {type: queue, queue: q}\n')
    const err = await runFlow(f, new Keypad({hangUpOnLookup: true}), state(), recorder().trace).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CallGone)
    expect((err as CallGone).message).toBe('the caller hung up')
    expect((err as CallGone).name).toBe('CallGone')
  })
})
