import {Args, Flags} from '@oclif/core'
import {logoutAs} from '../../engine/admin/presence-as.js'
import {checkNamesIn} from '../../engine/admin/known-names.js'
import {withEngine} from '../../engine/api/connect.js'
import {UserError} from '../../engine/util/errors.js'
import {CallctlCommand} from '../../ui/command.js'
import {describePresence, listedAgent, type ListedAgent} from '../../ui/presence.js'

export default class AgentLogout extends CallctlCommand<ListedAgent> {
  static summary = 'Log an agent out, or with --queue take it out of one queue'
  static description = `With an engine running, the logout goes through it: when this returns, the agent is offered
no call and none of its rings is left. Without one, only the store changes.`
  static examples = ['<%= config.bin %> agent logout 1001', '<%= config.bin %> agent logout 1001 --queue sales']
  static args = {id: Args.string({description: 'agent id', required: true})}
  static flags = {
    queue: Flags.string({description: 'leave only this queue'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<ListedAgent> {
    const {args, flags} = await this.parse(AgentLogout)
    const {queue} = await checkNamesIn(flags.config, {agent: args.id, queue: flags.queue})
    try {
      return listedAgent(await withEngine(flags.config, (c) => c.request('agent.logout', {agent: args.id, ...(queue ? {queue} : {}), by: 'cli'})))
    } catch (err) {
      // No engine: nothing can ring the agent, the store is all there is to change.
      if (!(err instanceof UserError) || err.code !== 'engine_unreachable') throw err
      return listedAgent(await logoutAs(flags.config, args.id, queue))
    }
  }

  protected render(a: ListedAgent): void {
    this.print(describePresence(a))
  }
}
