import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {issueToken, type UserResult} from '../../engine/users/users.js'
import {CallctlCommand} from '../../ui/command.js'
import {renderUserResult} from '../../ui/user-render.js'

export default class UserToken extends CallctlCommand<UserResult> {
  static summary = 'Give a user a new token (shown once); the old one stops working at once. --revoke: no new one'
  static examples = ['<%= config.bin %> user token alice', '<%= config.bin %> user token alice --revoke', '<%= config.bin %> user token alice --json']
  static args = {name: Args.string({description: 'user name', required: true})}
  static flags = {
    revoke: Flags.boolean({description: 'revoke the token without issuing a new one'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<UserResult> {
    const {args, flags} = await this.parse(UserToken)
    return withStore(flags.config, (store, who) => issueToken(store, args.name, {revoke: flags.revoke, by: who.user}))
  }

  protected render(r: UserResult): void {
    this.print(renderUserResult(r))
  }
}
