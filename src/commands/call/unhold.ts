import {Args, Flags} from '@oclif/core'
import {withEngine} from '../../engine/api/connect.js'
import type {ResultOf} from '../../engine/api/contract.js'
import {CallctlCommand} from '../../ui/command.js'
import {whoAmI} from '../../ui/who.js'

type Result = ResultOf<'call.unhold'>

export default class CallUnhold extends CallctlCommand<Result> {
  static summary = 'Take a call off hold'
  static examples = ['<%= config.bin %> call unhold call-mwt6x944-375c372187']
  static args = {call: Args.string({description: 'call id (see callctl calls)', required: true})}
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<Result> {
    const {args, flags} = await this.parse(CallUnhold)
    return withEngine(flags.config, (c) => c.request('call.unhold', {call: args.call, by: whoAmI()}))
  }

  protected render(r: Result): void {
    this.print(`Call ${r.callId} is off hold${typeof r.holdMs === "number" ? ` after ${(r.holdMs / 1000).toFixed(0)} s` : ""}.`)
  }
}
