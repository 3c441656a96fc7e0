import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {DEFAULT_LIMIT, MAX_LIMIT, type KbHit} from '../../engine/kb/knowledge-base.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

interface Result {
  query: string
  hits: KbHit[]
}

export default class KbSearch extends CallctlCommand<Result> {
  static summary = 'Search the knowledge base (Chinese or English), best matches first'
  static description = 'Every word of the query must appear in an entry, in its question or its answer. Matches in the question count more.'
  static examples = ['<%= config.bin %> kb search 退款', '<%= config.bin %> kb search "reset password" --tag account --limit 5']
  static args = {query: Args.string({description: 'words to look for', required: true})}
  static flags = {
    limit: Flags.integer({char: 'n', description: `most results (1-${MAX_LIMIT}, default ${DEFAULT_LIMIT})`}),
    tag: Flags.string({description: 'only entries with this tag'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Result> {
    const {args, flags} = await this.parse(KbSearch)
    const hits = await withStore(flags.config, (store) => repositoriesOf(store).kb.search(args.query, {limit: flags.limit, tag: flags.tag}))
    return {query: args.query, hits}
  }

  protected render(r: Result): void {
    if (r.hits.length === 0) return this.print(`Nothing matches "${safeText(r.query, 100)}".`)
    this.print(
      table(r.hits, [
        {header: 'ID', get: (h) => h.id, align: 'right'},
        {header: 'SCORE', get: (h) => h.score.toFixed(2), align: 'right'},
        {header: 'QUESTION', get: (h) => h.question, max: 40},
        {header: 'MATCH', get: (h) => h.snippet, max: 80},
        {header: 'TAGS', get: (h) => h.tags.join(','), max: 30},
      ]),
    )
  }
}
