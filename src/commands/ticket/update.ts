import {Args, Flags} from '@oclif/core'
import {TICKET_PRIORITIES, TICKET_STATUSES, type Ticket, type TicketPriority} from '../../engine/tickets/ticket.js'
import {withTickets} from '../../engine/tickets/ticket-admin.js'
import {checkStatus, linkCall, parseDue, setTicketStatus, updateTicket, type TicketChanges} from '../../engine/tickets/tickets.js'
import {UserError} from '../../engine/util/errors.js'
import {CallctlCommand} from '../../ui/command.js'
import {ticketArg} from '../../ui/ticket-args.js'
import {ticketDetails, ticketView, type TicketView} from '../../ui/ticket-render.js'

export default class TicketUpdate extends CallctlCommand<TicketView> {
  static summary = "Change a ticket's fields or status, or link a call to it"
  static description = 'A new priority moves the due time to what the SLA gives that priority (from the ticket\'s creation), unless --due is given. A status back from solved or closed to open or pending is a reopen.'
  static examples = [
    '<%= config.bin %> ticket update T-000042 --priority urgent',
    '<%= config.bin %> ticket update T-000042 --status pending --category 退款',
    '<%= config.bin %> ticket update 42 --call call-lx2k3-1a2b3c',
  ]
  static args = {ticket: Args.string({description: 'ticket id (T-000042, or 42)', required: true})}
  static flags = {
    subject: Flags.string({char: 's', description: 'a new subject'}),
    description: Flags.string({char: 'd', description: 'a new description'}),
    priority: Flags.string({char: 'p', description: 'a new priority', options: [...TICKET_PRIORITIES]}),
    category: Flags.string({description: 'a new category ("" for none)'}),
    status: Flags.string({description: `a new status (${TICKET_STATUSES.join(', ')})`}),
    contact: Flags.string({description: 'the customer\'s contact number ("" for none)'}),
    number: Flags.string({description: 'the customer\'s number ("" for none)'}),
    due: Flags.string({description: 'a new due time: ISO date/time, or from now (4h, 2d)'}),
    call: Flags.string({description: 'link a call (repeatable)', multiple: true}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<TicketView> {
    const {args, flags} = await this.parse(TicketUpdate)
    const id = ticketArg(args.ticket)
    const status = flags.status !== undefined ? checkStatus(flags.status) : undefined
    const changes: TicketChanges = {
      ...(flags.subject !== undefined ? {subject: flags.subject} : {}),
      ...(flags.description !== undefined ? {description: flags.description} : {}),
      ...(flags.priority !== undefined ? {priority: flags.priority as TicketPriority} : {}),
      ...(flags.category !== undefined ? {category: flags.category} : {}),
      ...(flags.contact !== undefined ? {contact: flags.contact || null} : {}),
      ...(flags.number !== undefined ? {number: flags.number || null} : {}),
      ...(flags.due !== undefined ? {dueAt: parseDue(flags.due, Date.now())} : {}),
    }
    if (Object.keys(changes).length === 0 && status === undefined && !flags.call?.length) {
      throw new UserError('Nothing to change', {suggestion: 'Give a field, e.g. --priority high, --status solved or --call ID.', exitCode: 2, code: 'nothing_to_do'})
    }
    const t: Ticket = await withTickets(flags.config, async (ctx, by) => {
      let last: Ticket | undefined
      if (Object.keys(changes).length > 0) last = await updateTicket(ctx, id, changes, by)
      for (const call of flags.call ?? []) last = await linkCall(ctx, id, call, by)
      if (status !== undefined) last = await setTicketStatus(ctx, id, status, by)
      return last!
    })
    return ticketView(t, Date.now())
  }

  protected render(t: TicketView): void {
    this.print(`Ticket ${t.id} updated.`)
    this.print(ticketDetails(t, Date.now()))
  }
}
