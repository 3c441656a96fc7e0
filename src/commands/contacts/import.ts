import {Args, Flags} from '@oclif/core'
import {CONTACT_FIELDS, importContactsFile, type ImportEncoding, type ImportReport} from '../../engine/contacts/import.js'
import {COUNTRY_HINT, isSupportedCountry} from '../../engine/contacts/phone-number.js'
import {loadEngineConfig} from '../../engine/config/engine-config.js'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {UserError} from '../../engine/util/errors.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'
import {safeText} from '../../engine/util/text.js'

const SHOWN_BAD_ROWS = 50

export default class ContactsImport extends CallctlCommand<ImportReport> {
  static summary = 'Import contacts for screen pop from a CSV file (UTF-8 or GBK); all rows or none'
  static description = `Numbers are stored in E.164; numbers without a country code are read for --country
(default: defaultCountry in the config, CN). A contact whose number is already stored is
updated. If any row is bad, nothing is imported and every bad row is listed with its line;
--skip-bad imports the good rows and still lists the bad ones. Exit code 1 when nothing
was imported because of bad rows.

Columns are read from headers named ${CONTACT_FIELDS.join(', ')} (any case); --map names
other headers, e.g. --map number=电话,name=姓名,tier=等级,notes=备注.`
  static examples = [
    '<%= config.bin %> contacts import customers.csv',
    '<%= config.bin %> contacts import 客户.csv --map number=电话,name=姓名,tier=等级,notes=备注',
    '<%= config.bin %> contacts import export.csv --encoding gbk --skip-bad --dry-run',
  ]
  static args = {file: Args.string({description: 'CSV file', required: true})}
  static flags = {
    map: Flags.string({description: 'FIELD=HEADER pairs, comma-separated'}),
    encoding: Flags.string({description: 'text encoding of the file', options: ['auto', 'utf8', 'gbk'], default: 'auto'}),
    country: Flags.string({description: 'ISO country for numbers without a country code'}),
    'skip-bad': Flags.boolean({description: 'import the good rows even if some are bad'}),
    'dry-run': Flags.boolean({description: 'check the file and count, write nothing'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<ImportReport> {
    const {args, flags} = await this.parse(ContactsImport)
    const defaultCountry = flags.country ?? loadEngineConfig({file: flags.config, requireAri: false}).defaultCountry
    if (!isSupportedCountry(defaultCountry)) {
      throw new UserError(`--country "${defaultCountry}" is not a supported ISO country code`, {suggestion: COUNTRY_HINT, exitCode: 2})
    }
    const report = await withStore(flags.config, (store) =>
      importContactsFile(repositoriesOf(store).contacts, args.file, {
        defaultCountry: defaultCountry.toUpperCase(),
        map: flags.map,
        encoding: flags.encoding as ImportEncoding,
        skipBad: flags['skip-bad'],
        dryRun: flags['dry-run'],
      }),
    )
    if (report.rejected) process.exitCode = 1
    return report
  }

  protected render(r: ImportReport): void {
    const columns = Object.entries(r.columns).map(([f, h]) => (f === h ? f : `${f}=${h}`))
    // File names and headers are outside text.
    this.print(safeText(`Read ${r.rows} row${r.rows === 1 ? '' : 's'} from ${r.file} (${r.encoding === 'gbk' ? 'GBK' : 'UTF-8'}; columns ${columns.join(', ')}).`, 1000))
    if (r.ignoredColumns.length > 0) this.print(safeText(`Not imported (no field mapped): ${r.ignoredColumns.join(', ')}`, 1000))
    if (r.bad.length > 0) {
      this.print(`${r.bad.length} bad row${r.bad.length === 1 ? '' : 's'}:`)
      this.print(table(r.bad.slice(0, SHOWN_BAD_ROWS), [
        {header: 'LINE', get: (b) => b.line, align: 'right'},
        {header: 'PROBLEM', get: (b) => b.reason, max: 160},
      ]))
      if (r.bad.length > SHOWN_BAD_ROWS) this.print(`… and ${r.bad.length - SHOWN_BAD_ROWS} more (--json lists them all)`)
    }
    const counts = `${r.imported} new contact${r.imported === 1 ? '' : 's'}, ${r.updated} updated`
    const skipped = r.bad.length > 0 ? `; ${r.bad.length} bad row${r.bad.length === 1 ? '' : 's'} skipped` : ''
    if (r.rejected) this.logToStderr(`Nothing ${r.dryRun ? 'would be' : 'was'} imported. Fix the rows above, or import the good rows with --skip-bad.`)
    else if (r.dryRun) this.print(`Dry run: would import ${counts}${skipped}; nothing written.`)
    else this.print(`Imported ${counts}${skipped}.`)
  }
}
