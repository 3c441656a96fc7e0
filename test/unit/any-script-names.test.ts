import {afterEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent, logoutAgent, mustQueue, parseSkills, pauseAgent, removeQueue} from '../../src/engine/admin/admin.js'
import {parseQueueFile} from '../../src/engine/admin/queue-file.js'
import {importContacts} from '../../src/engine/contacts/import.js'
import {dryRun} from '../../src/engine/ivr/dry-run.js'
import {parseFlow} from '../../src/engine/ivr/parse-flow.js'
import {lookupCaller} from '../../src/engine/contacts/lookup.js'
import {parseSkillRequirement} from '../../src/engine/routing/skills.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {UserError} from '../../src/engine/util/errors.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'

// Issue 13: names a person types — queues, skills, pause reasons, contact tiers — in any
// script, and the same name typed in another Unicode normal form is the same name.

const stores: SqliteStore[] = []
const store = () => {
  const s = new SqliteStore(':memory:')
  stores.push(s)
  return s
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close()
})

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<UserError> {
  const e = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e).toBeInstanceOf(UserError)
  return e as UserError
}

// Hangul written as jamo (NFD) and as syllables (NFC): the same text to a person.
const SANGDAM_NFC = '상담'
const SANGDAM_NFD = '상담'.normalize('NFD')

describe('queue names in any script', () => {
  it('creates 客服, 售后 and names in other scripts, up to 64 characters', async () => {
    const s = store()
    for (const name of ['客服', '售后', 'Поддержка', 'दक्षिण', 'café', '客'.repeat(64)]) {
      expect((await addQueue(s, name, {})).name).toBe(name)
    }
    expect((await s.listQueues()).map((q) => q.name)).toContain('客服')
  })

  it('refuses what hides or fakes text: controls, bidi overrides, zero-width, edge spaces, empty, too long', async () => {
    const s = store()
    const cases: [string, RegExp][] = [
      ['客\u202e服', /U\+202E/],
      ['客\u200b服', /U\+200B/],
      ['客\u200d服', /U\+200D/],
      ['\ufeff客服', /U\+FEFF/],
      ['客服\u0007', /U\+0007/],
      [' 客服', /space/],
      ['客服 ', /space/],
      ['', /empty/],
      ['客'.repeat(65), /65 characters long \(at most 64\)/],
      ['客 服', /Spaces/],
      ['sales:1', /":"/],
      ['a|b', /"\|"/],
    ]
    for (const [name, why] of cases) {
      const e = await refusal(addQueue(s, name, {}))
      expect(e.exitCode).toBe(2)
      expect(e.message).toMatch(/^Invalid queue name "/)
      // Hidden characters are shown escaped, never printed raw.
      expect(e.message).not.toMatch(/[\u202e\u200b\u200d\ufeff\u0007]/)
      expect(e.suggestion, name).toMatch(why)
    }
    expect(await s.listQueues()).toEqual([])
  })

  it('a name typed in another normal form is the same queue: refused as a second one, found as the first', async () => {
    const s = store()
    await addQueue(s, SANGDAM_NFC, {})
    const again = await refusal(addQueue(s, SANGDAM_NFD, {}))
    expect(again.message).toContain(`Queue "${SANGDAM_NFC}" already exists`)
    // Full-width digits from a Chinese input method fold onto plain ones (NFKC).
    await addQueue(s, '客服1', {})
    const fullWidth = await refusal(addQueue(s, '客服１', {}))
    expect(fullWidth.message).toBe('Queue "客服1" already exists (you typed "客服１", which is the same name)')
    // --update with the other spelling changes the queue as created, without renaming it.
    expect((await addQueue(s, '客服１', {wrapUp: 30}, {update: true})).name).toBe('客服1')
    expect((await mustQueue(s, SANGDAM_NFD)).name).toBe(SANGDAM_NFC)
    expect((await s.listQueues()).map((q) => q.name).sort()).toEqual(['客服1', SANGDAM_NFC].sort())
    await removeQueue(s, SANGDAM_NFD)
    expect((await s.listQueues()).map((q) => q.name)).toEqual(['客服1'])
  })

  it('agents join 客服 by any spelling and are members of the queue as created', async () => {
    const s = store()
    await addQueue(s, SANGDAM_NFC, {})
    const a = await addAgent(s, {id: '1001', endpoint: 'PJSIP/1001', queues: [`${SANGDAM_NFD}:2`]})
    expect(a.queues).toEqual({[SANGDAM_NFC]: 2})
    await loginAgent(s, '1001', [`${SANGDAM_NFD}:2`])
    expect((await s.getAgent('1001'))!.queues).toEqual({[SANGDAM_NFC]: 2})
    expect((await logoutAgent(s, '1001', SANGDAM_NFD)).queues).toEqual({})
  })

  it('queue files take Chinese names and overflow targets', () => {
    const q = parseQueueFile('queues:\n  客服:\n    requiredSkills: 粤语>=2 | 普通话\n    overflow: {action: queue, queue: 售后}\n  售后: {}\n', 'queues.yaml')
    expect(q.map((x) => x.name)).toEqual(['客服', '售后'])
    expect(q[0]!.settings.overflow).toEqual({action: 'queue', queue: '售后'})
  })
})

describe('skills in any script', () => {
  it('parses 粤语>=3 & 英语 and matches agents by those skills', () => {
    const r = parseSkillRequirement('粤语>=3 & (英语 | 普通话) & !实习生')
    expect([...r.skills].sort()).toEqual(['实习生', '普通话', '粤语', '英语'].sort())
    expect(r.matches({粤语: 3, 英语: 1})).toBe(true)
    expect(r.matches({粤语: 2, 英语: 1})).toBe(false)
    expect(r.matches({粤语: 3, 普通话: 1, 实习生: 1})).toBe(false)
    expect(parseSkillRequirement('café.fr-2 & हिन्दी').matches({'café.fr-2': 1, हिन्दी: 1})).toBe(true)
  })

  it('keeps operators unambiguous next to names, and reads full-width operators from an input method', () => {
    expect(parseSkillRequirement('粤语>=3&英语').key).toBe(parseSkillRequirement('粤语 >= 3 & 英语').key)
    expect(parseSkillRequirement('粤语＞＝３＆（英语｜普通话）').key).toBe(parseSkillRequirement('粤语>=3 & (英语 | 普通话)').key)
    expect(() => parseSkillRequirement('粤语 英语')).toThrow(/at column 4: unexpected "英"/)
    expect(() => parseSkillRequirement('3粤语')).toThrow(/expected a skill name, found "3"/)
    // The override is named, not obeyed: it would reverse the rest of the terminal line.
    expect(() => parseSkillRequirement('粤\u202e语')).toThrow('Invalid skill expression "粤\\u202E语" at column 2: unexpected "\\u202E"')
  })

  it('agent skills: 粤语:3 英语, with the full-width comma and colon of a Chinese input method', () => {
    expect(parseSkills('粤语:3 英语')).toEqual({粤语: 3, 英语: 1})
    expect(parseSkills('粤语：3，英语')).toEqual({粤语: 3, 英语: 1})
    // The same skill typed in two normal forms is one skill on both sides of a match.
    const agent = parseSkills(`${SANGDAM_NFD}:2`)
    expect(parseSkillRequirement(`${SANGDAM_NFC}>=2`).matches(agent)).toBe(true)
  })
})

describe('pause reasons in any script', () => {
  it('pauses with 午饭 and refuses hidden characters', async () => {
    const s = store()
    await addAgent(s, {id: '1001', endpoint: 'PJSIP/1001'})
    await loginAgent(s, '1001')
    expect((await pauseAgent(s, '1001', '午饭')).pauseReason).toBe('午饭')
    const e = await refusal(pauseAgent(s, '1001', '午\u200b饭'))
    expect(e.message).toBe('Invalid pause reason "午\\u200B饭"')
    expect(e.exitCode).toBe(2)
    // NFD typed, NFC stored: one reason in reports, not two.
    expect((await pauseAgent(s, '1001', 'de\u0301jeuner')).pauseReason).toBe('déjeuner')
  })
})

describe('contact tiers in any script', () => {
  it('imports 贵宾 and stores ＶＩＰ from a full-width input method as VIP; refuses hidden characters', async () => {
    const dir = repositoriesOf(store()).contacts
    const csv = ['number,name,tier', '13800000001,王芳,贵宾', '13800000002,李娜,ＶＩＰ', '13800000003,张伟,贵\u202e宾', ''].join('\n')
    const r = await importContacts(dir, Buffer.from(csv), {defaultCountry: 'CN', file: 'c.csv', skipBad: true})
    expect(r.bad).toEqual([{line: 4, reason: 'tier "贵\\u202E宾" contains the invisible or control character U+202E'}])
    expect((await dir.get('+8613800000001'))!.tier).toBe('贵宾')
    expect((await dir.get('+8613800000002'))!.tier).toBe('VIP')
  })

  it('a VIP tier matches whatever normal form the contact and the configuration were written in', async () => {
    const dir = repositoriesOf(store()).contacts
    await dir.upsertMany([{number: '+8613800000009', name: 'Zoé', tier: 'Privile\u0301gie\u0301'}])
    const r = await lookupCaller('13800000009', {directory: dir, defaultCountry: 'CN', vipTiers: ['Privilégié'.normalize('NFC'), '贵宾']})
    expect(r.contact?.vip).toBe(true)
  })

  it('an IVR branch on contact.tier matches 贵宾 and VIP in any normal form or width', async () => {
    const f = parseFlow('flow: t\nstart: tier\nnodes:\n  tier: {type: branch, on: contact.tier, cases: {贵宾: vip, VIP: vip, Privilégié: vip}, default: q}\n  vip: {type: queue, queue: 贵宾专线}\n  q: {type: queue, queue: 客服}\n', 't.yaml')
    const route = async (tier: string) => {
      const r = await dryRun(f, {inputs: [], at: new Date('2026-03-02T04:00:00Z'), contact: {name: '王芳', tier, vip: false, language: '', company: '', notes: ''}})
      return r.outcome?.action === 'queue' ? r.outcome.queue : null
    }
    expect(await route('贵宾')).toBe('贵宾专线')
    expect(await route('ＶＩＰ')).toBe('贵宾专线')
    expect(await route('Privile\u0301gie\u0301')).toBe('贵宾专线')
    expect(await route('金卡')).toBe('客服')
  })
})
