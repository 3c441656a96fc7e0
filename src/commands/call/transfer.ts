import {Args, Flags} from '@oclif/core'
import {checkNamesIn} from '../../engine/admin/known-names.js'
import {withEngine} from '../../engine/api/connect.js'
import type {ResultOf} from '../../engine/api/contract.js'
import {UserError} from '../../engine/util/errors.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'
import {whoAmI} from '../../ui/who.js'

type Result = ResultOf<'call.transfer'> | ResultOf<'call.transfer.cancel'>

export default class CallTransfer extends CallctlCommand<Result> {
  static summary = 'Transfer a connected call to an agent, a queue or a number, blind or after consulting'
  static description = `Blind: the agent leaves at once and the caller goes to the target (a queue keeps the call's history).
--consult: the caller is held while the agent talks to the target; then --complete hands the call over, --cancel returns to the caller.`
  static examples = [
    '<%= config.bin %> call transfer CALL --to-queue billing',
    '<%= config.bin %> call transfer CALL --to-agent 1002 --consult',
    '<%= config.bin %> call transfer CALL --complete',
    '<%= config.bin %> call transfer CALL --to-number +8613800138000',
  ]
  static args = {call: Args.string({description: 'call id (see callctl calls)', required: true})}
  static flags = {
    'to-agent': Flags.string({description: 'agent id', exclusive: ['to-queue', 'to-number', 'complete', 'cancel']}),
    'to-queue': Flags.string({description: 'queue name', exclusive: ['to-agent', 'to-number', 'complete', 'cancel', 'consult']}),
    'to-number': Flags.string({description: 'external number, through the trunk', exclusive: ['to-agent', 'to-queue', 'complete', 'cancel']}),
    consult: Flags.boolean({description: 'talk to the target first (hold the caller)'}),
    complete: Flags.boolean({description: 'finish a consultative transfer', exclusive: ['cancel']}),
    cancel: Flags.boolean({description: 'abandon a consultative transfer and return to the caller'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Result> {
    const {args, flags} = await this.parse(CallTransfer)
    const by = whoAmI()
    if (flags.complete) return withEngine(flags.config, (c) => c.request('call.transfer.complete', {call: args.call, by}))
    if (flags.cancel) return withEngine(flags.config, (c) => c.request('call.transfer.cancel', {call: args.call, by}))
    if (!flags['to-agent'] && !flags['to-queue'] && !flags['to-number']) throw new UserError('Say where to: --to-agent, --to-queue or --to-number (or --complete / --cancel)', {exitCode: 2})
    const named = await checkNamesIn(flags.config, {agent: flags['to-agent'], queue: flags['to-queue']})
    const to = named.agent ? {agent: named.agent} : named.queue ? {queue: named.queue} : {number: flags['to-number']!}
    return withEngine(flags.config, (c) => c.request('call.transfer', {call: args.call, to, consult: flags.consult, by}))
  }

  protected render(r: Result): void {
    this.print('to' in r ? `Call ${safeText(r.callId)} goes to ${safeText(Object.entries(r.to).map(([k, v]) => `${k} ${v}`).join(''))}.` : `Consultation on call ${safeText(r.callId)} ended; the caller is back with the agent.`)
  }
}
