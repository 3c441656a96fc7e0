import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue} from '../../src/engine/admin/admin.js'
import {ticketsSettings} from '../../src/engine/config/tickets-config.js'
import {AtomicFile, writeReport} from '../../src/engine/reports/report-output.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {DEFAULT_SLA, dueFor, foldTicket, isOverdue, ticketId, ticketSeq, type Ticket} from '../../src/engine/tickets/ticket.js'
import {cellPositions, importTicketCsv, ticketReport} from '../../src/engine/tickets/ticket-csv.js'
import {addTicket, commentTicket, parseAssignee, parseDue, type TicketContext} from '../../src/engine/tickets/tickets.js'
import {callctlPaths} from '../../src/engine/util/paths.js'

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0)
const H = 3_600_000
const dir = mkdtempSync(join(tmpdir(), 'callctl-tickets-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('the ticket model', () => {
  it('ids are T- and six digits at least; typed ids are forgiven their case and zeros', () => {
    expect(ticketId(42)).toBe('T-000042')
    expect(ticketId(1_234_567)).toBe('T-1234567')
    expect(['T-000042', 't-42', 'T42', ' T-0042 '].map(ticketSeq)).toEqual([42, 42, 42, 42])
    expect(['T-0', 'X-1', '42x', '', 'T-'].map(ticketSeq)).toEqual([null, null, null, null, null])
  })

  it('the SLA gives each priority its due time (defaults: urgent 4 h, high 1 d, normal 3 d, low 7 d), from the config when set', () => {
    expect(['urgent', 'high', 'normal', 'low'].map((p) => (dueFor(T0, p as never) - T0) / H)).toEqual([4, 24, 72, 168])
    const s = ticketsSettings({sla: {urgent: '2h', low: 86_400}}, callctlPaths({CALLCTL_HOME: dir}), {})
    expect(s.sla).toEqual({...DEFAULT_SLA, urgent: 2 * H, low: 24 * H})
    expect(s.webhook).toBeNull()
    expect(ticketsSettings({webhook: {url: 'http://127.0.0.1:9/h'}}, callctlPaths({CALLCTL_HOME: dir}), {}).webhook).toEqual({url: 'http://127.0.0.1:9/h', secretFile: join(dir, 'secrets', 'ticket-webhook'), timeoutMs: 5000})
  })

  it('overdue: past due and neither solved nor closed', () => {
    const t = {status: 'open', dueAt: T0} as const
    expect(isOverdue(t, T0)).toBe(false)
    expect(isOverdue(t, T0 + 1)).toBe(true)
    expect(isOverdue({...t, status: 'pending'}, T0 + 1)).toBe(true)
    expect(isOverdue({...t, status: 'solved'}, T0 + 1)).toBe(false)
    expect(isOverdue({...t, status: 'closed'}, T0 + 1)).toBe(false)
  })

  it('folds its events into the row: a reopen is counted, the resolution time kept until then', () => {
    const ev = (type: string, ts: number, data: Record<string, unknown>, callId: string | null = null) => ({type: type as never, ts, callId, data: {ticket: 'T-000001', by: 'x', ...data}})
    let t: Ticket | null = null
    for (const e of [
      ev('ticket.created', T0, {subject: 's', priority: 'high', assignee: {queue: 'q'}, calls: ['c1'], dueTs: T0 + 24 * H}),
      ev('ticket.status_changed', T0 + 10, {from: 'open', to: 'solved'}),
      ev('ticket.status_changed', T0 + 20, {from: 'solved', to: 'closed'}),
      ev('ticket.call_linked', T0 + 25, {}, 'c2'),
      ev('ticket.call_linked', T0 + 26, {}, 'c1'),
    ])
      t = foldTicket(t, e)
    expect(t).toMatchObject({status: 'closed', resolvedAt: T0 + 10, reopens: 0, calls: ['c1', 'c2'], dueAt: T0 + 24 * H, assignee: {queue: 'q'}})
    t = foldTicket(t, ev('ticket.status_changed', T0 + 30, {from: 'closed', to: 'pending'}))
    expect(t).toMatchObject({status: 'pending', resolvedAt: null, reopens: 1, updatedAt: T0 + 30})
    expect(foldTicket(null, ev('ticket.commented', T0, {comment: 1, text: 'x'}))).toBeNull()
  })

  it('reads assignees and due times as typed on the command line', () => {
    expect(parseAssignee('agent:1001')).toEqual({agent: '1001'})
    expect(parseAssignee('queue:售后')).toEqual({queue: '售后'})
    expect(parseAssignee('none')).toBeNull()
    expect(() => parseAssignee('1001')).toThrow(/Invalid assignee "1001"/)
    expect(parseDue('4h', T0)).toBe(T0 + 4 * H)
    expect(parseDue('2026-12-24T18:00:00+08:00', T0)).toBe(Date.UTC(2026, 11, 24, 10))
    expect(() => parseDue('tomorrow', T0)).toThrow(/Invalid due time/)
  })
})

describe('tickets as CSV', () => {
  let store: SqliteStore
  let ctx: TicketContext
  let now = T0
  beforeEach(async () => {
    store = new SqliteStore(':memory:')
    await addQueue(store, 'support', {})
    await addAgent(store, {id: '1001', endpoint: 'PJSIP/1001', queues: ['support']})
    now = T0
    ctx = {tickets: repositoriesOf(store).tickets, store, sla: DEFAULT_SLA, defaultCountry: 'CN', origin: 'cli', now: () => now}
  })

  it('knows where each cell starts: line and column, across quoted line breaks and doubled quotes', () => {
    expect(cellPositions('a,"b,c",d', 3)).toEqual([{line: 3, column: 1}, {line: 3, column: 3}, {line: 3, column: 9}])
    expect(cellPositions('"x\ny",客服,"a""b",z', 5)).toEqual([{line: 5, column: 1}, {line: 6, column: 4}, {line: 6, column: 7}, {line: 6, column: 14}])
  })

  it('exports formulas neutralised; import takes the guard off again, so a round trip changes nothing', async () => {
    await addTicket(ctx, {subject: '=HYPERLINK("http://evil.example","点我")', description: '+1 line one\nline two', category: '@sum', priority: 'urgent', contact: '13800138000', assignee: {agent: '1001'}}, 'x')
    await commentTicket(ctx, 'T-000001', 'c', 'x')
    const file = join(dir, 'export.csv')
    const sink = new AtomicFile(file)
    await writeReport(ticketReport(await ctx.tickets.list(), now + 5 * H), sink, {format: 'csv', bom: false})
    await sink.commit()
    const text = readFileSync(file, 'utf8')
    expect(text.split('\n')[0]).toBe('id,subject,description,status,priority,category,assignee,contact,number,calls,due,overdue,created,created_by,updated,resolved,reopens,comments')
    expect(text).toContain(`T-000001,"'=HYPERLINK(""http://evil.example"",""点我"")","'+1 line one\nline two",open,urgent,'@sum,agent:1001,'+8613800138000,,,2026-12-07T13:00:00.000Z,yes,`)
    const r = await importTicketCsv(ctx, file, {by: 'y'})
    expect(r).toMatchObject({rows: 1, created: [], updated: [], unchanged: 1, bad: [], committed: true})
  })

  it('imports new tickets and changes existing ones in one go; each problem as line:column, and then nothing at all', async () => {
    await addTicket(ctx, {subject: 'old'}, 'x')
    const good = join(dir, 'good.csv')
    writeFileSync(good, '\ufeffid,subject,priority,assignee,status,due\nT-000001,old,high,queue:support,pending,\n,new one,low,,,2026-12-24T18:00:00+08:00\nT-000100,named,,agent:1001,solved,\n')
    const r = await importTicketCsv(ctx, good, {by: 'imp'})
    expect(r).toMatchObject({created: ['T-000002', 'T-000100'], updated: ['T-000001'], bad: [], committed: true})
    expect(await ctx.tickets.get('T-000001')).toMatchObject({priority: 'high', assignee: {queue: 'support'}, status: 'pending', dueAt: T0 + 24 * H})
    expect(await ctx.tickets.get('T-000002')).toMatchObject({subject: 'new one', priority: 'low', dueAt: Date.UTC(2026, 11, 24, 10), createdBy: 'imp'})
    expect(await ctx.tickets.get('T-000100')).toMatchObject({status: 'solved', assignee: {agent: '1001'}})
    const bad = join(dir, 'bad.csv')
    writeFileSync(bad, 'subject,priority,assignee,contact\nfine,normal,,\n"two\nlines",asap,agent:ghost,abc\n')
    const before = await ctx.tickets.count()
    const b = await importTicketCsv(ctx, bad, {by: 'imp'})
    expect(b.committed).toBe(false)
    expect(b.bad).toEqual([
      {line: 4, column: 8, message: 'priority: Invalid priority "asap"'},
      {line: 4, column: 13, message: 'assignee: agent "ghost" does not exist'},
      {line: 4, column: 25, message: 'contact: Invalid contact number "abc"'},
    ])
    expect(await ctx.tickets.count()).toBe(before)
    writeFileSync(bad, 'subject,colour\nx,red\n')
    await expect(importTicketCsv(ctx, bad, {by: 'imp'})).rejects.toThrow(/bad.csv:1:1: the first line must be a header/)
  })

  it('a long file lets the event loop in while it is checked (Ctrl-C is heard), and says when the one write begins', async () => {
    // The checks settle as microtasks on SQLite: without a pause a signal waits for the
    // write. Reading the file takes a few turns of the loop; checking 4000 rows, with a
    // pause every 200 in each of its two passes, at least 40 more.
    const file = join(dir, 'long.csv')
    writeFileSync(file, 'subject,priority\n' + Array.from({length: 4000}, (_, i) => `ticket ${i},low\n`).join(''))
    const order: string[] = []
    let turns = 0
    let writing = false
    const tick = () => {
      turns++
      if (!writing) setImmediate(tick)
    }
    setImmediate(tick)
    const r = await importTicketCsv(ctx, file, {by: 'imp', onWriting: () => ((writing = true), order.push(`writing after ${turns >= 40 ? '40 turns or more' : `${turns} turns`}`))})
    expect(order).toEqual(['writing after 40 turns or more'])
    expect(r).toMatchObject({committed: true})
    expect(await ctx.tickets.count()).toBe(4000)
    // Nothing to write, no write begun: a dry run and a file with problems do not call it.
    const never = () => order.push('never')
    await importTicketCsv(ctx, file, {by: 'imp', dryRun: true, onWriting: never})
    writeFileSync(file, 'subject,priority\nx,asap\n')
    await importTicketCsv(ctx, file, {by: 'imp', onWriting: never})
    expect(order).toEqual(['writing after 40 turns or more'])
  })
})
