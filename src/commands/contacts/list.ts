import {Flags} from '@oclif/core'
import type {Contact} from '../../engine/contacts/contact-store.js'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

interface Result {
  contacts: Contact[]
  /** All matching contacts, of which `contacts` is the first --limit. */
  total: number
}

export default class ContactsList extends CallctlCommand<Result> {
  static summary = 'List contacts used for screen pop, by name'
  static examples = ['<%= config.bin %> contacts list', '<%= config.bin %> contacts list --tier VIP --limit 500 --json']
  static flags = {
    tier: Flags.string({description: 'only this tier (any case)'}),
    limit: Flags.integer({description: 'at most this many', min: 1, default: 50}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Result> {
    const {flags} = await this.parse(ContactsList)
    return withStore(flags.config, async (store) => {
      const dir = repositoriesOf(store).contacts
      return {contacts: await dir.list({tier: flags.tier, limit: flags.limit}), total: await dir.count({tier: flags.tier})}
    })
  }

  protected render(r: Result): void {
    if (r.total === 0) return this.print('No contacts. Import some with: callctl contacts import FILE.csv')
    this.print(
      table(r.contacts, [
        {header: 'NUMBER', get: (c) => c.number},
        {header: 'NAME', get: (c) => c.name, max: 30},
        {header: 'TIER', get: (c) => c.tier, max: 16},
        {header: 'LANG', get: (c) => c.language},
        {header: 'COMPANY', get: (c) => c.company, max: 30},
        {header: 'NOTES', get: (c) => c.notes, max: 40},
      ]),
    )
    if (r.total > r.contacts.length) this.print(`Showing ${r.contacts.length} of ${r.total}; see more with --limit.`)
  }
}
