import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {removeUser, type UserResult} from '../../engine/users/users.js'
import {CallctlCommand} from '../../ui/command.js'
import {renderUserResult} from '../../ui/user-render.js'

export default class UserRemove extends CallctlCommand<UserResult> {
  static summary = 'Remove a user: its token stops working at the running engine’s next request'
  static examples = ['<%= config.bin %> user remove alice']
  static args = {name: Args.string({description: 'user name', required: true})}
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<UserResult> {
    const {args, flags} = await this.parse(UserRemove)
    return withStore(flags.config, (store, who) => removeUser(store, args.name, Date.now(), who.user))
  }

  protected render(r: UserResult): void {
    this.print(renderUserResult(r))
  }
}
