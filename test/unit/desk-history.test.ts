import {afterEach, describe, expect, it} from 'vitest'
import {normaliseNumber} from '../../src/engine/contacts/phone-number.js'
import {customerHistory} from '../../src/engine/desk/history.js'
import type {NewEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'

// The pop's history: a customer's earlier calls and tickets from the event log, newest
// first, matched by the number however the trunk wrote it.

const stores: SqliteStore[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close()
})

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0)
const min = (n: number) => T0 + n * 60_000

function call(id: string, at: number, number: string, more: Omit<NewEvent, 'callId'>[] = []): NewEvent[] {
  return [{type: 'call.started', ts: at, callId: id, data: {direction: 'inbound', number, name: ''}}, ...more.map((e) => ({...e, callId: id}))]
}

async function storeWith(events: NewEvent[]): Promise<SqliteStore> {
  const s = new SqliteStore(':memory:')
  stores.push(s)
  await s.appendEvents(events)
  return s
}

const cn = (n: string) => normaliseNumber(n, 'CN')

describe('customer history for the pop', () => {
  it('lists calls with outcome, disposition and the latest text of each note, and tickets with their status, newest first', async () => {
    const s = await storeWith([
      ...call('c1', min(0), '013812345678', [
        {type: 'queue.entered', ts: min(0), queue: 'support', data: {}},
        {type: 'call.connected', ts: min(1), queue: 'support', agent: '1001', data: {}},
        {type: 'call.note', ts: min(2), agent: '1001', data: {note: 'n1', text: 'wants a ref'}},
        {type: 'call.note', ts: min(3), agent: '1001', data: {note: 'n1', text: 'wants a refund'}},
        {type: 'call.ended', ts: min(4), data: {cause: 'caller-hung-up'}},
        {type: 'call.disposition', ts: min(5), agent: '1001', data: {code: 'follow-up', label: 'Needs follow-up'}},
      ]),
      {type: 'ticket.created', ts: min(6), agent: '1001', data: {ticket: 'T-000001', subject: 'Refund order 42', priority: 'high', assignee: {queue: 'billing'}, number: '+8613812345678', status: 'open'}},
      ...call('c2', min(10), '+8613900000000', [{type: 'call.connected', ts: min(11), agent: '1002', data: {}}]),
      ...call('c3', min(20), '+86 138 1234 5678', [
        {type: 'queue.entered', ts: min(20), queue: 'billing', data: {}},
        {type: 'queue.abandoned', ts: min(21), queue: 'billing', data: {}},
        {type: 'call.ended', ts: min(21), data: {cause: 'abandoned'}},
      ]),
      {type: 'ticket.status_changed', ts: min(30), data: {ticket: 'T-000001', from: 'open', to: 'solved'}},
      // The call ringing now is not part of its own history.
      ...call('c4', min(40), '+8613812345678'),
    ])
    const {interactions: h, searchedFrom} = await customerHistory(s, {number: '+8613812345678', normalise: cn, exceptCall: 'c4', limit: 5, since: 0, now: min(60)})
    expect(searchedFrom).toBe(0)
    expect(h.map((i) => [i.kind, i.id, i.outcome])).toEqual([
      ['call', 'c3', 'abandoned'],
      ['ticket', 'T-000001', 'solved'],
      ['call', 'c1', 'answered'],
    ])
    expect(h[0]).toMatchObject({queue: 'billing', agent: null, disposition: null, notes: []})
    expect(h[1]).toMatchObject({queue: 'billing', notes: ['Refund order 42'], priority: 'high'})
    expect(h[2]).toMatchObject({queue: 'support', agent: '1001', disposition: {code: 'follow-up', label: 'Needs follow-up'}, notes: ['wants a refund'], direction: 'inbound'})
  })

  it('keeps the newest `limit` only, and reads nothing before `since`', async () => {
    const events = Array.from({length: 8}, (_, i) => call(`c${i}`, min(i), '+8613812345678')).flat()
    const s = await storeWith(events)
    const h = await customerHistory(s, {number: '+8613812345678', normalise: cn, limit: 3, since: min(0), now: min(60)})
    expect(h.interactions.map((i) => i.id)).toEqual(['c7', 'c6', 'c5'])
    expect((await customerHistory(s, {number: '+8613812345678', normalise: cn, limit: 5, since: min(6), now: min(60)})).interactions.map((i) => i.id)).toEqual(['c7', 'c6'])
    expect(await customerHistory(s, {number: '+8613800000000', normalise: cn, limit: 5, since: 0, now: min(60)})).toEqual({interactions: [], searchedFrom: 0})
  })

  it('reads back a day, then two, four...: it stops at `limit` found, or when the budget is spent (saying how far it read)', async () => {
    const day = 86_400_000
    // One call a day for 40 days; this customer called 3 and 30 days ago.
    const events = Array.from({length: 40}, (_, i) => call(`d${i}`, T0 - i * day, i === 3 || i === 30 ? '+8613812345678' : `+86139000000${String(i).padStart(2, '0')}`)).flat()
    const s = await storeWith(events)
    const q = {number: '+8613812345678', normalise: cn, since: T0 - 100 * day, now: T0}
    expect((await customerHistory(s, {...q, limit: 1})).interactions.map((i) => i.id)).toEqual(['d3'])
    expect((await customerHistory(s, {...q, limit: 5})).interactions.map((i) => i.id)).toEqual(['d3', 'd30'])
    // A budget spent after the first window: 1 day read, nothing found, and it says so.
    let t = 0
    const spent = await customerHistory(s, {...q, limit: 5, budgetMs: 10, elapsed: () => (t += 10)})
    expect(spent).toEqual({interactions: [], searchedFrom: T0 + 1 - day})
  })
})
