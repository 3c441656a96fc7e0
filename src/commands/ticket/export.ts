import {Flags} from '@oclif/core'
import {AtomicFile, StdoutSink, writeReport, type Sink} from '../../engine/reports/report-output.js'
import {TICKET_STATUSES} from '../../engine/tickets/ticket.js'
import {withTickets} from '../../engine/tickets/ticket-admin.js'
import {ticketReport} from '../../engine/tickets/ticket-csv.js'
import type {TicketQuery} from '../../engine/tickets/ticket-store.js'
import {assigneeFilter, checkStatus, parseAssignee} from '../../engine/tickets/tickets.js'
import {UserError} from '../../engine/util/errors.js'
import {CallctlCommand} from '../../ui/command.js'

interface Result {
  rows: number
  file: string | null
}

export default class TicketExport extends CallctlCommand<Result> {
  static summary = 'Export tickets as CSV (spreadsheet-safe), to a file atomically or to standard output'
  static description = 'Columns: id, subject, description, status, priority, category, assignee, contact, number, calls, due, overdue, created, created_by, updated, resolved, reopens, comments (their count). A cell that a spreadsheet would run as a formula (=, +, -, @) starts with a quote; ticket import takes it off again.'
  static examples = ['<%= config.bin %> ticket export --format csv --out tickets.csv --bom', '<%= config.bin %> ticket export --status open,pending --overdue > overdue.csv']
  static flags = {
    format: Flags.string({description: 'file format', options: ['csv'], default: 'csv'}),
    out: Flags.string({char: 'o', description: 'write to this file (atomically) instead of standard output'}),
    bom: Flags.boolean({description: 'start with a UTF-8 byte order mark (for Excel)'}),
    status: Flags.string({description: `only these statuses, comma-separated (${TICKET_STATUSES.join(', ')})`}),
    assignee: Flags.string({description: 'only those of agent:ID or queue:NAME, or none'}),
    overdue: Flags.boolean({description: 'only overdue tickets'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Result> {
    const {flags} = await this.parse(TicketExport)
    if (this.jsonEnabled() && !flags.out) throw new UserError('--json describes the file written: give --out', {exitCode: 2, code: 'bad_option'})
    const now = Date.now()
    const q: TicketQuery = {
      ...(flags.status ? {status: flags.status.split(',').map((s) => checkStatus(s.trim()))} : {}),
      ...(flags.assignee !== undefined ? {assignee: parseAssignee(flags.assignee) ?? 'none'} : {}),
      ...(flags.overdue ? {overdueAt: now} : {}),
    }
    // The output first: an unwritable --out fails before any work.
    const sink: Sink = flags.out ? new AtomicFile(flags.out) : new StdoutSink()
    try {
      const tickets = await withTickets(flags.config, async (ctx) => ctx.tickets.list(q.assignee && q.assignee !== 'none' ? {...q, assignee: await assigneeFilter(ctx.store, q.assignee)} : q))
      const rows = await writeReport(ticketReport([...tickets].reverse(), now), sink, {format: 'csv', bom: flags.bom, terminal: sink.terminal === true})
      await sink.commit()
      return {rows, file: sink.file}
    } catch (err) {
      sink.abort()
      throw err
    }
  }

  protected render(r: Result): void {
    if (r.file) this.print(`Wrote ${r.rows} ticket${r.rows === 1 ? '' : 's'} to ${r.file}`)
  }
}
