import {Args, Flags} from '@oclif/core'
import {withTickets} from '../../engine/tickets/ticket-admin.js'
import {commentTicket} from '../../engine/tickets/tickets.js'
import {CallctlCommand} from '../../ui/command.js'
import {ticketArg} from '../../ui/ticket-args.js'
import {ticketDetails, ticketView, type TicketView} from '../../ui/ticket-render.js'

export default class TicketComment extends CallctlCommand<TicketView> {
  static summary = 'Add a comment to a ticket'
  static examples = ['<%= config.bin %> ticket comment T-000042 "已联系客户，明天回电"']
  static args = {
    ticket: Args.string({description: 'ticket id (T-000042, or 42)', required: true}),
    text: Args.string({description: 'the comment', required: true}),
  }
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<TicketView> {
    const {args, flags} = await this.parse(TicketComment)
    const id = ticketArg(args.ticket)
    return ticketView(await withTickets(flags.config, (ctx, by) => commentTicket(ctx, id, args.text, by)), Date.now())
  }

  protected render(t: TicketView): void {
    this.print(`Comment #${t.comments.at(-1)?.id ?? '?'} added to ${t.id}.`)
    this.print(ticketDetails(t, Date.now()))
  }
}
