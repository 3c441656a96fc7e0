import {Args, Flags} from '@oclif/core'
import {withTickets} from '../../engine/tickets/ticket-admin.js'
import {importTicketCsv, type TicketImportReport} from '../../engine/tickets/ticket-csv.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'

const SHOWN_PROBLEMS = 50

/**
 * Ends the process by the signal itself, as it would have without a handler (the shell
 * reads 130 for SIGINT): process.exit() waits for a read still blocked in the thread pool
 * (a file that is a pipe, no writer done) and hung there.
 */
function dieBy(signal: NodeJS.Signals): never {
  process.removeAllListeners(signal)
  process.kill(process.pid, signal)
  process.exit(signal === 'SIGINT' ? 130 : 143)
}

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
    // Ctrl-C used to end the process in silence, leaving the user to wonder what was kept.
    // Until the write begins nothing is written: say so and stop. The write is one
    // transaction: let it end (a second Ctrl-C stops at once, saying what that means).
    let writing = false
    let asked = false
    const stop = (signal: NodeJS.Signals) => {
      if (writing && !asked) {
        asked = true
        process.stderr.write('interrupted: the import is being written in one transaction; letting it finish (again to stop now)\n')
        return
      }
      process.stderr.write(writing ? 'interrupted while writing: the import is one transaction, all rows or none; callctl ticket list shows which\n' : 'interrupted: nothing was imported\n')
      dieBy(signal)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    try {
      const report = await withTickets(flags.config, (ctx, by) => importTicketCsv(ctx, args.file, {dryRun: flags['dry-run'], by, onWriting: () => (writing = true)}))
      if (report.bad.length > 0) process.exitCode = 1
      return report
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
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
