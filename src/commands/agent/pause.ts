import {Args, Flags} from '@oclif/core'
import {pauseAs} from '../../engine/admin/presence-as.js'
import {CallctlCommand} from '../../ui/command.js'
import {describePresence, listedAgent, type ListedAgent} from '../../ui/presence.js'

export default class AgentPause extends CallctlCommand<ListedAgent> {
  static summary = 'Pause an agent with a reason code: it gets no calls until unpaused'
  static examples = ['<%= config.bin %> agent pause 1001 --reason lunch']
  static args = {id: Args.string({description: 'agent id', required: true})}
  static flags = {
    reason: Flags.string({description: 'reason code (break, lunch, training, meeting...)', default: 'break'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<ListedAgent> {
    const {args, flags} = await this.parse(AgentPause)
    return listedAgent(await pauseAs(flags.config, args.id, flags.reason))
  }

  protected render(a: ListedAgent): void {
    this.print(describePresence(a))
  }
}
