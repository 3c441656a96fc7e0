import {Args, Flags} from '@oclif/core'
import {withTickets} from '../../engine/tickets/ticket-admin.js'
import {importTicketCsv, type TicketImportReport} from '../../engine/tickets/ticket-csv.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'
import {whoAmI} from '../../ui/who.js'

const SHOWN_PROBLEMS = 50

export default class TicketImport extends CallctlCommand<TicketImportReport> {
  static summary = 'Import tickets from a CSV file (UTF-8): all rows or none'
  static description = `The header names the columns (any order; at least subject), as ticket export writes
them. A row with the id of an existing ticket changes what differs (each change an event,
as if typed); a row without an id, or with one not taken yet, opens a ticket. The whole file
is checked first: every problem is listed as FILE:LINE:COLUMN and nothing is imported
(exit code 1).`
  static examples = ['<%= config.bin %> ticket import tickets.csv', '<%= config.bin %> ticket import from-helpdesk.csv --dry-run']
  static args = {file: Args.string({description: 'CSV file', required: true})}
  static flags = {
    'dry-run': Flags.boolean({description: 'check the file and count, write nothing'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<TicketImportReport> {
    const {args, flags} = await this.parse(TicketImport)
    const report = await withTickets(flags.config, (ctx) => importTicketCsv(ctx, args.file, {dryRun: flags['dry-run'], by: whoAmI()}))
    if (report.bad.length > 0) process.exitCode = 1
    return report
  }

  protected render(r: TicketImportReport): void {
    const file = safeText(r.file, 300)
    if (r.bad.length > 0) {
      for (const p of r.bad.slice(0, SHOWN_PROBLEMS)) this.logToStderr(`${file}:${p.line}:${p.column}: ${safeText(p.message, 300)}`)
      if (r.bad.length > SHOWN_PROBLEMS) this.logToStderr(`… and ${r.bad.length - SHOWN_PROBLEMS} more (--json lists them all)`)
      this.logToStderr(`Nothing imported: ${r.bad.length} problem${r.bad.length === 1 ? '' : 's'} in ${file}. Fix them and import again (all rows or none).`)
      return
    }
    const what = `${r.created.length} new ticket${r.created.length === 1 ? '' : 's'}, ${r.updated.length} updated, ${r.unchanged} unchanged`
    this.print(r.dryRun ? `Dry run: would import ${what}; nothing written.` : `Imported ${what} from ${file}.`)
  }
}
