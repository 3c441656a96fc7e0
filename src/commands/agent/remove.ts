import {Args, Flags} from '@oclif/core'
import {removeAgent} from '../../engine/admin/admin.js'
import {withStore} from '../../engine/config/open-store.js'
import type {AgentRecord} from '../../engine/model.js'
import {CallctlCommand} from '../../ui/command.js'

export default class AgentRemove extends CallctlCommand<AgentRecord> {
  static summary = 'Remove an agent'
  static examples = ['<%= config.bin %> agent remove 1001']
  static args = {id: Args.string({description: 'agent id', required: true})}
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<AgentRecord> {
    const {args, flags} = await this.parse(AgentRemove)
    return withStore(flags.config, (store) => removeAgent(store, args.id))
  }

  protected render(a: AgentRecord): void {
    this.print(`Agent ${a.id} removed.`)
  }
}
