import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {parseEntryId, type KbEntry} from '../../engine/kb/knowledge-base.js'
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
    return withStore(flags.config, (store) => repositoriesOf(store).kb.remove(id))
  }

  protected render(e: KbEntry): void {
    this.print(`Entry ${e.id} removed: ${safeText(e.question, 100)}`)
  }
}
