import {Args, Flags} from '@oclif/core'
import {pauseAgent, type AgentListing} from '../../engine/admin/admin.js'
import {withStore} from '../../engine/config/open-store.js'
import {CallctlCommand} from '../../ui/command.js'
import {describePresence} from '../../ui/presence.js'

export default class AgentPause extends CallctlCommand<AgentListing> {
  static summary = 'Pause an agent with a reason code: it gets no calls until unpaused'
  static examples = ['<%= config.bin %> agent pause 1001 --reason lunch']
  static args = {id: Args.string({description: 'agent id', required: true})}
  static flags = {
    reason: Flags.string({description: 'reason code (break, lunch, training, meeting...)', default: 'break'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<AgentListing> {
    const {args, flags} = await this.parse(AgentPause)
    return withStore(flags.config, (store) => pauseAgent(store, args.id, flags.reason))
  }

  protected render(a: AgentListing): void {
    this.print(describePresence(a))
  }
}
