import {Args, Flags} from '@oclif/core'
import {withTickets} from '../../engine/tickets/ticket-admin.js'
import {unknownTicket} from '../../engine/tickets/ticket-store.js'
import {CallctlCommand} from '../../ui/command.js'
import {ticketDetails, ticketView, type TicketView} from '../../ui/ticket-render.js'
import {ticketArg} from '../../ui/ticket-args.js'

export default class TicketShow extends CallctlCommand<TicketView> {
  static summary = 'Show a ticket with its comments and linked calls'
  static examples = ['<%= config.bin %> ticket show T-000042', '<%= config.bin %> ticket show 42 --json']
  static args = {ticket: Args.string({description: 'ticket id (T-000042, or 42)', required: true})}
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<TicketView> {
    const {args, flags} = await this.parse(TicketShow)
    const id = ticketArg(args.ticket)
    const t = await withTickets(flags.config, (ctx) => ctx.tickets.get(id))
    if (!t) throw unknownTicket(id)
    return ticketView(t, Date.now())
  }

  protected render(t: TicketView): void {
    this.print(ticketDetails(t, Date.now()))
  }
}
