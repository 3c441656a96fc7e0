import chalk from 'chalk'
import {assigneeText, isOverdue, type Ticket} from '../engine/tickets/ticket.js'
import {safeText} from '../engine/util/text.js'
import {fields, table} from './render.js'

// The one way tickets are shown to people: a list (ticket list) and one ticket (show, and
// what add, update, comment, assign and close print). Subjects, descriptions and comments
// are typed by people and sent by outside systems: everything passes through safeText
// (table and fields do), line by line where a text keeps its lines.

/** A ticket as commands return it: overdue at the time of asking. */
export type TicketView = Ticket & {overdue: boolean}

export function ticketView(t: Ticket, now: number): TicketView {
  return {...t, overdue: isOverdue(t, now)}
}

const time = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ')

/** "in 3h", "5h overdue", or the due time once solved or closed. */
export function dueText(t: TicketView, now: number): string {
  if (t.status === 'solved' || t.status === 'closed') return time(t.dueAt)
  const left = t.dueAt - now
  const span = human(Math.abs(left))
  return left >= 0 ? `in ${span}` : `${span} overdue`
}

function human(ms: number): string {
  const m = Math.floor(ms / 60_000)
  if (m < 60) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`
  return `${Math.floor(h / 24)}d${h % 24 ? ` ${h % 24}h` : ''}`
}

export function ticketTable(tickets: readonly TicketView[], now: number): string {
  return table(tickets, [
    {header: 'ID', get: (t) => t.id, keep: true},
    {header: 'STATUS', get: (t) => t.status},
    {header: 'PRIORITY', get: (t) => t.priority},
    {header: 'DUE', get: (t) => dueText(t, now)},
    {header: 'ASSIGNEE', get: (t) => assigneeText(t.assignee) || '-', max: 24},
    {header: 'CATEGORY', get: (t) => t.category || '-', max: 16},
    {header: 'CONTACT', get: (t) => t.contact ?? t.number ?? '-', max: 20},
    {header: 'SUBJECT', get: (t) => t.subject, max: 50},
  ])
}

export function ticketDetails(t: TicketView, now: number): string {
  const out = [
    `${chalk.bold(t.id)}  ${safeText(t.subject, 200)}`,
    fields({
      status: t.status + (t.reopens ? ` (reopened ${t.reopens}×)` : ''),
      priority: t.priority,
      due: `${time(t.dueAt)} (${dueText(t, now)})${t.overdue ? ' OVERDUE' : ''}`,
      assignee: assigneeText(t.assignee) || '(nobody)',
      category: t.category || '-',
      contact: t.contact ?? '-',
      number: t.number ?? '-',
      calls: t.calls.length ? t.calls : '-',
      created: `${time(t.createdAt)} by ${t.createdBy || '?'}`,
      updated: time(t.updatedAt),
      ...(t.resolvedAt !== null ? {resolved: time(t.resolvedAt)} : {}),
    }),
  ]
  if (t.description) out.push('', ...t.description.split(/\r\n|\n|\r/).slice(0, 200).map((l) => `  ${safeText(l, 500)}`))
  if (t.comments.length) {
    out.push('', chalk.bold(`Comments (${t.comments.length})`))
    for (const c of t.comments) out.push(`  #${c.id} ${time(c.ts)} ${safeText(c.by, 64)}: ${safeText(c.text, 2000)}`)
  }
  return out.join('\n')
}
