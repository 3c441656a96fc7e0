import {Args, Flags} from '@oclif/core'
import {withEngine} from '../../engine/api/connect.js'
import type {ResultOf} from '../../engine/api/contract.js'
import {CallctlCommand} from '../../ui/command.js'
import {whoAmI} from '../../ui/who.js'

type Result = ResultOf<'call.hangup'>

export default class CallHangup extends CallctlCommand<Result> {
  static summary = 'Hang up a live call (the caller\x27s leg; the rest follows)'
  static examples = ['<%= config.bin %> call hangup call-mwt6x944-375c372187']
  static args = {call: Args.string({description: 'call id (see callctl calls)', required: true})}
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<Result> {
    const {args, flags} = await this.parse(CallHangup)
    return withEngine(flags.config, (c) => c.request('call.hangup', {call: args.call, by: whoAmI()}))
  }

  protected render(r: Result): void {
    this.print(`Call ${r.callId} hung up.`)
  }
}
