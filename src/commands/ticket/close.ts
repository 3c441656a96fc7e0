import {Args, Flags} from '@oclif/core'
import {withTickets} from '../../engine/tickets/ticket-admin.js'
import {commentTicket, setTicketStatus} from '../../engine/tickets/tickets.js'
import {CallctlCommand} from '../../ui/command.js'
import {ticketArg} from '../../ui/ticket-args.js'
import {ticketDetails, ticketView, type TicketView} from '../../ui/ticket-render.js'

export default class TicketClose extends CallctlCommand<TicketView> {
  static summary = 'Close a ticket (or mark it solved with --solved), with an optional last comment'
  static examples = ['<%= config.bin %> ticket close T-000042', '<%= config.bin %> ticket close 42 --solved --comment "退款已到账"']
  static args = {ticket: Args.string({description: 'ticket id (T-000042, or 42)', required: true})}
  static flags = {
    solved: Flags.boolean({description: 'solved (the customer may still answer) instead of closed'}),
    comment: Flags.string({description: 'a comment added first'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<TicketView> {
    const {args, flags} = await this.parse(TicketClose)
    const id = ticketArg(args.ticket)
    const t = await withTickets(flags.config, async (ctx, by) => {
      if (flags.comment !== undefined) await commentTicket(ctx, id, flags.comment, by)
      return setTicketStatus(ctx, id, flags.solved ? 'solved' : 'closed', by)
    })
    return ticketView(t, Date.now())
  }

  protected render(t: TicketView): void {
    this.print(`Ticket ${t.id} ${t.status}.`)
    this.print(ticketDetails(t, Date.now()))
  }
}
