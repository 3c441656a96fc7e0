import {Args, Flags} from '@oclif/core'
import {checkNamesIn} from '../../engine/admin/known-names.js'
import {withEngine} from '../../engine/api/connect.js'
import type {ResultOf} from '../../engine/api/contract.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'

type Result = ResultOf<'agent.wrapup'>

export default class AgentWrapup extends CallctlCommand<Result> {
  static summary = 'Give an agent more after-call work: extends its wrap-up, or starts one if it is idle'
  static examples = ['<%= config.bin %> agent wrapup 1001 --seconds 60']
  static args = {id: Args.string({description: 'agent id', required: true})}
  static flags = {
    seconds: Flags.integer({description: 'seconds to add', default: 30, min: 1, max: 3600}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Result> {
    const {args, flags} = await this.parse(AgentWrapup)
    await checkNamesIn(flags.config, {agent: args.id})
    return withEngine(flags.config, (c) => c.request('agent.wrapup', {agent: args.id, seconds: flags.seconds}))
  }

  protected render(a: Result): void {
    this.print(`Agent ${safeText(a.id)} is in wrap-up until ${new Date(a.wrapUpEndsAt).toISOString().slice(11, 19)} UTC.`)
  }
}
