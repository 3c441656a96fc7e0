import {Args, Flags} from '@oclif/core'
import {addQueue} from '../../engine/admin/admin.js'
import {withStore} from '../../engine/config/open-store.js'
import {STRATEGIES, type QueueRecord} from '../../engine/model.js'
import {CallctlCommand} from '../../ui/command.js'
import {fields} from '../../ui/render.js'

export default class QueueAdd extends CallctlCommand<QueueRecord> {
  static summary = 'Create a queue (or change one with --update); a running engine picks it up at once'
  static examples = ['<%= config.bin %> queue add sales --did 100 --wrap-up 10', '<%= config.bin %> queue add support --update --ring-timeout 20']
  static args = {name: Args.string({description: 'queue name', required: true})}
  static flags = {
    strategy: Flags.string({description: 'how agents are chosen', options: [...STRATEGIES]}),
    'ring-timeout': Flags.string({description: 'seconds an agent rings before the next is tried (default 15)'}),
    'wrap-up': Flags.string({description: 'after-call work seconds (default 5)'}),
    moh: Flags.string({description: 'music-on-hold class (default "default")'}),
    did: Flags.string({description: 'dialled number that lands in this queue (repeatable)', multiple: true}),
    update: Flags.boolean({description: 'change an existing queue instead of failing'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<QueueRecord> {
    const {args, flags} = await this.parse(QueueAdd)
    const settings = {strategy: flags.strategy, ringTimeout: flags['ring-timeout'], wrapUp: flags['wrap-up'], musicClass: flags.moh, dids: flags.did}
    return withStore(flags.config, (store) => addQueue(store, args.name, settings, {update: flags.update}))
  }

  protected render(q: QueueRecord): void {
    this.print(`Queue ${q.name} saved.`)
    this.print(fields({strategy: q.settings.strategy, 'ring timeout': `${q.settings.ringTimeout} s`, 'wrap-up': `${q.settings.wrapUp} s`, music: q.settings.musicClass, dids: q.settings.dids}))
  }
}
