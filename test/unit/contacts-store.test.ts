import {afterEach, describe, expect, it} from 'vitest'
import {SqliteContactDirectory, type ContactDirectory} from '../../src/engine/contacts/contact-store.js'
import {PgContactDirectory} from '../../src/engine/contacts/pg-contacts.js'
import {PgStore} from '../../src/engine/store/pg/pg-store.js'
import {HOSTILE_STRINGS} from '../fixtures/hostile-strings.js'
import {repositoryStores, type OpenedStore} from '../support/repository-stores.js'

// The contact directory's contract, on SQLite and PostgreSQL alike.
describe.each(repositoryStores())('contact directory on $name', (kind) => {
  const opened: OpenedStore[] = []
  const open = async () => {
    const s = await kind.open()
    opened.push(s)
    return s
  }
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close()
  })
  /** The directory with a clock of the test's. */
  const clocked = (s: OpenedStore, now: () => number): ContactDirectory => (s.store instanceof PgStore ? new PgContactDirectory(s.store, now) : new SqliteContactDirectory(s.store.db, now))

  it('inserts, then updates only the fields given, counting each', async () => {
    let now = 1000
    const dir = clocked(await open(), () => now)
    expect(await dir.upsertMany([{number: '+8613812345678', name: '张三', tier: 'VIP', notes: 'prefers mornings'}, {number: '+8613912345678', name: 'Li'}])).toEqual({inserted: 2, updated: 0})
    now = 2000
    expect(await dir.upsertMany([{number: '+8613812345678', name: '张三丰'}])).toEqual({inserted: 0, updated: 1})
    expect(await dir.get('+8613812345678')).toEqual({
      number: '+8613812345678',
      name: '张三丰',
      tier: 'VIP',
      language: '',
      company: '',
      notes: 'prefers mornings',
      extra: {},
      updatedAt: 2000,
    })
    expect(await dir.get('+8613700000000')).toBeUndefined()
  })

  it('writes all or nothing: a number that is not E.164 rolls the batch back', async () => {
    const dir = (await open()).repos.contacts
    await expect(dir.upsertMany([{number: '+8613812345678', name: 'A'}, {number: '13912345678', name: 'B'}])).rejects.toThrow(/not E\.164/)
    expect(await dir.count()).toBe(0)
  })

  it('rolls back a whole import when the store fails half-way', async () => {
    const s = await open()
    const dir = s.repos.contacts
    await dir.upsertMany([{number: '+8613800000001', name: 'kept'}])
    await s.failWrites('contacts', 'name', 'boom')
    const many = Array.from({length: 2500}, (_, i) => ({number: `+86139${String(i).padStart(8, '0')}`, name: i === 2400 ? 'boom' : `n${i}`}))
    await expect(dir.upsertMany([{number: '+8613800000001', name: 'changed'}, ...many])).rejects.toThrow(/disk full/)
    expect(await dir.count()).toBe(1)
    expect((await dir.get('+8613800000001'))?.name).toBe('kept')
  })

  it('takes a number given twice in one import as an insert then an update, across batches too', async () => {
    const dir = (await open()).repos.contacts
    const many = Array.from({length: 2500}, (_, i) => ({number: `+86139${String(i).padStart(8, '0')}`, name: `n${i}`}))
    expect(await dir.upsertMany([...many, {number: '+8613900000007', tier: 'gold'}, {number: '+8613800000001', name: 'a'}, {number: '+8613800000001', company: 'Acme'}])).toEqual({inserted: 2501, updated: 2})
    expect(await dir.count()).toBe(2501)
    expect(await dir.get('+8613900000007')).toMatchObject({name: 'n7', tier: 'gold'})
    expect(await dir.get('+8613800000001')).toMatchObject({name: 'a', company: 'Acme'})
  })

  it('lists by name in code point order (Chinese, accents, case), with a tier filter (any case) and a limit, counts and removes', async () => {
    const dir = (await open()).repos.contacts
    await dir.upsertMany([
      {number: '+8613800000003', name: 'Carol', tier: 'VIP'},
      {number: '+8613800000001', name: 'Alice', tier: 'vip'},
      {number: '+8613800000002', name: 'Bob', tier: 'gold'},
      {number: '+8613800000004', name: '张三', tier: '贵宾'},
      {number: '+8613800000005', name: 'émile', tier: 'Vip'},
      {number: '+8613800000006', name: 'bob', tier: 'GOLD'},
    ])
    expect((await dir.list()).map((c) => c.name)).toEqual(['Alice', 'Bob', 'Carol', 'bob', 'émile', '张三'])
    expect((await dir.list({tier: 'VIP'})).map((c) => c.name)).toEqual(['Alice', 'Carol', 'émile'])
    expect((await dir.list({tier: '贵宾'})).map((c) => c.name)).toEqual(['张三'])
    // A tier typed decomposed is the same tier; only A-Z fold (SQLite's NOCASE), not É.
    await dir.upsertMany([{number: '+8613800000007', name: 'Zoë', tier: 'café'}])
    expect(await dir.count({tier: 'CAFe\u0301'})).toBe(1)
    expect(await dir.count({tier: 'CAFÉ'})).toBe(0)
    await dir.remove('+8613800000007')
    expect(await dir.count({tier: 'Gold'})).toBe(2)
    expect((await dir.list({limit: 1})).map((c) => c.name)).toEqual(['Alice'])
    expect(await dir.list({limit: 0})).toEqual([])
    expect(await dir.list({limit: -5})).toEqual([])
    expect(await dir.list({limit: Infinity})).toHaveLength(6)
    expect(await dir.count({tier: 'Vip'})).toBe(3)
    expect(await dir.remove('+8613800000001')).toBe(true)
    expect(await dir.remove('+8613800000001')).toBe(false)
    expect(await dir.count()).toBe(5)
  })

  it('keeps hostile text exactly (but lone surrogates, which no store keeps), and extra fields', async () => {
    const dir = (await open()).repos.contacts
    const number = (i: number) => `+86137${String(i).padStart(8, '0')}`
    await dir.upsertMany(HOSTILE_STRINGS.map((h, i) => ({number: number(i), name: h.text, tier: h.text, company: h.text, notes: h.text, extra: {crm: h.text, '客户': '是'}})))
    for (const [i, h] of HOSTILE_STRINGS.entries()) {
      const c = (await dir.get(number(i)))!
      // extra is JSON, which escapes a lone surrogate: it comes back exactly.
      expect(c.extra, h.id).toEqual({crm: h.text, '客户': '是'})
      if (h.probe === undefined) {
        expect({name: c.name, tier: c.tier, notes: c.notes}, h.id).toEqual({name: h.text, tier: h.text, notes: h.text})
        expect(await dir.count({tier: h.text}), h.id).toBe(1)
      } else {
        // A lone surrogate becomes U+FFFD (SQLite: one per byte of its encoding, PostgreSQL: one).
        expect(!/\p{Cs}/u.test(c.name) && c.name.includes(h.probe), h.id).toBe(true)
      }
    }
    // SQL in a value is a value.
    await dir.upsertMany([{number: '+8613600000000', name: "x'); DROP TABLE contacts; --"}])
    expect((await dir.get('+8613600000000'))?.name).toBe("x'); DROP TABLE contacts; --")
    expect(await dir.count()).toBe(HOSTILE_STRINGS.length + 1)
  })

  it('still returns a contact whose extra column another tool broke', async () => {
    const s = await open()
    await s.sql("INSERT INTO contacts (number, name, extra, updated_at) VALUES ('+8613800000001', 'A', 'not json', 1)")
    await s.sql("INSERT INTO contacts (number, name, extra, updated_at) VALUES ('+8613800000002', 'B', '{\"a\": 1, \"b\": \"ok\"}', 1)")
    expect((await s.repos.contacts.get('+8613800000001'))?.extra).toEqual({})
    expect((await s.repos.contacts.get('+8613800000002'))?.extra).toEqual({b: 'ok'})
  })
})
