import {Args, Flags} from '@oclif/core'
import type {BlacklistEntry} from '../../engine/blacklist/blacklist.js'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {parseUntil} from '../../engine/blacklist/until.js'
import {UserError} from '../../engine/util/errors.js'
import {CallctlCommand} from '../../ui/command.js'

export default class BlacklistAdd extends CallctlCommand<BlacklistEntry> {
  static summary = 'Refuse calls from a number before the IVR (for good, or until a time)'
  static examples = ['<%= config.bin %> blacklist add +8613800138000 --reason abuse', '<%= config.bin %> blacklist add 13800138000 --reason spam --until 30d']
  static args = {number: Args.string({description: 'caller number', required: true})}
  static flags = {
    reason: Flags.string({description: 'why (shown in reports)', default: ''}),
    until: Flags.string({description: 'listed until: a duration from now (30d, 1y) or an ISO date/time'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<BlacklistEntry> {
    const {args, flags} = await this.parse(BlacklistAdd)
    const now = Date.now()
    let until: number | null = null
    if (flags.until !== undefined) until = parseUntil(flags.until, now)
    if (flags.reason.length > 200) throw new UserError('--reason is longer than 200 characters', {exitCode: 2})
    return withStore(flags.config, (store) => repositoriesOf(store).blacklist.add({number: args.number, reason: flags.reason, until}, now))
  }

  protected render(e: BlacklistEntry): void {
    this.print(`${e.number} is blacklisted${e.until ? ` until ${new Date(e.until).toISOString()}` : ''}.`)
  }
}
