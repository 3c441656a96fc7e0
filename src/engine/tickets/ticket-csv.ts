import {readFile, stat} from 'node:fs/promises'
import {parse} from 'csv-parse/sync'
import {findQueue} from '../admin/admin.js'
import type {Cell, TableReport} from '../reports/report-output.js'
import type {NewEvent} from '../store/events.js'
import {UserError} from '../util/errors.js'
import {safeText} from '../util/text.js'
import {assigneeText, isOverdue, sameAssignee, ticketId, ticketSeq, type Assignee, type Ticket, type TicketStatus} from './ticket.js'
import type {TicketOp} from './ticket-store.js'
import {changeEvents, checkCategory, checkContact, checkPriority, checkStatus, checkSubject, newTicketOp, parseAssignee, type NewTicket, type TicketChanges, type TicketContext} from './tickets.js'

// Tickets as CSV, for a spreadsheet or another helpdesk. Export writes one row per ticket,
// every text cell spreadsheet-safe (csv-text.ts: a cell starting with = + - @ gets a
// leading quote, which import takes off again, so a round trip changes nothing). Import
// checks the whole file first (each problem as file:line:column, the column of the cell
// in the file), then writes every row in one transaction: all rows or none. A row with the
// id of an existing ticket changes it (only what differs, each change its event); a row
// without an id, or with one not taken, opens a ticket.

export const TICKET_CSV_COLUMNS = [
  'id',
  'subject',
  'description',
  'status',
  'priority',
  'category',
  'assignee',
  'contact',
  'number',
  'calls',
  'due',
  'overdue',
  'created',
  'created_by',
  'updated',
  'resolved',
  'reopens',
  'comments',
] as const

/** The columns an import reads; the others (derived: overdue, created ...) are accepted and ignored. */
const IMPORTED = ['id', 'subject', 'description', 'status', 'priority', 'category', 'assignee', 'contact', 'number', 'calls', 'due'] as const
type Imported = (typeof IMPORTED)[number]

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString())

export function ticketCsvRow(t: Ticket, now: number): Cell[] {
  return [
    t.id,
    t.subject,
    t.description,
    t.status,
    t.priority,
    t.category,
    assigneeText(t.assignee),
    t.contact ?? '',
    t.number ?? '',
    t.calls.join(' '),
    iso(t.dueAt),
    isOverdue(t, now) ? 'yes' : 'no',
    iso(t.createdAt),
    t.createdBy,
    iso(t.updatedAt),
    iso(t.resolvedAt),
    t.reopens,
    t.comments.length,
  ]
}

/** The export as a table report (report-output.ts writes it: CSV, spreadsheet-safe, to a file atomically or to stdout). */
export function ticketReport(tickets: readonly Ticket[], now: number): TableReport {
  return {kind: 'table', type: 'tickets', columns: [...TICKET_CSV_COLUMNS], meta: {at: new Date(now).toISOString()}, rows: tickets.map((t) => ticketCsvRow(t, now))}
}

export interface CsvProblem {
  line: number
  column: number
  message: string
}

export interface TicketImportReport {
  file: string
  rows: number
  created: string[]
  updated: string[]
  unchanged: number
  bad: CsvProblem[]
  dryRun: boolean
  committed: boolean
}

const MAX_FILE_BYTES = 20 * 1024 * 1024
const MAX_RECORD_CHARS = 64 * 1024

interface Cell1 {
  value: string
  line: number
  column: number
}
type Record1 = {line: number; cells: Partial<Record<Imported, Cell1>>}

/** A cell export made spreadsheet-safe ('=1+1) comes back as it was (=1+1). */
function unguard(v: string): string {
  return /^'[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/.test(v) ? v.slice(1) : v
}

/** Where each cell of a raw record starts: line and column (1-based, in characters). */
export function cellPositions(raw: string, firstLine: number): {line: number; column: number}[] {
  const out = [{line: firstLine, column: 1}]
  let line = firstLine
  let column = 1
  let quoted = false
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (c === '"') {
      if (quoted && raw[i + 1] === '"') (i++, (column += 2))
      else (quoted = !quoted), column++
      continue
    }
    if (!quoted && c === ',') {
      column++
      out.push({line, column})
      continue
    }
    if (c === '\r' || c === '\n') {
      if (c === '\r' && raw[i + 1] === '\n') i++
      line++
      column = 1
      continue
    }
    // Characters, not UTF-16 units: an editor puts 客 in one column.
    if (c >= '\ud800' && c <= '\udbff') i++
    column++
  }
  return out
}

async function readRecords(path: string, file: string): Promise<Record1[]> {
  let bytes: Buffer
  try {
    if ((await stat(path)).size > MAX_FILE_BYTES) throw new UserError(`${file} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`, {suggestion: 'Split it into several files.', exitCode: 2, code: 'invalid_file'})
    // Read without blocking the event loop, so Ctrl-C is heard while a slow file (a pipe) arrives.
    bytes = await readFile(path)
  } catch (err) {
    if (err instanceof UserError) throw err
    throw new UserError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {suggestion: 'Check the path.', exitCode: 2, code: 'invalid_file'})
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    throw new UserError(`${file} is not UTF-8 text`, {suggestion: `Save it as UTF-8 (Excel: "CSV UTF-8"), or convert it: iconv -f GBK -t UTF-8 ${file}`, exitCode: 2, code: 'not_utf8'})
  }
  let records: {record: string[]; raw: string; info: {lines: number}}[]
  try {
    records = parse(text, {info: true, raw: true, relax_column_count: true, skip_empty_lines: true, max_record_size: MAX_RECORD_CHARS, record_delimiter: ['\r\n', '\n', '\r']})
  } catch (e) {
    const err = e as Error & {lines?: number}
    throw new UserError(`${file}${err.lines ? `:${err.lines}` : ''}: not valid CSV: ${safeText(err.message, 200)}`, {suggestion: 'Quote cells that contain commas, quotes or line breaks, and close every quote.', exitCode: 2, code: 'invalid_file'})
  }
  const header = records.shift()
  const names = header?.record.map((h) => h.trim().toLowerCase()) ?? []
  const index = new Map<string, number>()
  names.forEach((n, i) => index.set(n, i))
  const unknown = names.filter((n) => !(TICKET_CSV_COLUMNS as readonly string[]).includes(n))
  if (!index.has('subject') || unknown.length > 0 || index.size !== names.length) {
    throw new UserError(`${file}:1:1: the first line must be a header naming the columns, with at least subject`, {
      suggestion: `Columns: ${TICKET_CSV_COLUMNS.join(', ')} (any order; ${unknown.length ? `not known: ${safeText(unknown.join(', '), 100)}` : 'each once'}). callctl ticket export writes this header.`,
      exitCode: 2,
      code: 'invalid_file',
    })
  }
  return records.map((r) => {
    const lead = /^(?:\r\n|\n|\r)*/.exec(r.raw)![0]
    const body = r.raw.slice(lead.length).replace(/(?:\r\n|\n|\r)$/, '')
    const first = r.info.lines - (body.match(/\r\n|\n|\r/g)?.length ?? 0)
    const at = cellPositions(body, first)
    const cells: Record1['cells'] = {}
    for (const f of IMPORTED) {
      const i = index.get(f)
      if (i === undefined || i >= r.record.length) continue
      cells[f] = {value: unguard(r.record[i]!), ...(at[i] ?? at[0]!)}
    }
    return {line: first, cells}
  })
}

interface Checked {
  line: number
  id: string | null
  input: NewTicket & {status?: TicketStatus}
  /** Which columns the row has: an update changes only those. */
  given: Set<Imported>
}

/** Reads and checks the whole file; every problem found is listed (file:line:column), nothing is written. */
export async function readTicketCsv(ctx: TicketContext, path: string, file = path): Promise<{rows: Checked[]; bad: CsvProblem[]}> {
  const records = await readRecords(path, file)
  const bad: CsvProblem[] = []
  const rows: Checked[] = []
  const agents = new Map<string, boolean>()
  const queues = new Map<string, string | undefined>()
  const seen = new Map<string, number>()
  for (const [i, r] of records.entries()) {
    if (i % BREATHE_EVERY === BREATHE_EVERY - 1) await breathe()
    const c = r.cells
    const problems = bad.length
    const check = <T>(f: Imported, fn: (v: string) => T | Promise<T>): Promise<T | undefined> | T | undefined => {
      const cell = c[f]
      if (!cell || (cell.value === '' && f !== 'subject')) return undefined
      const fail = (err: unknown) => {
        if (!(err instanceof UserError)) throw err
        bad.push({line: cell.line, column: cell.column, message: `${f}: ${err.message}`})
        return undefined
      }
      try {
        const v = fn(cell.value)
        return v instanceof Promise ? v.catch(fail) : v
      } catch (err) {
        return fail(err)
      }
    }
    const id = await check('id', (v) => {
      const seq = ticketSeq(v)
      if (seq === null) throw new UserError(`"${safeText(v, 20)}" is not a ticket id (T-000042)`)
      const tid = ticketId(seq)
      if (seen.has(tid)) throw new UserError(`${tid} is also on line ${seen.get(tid)}`)
      seen.set(tid, r.line)
      return tid
    })
    const subject = await check('subject', checkSubject)
    const description = await check('description', (v) => v)
    const status = await check('status', checkStatus)
    const priority = await check('priority', checkPriority)
    const category = await check('category', checkCategory)
    const assignee = await check('assignee', async (v): Promise<Assignee> => {
      const a = parseAssignee(v)
      if (a && 'agent' in a && !(agents.get(a.agent) ?? agents.set(a.agent, !!(await ctx.store.getAgent(a.agent))).get(a.agent))) throw new UserError(`agent "${safeText(a.agent, 64)}" does not exist`)
      if (a && 'queue' in a) {
        // As created: 客服1 in the file is the queue 客服１ (the README's name rule).
        const name = queues.has(a.queue) ? queues.get(a.queue) : queues.set(a.queue, (await findQueue(ctx.store, a.queue))?.name).get(a.queue)
        if (name === undefined) throw new UserError(`queue "${safeText(a.queue, 64)}" does not exist`)
        return {queue: name}
      }
      return a
    })
    const contact = await check('contact', (v) => checkContact(v, ctx.defaultCountry))
    const number = await check('number', (v) => v)
    const calls = await check('calls', (v) => {
      const ids = v.split(/\s+/).filter(Boolean)
      const wrong = ids.find((x) => !/^[A-Za-z0-9._:-]{1,128}$/.test(x))
      if (wrong !== undefined) throw new UserError(`"${safeText(wrong, 40)}" is not a call id`)
      return ids
    })
    const due = await check('due', (v) => {
      const ms = Date.parse(v)
      if (!/^\d{4}-\d{2}-\d{2}/.test(v) || !Number.isFinite(ms)) throw new UserError(`"${safeText(v, 40)}" is not an ISO date/time (2026-12-24T18:00:00+08:00)`)
      return ms
    })
    if (bad.length > problems) continue
    const given = new Set((Object.keys(c) as Imported[]).filter((f) => c[f]!.value !== '' || f === 'description' || f === 'category'))
    rows.push({
      line: r.line,
      id: id ?? null,
      given,
      input: {
        subject: subject ?? '',
        ...(description !== undefined ? {description} : {}),
        ...(priority !== undefined ? {priority} : {}),
        ...(category !== undefined ? {category} : {}),
        ...(assignee !== undefined ? {assignee} : {}),
        ...(contact !== undefined ? {contact} : {}),
        ...(number !== undefined ? {number} : {}),
        ...(calls !== undefined ? {calls} : {}),
        ...(due !== undefined ? {dueAt: due} : {}),
        ...(status !== undefined ? {status} : {}),
      },
    })
  }
  return {rows, bad}
}

/**
 * The checks' awaits on the SQLite store settle as microtasks: a long file would hold the
 * event loop until the write, and Ctrl-C (the command's handler) with it. Every so many
 * rows the loop lets timers and signals in.
 */
const BREATHE_EVERY = 200
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Imports a checked file in one transaction (or, dryRun, says what it would do). Bad rows:
 * nothing is written. `onWriting` is called right before that transaction: until then
 * nothing has been written, and stopping the process leaves the store as it was.
 */
export async function importTicketCsv(ctx: TicketContext, path: string, o: {file?: string; dryRun?: boolean; by: string; onWriting?: () => void}): Promise<TicketImportReport> {
  const file = o.file ?? path
  const {rows, bad} = await readTicketCsv(ctx, path, file)
  const report: TicketImportReport = {file, rows: rows.length + bad.length, created: [], updated: [], unchanged: 0, bad, dryRun: o.dryRun === true, committed: false}
  if (bad.length > 0) return report
  const ops: TicketOp[] = []
  const now = (ctx.now ?? Date.now)()
  for (const [i, r] of rows.entries()) {
    if (i % BREATHE_EVERY === BREATHE_EVERY - 1) await breathe()
    const existing = r.id ? await ctx.tickets.get(r.id) : undefined
    if (!existing) {
      if (!r.input.subject) {
        report.bad.push({line: r.line, column: 1, message: 'subject: a new ticket needs a subject'})
        continue
      }
      const op = await newTicketOp(ctx, r.input, o.by, r.id ? ticketSeq(r.id)! : undefined)
      const status = r.input.status
      ops.push(status && status !== 'open' && op.kind === 'create' ? {...op, make: (id: string) => [...op.make(id), statusEvent(ctx, id, 'open', status, r.input.assignee ?? null, o.by, now)]} : op)
      report.created.push(r.id ?? '(new)')
      continue
    }
    const make = (t: Ticket): NewEvent[] => updateEvents(ctx, t, r, o.by, now)
    if (make(existing).length === 0) {
      report.unchanged++
      continue
    }
    ops.push({kind: 'change', id: existing.id, make})
    report.updated.push(existing.id)
  }
  if (report.bad.length > 0 || o.dryRun) return report
  o.onWriting?.()
  const written = await ctx.tickets.write(ops)
  // New tickets' ids are drawn as they are written.
  let i = 0
  report.created = ops.flatMap((op) => (op.kind === 'create' ? [written[i++]!.id] : (i++, [])))
  report.committed = true
  return report
}

function statusEvent(ctx: TicketContext, id: string, from: TicketStatus, to: TicketStatus, a: Assignee, by: string, ts: number): NewEvent {
  return {type: 'ticket.status_changed', ts, callId: null, agent: a && 'agent' in a ? a.agent : null, queue: a && 'queue' in a ? a.queue : null, data: {ticket: id, from, to, by}, origin: ctx.origin}
}

/** The events that make an existing ticket say what its row says (none when it already does). */
function updateEvents(ctx: TicketContext, t: Ticket, r: Checked, by: string, ts: number): NewEvent[] {
  const g = r.given
  const changes: TicketChanges = {}
  if (g.has('subject') && r.input.subject) changes.subject = r.input.subject
  if (g.has('description')) changes.description = r.input.description ?? ''
  if (g.has('priority') && r.input.priority) changes.priority = r.input.priority
  if (g.has('category')) changes.category = r.input.category ?? ''
  if (g.has('due') && r.input.dueAt !== undefined) changes.dueAt = r.input.dueAt
  if (g.has('contact')) changes.contact = r.input.contact ?? null
  if (g.has('number')) changes.number = r.input.number ?? null
  const events = changeEvents(ctx, t, changes, by, ts)
  const col = (a: Assignee) => ({agent: a && 'agent' in a ? a.agent : null, queue: a && 'queue' in a ? a.queue : null})
  if (g.has('assignee') && !sameAssignee(t.assignee, r.input.assignee ?? null)) {
    events.push({type: 'ticket.assigned', ts, callId: null, ...col(r.input.assignee ?? null), data: {ticket: t.id, from: t.assignee, to: r.input.assignee ?? null, by}, origin: ctx.origin})
  }
  const a = g.has('assignee') ? (r.input.assignee ?? null) : t.assignee
  for (const call of r.input.calls ?? []) if (!t.calls.includes(call)) events.push({type: 'ticket.call_linked', ts, callId: call, ...col(a), data: {ticket: t.id, by}, origin: ctx.origin})
  if (r.input.status && r.input.status !== t.status) events.push(statusEvent(ctx, t.id, t.status, r.input.status, a, by, ts))
  return events
}
