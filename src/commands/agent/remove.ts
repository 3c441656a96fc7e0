import {Args, Flags} from '@oclif/core'
import {mustAgent, removeAgent} from '../../engine/admin/admin.js'
import {refuseIfAgentHasUsers, refuseIfAgentInUse} from '../../engine/admin/agent-in-use.js'
import {withStore} from '../../engine/config/open-store.js'
import type {AgentRecord} from '../../engine/model.js'
import {byOf} from '../../engine/api/store-access.js'
import {CallctlCommand} from '../../ui/command.js'

export default class AgentRemove extends CallctlCommand<AgentRecord> {
  static summary = 'Remove an agent'
  static description = "Refused while the running engine has the agent on a call or in chats (they would be left with an agent nobody can see): wait, transfer them, or pass --force. Refused while users act as the agent (user add --agent): remove them first, or their tokens would act as whoever gets this agent id next; --force does not change that."
  static examples = ['<%= config.bin %> agent remove 1001', '<%= config.bin %> agent remove 1001 --force']
  static args = {id: Args.string({description: 'agent id', required: true})}
  static flags = {
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
    force: Flags.boolean({description: 'remove it even if the running engine has it on a call or in chats'}),
  }

  protected async execute(): Promise<AgentRecord> {
    const {args, flags} = await this.parse(AgentRemove)
    return withStore(flags.config, async (store, who) => {
      await mustAgent(store, args.id)
      await refuseIfAgentHasUsers(store, args.id)
      if (!flags.force) await refuseIfAgentInUse(flags.config, args.id)
      return removeAgent(store, args.id, byOf(who))
    })
  }

  protected render(a: AgentRecord): void {
    this.print(`Agent ${a.id} removed.`)
  }
}
