import {Flags} from '@oclif/core'
import {TICKET_PRIORITIES, type TicketPriority} from '../../engine/tickets/ticket.js'
import {withTickets} from '../../engine/tickets/ticket-admin.js'
import {addTicket, parseAssignee, parseDue} from '../../engine/tickets/tickets.js'
import {CallctlCommand} from '../../ui/command.js'
import {ticketDetails, ticketView, type TicketView} from '../../ui/ticket-render.js'

export default class TicketAdd extends CallctlCommand<TicketView> {
  static summary = 'Open a ticket (工单); its due time comes from the SLA of its priority'
  static examples = [
    '<%= config.bin %> ticket add --subject "退款未到账" --priority high --category 退款 --assignee queue:售后 --contact 13800138000',
    '<%= config.bin %> ticket add -s "Call back about invoice" --assignee agent:1001 --call call-lx2k3-1a2b3c --due 4h',
  ]
  static flags = {
    subject: Flags.string({char: 's', description: 'what the ticket is about, in a line', required: true}),
    description: Flags.string({char: 'd', description: 'the details'}),
    priority: Flags.string({char: 'p', description: 'how urgent (sets the due time by the SLA)', options: [...TICKET_PRIORITIES], default: 'normal'}),
    category: Flags.string({description: 'a short word to group tickets by, e.g. billing or 退款'}),
    assignee: Flags.string({char: 'a', description: 'agent:ID, queue:NAME or none'}),
    contact: Flags.string({description: "the customer's contact number (stored in E.164)"}),
    number: Flags.string({description: "the customer's number as given, when not a contact"}),
    call: Flags.string({description: 'a call to link (repeatable)', multiple: true}),
    due: Flags.string({description: 'due time instead of the SLA: ISO date/time, or from now (4h, 2d)'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<TicketView> {
    const {flags} = await this.parse(TicketAdd)
    const now = Date.now()
    const t = await withTickets(flags.config, (ctx, by) =>
      addTicket(
        ctx,
        {
          subject: flags.subject,
          description: flags.description,
          priority: flags.priority as TicketPriority,
          category: flags.category,
          assignee: flags.assignee !== undefined ? parseAssignee(flags.assignee) : null,
          contact: flags.contact,
          number: flags.number,
          calls: flags.call,
          ...(flags.due !== undefined ? {dueAt: parseDue(flags.due, now)} : {}),
        },
        by,
      ),
    )
    return ticketView(t, Date.now())
  }

  protected render(t: TicketView): void {
    this.print(`Ticket ${t.id} opened.`)
    this.print(ticketDetails(t, Date.now()))
  }
}
