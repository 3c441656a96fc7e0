import {Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import type {KbEntry} from '../../engine/kb/knowledge-base.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

interface Result {
  entries: KbEntry[]
  total: number
}

export default class KbList extends CallctlCommand<Result> {
  static summary = 'List knowledge base entries, oldest first'
  static examples = ['<%= config.bin %> kb list', '<%= config.bin %> kb list --tag billing --json']
  static flags = {
    tag: Flags.string({description: 'only entries with this tag'}),
    limit: Flags.integer({char: 'n', description: 'most entries shown', default: 100, min: 1}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Result> {
    const {flags} = await this.parse(KbList)
    return withStore(flags.config, async (store) => {
      const kb = repositoriesOf(store).kb
      return {entries: await kb.list({tag: flags.tag, limit: flags.limit}), total: await kb.count({tag: flags.tag})}
    })
  }

  protected render(r: Result): void {
    if (r.total === 0) return this.print('No entries. Add some with: callctl kb add --question ... --answer ..., or callctl kb import FILE')
    this.print(
      table(r.entries, [
        {header: 'ID', get: (e) => e.id, align: 'right'},
        {header: 'QUESTION', get: (e) => e.question, max: 50},
        {header: 'ANSWER', get: (e) => e.answer, max: 50},
        {header: 'TAGS', get: (e) => e.tags.join(','), max: 30},
        {header: 'UPDATED', get: (e) => new Date(e.updatedAt).toISOString().slice(0, 16).replace('T', ' ')},
      ]),
    )
    if (r.total > r.entries.length) this.print(`Showing ${r.entries.length} of ${r.total}; see more with --limit ${r.total}`)
  }
}
