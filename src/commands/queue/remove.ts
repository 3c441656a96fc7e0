import {Args, Flags} from '@oclif/core'
import {mustQueue, removeQueue} from '../../engine/admin/admin.js'
import {refuseIfQueueInUse, refuseIfQueueTargeted} from '../../engine/admin/queue-in-use.js'
import {withStore} from '../../engine/config/open-store.js'
import type {QueueRecord} from '../../engine/model.js'
import {byOf} from '../../engine/api/store-access.js'
import {CallctlCommand} from '../../ui/command.js'

export default class QueueRemove extends CallctlCommand<QueueRecord> {
  static summary = 'Remove a queue (agents lose their membership of it)'
  static description = 'Refused while the running engine holds calls in the queue (waiting, ringing or connected): removing it ends them (cause queue-removed); and while a deployed IVR flow or another queue\'s overflow sends callers to it: they would be rejected. Move them first, or pass --force.'
  static examples = ['<%= config.bin %> queue remove sales', '<%= config.bin %> queue remove sales --force']
  static args = {name: Args.string({description: 'queue name', required: true})}
  static flags = {
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
    force: Flags.boolean({description: 'remove it even if the running engine holds calls in it (they end) or a flow or overflow sends callers to it'}),
  }

  protected async execute(): Promise<QueueRecord> {
    const {args, flags} = await this.parse(QueueRemove)
    if (!flags.force) await refuseIfQueueInUse(flags.config, args.name)
    return withStore(flags.config, async (store, who) => {
      if (!flags.force) await refuseIfQueueTargeted(store, (await mustQueue(store, args.name)).name)
      return removeQueue(store, args.name, byOf(who))
    })
  }

  protected render(q: QueueRecord): void {
    this.print(`Queue ${q.name} removed.`)
  }
}
