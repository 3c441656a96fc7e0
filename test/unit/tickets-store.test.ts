import {afterEach, describe, expect, it} from 'vitest'
import {DEFAULT_SLA} from '../../src/engine/tickets/ticket.js'
import {addTicket, assignTicket, commentTicket, linkCall, setTicketStatus, updateTicket, type TicketContext} from '../../src/engine/tickets/tickets.js'
import {UserError} from '../../src/engine/util/errors.js'
import {HOSTILE_STRINGS} from '../fixtures/hostile-strings.js'
import {repositoryStores, type OpenedStore} from '../support/repository-stores.js'

// The tickets table: one contract, run on SQLite and on PostgreSQL. Every change is a
// ticket.* event appended with the row it makes, in one transaction.

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0)
const HOUR = 3_600_000
const KEPT = HOSTILE_STRINGS.filter((h) => h.probe === undefined)

describe.each(repositoryStores())('tickets on $name', (kind) => {
  const opened: OpenedStore[] = []
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close()
  })
  const open = async () => {
    const s = await kind.open()
    opened.push(s)
    let now = T0
    const ctx: TicketContext = {tickets: s.repos.tickets, store: s.store, sla: DEFAULT_SLA, defaultCountry: 'CN', origin: 'cli', now: () => now}
    await s.store.saveQueue({name: 'sales', settings: {} as never, createdAt: T0}, {type: 'queue.added', ts: T0, queue: 'sales'})
    await s.store.saveAgent({id: '1001', name: 'Ann', endpoint: 'PJSIP/1001', skills: {}, queues: {sales: 0}, createdAt: T0}, {type: 'agent.added', ts: T0, agent: '1001'})
    await s.store.saveAgent({id: '1002', name: 'Bo', endpoint: 'PJSIP/1002', skills: {}, queues: {}, createdAt: T0}, {type: 'agent.added', ts: T0, agent: '1002'})
    return {s, ctx, at: (ms: number) => void (now = ms)}
  }

  it('numbers tickets T-000001 up, due by the SLA of their priority, and writes each change with its event', async () => {
    const {s, ctx, at} = await open()
    const a = await addTicket(ctx, {subject: '退款未到账', priority: 'urgent', category: '退款', assignee: {queue: 'sales'}, contact: '13800138000', calls: ['c-1']}, 'admin')
    expect(a).toMatchObject({id: 'T-000001', status: 'open', priority: 'urgent', dueAt: T0 + 4 * HOUR, contact: '+8613800138000', calls: ['c-1'], createdBy: 'admin', reopens: 0})
    at(T0 + 1000)
    const b = await addTicket(ctx, {subject: 'second'}, 'admin')
    expect(b).toMatchObject({id: 'T-000002', priority: 'normal', dueAt: T0 + 1000 + 3 * 24 * HOUR, assignee: null})
    at(T0 + 2000)
    // A new priority moves the due time from the creation.
    expect(await updateTicket(ctx, 'T-000002', {priority: 'high'}, 'sup')).toMatchObject({priority: 'high', dueAt: T0 + 1000 + 24 * HOUR})
    await commentTicket(ctx, 'T-000002', '已联系客户', 'sup')
    await assignTicket(ctx, 'T-000002', {agent: '1001'}, 'sup')
    await linkCall(ctx, 'T-000002', 'c-2', 'sup')
    at(T0 + 3000)
    await setTicketStatus(ctx, 'T-000002', 'solved', 'sup')
    at(T0 + 4000)
    const reopened = await setTicketStatus(ctx, 'T-000002', 'open', 'sup')
    expect(reopened).toMatchObject({status: 'open', reopens: 1, resolvedAt: null, assignee: {agent: '1001'}, calls: ['c-2']})
    expect(reopened.comments).toEqual([{id: 1, text: '已联系客户', by: 'sup', ts: T0 + 2000}])
    expect(await s.repos.tickets.get('T-000002')).toEqual(reopened)
    const events = (await s.events()).filter((e) => e.type.startsWith('ticket.'))
    expect(events.map((e) => e.type)).toEqual([
      'ticket.created',
      'ticket.created',
      'ticket.updated',
      'ticket.commented',
      'ticket.assigned',
      'ticket.call_linked',
      'ticket.status_changed',
      'ticket.status_changed',
    ])
    expect(events[2]!.data).toEqual({ticket: 'T-000002', changes: {priority: {from: 'normal', to: 'high'}, dueTs: {from: T0 + 1000 + 3 * 24 * HOUR, to: T0 + 1000 + 24 * HOUR}}, by: 'sup'})
    expect(events[4]).toMatchObject({agent: '1001', data: {from: null, to: {agent: '1001'}}})
    expect(events[5]).toMatchObject({callId: 'c-2', data: {ticket: 'T-000002', by: 'sup'}})
    expect(events[0]).toMatchObject({queue: 'sales', callId: 'c-1', origin: 'cli'})
  })

  it('lists by status, assignee, overdue, contact and call; an agent sees its own, its queues\' and those of calls it took', async () => {
    const {s, ctx, at} = await open()
    await addTicket(ctx, {subject: 'a', priority: 'urgent', assignee: {agent: '1001'}}, 'x') // T-1
    await addTicket(ctx, {subject: 'b', priority: 'low', assignee: {queue: 'sales'}, contact: '+8613900000000'}, 'x') // T-2
    await addTicket(ctx, {subject: 'c', priority: 'urgent', calls: ['call-9']}, 'x') // T-3
    await addTicket(ctx, {subject: 'd', priority: 'urgent', assignee: {agent: '1002'}}, 'x') // T-4
    await setTicketStatus(ctx, 'T-000004', 'solved', 'x')
    const ids = async (q: Parameters<typeof s.repos.tickets.list>[0]) => (await s.repos.tickets.list(q)).map((t) => t.id)
    expect(await ids({})).toEqual(['T-000004', 'T-000003', 'T-000002', 'T-000001'])
    expect(await ids({status: ['solved']})).toEqual(['T-000004'])
    expect(await ids({assignee: {agent: '1001'}})).toEqual(['T-000001'])
    expect(await ids({assignee: {queue: 'sales'}})).toEqual(['T-000002'])
    expect(await ids({assignee: 'none'})).toEqual(['T-000003'])
    expect(await ids({contact: '+8613900000000'})).toEqual(['T-000002'])
    expect(await ids({call: 'call-9'})).toEqual(['T-000003'])
    // Urgent is due in 4 h: past that, the open urgent ones are overdue; the solved one is not.
    at(T0 + 5 * HOUR)
    expect(await ids({overdueAt: T0 + 5 * HOUR})).toEqual(['T-000003', 'T-000001'])
    expect(await s.repos.tickets.count({overdueAt: T0 + 5 * HOUR})).toBe(2)
    // Agent 1001 took call-9 (the log says so): T-3 is its too.
    await s.store.appendEvents([{type: 'call.connected', ts: T0, callId: 'call-9', agent: '1001', queue: 'sales'}])
    expect(await ids({visibleTo: {agent: '1001', queues: ['sales']}})).toEqual(['T-000003', 'T-000002', 'T-000001'])
    expect(await ids({visibleTo: {agent: '1002', queues: []}})).toEqual(['T-000004'])
    expect(await s.repos.tickets.count({id: 'T-000001', visibleTo: {agent: '1002', queues: []}})).toBe(0)
  })

  it('refuses what is wrong with one clear line, writes nothing then, and keeps hostile text exactly', async () => {
    const {s, ctx} = await open()
    const err = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e)
    expect(await err(addTicket(ctx, {subject: ' '}, 'x'))).toMatchObject({code: 'invalid_ticket', message: 'The ticket subject is empty'})
    expect(await err(addTicket(ctx, {subject: 's', assignee: {agent: 'nobody'}}, 'x'))).toMatchObject({code: 'unknown_agent'})
    expect(await err(addTicket(ctx, {subject: 's', assignee: {queue: 'nope'}}, 'x'))).toMatchObject({code: 'unknown_queue'})
    expect(await err(addTicket(ctx, {subject: 'x'.repeat(201)}, 'x'))).toBeInstanceOf(UserError)
    expect(await err(updateTicket(ctx, 'T-000099', {subject: 'y'}, 'x'))).toMatchObject({code: 'unknown_ticket'})
    await addTicket(ctx, {subject: 's'}, 'x')
    expect(await err(setTicketStatus(ctx, 'T-000001', 'open', 'x'))).toMatchObject({code: 'unchanged'})
    expect(await err(updateTicket(ctx, 'T-000001', {subject: 's'}, 'x'))).toMatchObject({code: 'unchanged'})
    expect((await s.events()).filter((e) => e.type.startsWith('ticket.'))).toHaveLength(1)
    for (const h of KEPT) {
      if (h.text.trim() === '' || h.text.length > 200) continue
      const t = await addTicket(ctx, {subject: h.text, description: h.text}, 'x')
      await commentTicket(ctx, t.id, h.text.trim() === '' ? 'c' : h.text, 'x')
      const back = (await s.repos.tickets.get(t.id))!
      expect(back.subject, h.id).toBe(h.text)
      expect(back.description).toBe(h.text)
    }
  })

  it('the table is derived: rebuilt from the log it is the same, row for row', async () => {
    const {s, ctx, at} = await open()
    await addTicket(ctx, {subject: '退款', priority: 'urgent', assignee: {queue: 'sales'}, contact: '13800138000', calls: ['c-1']}, 'x')
    at(T0 + 1000)
    await addTicket(ctx, {subject: 'two'}, 'x')
    await updateTicket(ctx, 'T-000002', {priority: 'low', description: 'd'}, 'y')
    await commentTicket(ctx, 'T-000001', 'c1', 'y')
    await linkCall(ctx, 'T-000001', 'c-2', 'y')
    await assignTicket(ctx, 'T-000002', {agent: '1002'}, 'y')
    await setTicketStatus(ctx, 'T-000001', 'closed', 'y')
    await setTicketStatus(ctx, 'T-000001', 'pending', 'y')
    const before = await s.repos.tickets.list()
    await s.sql('DELETE FROM tickets')
    expect(await s.repos.tickets.count()).toBe(0)
    expect(await s.repos.tickets.rebuild(s.store.events())).toBe(2)
    expect(await s.repos.tickets.list()).toEqual(before)
    expect((await s.repos.tickets.list({call: 'c-2'})).map((t) => t.id)).toEqual(['T-000001'])
  })

  it('a failed write leaves neither the row nor its event', async () => {
    const {s, ctx} = await open()
    await s.failWrites('tickets', 'subject', 'doomed')
    await expect(addTicket(ctx, {subject: 'doomed'}, 'x')).rejects.toThrow(/disk full/)
    expect(await s.repos.tickets.count()).toBe(0)
    expect((await s.events()).filter((e) => e.type.startsWith('ticket.'))).toEqual([])
    expect((await addTicket(ctx, {subject: 'fine'}, 'x')).id).toBe('T-000001')
  })
})
