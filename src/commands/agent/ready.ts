import {Args, Flags} from '@oclif/core'
import {checkNamesIn} from '../../engine/admin/known-names.js'
import {withEngine} from '../../engine/api/connect.js'
import type {AgentView} from '../../engine/api/contract.js'
import {CallctlCommand} from '../../ui/command.js'
import {safeText} from '../../engine/util/text.js'

export default class AgentReady extends CallctlCommand<AgentView> {
  static summary = 'End an agent\'s wrap-up early: it is offered calls again at once'
  static examples = ['<%= config.bin %> agent ready 1001']
  static args = {id: Args.string({description: 'agent id', required: true})}
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<AgentView> {
    const {args, flags} = await this.parse(AgentReady)
    await checkNamesIn(flags.config, {agent: args.id})
    return withEngine(flags.config, (c) => c.request('agent.ready', {agent: args.id}))
  }

  protected render(a: AgentView): void {
    this.print(`Agent ${safeText(a.id)} is ${a.state}.`)
  }
}
