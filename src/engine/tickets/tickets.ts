import {findQueue} from '../admin/admin.js'
import {normaliseNumber} from '../contacts/phone-number.js'
import type {NewEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import {parseDuration} from '../util/duration.js'
import {canonicalName, nameProblem, shownName} from '../util/names.js'
import {
  assigneeColumns,
  assigneeText,
  dueFor,
  sameAssignee,
  TICKET_LIMITS,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
  type Assignee,
  type Sla,
  type Ticket,
  type TicketPriority,
  type TicketStatus,
  type Updatable,
} from './ticket.js'
import type {TicketOp, TicketRepository} from './ticket-store.js'

// What people do with tickets, the same from the CLI, the API and an import: each step
// checks its input, says what changes as events, and the repository writes the events
// with the row they make. Text is kept as typed (bounded); it is made inert where shown.

export interface TicketContext {
  tickets: TicketRepository
  /** Agents and queues an assignee must name. */
  store: Pick<Store, 'getAgent' | 'getQueue' | 'listQueues'>
  sla: Sla
  defaultCountry: string
  /** Who writes: "cli", or the engine's origin. */
  origin: string
  now?: () => number
}

export interface NewTicket {
  subject: string
  description?: string
  priority?: TicketPriority
  category?: string
  assignee?: Assignee
  contact?: string | null
  number?: string | null
  calls?: readonly string[]
  /** Instead of the SLA's due time. */
  dueAt?: number
}

export type TicketChanges = Partial<{subject: string; description: string; priority: TicketPriority; category: string; dueAt: number; contact: string | null; number: string | null}>

const bad = (message: string, suggestion: string, code = 'invalid_ticket') => new UserError(message, {suggestion, exitCode: 2, code})

export function checkSubject(s: string): string {
  if (s.trim() === '') throw bad('The ticket subject is empty', 'Give a short subject, e.g. --subject "退款未到账".')
  return bounded('subject', s, TICKET_LIMITS.subject)
}

function bounded(what: string, s: string, max: number): string {
  if (s.length > max) throw bad(`The ${what} is ${s.length} characters long (at most ${max})`, `Shorten the ${what}.`)
  return s
}

export function checkCategory(s: string): string {
  if (s === '') return ''
  const problem = nameProblem(s, TICKET_LIMITS.category)
  if (problem) throw bad(`Invalid category "${shownName(s)}"`, `The category ${problem}. Use a short word such as billing or 退款.`)
  return canonicalName(s)
}

export function checkPriority(p: string): TicketPriority {
  if ((TICKET_PRIORITIES as readonly string[]).includes(p)) return p as TicketPriority
  throw bad(`Invalid priority "${shownName(p, 20)}"`, `Use one of ${TICKET_PRIORITIES.join(', ')}.`)
}

export function checkStatus(s: string): TicketStatus {
  if ((TICKET_STATUSES as readonly string[]).includes(s)) return s as TicketStatus
  throw bad(`Invalid status "${shownName(s, 20)}"`, `Use one of ${TICKET_STATUSES.join(', ')}.`)
}

/** "agent:1001", "queue:sales", "none" → an assignee (existence is checked when it is written). */
export function parseAssignee(text: string): Assignee {
  const t = text.trim()
  if (t === 'none' || t === '') return null
  const m = /^(agent|queue):(.+)$/.exec(t)
  if (!m) throw bad(`Invalid assignee "${shownName(t, 40)}"`, 'Use agent:ID, queue:NAME or none, e.g. agent:1001 or queue:sales.')
  return m[1] === 'agent' ? {agent: m[2]!} : {queue: canonicalName(m[2]!)}
}

/**
 * The assignee as tickets store it: a queue typed in another normal form (客服1 for the
 * queue created as 客服１, the README's name rule) is that queue, spelled as created. A
 * queue that does not exist stays as typed: a filter then finds its tickets, if any
 * (assigned before it was removed), and checkAssignee refuses it.
 */
export async function resolveAssignee(store: TicketContext['store'], a: Assignee): Promise<Assignee> {
  if (a === null || !('queue' in a)) return a
  const q = await findQueue(store, a.queue)
  return q ? {queue: q.name} : a
}

/** A filter on the assignee (none: unassigned), its queue resolved as resolveAssignee does. */
export async function assigneeFilter(store: TicketContext['store'], a: Assignee): Promise<Exclude<Assignee, null> | 'none'> {
  return (await resolveAssignee(store, a)) ?? 'none'
}

async function checkAssignee(ctx: TicketContext, a: Assignee): Promise<Assignee> {
  if (a === null) return null
  if ('agent' in a) {
    if (!(await ctx.store.getAgent(a.agent))) throw new UserError(`Agent "${shownName(a.agent, 64)}" does not exist`, {suggestion: 'See callctl agent list.', exitCode: 1, code: 'unknown_agent'})
    return a
  }
  const q = await findQueue(ctx.store, a.queue)
  if (!q) throw new UserError(`Queue "${shownName(a.queue, 64)}" does not exist`, {suggestion: 'See callctl queue list.', exitCode: 1, code: 'unknown_queue'})
  return {queue: q.name}
}

/** A contact is known by its number in E.164 (the contacts' key); anything else is refused. */
export function checkContact(raw: string, defaultCountry: string): string {
  const n = normaliseNumber(raw, defaultCountry)
  if (!n) throw bad(`Invalid contact number "${shownName(raw, 40)}"`, 'Give the customer\'s phone number, e.g. +8613800138000.')
  return n
}

function checkNumber(raw: string): string {
  if (!/^[0-9A-Za-z+*#() .-]{1,40}$/.test(raw)) throw bad(`Invalid number "${shownName(raw, 40)}"`, 'Give a phone number, e.g. +8613800138000.')
  return raw
}

function checkCalls(calls: readonly string[]): string[] {
  if (calls.length > TICKET_LIMITS.calls) throw bad(`${calls.length} calls (at most ${TICKET_LIMITS.calls})`, 'Link fewer calls.')
  for (const c of calls) if (!/^[A-Za-z0-9._:-]{1,128}$/.test(c)) throw bad(`Invalid call id "${shownName(c, 40)}"`, 'Call ids are listed by callctl calls and callctl report calls.')
  return [...new Set(calls)]
}

function checkDue(ts: number): number {
  if (!Number.isSafeInteger(ts) || ts <= 0) throw bad('Invalid due time', 'Give an ISO date/time, e.g. 2026-12-24T18:00:00+08:00.')
  return ts
}

function event(ctx: TicketContext, type: NewEvent['type'], ts: number, a: Assignee, data: Record<string, unknown>, callId: string | null = null): NewEvent {
  return {type, ts, callId, ...assigneeColumns(a), data, origin: ctx.origin}
}

/** The events that create a ticket (checked, with its SLA due time); the id is filled in by the repository. */
export async function newTicketOp(ctx: TicketContext, input: NewTicket, by: string, seq?: number): Promise<TicketOp> {
  const ts = (ctx.now ?? Date.now)()
  const priority = input.priority ?? 'normal'
  const assignee = await checkAssignee(ctx, input.assignee ?? null)
  const fields = {
    subject: checkSubject(input.subject),
    description: bounded('description', input.description ?? '', TICKET_LIMITS.description),
    priority: checkPriority(priority),
    category: checkCategory(input.category ?? ''),
    assignee,
    ...(input.contact ? {contact: checkContact(input.contact, ctx.defaultCountry)} : {}),
    ...(input.number ? {number: checkNumber(input.number)} : {}),
    calls: checkCalls(input.calls ?? []),
    dueTs: input.dueAt !== undefined ? checkDue(input.dueAt) : dueFor(ts, priority, ctx.sla),
    status: 'open',
    by,
  }
  return {kind: 'create', ...(seq !== undefined ? {seq} : {}), make: (ticket) => [event(ctx, 'ticket.created', ts, assignee, {ticket, ...fields}, fields.calls[0] ?? null)]}
}

export async function addTicket(ctx: TicketContext, input: NewTicket, by: string): Promise<Ticket> {
  const [t] = await ctx.tickets.write([await newTicketOp(ctx, input, by)])
  return t!
}

/** The events for changed fields (nothing for a field given its current value). A new priority moves the due time unless one is given. */
export function changeEvents(ctx: TicketContext, t: Ticket, changes: TicketChanges, by: string, ts: number): NewEvent[] {
  const to: Partial<Record<Updatable, unknown>> = {}
  if (changes.subject !== undefined) to.subject = checkSubject(changes.subject)
  if (changes.description !== undefined) to.description = bounded('description', changes.description, TICKET_LIMITS.description)
  if (changes.category !== undefined) to.category = checkCategory(changes.category)
  if (changes.priority !== undefined) {
    to.priority = checkPriority(changes.priority)
    if (changes.dueAt === undefined && changes.priority !== t.priority) to.dueTs = dueFor(t.createdAt, changes.priority, ctx.sla)
  }
  if (changes.dueAt !== undefined) to.dueTs = checkDue(changes.dueAt)
  if (changes.contact !== undefined) to.contact = changes.contact ? checkContact(changes.contact, ctx.defaultCountry) : null
  if (changes.number !== undefined) to.number = changes.number ? checkNumber(changes.number) : null
  const diff: Record<string, {from: unknown; to: unknown}> = {}
  for (const [k, v] of Object.entries(to) as [Updatable, unknown][]) {
    const from = k === 'dueTs' ? t.dueAt : t[k]
    if (from !== v) diff[k] = {from, to: v}
  }
  if (Object.keys(diff).length === 0) return []
  return [event(ctx, 'ticket.updated', ts, t.assignee, {ticket: t.id, changes: diff, by})]
}

async function change(ctx: TicketContext, id: string, make: (t: Ticket, ts: number) => NewEvent[]): Promise<Ticket> {
  const ts = (ctx.now ?? Date.now)()
  const [t] = await ctx.tickets.write([{kind: 'change', id, make: (t) => make(t, ts)}])
  return t!
}

export async function updateTicket(ctx: TicketContext, id: string, changes: TicketChanges, by: string): Promise<Ticket> {
  return change(ctx, id, (t, ts) => {
    const events = changeEvents(ctx, t, changes, by, ts)
    if (events.length === 0) throw new UserError(`Ticket ${t.id} already says that: nothing changed`, {suggestion: 'Give a field with a new value, e.g. --priority high.', exitCode: 1, code: 'unchanged'})
    return events
  })
}

export async function commentTicket(ctx: TicketContext, id: string, text: string, by: string): Promise<Ticket> {
  if (text.trim() === '') throw bad('The comment is empty', 'Write the comment text.')
  bounded('comment', text, TICKET_LIMITS.comment)
  return change(ctx, id, (t, ts) => {
    if (t.comments.length >= TICKET_LIMITS.comments) throw bad(`Ticket ${t.id} has ${t.comments.length} comments (at most ${TICKET_LIMITS.comments})`, 'Open a new ticket for the rest.')
    const comment = (t.comments.at(-1)?.id ?? 0) + 1
    return [event(ctx, 'ticket.commented', ts, t.assignee, {ticket: t.id, comment, text, by})]
  })
}

export async function assignTicket(ctx: TicketContext, id: string, assignee: Assignee, by: string): Promise<Ticket> {
  const to = await checkAssignee(ctx, assignee)
  return change(ctx, id, (t, ts) => {
    if (sameAssignee(t.assignee, to)) throw new UserError(`Ticket ${t.id} is already assigned to ${assigneeText(to) || 'nobody'}`, {exitCode: 1, code: 'unchanged'})
    return [event(ctx, 'ticket.assigned', ts, to, {ticket: t.id, from: t.assignee, to, by})]
  })
}

export async function setTicketStatus(ctx: TicketContext, id: string, status: TicketStatus, by: string): Promise<Ticket> {
  const to = checkStatus(status)
  return change(ctx, id, (t, ts) => {
    if (t.status === to) throw new UserError(`Ticket ${t.id} is already ${to}`, {exitCode: 1, code: 'unchanged'})
    return [event(ctx, 'ticket.status_changed', ts, t.assignee, {ticket: t.id, from: t.status, to, by})]
  })
}

export async function linkCall(ctx: TicketContext, id: string, callId: string, by: string): Promise<Ticket> {
  const [call] = checkCalls([callId])
  return change(ctx, id, (t, ts) => {
    if (t.calls.includes(call!)) return []
    if (t.calls.length >= TICKET_LIMITS.calls) throw bad(`Ticket ${t.id} has ${t.calls.length} calls (at most ${TICKET_LIMITS.calls})`, 'Open a new ticket.')
    return [event(ctx, 'ticket.call_linked', ts, t.assignee, {ticket: t.id, by}, call!)]
  })
}

/** A due time typed on the command line: an ISO date/time, or how long from now (4h, 2d). */
export function parseDue(text: string, now: number): number {
  const t = text.trim()
  if (/^\d+(\.\d+)?(ms|s|m|h|d|w)/.test(t)) return now + parseDuration(t, 'due time')
  const ms = /^\d{4}-\d{2}-\d{2}/.test(t) ? Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : t) : NaN
  if (!Number.isFinite(ms)) throw bad(`Invalid due time "${shownName(t, 40)}"`, 'Use an ISO date/time (2026-12-24T18:00:00+08:00) or a time from now (4h, 2d).')
  return ms
}
