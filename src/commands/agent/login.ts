import {Args, Flags} from '@oclif/core'
import {loginAs} from '../../engine/admin/presence-as.js'
import {CallctlCommand} from '../../ui/command.js'
import {describePresence, listedAgent, type ListedAgent} from '../../ui/presence.js'

export default class AgentLogin extends CallctlCommand<ListedAgent> {
  static summary = 'Log an agent in; with --queue it also joins those queues'
  static examples = ['<%= config.bin %> agent login 1001', '<%= config.bin %> agent login 1001 --queue sales --queue support:2']
  static args = {id: Args.string({description: 'agent id', required: true})}
  static flags = {
    queue: Flags.string({description: 'QUEUE or QUEUE:PENALTY to join (repeatable)', multiple: true}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<ListedAgent> {
    const {args, flags} = await this.parse(AgentLogin)
    return listedAgent(await loginAs(flags.config, args.id, flags.queue ?? []))
  }

  protected render(a: ListedAgent): void {
    this.print(describePresence(a))
  }
}
