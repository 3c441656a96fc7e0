import {Args, Flags} from '@oclif/core'
import {withEngine} from '../../engine/api/connect.js'
import type {ResultOf} from '../../engine/api/contract.js'
import {CallctlCommand} from '../../ui/command.js'
import {whoAmI} from '../../ui/who.js'

type Result = ResultOf<'call.disposition'>

export default class CallDisposition extends CallctlCommand<Result> {
  static summary = "Choose a call's disposition (its queue's code): the live call, or an agent's last call in wrap-up, which releases an agent held for it"
  static examples = ['<%= config.bin %> call disposition call-mwt6x944-375c372187 resolved']
  static args = {
    call: Args.string({description: 'call id (see callctl calls, or the agent ready refusal)', required: true}),
    code: Args.string({description: "disposition code of the call's queue (agent ready's refusal lists them; any short code for a queue without codes)", required: true}),
  }
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<Result> {
    const {args, flags} = await this.parse(CallDisposition)
    return withEngine(flags.config, (c) => c.request('call.disposition', {call: args.call, code: args.code, by: whoAmI()}))
  }

  protected render(r: Result): void {
    this.print(`Call ${r.callId}: disposition ${r.code} (${r.label})${r.released ? '; its agent is idle again' : ''}.`)
  }
}
