import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {ROLES} from '../../engine/users/roles.js'
import {addUser, type UserResult} from '../../engine/users/users.js'
import {CallctlCommand} from '../../ui/command.js'
import {renderUserResult} from '../../ui/user-render.js'

export default class UserAdd extends CallctlCommand<UserResult> {
  static summary = 'Add a user of the engine API with a role, and show its token once'
  static description = `Roles: admin (everything), supervisor (watch, supervise, pause and log out agents, hold, hang up
and transfer calls), agent (only as its own agent: --agent, on its own calls). The token is generated
(256 bits), shown only now and kept as a hash; the user sets it as CALLCTL_TOKEN. The running engine
accepts it from its next request on.`
  static examples = ['<%= config.bin %> user add alice --role supervisor', '<%= config.bin %> user add 王芳 --role agent --agent 1001', '<%= config.bin %> user add ops --role admin --json']
  static args = {name: Args.string({description: 'user name (alice, 王芳)', required: true})}
  static flags = {
    // Checked by addUser, not by oclif's options: an unknown role is a UserError with the roles listed.
    role: Flags.string({description: `the user's role: ${ROLES.join(', ')}`, required: true}),
    agent: Flags.string({description: 'for the agent role: the agent it acts as (callctl agent list)'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<UserResult> {
    const {args, flags} = await this.parse(UserAdd)
    return withStore(flags.config, (store, who) => addUser(store, {name: args.name, role: flags.role, agent: flags.agent, by: who.user}))
  }

  protected render(r: UserResult): void {
    this.print(renderUserResult(r))
  }
}
