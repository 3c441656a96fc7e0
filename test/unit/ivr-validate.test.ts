import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {ConfigError} from '../../src/engine/config/yaml-errors.js'
import {ANY_PROMPT, NODE_TYPES, type Flow, type PromptCatalog} from '../../src/engine/ivr/flow.js'
import {dryRun} from '../../src/engine/ivr/dry-run.js'
import {checkFlow, FlowInvalidError, parseFlow} from '../../src/engine/ivr/parse-flow.js'
import {PromptBook, type PromptRecord} from '../../src/engine/prompts/prompt-store.js'
import {UserError} from '../../src/engine/util/errors.js'

// The flow validator over a corpus of broken flows (test/fixtures/flows), each with the
// exact messages `callctl ivr validate` prints: FILE:LINE:COLUMN: detail, plus the
// suggestion when there is one.

const DIR = fileURLToPath(new URL('../fixtures/flows/', import.meta.url))
const EXAMPLE = fileURLToPath(new URL('../../examples/flows/main.yaml', import.meta.url))
const F = 'test/fixtures/flows/'

let soundsDir: string
/** Our prompts "greeting" and "main-menu", and Asterisk sounds from a fake sounds directory. */
let book: PromptBook

function record(name: string, language = 'en'): PromptRecord {
  return {name, language, file: `callctl/${name}-${language}`, source: 'upload', text: null, durationMs: null, createdAt: 0}
}

beforeAll(() => {
  soundsDir = mkdtempSync(join(tmpdir(), 'callctl-sounds-'))
  mkdirSync(join(soundsDir, 'en', 'digits'), {recursive: true})
  mkdirSync(join(soundsDir, 'zh'), {recursive: true})
  for (const f of ['en/hello-world.gsm', 'en/vm-goodbye.ulaw', 'en/digits/1.gsm', 'zh/vm-press.gsm']) writeFileSync(join(soundsDir, f), '')
  book = new PromptBook([record('greeting'), record('greeting', 'zh'), record('main-menu', 'zh')], soundsDir)
})

afterAll(() => {
  rmSync(soundsDir, {recursive: true, force: true})
})

function check(name: string, catalog: PromptCatalog = ANY_PROMPT) {
  return checkFlow(readFileSync(join(DIR, name), 'utf8'), F + name, catalog)
}

function problems(name: string, catalog?: PromptCatalog) {
  const {flow, errors} = check(name, catalog)
  for (const e of errors) expect(e).toBeInstanceOf(ConfigError)
  return {flow, errors: errors.map((e) => ({message: e.message, suggestion: e.suggestion}))}
}

const LOOP = 'is in a loop with no way out: the call can never reach a queue, voicemail, transfer or hangup from it'
const LOOP_HINT = 'Give the loop an exit (a menu timeout, a branch default, a hangup).'
const NODE_TYPES_HINT = 'Node types: play, menu, collect, hours, holiday, set, lookup, branch, queue, voicemail, transfer, goto, hangup.'
const TOP_HINT = 'Accepted at the top: flow, language, timezone, start, calendars, survey, nodes.'
const PROMPT_HINT = 'A prompt is a name of ours, sound:NAME (Asterisk), digits:123 or number:42.'
const PROMPT_SHAPE = 'a prompt is a name (or a list of names): our prompts by name, Asterisk sounds as sound:NAME'
const HOURS_HINT = 'Use "09:00-18:00" or "09:00-12:00, 13:00-18:00" or "closed".'
const UNREACHABLE_HINT = 'Remove it or lead a node to it.'

type Expected = [message: string, suggestion?: string]

interface Case {
  file: string
  errors: Expected[]
  /** Checked against the PromptBook (our prompts and a sounds directory) instead of ANY_PROMPT. */
  withBook?: boolean
}

// One problem per file (a typo in a field name also leaves the real field missing).
const BROKEN: Case[] = [
  // YAML itself
  {file: 'yaml-syntax.yaml', errors: [['yaml-syntax.yaml:5:78: Flow sequence in block collection must be sufficiently indented and end with a ]', 'Check indentation and quoting near that line.']]},
  {file: 'duplicate-key.yaml', errors: [['duplicate-key.yaml:9:3: Map keys must be unique', 'Check indentation and quoting near that line.']]},
  {file: 'not-a-mapping.yaml', errors: [['not-a-mapping.yaml:2:1: a flow is a mapping with flow, start and nodes', 'See: callctl ivr validate --help']]},
  // The top of the flow
  {file: 'missing-flow-name.yaml', errors: [['missing-flow-name.yaml:2:1: the flow needs a name: flow: NAME']]},
  {file: 'blank-flow-name.yaml', errors: [['blank-flow-name.yaml:2:7: the flow needs a name: flow: NAME']]},
  {file: 'missing-start.yaml', errors: [['missing-start.yaml:2:1: the flow needs start: NODE']]},
  {file: 'start-missing-node.yaml', errors: [['start-missing-node.yaml:3:8: start node "welcom" does not exist', 'Nodes: welcome, bye']]},
  {file: 'no-nodes.yaml', errors: [['no-nodes.yaml:2:1: the flow needs nodes: a mapping of node names to nodes']]},
  {file: 'empty-nodes.yaml', errors: [['empty-nodes.yaml:4:8: the flow needs nodes: a mapping of node names to nodes']]},
  {file: 'unknown-top-key.yaml', errors: [['unknown-top-key.yaml:4:1: unknown key "calendar"', TOP_HINT]]},
  {file: 'invalid-timezone.yaml', errors: [['invalid-timezone.yaml:3:11: unknown time zone "Mars/Olympus_Mons"', 'Use an IANA zone such as Asia/Shanghai or Europe/London.']]},
  {file: 'language-not-text.yaml', errors: [['language-not-text.yaml:3:11: language must be a code such as en or zh']]},
  // Nodes and their fields
  {file: 'node-not-mapping.yaml', errors: [['node-not-mapping.yaml:5:12: node "welcome" must be a mapping with a type']]},
  {file: 'invalid-node-name.yaml', errors: [['invalid-node-name.yaml:5:3: invalid node name "good bye"', 'Use letters, digits, "_" and "-".']]},
  {file: 'unknown-node-type.yaml', errors: [['unknown-node-type.yaml:6:11: unknown node type "playback" in node "welcome"', NODE_TYPES_HINT]]},
  {file: 'missing-node-type.yaml', errors: [['missing-node-type.yaml:6:5: unknown node type undefined in node "welcome"', NODE_TYPES_HINT]]},
  {
    file: 'unknown-field-nxt.yaml',
    errors: [['unknown-field-nxt.yaml:8:5: unknown field "nxt" for a play node', 'A play node has: prompt, next.'], ['unknown-field-nxt.yaml:6:5: play node "welcome" needs "next"']],
  },
  {file: 'missing-required-field.yaml', errors: [['missing-required-field.yaml:6:5: queue node "sales" needs "queue"']]},
  {file: 'timeout-string.yaml', errors: [['timeout-string.yaml:9:14: timeout must be a whole number from 1 to 60']]},
  {file: 'retries-negative.yaml', errors: [['retries-negative.yaml:9:14: retries must be a whole number from 0 to 10']]},
  {file: 'priority-out-of-range.yaml', errors: [['priority-out-of-range.yaml:5:30: priority must be a whole number from 0 to 100']]},
  {file: 'choice-two-char-key.yaml', errors: [['choice-two-char-key.yaml:10:7: choice key "12" must be one key: 0-9, * or #']]},
  {file: 'choice-not-node.yaml', errors: [['choice-not-node.yaml:9:12: choice "1" must name a node']]},
  {file: 'empty-choices.yaml', errors: [['empty-choices.yaml:8:14: choices must map keys to node names, e.g. {"1": sales}']]},
  {file: 'terminator-two-keys.yaml', errors: [['terminator-two-keys.yaml:9:17: terminator must be one key: 0-9, * or #']]},
  {file: 'bad-tags.yaml', errors: [['bad-tags.yaml:7:11: tags must be a tag or a list of tags']]},
  {file: 'collect-min-gt-max.yaml', errors: [['collect-min-gt-max.yaml:9:10: min is larger than max']]},
  {file: 'transfer-not-phone.yaml', errors: [['transfer-not-phone.yaml:7:13: number must be a phone number (digits, optional +)']]},
  {file: 'set-bad-skills.yaml', errors: [['set-bad-skills.yaml:7:13: skills: Invalid skill expression "billing>= & english" at column 11: expected a level (a whole number from 0 to 99)']]},
  {file: 'queue-bad-skills.yaml', errors: [['queue-bad-skills.yaml:8:13: skills: Invalid skill expression "(english | mandarin" at column 20: expected ")"']]},
  {
    file: 'branch-unsupported-field.yaml',
    errors: [
      [
        'branch-unsupported-field.yaml:7:9: cannot branch on "contact.email"',
        'Branch on contact.tier, contact.vip, contact.name, contact.language, caller.number, caller.name, did, language or var.NAME.',
      ],
    ],
  },
  // Targets, reachability, loops
  {file: 'target-missing-choice.yaml', errors: [['target-missing-choice.yaml:10:12: node "menu" goes to "suport", which does not exist', 'Nodes: menu, sales']]},
  {file: 'target-missing-case.yaml', errors: [['target-missing-case.yaml:10:15: node "tier" goes to "silver-queue", which does not exist', 'Nodes: tier, gold-queue, normal']]},
  {file: 'target-missing-ontimeout.yaml', errors: [['target-missing-ontimeout.yaml:9:16: node "menu" goes to "operator", which does not exist', 'Nodes: menu, sales']]},
  {file: 'unreachable-node.yaml', errors: [['unreachable-node.yaml:10:3: node "orphan" is unreachable from start "welcome"', UNREACHABLE_HINT]]},
  {
    file: 'loop-goto.yaml',
    errors: [
      [`loop-goto.yaml:5:3: node "a" ${LOOP}`, LOOP_HINT],
      [`loop-goto.yaml:6:3: node "b" ${LOOP}`, LOOP_HINT],
    ],
  },
  {
    file: 'loop-play.yaml',
    errors: [
      [`loop-play.yaml:5:3: node "hello" ${LOOP}`, LOOP_HINT],
      [`loop-play.yaml:9:3: node "again" ${LOOP}`, LOOP_HINT],
    ],
  },
  {
    file: 'loop-branch-default.yaml',
    errors: [
      [`loop-branch-default.yaml:5:3: node "check" ${LOOP}`, LOOP_HINT],
      [`loop-branch-default.yaml:10:3: node "reset" ${LOOP}`, LOOP_HINT],
    ],
  },
  // Prompts
  {
    file: 'prompt-missing-ours.yaml',
    withBook: true,
    errors: [['prompt-missing-ours.yaml:7:24: prompt "welcom-message" does not exist', 'Add it with: callctl prompt add welcom-message FILE, or callctl prompt tts welcom-message --lang en TEXT']],
  },
  {
    file: 'prompt-missing-sound.yaml',
    withBook: true,
    errors: [['prompt-missing-sound.yaml:7:33: prompt "sound:helo-world" does not exist', 'Check the Asterisk sound name (callctl prompt list --sounds).']],
  },
  {file: 'prompt-path-traversal.yaml', errors: [['prompt-path-traversal.yaml:7:13: invalid prompt name "../../etc/passwd"', PROMPT_HINT]]},
  {file: 'prompt-with-spaces.yaml', errors: [['prompt-with-spaces.yaml:7:33: invalid prompt name "welcome to acme"', PROMPT_HINT]]},
  {file: 'prompt-not-text.yaml', errors: [[`prompt-not-text.yaml:7:13: ${PROMPT_SHAPE}`]]},
  // Calendars
  {file: 'calendar-bad-days.yaml', errors: [['calendar-bad-days.yaml:7:7: "mon-fry" is not a day or day range', 'Use mon, tue, … sun, ranges like mon-fri, lists like mon,wed, or daily.']]},
  {file: 'calendar-bad-hours.yaml', errors: [['calendar-bad-hours.yaml:7:16: "18:00-09:00" is not a list of hours', HOURS_HINT]]},
  {file: 'calendar-bad-holiday.yaml', errors: [['calendar-bad-holiday.yaml:9:9: "01/10/2026" is not a date (YYYY-MM-DD)']]},
  {file: 'calendar-bad-timezone.yaml', errors: [['calendar-bad-timezone.yaml:6:15: unknown time zone "Asia/Beijing"', 'Use an IANA zone such as Asia/Shanghai.']]},
  {file: 'calendar-bad-special.yaml', errors: [['calendar-bad-special.yaml:8:19: special dates map YYYY-MM-DD to hours like "09:00-12:00"']]},
  {file: 'calendar-no-open.yaml', errors: [['calendar-no-open.yaml:6:5: a calendar needs open: {mon-fri: "09:00-18:00", sat: "10:00-14:00"}']]},
  {file: 'hours-undefined-calendar.yaml', errors: [['hours-undefined-calendar.yaml:8:34: calendar "ofice" is not defined', 'Define it under calendars: (defined: office).']]},
  {file: 'holiday-no-calendars.yaml', errors: [['holiday-no-calendars.yaml:5:38: calendar "office" is not defined', 'Define it under calendars:.']]},
  // Survey
  {file: 'survey-unknown-key.yaml', errors: [['survey-unknown-key.yaml:6:3: unknown key "thankyou" in survey', 'survey has prompt, thanks and timeout.']]},
  {file: 'survey-bad-timeout.yaml', errors: [['survey-bad-timeout.yaml:6:12: survey.timeout must be seconds from 1 to 30']]},
  {file: 'survey-no-prompt.yaml', errors: [[`survey-no-prompt.yaml:5:3: ${PROMPT_SHAPE}`]]},
]

const SEVERAL: Expected[] = [
  ['several-problems.yaml:5:1: unknown key "colour"', TOP_HINT],
  ['several-problems.yaml:3:11: unknown time zone "Europe/Lodnon"', 'Use an IANA zone such as Asia/Shanghai or Europe/London.'],
  ['several-problems.yaml:13:14: timeout must be a whole number from 1 to 60'],
  ['several-problems.yaml:12:7: choice key "10" must be one key: 0-9, * or #'],
  ['several-problems.yaml:17:13: skills: Invalid skill expression "english &" at column 10: expected a skill name, found the end'],
  ['several-problems.yaml:20:13: number must be a phone number (digits, optional +)'],
]

// Flows the validator gets wrong today (see the bug reports): each states what it should say.
const BUGS: Case[] = [
  // A missing target is also reported as "a loop with no way out", though there is no loop.
  {file: 'target-missing-next.yaml', errors: [['target-missing-next.yaml:8:11: node "welcome" goes to "byee", which does not exist', 'Nodes: welcome']]},
  {file: 'target-missing-goto.yaml', errors: [['target-missing-goto.yaml:9:31: node "again" goes to "mneu", which does not exist', 'Nodes: menu, again, sales']]},
  // Names inherited from Object.prototype count as defined nodes and calendars.
  {file: 'bug-target-named-tostring.yaml', errors: [['bug-target-named-tostring.yaml:10:12: node "menu" goes to "toString", which does not exist', 'Nodes: menu, bye']]},
  {file: 'bug-calendar-named-constructor.yaml', errors: [['bug-calendar-named-constructor.yaml:9:34: calendar "constructor" is not defined', 'Define it under calendars: (defined: office).']]},
  // An absolute path escapes the sounds directory as surely as "..".
  {file: 'bug-prompt-absolute-path.yaml', errors: [['bug-prompt-absolute-path.yaml:7:13: invalid prompt name "sound:/var/spool/asterisk/voicemail/default/100/INBOX/msg0000"', PROMPT_HINT]]},
  // Month 13 and 30 February pass the YYYY-MM-DD pattern; a holiday on them never comes.
  {
    file: 'bug-holiday-impossible-date.yaml',
    errors: [['bug-holiday-impossible-date.yaml:7:14: "2026-13-01" is not a date (YYYY-MM-DD)'], ['bug-holiday-impossible-date.yaml:7:26: "2026-02-30" is not a date (YYYY-MM-DD)']],
  },
]

const VALID = ['valid-minimal.yaml', 'valid-all-nodes.yaml']

function expected(c: Case) {
  return c.errors.map(([message, suggestion]) => ({message: F + message, suggestion}))
}

describe('flow validator: the corpus of broken flows', () => {
  it.each(BROKEN)('$file', (c) => {
    const r = problems(c.file, c.withBook ? book : ANY_PROMPT)
    expect(r.errors).toEqual(expected(c))
    expect(r.flow).toBeNull()
  })

  it('covers every fixture in test/fixtures/flows', () => {
    const known = new Set([...BROKEN, ...BUGS].map((c) => c.file).concat(VALID, 'several-problems.yaml', 'valid-sounds.yaml'))
    expect(readdirSync(DIR).filter((f) => !known.has(f))).toEqual([])
    expect(BROKEN.length).toBeGreaterThanOrEqual(25)
  })

  it('keeps file, line, column and detail on each error, and the message is FILE:LINE:COLUMN: detail', () => {
    const [e] = check('start-missing-node.yaml').errors
    expect(e).toBeInstanceOf(ConfigError)
    expect(e).toBeInstanceOf(UserError)
    expect(e).toMatchObject({file: `${F}start-missing-node.yaml`, line: 3, column: 8, detail: 'start node "welcom" does not exist', exitCode: 2, code: 'invalid_config'})
    for (const c of BROKEN) {
      for (const err of check(c.file, c.withBook ? book : ANY_PROMPT).errors) expect(err.message).toBe(`${err.file}:${err.line}:${err.column}: ${err.detail}`)
    }
  })
})

describe('flow validator: several problems in one file', () => {
  it('returns all of them, in order, each at its own position', () => {
    const r = problems('several-problems.yaml')
    expect(r.flow).toBeNull()
    expect(r.errors).toEqual(SEVERAL.map(([message, suggestion]) => ({message: F + message, suggestion})))
  })

  it('parseFlow throws FlowInvalidError: the first problem plus how many more', () => {
    const text = readFileSync(join(DIR, 'several-problems.yaml'), 'utf8')
    let thrown: unknown
    try {
      parseFlow(text, `${F}several-problems.yaml`)
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(FlowInvalidError)
    const e = thrown as FlowInvalidError
    expect(e.message).toBe(`${F}several-problems.yaml:5:1: unknown key "colour" (and 5 more problems: see callctl ivr validate)`)
    expect(e.suggestion).toBe(TOP_HINT)
    expect(e.exitCode).toBe(2)
    expect(e.code).toBe('invalid_flow')
    expect(e.errors.map((x) => x.message)).toEqual(SEVERAL.map(([m]) => F + m))
  })

  it('says "1 more problem" (singular) for two problems', () => {
    const text = readFileSync(join(DIR, 'unknown-field-nxt.yaml'), 'utf8')
    expect(() => parseFlow(text, `${F}unknown-field-nxt.yaml`)).toThrow(`${F}unknown-field-nxt.yaml:8:5: unknown field "nxt" for a play node (and 1 more problem: see callctl ivr validate)`)
  })

  it('throws just the problem when there is one, with its suggestion', () => {
    const text = readFileSync(join(DIR, 'unreachable-node.yaml'), 'utf8')
    try {
      parseFlow(text, `${F}unreachable-node.yaml`)
      expect.unreachable('parseFlow accepted an unreachable node')
    } catch (err) {
      expect(err).toBeInstanceOf(FlowInvalidError)
      expect((err as FlowInvalidError).message).toBe(`${F}unreachable-node.yaml:10:3: node "orphan" is unreachable from start "welcome"`)
      expect((err as FlowInvalidError).suggestion).toBe(UNREACHABLE_HINT)
      expect((err as FlowInvalidError).errors).toHaveLength(1)
    }
  })

  it('checks the graph only once the nodes themselves are sound', () => {
    // Both an unknown field and an unreachable node: only the field is reported until it is fixed.
    const text = 'flow: f\nstart: a\nnodes:\n  a: {type: hangup, colour: red}\n  b: {type: hangup}\n'
    expect(checkFlow(text, 'f.yaml').errors.map((e) => e.message)).toEqual(['f.yaml:4:21: unknown field "colour" for a hangup node'])
    expect(checkFlow(text.replace(', colour: red', ''), 'f.yaml').errors.map((e) => e.message)).toEqual(['f.yaml:5:3: node "b" is unreachable from start "a"'])
  })
})

describe('flow validator: prompts against the PromptBook', () => {
  it('accepts our prompts in any language and sounds found in the sounds directory (nested ones too)', () => {
    expect(problems('valid-sounds.yaml', book).errors).toEqual([])
    expect(book.checksSounds).toBe(true)
  })

  it('cannot check Asterisk sounds without a sounds directory, so accepts unknown ones then', () => {
    const blind = new PromptBook([record('greeting')], join(soundsDir, 'no-such-dir'))
    expect(blind.checksSounds).toBe(false)
    expect(problems('prompt-missing-sound.yaml', blind).errors).toEqual([])
    // ...but still knows which of our own prompts exist.
    expect(problems('prompt-missing-ours.yaml', blind).errors.map((e) => e.message)).toEqual([`${F}prompt-missing-ours.yaml:7:24: prompt "welcom-message" does not exist`])
  })

  it('does not look up digits: and number: prompts, and ANY_PROMPT accepts every well-formed name', () => {
    const text = 'flow: f\nstart: a\nnodes:\n  a: {type: hangup, prompt: [digits:0042, number:7, made-up-name, sound:made/up]}\n'
    expect(checkFlow(text, 'f.yaml', new PromptBook([], soundsDir)).errors.map((e) => e.message)).toEqual([
      'f.yaml:4:53: prompt "made-up-name" does not exist',
      'f.yaml:4:67: prompt "sound:made/up" does not exist',
    ])
    expect(checkFlow(text, 'f.yaml').errors).toEqual([])
  })

  it('reports a missing prompt with the flow language in the suggestion', () => {
    const text = 'flow: f\nlanguage: zh\nstart: a\nnodes:\n  a: {type: voicemail, prompt: leave-message}\n'
    const [e, ...rest] = checkFlow(text, 'f.yaml', book).errors
    expect(rest).toEqual([])
    expect(e?.message).toBe('f.yaml:5:32: prompt "leave-message" does not exist')
    expect(e?.suggestion).toBe('Add it with: callctl prompt add leave-message FILE, or callctl prompt tts leave-message --lang zh TEXT')
  })
})

describe('flow validator: valid flows', () => {
  it.each(VALID)('%s has no problems', (file) => {
    const r = check(file)
    expect(r.errors).toEqual([])
    expect(r.flow).not.toBeNull()
  })

  it('examples/flows/main.yaml is valid and reads as written', () => {
    const {flow, errors} = checkFlow(readFileSync(EXAMPLE, 'utf8'), 'examples/flows/main.yaml')
    expect(errors).toEqual([])
    expect(flow).not.toBeNull()
    const f = flow!
    expect(f).toMatchObject({name: 'main', language: 'en', timezone: 'Asia/Shanghai', start: 'vip-check'})
    expect(Object.keys(f.nodes)).toEqual(['vip-check', 'vip-greeting', 'vip-queue', 'welcome', 'hours', 'menu', 'sales', 'support', 'operator', 'after-hours', 'goodbye'])
    const office = f.calendars.office!
    expect(office.timezone).toBe('Asia/Shanghai') // the flow's zone when the calendar has none
    expect(office.open).toEqual({mon: [[540, 1080]], tue: [[540, 1080]], wed: [[540, 1080]], thu: [[540, 1080]], fri: [[540, 1080]], sat: [[600, 840]]})
    expect([...office.holidays]).toEqual(['2026-10-01', '2026-10-02'])
    expect(f.survey).toEqual({prompt: ['sound:queue-thankyou', 'sound:if-correct-press', 'digits:5'], thanks: ['sound:auth-thankyou'], timeout: 6})
    expect(f.nodes['vip-greeting']).toEqual({type: 'play', prompt: ['sound:hello'], next: 'vip-queue'})
    expect(f.nodes['vip-queue']).toEqual({type: 'set', priority: 10, tags: ['vip'], vars: {}, next: 'hours'})
    expect(f.nodes.menu).toEqual({
      type: 'menu',
      prompt: ['sound:vm-press', 'digits:1', 'sound:for', 'sound:queue-callswaiting'],
      choices: {'1': 'sales', '2': 'support', '0': 'operator'},
      timeout: 5,
      retries: 2,
      onTimeout: 'support',
      onInvalid: 'goodbye',
      invalidPrompt: ['sound:pbx-invalid'],
    })
    expect(f.nodes['after-hours']).toEqual({type: 'voicemail', prompt: ['sound:vm-nobodyavail']})
    expect(parseFlow(readFileSync(EXAMPLE, 'utf8'), 'examples/flows/main.yaml')).toEqual(f)
  })

  it('fills in defaults: timeouts, retries, implicit hangups, collect lengths, prompts, the survey thanks', () => {
    const f = parseFlow(readFileSync(join(DIR, 'valid-minimal.yaml'), 'utf8'), 'm.yaml')
    expect(f).toEqual({name: 'minimal', language: 'en', timezone: 'UTC', start: 'bye', calendars: {}, nodes: {bye: {type: 'hangup', prompt: []}}, survey: null})
    const text = `flow: d
start: m
survey: {prompt: ask}
nodes:
  m: {type: menu, prompt: p, choices: {"1": c}}
  c: {type: collect, prompt: p, var: x, next: v}
  v: {type: voicemail}
`
    const g = parseFlow(text, 'd.yaml')
    expect(g.nodes.m).toEqual({type: 'menu', prompt: ['p'], choices: {'1': 'c'}, timeout: 5, retries: 2, onTimeout: '$hangup', onInvalid: '$hangup', invalidPrompt: ['sound:pbx-invalid']})
    expect(g.nodes.c).toEqual({type: 'collect', prompt: ['p'], var: 'x', next: 'v', timeout: 5, retries: 2, onTimeout: '$hangup', onInvalid: '$hangup', min: 1, max: 16, terminator: '#'})
    expect(g.nodes.v).toEqual({type: 'voicemail', prompt: ['sound:vm-intro']})
    expect(g.survey).toEqual({prompt: ['ask'], thanks: ['sound:auth-thankyou'], timeout: 6})
  })

  it('valid-all-nodes.yaml: calendars with their own zone, special dates, set merging tag and tags, vars as text', () => {
    const f = parseFlow(readFileSync(join(DIR, 'valid-all-nodes.yaml'), 'utf8'), 'all.yaml')
    expect(Object.keys(f.nodes)).toHaveLength(17)
    expect(new Set(Object.values(f.nodes).map((n) => n.type))).toEqual(new Set(NODE_TYPES))
    expect(f.calendars.london?.timezone).toBe('Europe/London')
    expect(f.calendars.office?.timezone).toBe('Asia/Shanghai')
    expect(f.calendars.office?.open.sun).toEqual([])
    expect(f.calendars.office?.open.mon).toEqual([
      [540, 720],
      [780, 1080],
    ])
    expect([...f.calendars.office!.special]).toEqual([['2026-09-27', [[540, 1080]]]])
    expect(f.nodes.gold).toEqual({type: 'set', priority: 20, tags: ['gold', 'vip', 'priority'], skills: 'mandarin & billing>=2', language: 'zh', vars: {segment: 'gold', level: '3', vip: 'true'}, next: 'menu'})
  })
  it('adds up the hours a day gets from several entries of a calendar', () => {
    const text = `flow: f
start: h
calendars:
  c:
    open:
      mon-fri: "09:00-12:00"
      mon,thu: "14:00-16:00"
      sun: closed
nodes:
  h: {type: hours, calendar: c, open: q, closed: q}
  q: {type: queue, queue: support}
`
    expect(parseFlow(text, 'f.yaml').calendars.c?.open).toEqual({
      mon: [
        [540, 720],
        [840, 960],
      ],
      tue: [[540, 720]],
      wed: [[540, 720]],
      thu: [
        [540, 720],
        [840, 960],
      ],
      fri: [[540, 720]],
      sun: [],
    })
  })
})

describe('flow validator: bugs (these fail until fixed)', () => {
  it.each(BUGS)('$file', (c) => {
    const r = problems(c.file)
    expect(r.errors).toEqual(expected(c))
    expect(r.flow).toBeNull()
  })

  it('a flow that passes validation does not crash during a call (calendar "constructor")', async () => {
    let flow: Flow
    try {
      flow = parseFlow(readFileSync(join(DIR, 'bug-calendar-named-constructor.yaml'), 'utf8'), 'c.yaml')
    } catch (err) {
      expect(err).toBeInstanceOf(FlowInvalidError) // refused at deploy time: fine
      return
    }
    // Accepted: then the hours node must route the call, not throw.
    await expect(dryRun(flow, {inputs: [], at: new Date('2026-03-02T04:00:00Z')})).resolves.toMatchObject({outcome: {action: 'queue', queue: 'support'}})
  })
})
