import {Args, Flags} from '@oclif/core'
import {withSqliteStore} from '../../engine/config/open-store.js'
import {parseEntryId, type KbEntry} from '../../engine/kb/knowledge-base.js'
import {SqliteKnowledgeBase} from '../../engine/kb/sqlite-kb.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'

export default class KbRemove extends CallctlCommand<KbEntry> {
  static summary = 'Remove a knowledge base entry'
  static examples = ['<%= config.bin %> kb remove 12']
  static args = {id: Args.string({description: 'entry id (see kb list)', required: true})}
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<KbEntry> {
    const {args, flags} = await this.parse(KbRemove)
    const id = parseEntryId(args.id)
    return withSqliteStore(flags.config, 'the knowledge base', (store) => new SqliteKnowledgeBase(store.db).remove(id))
  }

  protected render(e: KbEntry): void {
    this.print(`Entry ${e.id} removed: ${safeText(e.question, 100)}`)
  }
}
