import {Args, Flags} from '@oclif/core'
import {checkNamesIn} from '../../engine/admin/known-names.js'
import {withEngine} from '../../engine/api/connect.js'
import {CallctlCommand} from '../../ui/command.js'
import {whoAmI} from '../../ui/who.js'

export default class CallDial extends CallctlCommand<{callId: string}> {
  static summary = "Click-to-call: ring the agent's phone first, then dial the customer through the trunk"
  static examples = ['<%= config.bin %> call dial +8613800138000 --agent 1001']
  static args = {number: Args.string({description: 'customer number', required: true})}
  static flags = {
    agent: Flags.string({description: 'agent who makes the call', required: true}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<{callId: string}> {
    const {args, flags} = await this.parse(CallDial)
    await checkNamesIn(flags.config, {agent: flags.agent})
    return withEngine(flags.config, (c) => c.request('call.dial', {number: args.number, agent: flags.agent, by: whoAmI()}))
  }

  protected render(r: {callId: string}): void {
    this.print(`Calling: ${r.callId} (the agent's phone rings first).`)
  }
}
