import {Args, Flags} from '@oclif/core'
import {unpauseAs} from '../../engine/admin/presence-as.js'
import {CallctlCommand} from '../../ui/command.js'
import {describePresence, listedAgent, type ListedAgent} from '../../ui/presence.js'

export default class AgentUnpause extends CallctlCommand<ListedAgent> {
  static summary = 'Unpause an agent: it is offered calls again'
  static examples = ['<%= config.bin %> agent unpause 1001']
  static args = {id: Args.string({description: 'agent id', required: true})}
  static flags = {
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<ListedAgent> {
    const {args, flags} = await this.parse(AgentUnpause)
    return listedAgent(await unpauseAs(flags.config, args.id))
  }

  protected render(a: ListedAgent): void {
    this.print(describePresence(a))
  }
}
