import {Flags} from '@oclif/core'
import {TICKET_STATUSES} from '../../engine/tickets/ticket.js'
import {withTickets} from '../../engine/tickets/ticket-admin.js'
import type {TicketQuery} from '../../engine/tickets/ticket-store.js'
import {assigneeFilter, checkContact, checkStatus, parseAssignee} from '../../engine/tickets/tickets.js'
import {CallctlCommand} from '../../ui/command.js'
import {ticketTable, ticketView, type TicketView} from '../../ui/ticket-render.js'

interface Result {
  tickets: TicketView[]
  /** All matching tickets, of which `tickets` is the first --limit. */
  total: number
  /** How many of the matching tickets are overdue. */
  overdue: number
  /** Whether a filter was given: "none match" then, not "there are none". */
  filtered: boolean
}

export default class TicketList extends CallctlCommand<Result> {
  static summary = 'List tickets, newest first'
  static examples = [
    '<%= config.bin %> ticket list',
    '<%= config.bin %> ticket list --status open,pending --assignee queue:售后',
    '<%= config.bin %> ticket list --overdue --json',
    '<%= config.bin %> ticket list --contact 13800138000',
  ]
  static flags = {
    status: Flags.string({description: `only these statuses, comma-separated (${TICKET_STATUSES.join(', ')})`}),
    assignee: Flags.string({description: 'only those of agent:ID or queue:NAME, or none (unassigned)'}),
    overdue: Flags.boolean({description: 'only tickets past due and not solved or closed'}),
    contact: Flags.string({description: "only this customer's (a contact number)"}),
    limit: Flags.integer({char: 'n', description: 'most tickets shown', default: 100, min: 1}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Result> {
    const {flags} = await this.parse(TicketList)
    const now = Date.now()
    return withTickets(flags.config, async (ctx) => {
      const q: TicketQuery = {
        ...(flags.status ? {status: flags.status.split(',').map((s) => checkStatus(s.trim()))} : {}),
        ...(flags.assignee !== undefined ? {assignee: await assigneeFilter(ctx.store, parseAssignee(flags.assignee))} : {}),
        ...(flags.overdue ? {overdueAt: now} : {}),
        ...(flags.contact !== undefined ? {contact: checkContact(flags.contact, ctx.defaultCountry)} : {}),
      }
      const [tickets, total, overdue] = await Promise.all([ctx.tickets.list({...q, limit: flags.limit}), ctx.tickets.count(q), ctx.tickets.count({...q, overdueAt: now})])
      return {tickets: tickets.map((t) => ticketView(t, now)), total, overdue, filtered: Object.keys(q).length > 0}
    })
  }

  protected render(r: Result): void {
    if (r.total === 0) return this.print(r.filtered ? 'No tickets match. Without the filters: callctl ticket list' : 'No tickets. Open one with: callctl ticket add --subject ...')
    this.print(ticketTable(r.tickets, Date.now()))
    const more = r.total > r.tickets.length ? `; showing ${r.tickets.length}, see more with --limit ${r.total}` : ''
    this.print(`${r.total} ticket${r.total === 1 ? '' : 's'}, ${r.overdue} overdue${more}.`)
  }
}
