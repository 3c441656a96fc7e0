import {afterEach, describe, expect, it} from 'vitest'
import {contactDirectory, SqliteContactDirectory} from '../../src/engine/contacts/contact-store.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'

describe('contact directory (SQLite)', () => {
  const stores: SqliteStore[] = []
  const open = () => {
    const s = new SqliteStore(':memory:')
    stores.push(s)
    return s
  }
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close()
  })

  it('inserts, then updates only the fields given, counting each', async () => {
    let now = 1000
    const dir = new SqliteContactDirectory(open().db, () => now)
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
    const dir = contactDirectory(open())
    await expect(dir.upsertMany([{number: '+8613812345678', name: 'A'}, {number: '13912345678', name: 'B'}])).rejects.toThrow(/not E\.164/)
    expect(await dir.count()).toBe(0)
  })

  it('lists by name with a tier filter (any case) and a limit, counts and removes', async () => {
    const dir = contactDirectory(open())
    await dir.upsertMany([
      {number: '+8613800000003', name: 'Carol', tier: 'VIP'},
      {number: '+8613800000001', name: 'Alice', tier: 'vip'},
      {number: '+8613800000002', name: 'Bob', tier: 'gold'},
    ])
    expect((await dir.list()).map((c) => c.name)).toEqual(['Alice', 'Bob', 'Carol'])
    expect((await dir.list({tier: 'VIP'})).map((c) => c.name)).toEqual(['Alice', 'Carol'])
    expect((await dir.list({limit: 1})).map((c) => c.name)).toEqual(['Alice'])
    expect(await dir.count({tier: 'Vip'})).toBe(2)
    expect(await dir.remove('+8613800000001')).toBe(true)
    expect(await dir.remove('+8613800000001')).toBe(false)
    expect(await dir.count()).toBe(2)
  })

  it('still returns a contact whose extra column another tool broke', async () => {
    const store = open()
    store.db.prepare("INSERT INTO contacts (number, name, extra, updated_at) VALUES ('+8613800000001', 'A', 'not json', 1)").run()
    expect((await contactDirectory(store).get('+8613800000001'))?.extra).toEqual({})
  })
})
