import {Args, Flags} from '@oclif/core'
import {logoutAgent, type AgentListing} from '../../engine/admin/admin.js'
import {withStore} from '../../engine/config/open-store.js'
import {CallctlCommand} from '../../ui/command.js'
import {describePresence} from '../../ui/presence.js'

export default class AgentLogout extends CallctlCommand<AgentListing> {
  static summary = 'Log an agent out, or with --queue take it out of one queue'
  static examples = ['<%= config.bin %> agent logout 1001', '<%= config.bin %> agent logout 1001 --queue sales']
  static args = {id: Args.string({description: 'agent id', required: true})}
  static flags = {
    queue: Flags.string({description: 'leave only this queue'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<AgentListing> {
    const {args, flags} = await this.parse(AgentLogout)
    return withStore(flags.config, (store) => logoutAgent(store, args.id, flags.queue))
  }

  protected render(a: AgentListing): void {
    this.print(describePresence(a))
  }
}
