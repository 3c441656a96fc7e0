import {Args, Flags} from '@oclif/core'
import {removeQueue} from '../../engine/admin/admin.js'
import {withStore} from '../../engine/config/open-store.js'
import type {QueueRecord} from '../../engine/model.js'
import {CallctlCommand} from '../../ui/command.js'

export default class QueueRemove extends CallctlCommand<QueueRecord> {
  static summary = 'Remove a queue (agents lose their membership of it)'
  static examples = ['<%= config.bin %> queue remove sales']
  static args = {name: Args.string({description: 'queue name', required: true})}
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<QueueRecord> {
    const {args, flags} = await this.parse(QueueRemove)
    return withStore(flags.config, (store) => removeQueue(store, args.name))
  }

  protected render(q: QueueRecord): void {
    this.print(`Queue ${q.name} removed.`)
  }
}
