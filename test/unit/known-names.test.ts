import {afterEach, describe, expect, it} from 'vitest'
import {addQueue} from '../../src/engine/admin/admin.js'
import {checkKnownNames, findName} from '../../src/engine/admin/known-names.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'

// A queue named on the command line in another normal form than it was created in is that
// queue (as queue add/remove already treat it), and what the command then filters by is
// the configured spelling: the check said the queue exists, so a report that then matched
// nothing would be an empty report in a cron job again.

const stores: SqliteStore[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close()
})

describe('known names resolve to their configured spelling', () => {
  it('a full-width or decomposed spelling gives the queue as created', async () => {
    const store = new SqliteStore(':memory:')
    stores.push(store)
    await addQueue(store, '客服1', {})
    await addQueue(store, 'café', {})
    expect(await checkKnownNames(store, {queue: '客服１'})).toEqual({queue: '客服1', agent: undefined})
    expect(await checkKnownNames(store, {queue: ['cafe\u0301', '客服1']})).toEqual({queue: ['café', '客服1'], agent: undefined})
    await expect(checkKnownNames(store, {queue: '客服2'})).rejects.toMatchObject({code: 'unknown_queue', exitCode: 1})
  })

  it('findName prefers the exact name and never matches a different one', () => {
    expect(findName(['sales', 'ｓａｌｅｓ2'], 'sales')).toBe('sales')
    expect(findName(['sales2'], 'ｓａｌｅｓ2')).toBe('sales2')
    expect(findName(['sales'], 'Sales')).toBeUndefined()
  })
})
