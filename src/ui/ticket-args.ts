import {ticketId, ticketSeq} from '../engine/tickets/ticket.js'
import {UserError} from '../engine/util/errors.js'
import {shownName} from '../engine/util/names.js'

/** A ticket id as typed (T-000042, t-42, 42) in its one spelling, or a UserError. */
export function ticketArg(text: string): string {
  const seq = ticketSeq(/^\d+$/.test(text.trim()) ? `T-${text.trim()}` : text)
  if (seq === null) throw new UserError(`"${shownName(text, 40)}" is not a ticket id`, {suggestion: 'Ticket ids look like T-000042 (see callctl ticket list).', exitCode: 2, code: 'invalid_ticket'})
  return ticketId(seq)
}
