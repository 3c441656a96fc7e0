import {Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {listUsers, type UserView} from '../../engine/users/users.js'
import {CallctlCommand} from '../../ui/command.js'
import {renderUserList} from '../../ui/user-render.js'

export default class UserList extends CallctlCommand<{users: UserView[]}> {
  static summary = 'List the users of the engine API with their role, agent and whether their token works'
  static examples = ['<%= config.bin %> user list', '<%= config.bin %> user list --json']
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<{users: UserView[]}> {
    const {flags} = await this.parse(UserList)
    return {users: await withStore(flags.config, (store) => listUsers(store))}
  }

  protected render(r: {users: UserView[]}): void {
    this.print(renderUserList(r.users))
  }
}
