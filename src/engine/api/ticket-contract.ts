import {Type, type TProperties, type TSchema} from '@sinclair/typebox'
import {TICKET_LIMITS, TICKET_PRIORITIES, TICKET_STATUSES} from '../tickets/ticket.js'

// The methods of notes, dispositions and tickets (工单), for the desk and scripts. Spread
// into CONTRACT (contract.ts); who may call them is in ticket-access.ts. Helpers are
// local: contract.ts imports this module.

const params = <P extends TProperties>(p: P) => Type.Object(p, {additionalProperties: false})
const text = (maxLength: number, description: string) => Type.String({minLength: 1, maxLength, description})
const nullable = <S extends TSchema>(s: S) => Type.Union([s, Type.Null()])
const by = Type.Optional(text(64, 'who asks, for the audit trail'))
const call = text(256, 'call id')
const ticket = text(20, 'ticket id, e.g. T-000042')
const status = Type.Union(TICKET_STATUSES.map((s) => Type.Literal(s)), {description: TICKET_STATUSES.join(', ')})
const priority = Type.Union(TICKET_PRIORITIES.map((p) => Type.Literal(p)), {description: TICKET_PRIORITIES.join(', ')})
const assignee = Type.Union([params({agent: text(256, 'agent id')}), params({queue: text(256, 'queue name')}), Type.Null()], {description: '{agent}, {queue} or null (nobody)'})
const when = Type.Number({description: 'ms since the epoch'})

export const ticketView = Type.Object(
  {
    id: Type.String(),
    subject: Type.String(),
    description: Type.String(),
    status,
    priority,
    category: Type.String(),
    assignee,
    contact: nullable(Type.String({description: 'the contact (E.164) the customer is filed under'})),
    number: nullable(Type.String()),
    calls: Type.Array(Type.String()),
    comments: Type.Array(Type.Object({id: Type.Integer(), text: Type.String(), by: Type.String(), ts: when})),
    dueAt: when,
    overdue: Type.Boolean({description: 'past due and not solved or closed'}),
    createdAt: when,
    createdBy: Type.String(),
    updatedAt: when,
    resolvedAt: nullable(when),
    reopens: Type.Integer(),
  },
  {title: 'Ticket'},
)

const fields = {
  description: Type.Optional(Type.String({maxLength: TICKET_LIMITS.description})),
  priority: Type.Optional(priority),
  category: Type.Optional(Type.String({maxLength: TICKET_LIMITS.category})),
  dueAt: Type.Optional(Type.Integer({minimum: 1, description: 'due time (ms) instead of the SLA of its priority'})),
}

/** The methods, spread into CONTRACT. */
export const TICKET_METHODS = {
  'call.note': {
    summary: "Save a note on a call as typed (new without note, else that note's new text): it belongs to the call and its customer",
    params: params({call, note: Type.Optional(text(64, 'the note to replace (its id)')), text: Type.String({maxLength: 4000, description: 'the note, as typed'}), by}),
    result: Type.Object({callId: Type.String(), note: Type.String()}),
  },
  'call.disposition': {
    summary: "Choose a call's outcome code (its queue's codes): the agent's live call or its last call in wrap-up; a held wrap-up ends",
    params: params({call, code: text(32, 'disposition code'), by}),
    result: Type.Object({callId: Type.String(), code: Type.String(), label: Type.String(), released: Type.Boolean({description: 'its agent, held in wrap-up for this code, is now idle (the JSON contract names agent states idle, never "ready")'})}),
  },
  'ticket.add': {
    summary: 'Open a ticket (due time from the SLA of its priority); from a call, the call is linked and its customer filed',
    params: params({
      subject: text(TICKET_LIMITS.subject, 'subject'),
      ...fields,
      assignee: Type.Optional(assignee),
      call: Type.Optional(call),
      number: Type.Optional(text(40, "the customer's number (a call gives it)")),
      contact: Type.Optional(text(40, 'the contact number the customer is filed under (a call of a known contact gives it)')),
      by,
    }),
    result: ticketView,
  },
  'ticket.list': {
    summary: 'Tickets, newest first (an agent sees those assigned to it or its queues, or linked to its calls)',
    params: params({
      status: Type.Optional(Type.Array(status, {maxItems: 4})),
      assignee: Type.Optional(assignee),
      overdue: Type.Optional(Type.Boolean()),
      contact: Type.Optional(text(40, 'a contact number')),
      call: Type.Optional(call),
      limit: Type.Optional(Type.Integer({minimum: 1, maximum: 1000})),
    }),
    result: Type.Object({tickets: Type.Array(ticketView), total: Type.Integer(), overdue: Type.Integer({description: 'of those listed by the filter, how many are overdue'})}),
  },
  'ticket.get': {summary: 'One ticket with its comments and calls', params: params({ticket}), result: ticketView},
  'ticket.update': {
    summary: "Change a ticket's subject, description, priority (its due time follows), category or due time",
    params: params({ticket, subject: Type.Optional(text(TICKET_LIMITS.subject, 'subject')), ...fields, call: Type.Optional(text(256, 'link this call')), by}),
    result: ticketView,
  },
  'ticket.comment': {summary: 'Add a comment to a ticket', params: params({ticket, text: text(TICKET_LIMITS.comment, 'the comment'), by}), result: ticketView},
  'ticket.assign': {summary: 'Assign a ticket to an agent, a queue or nobody', params: params({ticket, assignee, by}), result: ticketView},
  'ticket.status': {summary: 'Move a ticket to open, pending, solved or closed (back from solved or closed is a reopen)', params: params({ticket, status, by}), result: ticketView},
}
