import {Args, Flags} from '@oclif/core'
import {withEngine} from '../../engine/api/connect.js'
import type {SupervisionView} from '../../engine/api/contract.js'
import {UserError} from '../../engine/util/errors.js'
import {CallctlCommand} from '../../ui/command.js'
import {whoAmI} from '../../ui/who.js'

export default class SuperviseStop extends CallctlCommand<{stopped: SupervisionView[]}> {
  static summary = 'Stop a supervision (hangs up the supervisor phone), or all with --all'
  static examples = ['<%= config.bin %> supervise stop sup-mwt9a1b2-0a1b2c3d4e', '<%= config.bin %> supervise stop --all']
  static args = {id: Args.string({description: 'supervision id (see callctl supervise list)'})}
  static flags = {
    all: Flags.boolean({description: 'stop every supervision'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<{stopped: SupervisionView[]}> {
    const {args, flags} = await this.parse(SuperviseStop)
    if (!args.id && !flags.all) throw new UserError('Say which supervision to stop, or --all', {suggestion: 'See: callctl supervise list', exitCode: 2})
    return withEngine(flags.config, (c) => c.request('supervise.stop', flags.all ? {all: true, by: whoAmI()} : {id: args.id!, by: whoAmI()}))
  }

  protected render(r: {stopped: SupervisionView[]}): void {
    this.print(r.stopped.length ? `Stopped ${r.stopped.map((s) => s.id).join(', ')}.` : 'Nothing to stop.')
  }
}
