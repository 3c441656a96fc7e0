import {Flags} from '@oclif/core'
import type {BlacklistEntry} from '../../engine/blacklist/blacklist.js'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

export default class BlacklistList extends CallctlCommand<{entries: BlacklistEntry[]}> {
  static summary = 'List blacklisted numbers in force'
  static examples = ['<%= config.bin %> blacklist list --json']
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<{entries: BlacklistEntry[]}> {
    const {flags} = await this.parse(BlacklistList)
    return {entries: await withStore(flags.config, (store) => repositoriesOf(store).blacklist.list(Date.now()))}
  }

  protected render(r: {entries: BlacklistEntry[]}): void {
    if (r.entries.length === 0) return this.print('The blacklist is empty.')
    this.print(table(r.entries, [{header: 'NUMBER', get: (e) => e.number}, {header: 'REASON', get: (e) => e.reason, max: 40}, {header: 'UNTIL', get: (e) => (e.until ? new Date(e.until).toISOString() : 'always')}]))
  }
}
