import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {importKbFile, type KbImportReport} from '../../engine/kb/import.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'

export default class KbImport extends CallctlCommand<KbImportReport> {
  static summary = 'Import knowledge base entries from CSV or YAML, all or nothing'
  static description = `CSV (UTF-8, with or without BOM) needs a header; tags is optional:

  question,answer,tags
  如何申请退款？,在订单页面点击申请退款。,"退款,billing"

YAML is a list:

  - question: How do I reset my password?
    answer: Use Forgot password on the login page.
    tags: [account]

An entry whose question is already in the knowledge base gets the new answer and tags.
If any row is bad, nothing is imported and every bad row is listed with its line.`
  static examples = ['<%= config.bin %> kb import faq.csv', '<%= config.bin %> kb import faq.yaml --dry-run']
  static args = {file: Args.string({description: 'a .csv or .yaml file', required: true})}
  static flags = {
    'dry-run': Flags.boolean({description: 'only check the file'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<KbImportReport> {
    const {args, flags} = await this.parse(KbImport)
    return withStore(flags.config, (store) => importKbFile(repositoriesOf(store).kb, args.file, {dryRun: flags['dry-run']}))
  }

  protected render(r: KbImportReport): void {
    const n = `${r.entries} entr${r.entries === 1 ? 'y' : 'ies'}`
    const file = safeText(r.file, 200)
    if (r.dryRun) this.print(`Valid: ${file} has ${n}; nothing written (--dry-run).`)
    else this.print(`Imported ${n} from ${file}: ${r.added} added, ${r.updated} updated.`)
  }
}
