import {Args, Flags} from '@oclif/core'
import {withTickets} from '../../engine/tickets/ticket-admin.js'
import {assignTicket, parseAssignee} from '../../engine/tickets/tickets.js'
import {assigneeText} from '../../engine/tickets/ticket.js'
import {CallctlCommand} from '../../ui/command.js'
import {ticketArg} from '../../ui/ticket-args.js'
import {ticketDetails, ticketView, type TicketView} from '../../ui/ticket-render.js'

export default class TicketAssign extends CallctlCommand<TicketView> {
  static summary = 'Assign a ticket to an agent or a queue (or to nobody)'
  static examples = ['<%= config.bin %> ticket assign T-000042 agent:1001', '<%= config.bin %> ticket assign 42 queue:售后', '<%= config.bin %> ticket assign 42 none']
  static args = {
    ticket: Args.string({description: 'ticket id (T-000042, or 42)', required: true}),
    assignee: Args.string({description: 'agent:ID, queue:NAME or none', required: true}),
  }
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<TicketView> {
    const {args, flags} = await this.parse(TicketAssign)
    const id = ticketArg(args.ticket)
    const to = parseAssignee(args.assignee)
    return ticketView(await withTickets(flags.config, (ctx, by) => assignTicket(ctx, id, to, by)), Date.now())
  }

  protected render(t: TicketView): void {
    this.print(`Ticket ${t.id} assigned to ${assigneeText(t.assignee) || 'nobody'}.`)
    this.print(ticketDetails(t, Date.now()))
  }
}
