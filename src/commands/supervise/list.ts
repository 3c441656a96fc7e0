import {Flags} from '@oclif/core'
import {withEngine} from '../../engine/api/connect.js'
import type {SupervisionView} from '../../engine/api/contract.js'
import {formatDuration} from '../../engine/util/duration.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

export default class SuperviseList extends CallctlCommand<{supervisions: SupervisionView[]}> {
  static summary = 'Live supervisions: who listens to whom, how, since when'
  static examples = ['<%= config.bin %> supervise list --json']
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<{supervisions: SupervisionView[]}> {
    const {flags} = await this.parse(SuperviseList)
    return withEngine(flags.config, (c) => c.request('supervise.list'))
  }

  protected render(r: {supervisions: SupervisionView[]}): void {
    if (r.supervisions.length === 0) return this.print('No supervision in progress.')
    this.print(
      table(r.supervisions, [
        {header: 'ID', get: (s) => s.id, keep: true},
        {header: 'MODE', get: (s) => s.mode},
        {header: 'AGENT', get: (s) => s.agent},
        {header: 'CALL', get: (s) => s.callId},
        {header: 'FROM', get: (s) => s.from},
        {header: 'BY', get: (s) => s.by},
        {header: 'FOR', get: (s) => formatDuration(Date.now() - s.startedAt), align: 'right'},
      ]),
    )
  }
}
