import {afterEach, describe, expect, it} from 'vitest'
import type {NewEvent} from '../../src/engine/store/events.js'
import {UserError} from '../../src/engine/util/errors.js'
import {HOSTILE_STRINGS} from '../fixtures/hostile-strings.js'
import {repositoryStores, type OpenedStore} from '../support/repository-stores.js'

// The blacklist, IVR flows, prompts, recordings, phones and users: one contract, run on SQLite and
// on PostgreSQL (the knowledge base and contacts have files of their own: kb.test.ts,
// contacts-store.test.ts).

/** Hostile text that every store keeps exactly (lone surrogates it does not: contacts-store.test.ts). */
const KEPT = HOSTILE_STRINGS.filter((h) => h.probe === undefined)

describe.each(repositoryStores())('repositories on $name', (kind) => {
  const opened: OpenedStore[] = []
  const open = async () => {
    const s = await kind.open()
    opened.push(s)
    return s
  }
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close()
  })

  describe('blacklist', () => {
    const T = Date.UTC(2026, 10, 23, 9, 0, 0)

    it('lists numbers in their canonical form, refuses what is no number, and updates a listed one', async () => {
      const bl = (await open()).repos.blacklist
      expect(await bl.add({number: '+86 138-0013-8000', reason: '骚扰电话', until: null}, T)).toEqual({number: '+8613800138000', reason: '骚扰电话', until: null, createdAt: T})
      await bl.add({number: '(0755) 1234567', reason: 'spam', until: T + 60_000}, T)
      const err = await bl.add({number: 'abc', reason: '', until: null}, T).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(UserError)
      expect(err).toMatchObject({exitCode: 2, message: 'Invalid number "abc"'})
      await bl.add({number: '+8613800138000', reason: 'abuse', until: T + 1000}, T + 5)
      expect(await bl.list(T)).toEqual([
        {number: '+8613800138000', reason: 'abuse', until: T + 1000, createdAt: T},
        {number: '07551234567', reason: 'spam', until: T + 60_000, createdAt: T},
      ])
      // Expired entries are not listed.
      expect((await bl.list(T + 1000)).map((e) => e.number)).toEqual(['07551234567'])
    })

    it('matches the same line in national and international form, never a short number inside a longer one, and not once expired', async () => {
      const bl = (await open()).repos.blacklist
      await bl.add({number: '+8613800138000', reason: 'a', until: null}, T)
      await bl.add({number: '12345', reason: 'short', until: null}, T)
      await bl.add({number: '+15550400020', reason: 'until', until: T + 1000}, T)
      for (const caller of ['+8613800138000', '13800138000', '8613800138000', '0086 138 0013 8000']) expect((await bl.match(caller, T))?.number, caller).toBe('+8613800138000')
      expect((await bl.match('12345', T))?.reason).toBe('short')
      expect(await bl.match('9912345', T)).toBeUndefined()
      expect(await bl.match('+15550400020', T + 999)).toMatchObject({reason: 'until'})
      expect(await bl.match('+15550400020', T + 1000)).toBeUndefined()
      expect(await bl.match("1' OR '1'='1", T)).toBeUndefined()
      expect(await bl.match('%', T)).toBeUndefined()
    })

    it('removes by any form of the number, and keeps hostile reasons exactly', async () => {
      const bl = (await open()).repos.blacklist
      for (const [i, h] of KEPT.entries()) await bl.add({number: `+8613900000${String(i).padStart(3, '0')}`, reason: h.text, until: null}, T)
      expect((await bl.list(T)).map((e) => e.reason)).toEqual(KEPT.map((h) => h.text))
      expect(await bl.remove('+86 139-0000-0000')).toBe(true)
      expect(await bl.remove('+8613900000000')).toBe(false)
      expect(await bl.list(T)).toHaveLength(KEPT.length - 1)
    })
  })

  describe('IVR flows', () => {
    const SOURCE = 'name: 主菜单\nstart: greet\nnodes:\n  greet: {say: 欢迎致电, next: end}\n'

    it('keeps every deployed version; the newest per DID is live; lists the live ones by DID', async () => {
      const flows = (await open()).repos.flows
      const a = await flows.deploy('*', 'default', SOURCE, 1000)
      const b = await flows.deploy('4000', '主菜单', SOURCE, 2000)
      const c = await flows.deploy('4000', '主菜单 v2', SOURCE.replace('欢迎', '您好'), 3000)
      const d = await flows.deploy('+8675588880000', 'sz', 'x', 4000)
      expect(a.id).toBeLessThan(b.id)
      expect(b.id).toBeLessThan(c.id)
      expect(c.id).toBeLessThan(d.id)
      expect(await flows.live('4000')).toEqual({id: c.id, did: '4000', name: '主菜单 v2', source: SOURCE.replace('欢迎', '您好'), deployedAt: 3000})
      expect(await flows.live('5000')).toBeUndefined()
      // In code point order: * before + before digits.
      expect((await flows.list()).map((f) => [f.did, f.id])).toEqual([
        ['*', a.id],
        ['+8675588880000', d.id],
        ['4000', c.id],
      ])
      expect(await flows.remove('4000')).toBe(2)
      expect(await flows.remove('4000')).toBe(0)
      expect(await flows.live('4000')).toBeUndefined()
      expect((await flows.list()).map((f) => f.did)).toEqual(['*', '+8675588880000'])
      // Ids are never reused: a new version is newer than every removed one.
      expect((await flows.deploy('4000', 'again', SOURCE, 5000)).id).toBeGreaterThan(d.id)
    })

    it('keeps a flow source exactly, hostile text included', async () => {
      const flows = (await open()).repos.flows
      const source = KEPT.map((h) => h.text).join('\n')
      await flows.deploy('4000', KEPT[0]!.text, source, 1)
      expect(await flows.live('4000')).toMatchObject({name: KEPT[0]!.text, source})
    })
  })

  describe('prompts', () => {
    const prompt = (name: string, language: string, o: {text?: string | null; durationMs?: number | null} = {}) => ({
      name,
      language,
      file: `callctl/${language}/${name}`,
      source: o.text ? ('tts' as const) : ('upload' as const),
      text: o.text ?? null,
      durationMs: o.durationMs === undefined ? 1200 : o.durationMs,
      createdAt: 1000,
    })

    it('saves one per name and language (a second save replaces it), lists by name and language, removes one language or all', async () => {
      const prompts = (await open()).repos.prompts
      await prompts.save(prompt('welcome', 'zh', {text: '欢迎致电，请按1转人工服务。'}))
      await prompts.save(prompt('welcome', 'en', {durationMs: null}))
      await prompts.save(prompt('Closed', 'en'))
      await prompts.save({...prompt('welcome', 'en', {text: 'Welcome'}), durationMs: 900, createdAt: 2000})
      expect(await prompts.list()).toEqual([
        prompt('Closed', 'en'),
        {...prompt('welcome', 'en', {text: 'Welcome'}), durationMs: 900, createdAt: 2000},
        prompt('welcome', 'zh', {text: '欢迎致电，请按1转人工服务。'}),
      ])
      expect(await prompts.remove('welcome', 'fr')).toBe(0)
      expect(await prompts.remove('welcome', 'en')).toBe(1)
      await prompts.save(prompt('welcome', 'yue'))
      expect(await prompts.remove('welcome')).toBe(2)
      expect((await prompts.list()).map((p) => p.name)).toEqual(['Closed'])
    })

    it('keeps hostile TTS text exactly', async () => {
      const prompts = (await open()).repos.prompts
      for (const [i, h] of KEPT.entries()) await prompts.save(prompt(`p${String(i).padStart(2, '0')}`, 'zh', {text: h.text}))
      expect((await prompts.list()).map((p) => p.text)).toEqual(KEPT.map((h) => h.text))
    })
  })

  describe('recordings', () => {
    const T = Date.UTC(2026, 10, 23, 9, 0, 0)
    const rec = (name: string, o: {callId?: string; queue?: string | null; agent?: string | null; number?: string; at?: number} = {}) => ({
      name,
      callId: o.callId ?? name,
      queue: o.queue === undefined ? 'sales' : o.queue,
      agent: o.agent === undefined ? 'a1' : o.agent,
      number: o.number ?? '+8613800138000',
      startedAt: o.at ?? T,
      format: 'wav',
    })
    const end = {state: 'done' as const, endedAt: T + 5000, durationMs: 4000, hostPath: '/spool/x.wav', sizeBytes: 64_044, error: null}

    it('adds a recording once per name, in state recording', async () => {
      const r = (await open()).repos.recordings
      expect(await r.insert(rec('call-1'))).toBe(true)
      expect(await r.insert(rec('call-1', {agent: 'a2'}))).toBe(false)
      expect(await r.get('call-1')).toEqual({...rec('call-1'), endedAt: null, durationMs: null, state: 'recording', hostPath: null, sizeBytes: null, error: null})
      expect(await r.get('call-2')).toBeUndefined()
    })

    it('ends a recording exactly once: finished or failed, whichever comes first', async () => {
      const r = (await open()).repos.recordings
      await r.insert(rec('call-1'))
      await r.insert(rec('call-2'))
      expect(await r.finish('call-1', end)).toBe(true)
      expect(await r.finish('call-1', {...end, durationMs: 1})).toBe(false)
      expect(await r.fail('call-1', T + 9000, 'lost')).toBe(false)
      expect(await r.get('call-1')).toMatchObject({state: 'done', durationMs: 4000, endedAt: T + 5000, hostPath: '/spool/x.wav', sizeBytes: 64_044, error: null})
      expect(await r.fail('call-2', T + 9000, 'bridge gone')).toBe(true)
      expect(await r.finish('call-2', end)).toBe(false)
      expect(await r.get('call-2')).toMatchObject({state: 'failed', endedAt: T + 9000, error: 'bridge gone', hostPath: null})
      expect(await r.finish('call-9', end)).toBe(false)
    })

    it('gives the end of its call to an open recording that has none yet, and lists the open ones oldest first', async () => {
      const r = (await open()).repos.recordings
      await r.insert(rec('call-b', {callId: 'c1', at: T + 10}))
      await r.insert(rec('call-a', {callId: 'c1', at: T}))
      await r.insert(rec('call-c', {callId: 'c1', at: T + 20}))
      await r.insert(rec('call-d', {callId: 'c2', at: T + 30}))
      await r.finish('call-c', end)
      await r.callEnded('c1', T + 100)
      await r.callEnded('c1', T + 200)
      expect((await r.open()).map((x) => [x.name, x.endedAt])).toEqual([
        ['call-a', T + 100],
        ['call-b', T + 100],
        ['call-d', null],
      ])
      expect((await r.get('call-c'))?.endedAt).toBe(T + 5000)
    })

    it('lists newest first, filtered by time, queue, agent, call and number, with a limit; finds the old ones; deletes', async () => {
      const r = (await open()).repos.recordings
      await r.insert(rec('call-1', {at: T, queue: 'sales', agent: 'a1', number: '+8611'}))
      await r.insert(rec('call-2', {at: T + 60_000, queue: '客服', agent: '王芳', number: '+8622'}))
      await r.insert(rec('call-3', {at: T + 120_000, queue: 'sales', agent: '王芳', number: '+8611'}))
      await r.insert(rec('call-3-2', {callId: 'call-3', at: T + 120_000, queue: null, agent: null, number: ''}))
      const names = async (q: Parameters<typeof r.list>[0]) => (await r.list(q)).map((x) => x.name)
      expect(await names({})).toEqual(['call-3-2', 'call-3', 'call-2', 'call-1'])
      expect(await names({since: T + 60_000})).toEqual(['call-3-2', 'call-3', 'call-2'])
      expect(await names({until: T + 60_000})).toEqual(['call-1'])
      expect(await names({queue: 'sales'})).toEqual(['call-3', 'call-1'])
      expect(await names({agent: '王芳', queue: '客服'})).toEqual(['call-2'])
      expect(await names({callId: 'call-3'})).toEqual(['call-3-2', 'call-3'])
      expect(await names({number: '+8611'})).toEqual(['call-3', 'call-1'])
      expect(await names({limit: 1})).toEqual(['call-3-2'])
      expect(await names({queue: "sales' OR '1'='1"})).toEqual([])
      expect((await r.get('call-3-2'))).toMatchObject({queue: null, agent: null, number: ''})
      expect((await r.startedBefore(T + 120_000)).map((x) => x.name)).toEqual(['call-1', 'call-2'])
      await r.delete('call-1')
      await r.delete('call-1')
      expect(await names({})).toEqual(['call-3-2', 'call-3', 'call-2'])
    })

    it('keeps Asterisk’s error text exactly, hostile or not', async () => {
      const r = (await open()).repos.recordings
      for (const [i, h] of KEPT.entries()) {
        await r.insert(rec(`call-${i}`))
        await r.fail(`call-${i}`, T, h.text)
      }
      for (const [i, h] of KEPT.entries()) expect((await r.get(`call-${i}`))?.error, h.id).toBe(h.text)
    })
  })

  describe('phones', () => {
    const phone = (id: string, agent: string | null, at = 1000) => ({id, agent, transport: null, createdAt: at, updatedAt: at})
    const added = (id: string, agent: string | null): NewEvent => ({type: 'phone.added', ts: 1000, origin: 'cli', agent: agent ?? undefined, data: {phone: id, agent}})

    it('saves a phone with its event, lists by id, finds an agent’s, updates keeping its creation, removes with its event', async () => {
      const s = await open()
      const phones = s.repos.phones
      await phones.save(phone('1002', '王芳'), added('1002', '王芳'))
      await phones.save(phone('1001', 'a1'), added('1001', 'a1'))
      await phones.save(phone('sup', null), added('sup', null))
      await phones.save(phone('1000', 'a1'), added('1000', 'a1'))
      expect((await phones.list()).map((p) => p.id)).toEqual(['1000', '1001', '1002', 'sup'])
      expect(await phones.byAgent('a1')).toEqual(phone('1000', 'a1'))
      expect(await phones.byAgent('王芳')).toEqual(phone('1002', '王芳'))
      expect(await phones.byAgent('nobody')).toBeUndefined()
      await phones.save({...phone('1002', null, 5000), transport: 'tcp'}, {type: 'phone.updated', ts: 5000, origin: 'cli', data: {phone: '1002'}})
      expect(await phones.get('1002')).toEqual({id: '1002', agent: null, transport: 'tcp', createdAt: 1000, updatedAt: 5000})
      await phones.event({type: 'phone.secret_reset', ts: 6000, origin: 'cli', data: {phone: '1002'}})
      await phones.remove('1002', {type: 'phone.removed', ts: 7000, origin: 'cli', data: {phone: '1002'}})
      expect(await phones.get('1002')).toBeUndefined()
      expect((await s.events()).map((e) => [e.type, e.data.phone])).toEqual([
        ['phone.added', '1002'],
        ['phone.added', '1001'],
        ['phone.added', 'sup'],
        ['phone.added', '1000'],
        ['phone.updated', '1002'],
        ['phone.secret_reset', '1002'],
        ['phone.removed', '1002'],
      ])
    })

    it('writes a phone and its event together or not at all', async () => {
      const s = await open()
      await s.failWrites('events', 'type', 'phone.added')
      await expect(s.repos.phones.save(phone('1001', null), added('1001', null))).rejects.toThrow(/disk full/)
      expect(await s.repos.phones.list()).toEqual([])
      expect(await s.events()).toEqual([])
    })
  })

  describe('users', () => {
    const user = (name: string, role: 'admin' | 'supervisor' | 'agent', agent: string | null, hash: string | null, at = 1000) => ({
      name,
      role,
      agent,
      tokenHash: hash,
      oldTokenHash: null,
      tokenIssuedAt: hash ? at : null,
      createdAt: at,
      updatedAt: at,
    })
    const added = (name: string): NewEvent => ({type: 'user.added', ts: 1000, origin: 'cli', data: {user: name, by: 'admin'}})

    it('saves a user with its event, lists by name, finds one by its current or its last replaced token, removes with its event', async () => {
      const s = await open()
      const users = s.repos.users
      await users.save(user('王芳', 'agent', '1001', 'h-wf'), added('王芳'))
      await users.save(user('alice', 'supervisor', null, 'h-alice'), added('alice'))
      await users.save(user('Bob', 'admin', null, null), added('Bob'))
      expect((await users.list()).map((u) => u.name)).toEqual(['Bob', 'alice', '王芳'])
      expect(await users.get('王芳')).toEqual(user('王芳', 'agent', '1001', 'h-wf'))
      expect((await users.byTokenHash('h-alice'))?.name).toBe('alice')
      expect(await users.byTokenHash('nobody')).toBeUndefined()
      // A new token: the old hash still finds the user (told "revoked", not "unknown"), and is not its token.
      await users.save({...user('alice', 'supervisor', null, 'h-alice-2', 1000), oldTokenHash: 'h-alice', updatedAt: 5000}, {type: 'user.token_issued', ts: 5000, origin: 'cli', data: {user: 'alice', by: 'admin'}})
      expect(await users.byTokenHash('h-alice')).toMatchObject({name: 'alice', tokenHash: 'h-alice-2', oldTokenHash: 'h-alice', createdAt: 1000, updatedAt: 5000})
      expect((await users.byTokenHash('h-alice-2'))?.tokenHash).toBe('h-alice-2')
      await users.remove('alice', {type: 'user.removed', ts: 7000, origin: 'cli', data: {user: 'alice', by: 'admin'}})
      expect(await users.get('alice')).toBeUndefined()
      expect(await users.byTokenHash('h-alice-2')).toBeUndefined()
      expect((await s.events()).map((e) => [e.type, e.data.user])).toEqual([
        ['user.added', '王芳'],
        ['user.added', 'alice'],
        ['user.added', 'Bob'],
        ['user.token_issued', 'alice'],
        ['user.removed', 'alice'],
      ])
    })

    it('refuses a token hash another user holds, and writes a user and its event together or not at all', async () => {
      const s = await open()
      await s.repos.users.save(user('a', 'admin', null, 'same'), added('a'))
      await expect(s.repos.users.save(user('b', 'admin', null, 'same'), added('b'))).rejects.toThrow()
      await s.failWrites('events', 'type', 'user.added')
      await expect(s.repos.users.save(user('c', 'admin', null, 'h-c'), added('c'))).rejects.toThrow(/disk full/)
      expect((await s.repos.users.list()).map((u) => u.name)).toEqual(['a'])
      expect((await s.events()).map((e) => e.data.user)).toEqual(['a'])
    })
  })
})
