import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {UserError} from '../../engine/util/errors.js'
import {CallctlCommand} from '../../ui/command.js'

export default class BlacklistRemove extends CallctlCommand<{number: string; removed: boolean}> {
  static summary = 'Take a number off the blacklist'
  static examples = ['<%= config.bin %> blacklist remove +8613800138000']
  static args = {number: Args.string({description: 'caller number', required: true})}
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<{number: string; removed: boolean}> {
    const {args, flags} = await this.parse(BlacklistRemove)
    const removed = await withStore(flags.config, (store) => repositoriesOf(store).blacklist.remove(args.number))
    if (!removed) throw new UserError(`${args.number} is not on the blacklist`, {suggestion: 'See: callctl blacklist list', exitCode: 1, code: 'not_found'})
    return {number: args.number, removed}
  }

  protected render(r: {number: string}): void {
    this.print(`${r.number} removed from the blacklist.`)
  }
}
