import type {Rule} from './access-rule.js'
import type {TICKET_METHODS} from './ticket-contract.js'

// Who may call the methods of notes, dispositions and tickets (ticket-contract.ts); spread
// into ACCESS_POLICY. An agent is let in and the handlers (ticket-handlers.ts) keep it to
// its own: its live or last call, and the tickets assigned to it or its queues or linked
// to a call it took; anything else is ApiError('forbidden'). They decide there because
// "its last call" and "its tickets" are the engine's and the store's to tell, not the
// params' (the 'own call' rule knows live calls only: a disposition comes after the call).

type TicketMethod = keyof typeof TICKET_METHODS

export const TICKET_RULES: {[M in TicketMethod]: Rule<M>} = {
  // A supervisor may annotate a call it listened to, and set a code an agent left out.
  'call.note': {supervisor: true, agent: 'handler'},
  'call.disposition': {supervisor: true, agent: 'handler'},
  'ticket.add': {supervisor: true, agent: 'handler'},
  'ticket.list': {supervisor: true, agent: 'handler'},
  'ticket.get': {supervisor: true, agent: 'handler'},
  'ticket.update': {supervisor: true, agent: 'handler'},
  'ticket.comment': {supervisor: true, agent: 'handler'},
  'ticket.assign': {supervisor: true, agent: 'handler'},
  'ticket.status': {supervisor: true, agent: 'handler'},
}
