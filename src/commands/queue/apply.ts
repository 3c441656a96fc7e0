import {Args, Flags} from '@oclif/core'
import {applyQueueFile} from '../../engine/admin/queue-file.js'
import {withStore} from '../../engine/config/open-store.js'
import type {QueueRecord} from '../../engine/model.js'
import {byFlag} from '../../engine/api/store-access.js'
import {CallctlCommand} from '../../ui/command.js'

export default class QueueApply extends CallctlCommand<{queues: QueueRecord[]; dryRun: boolean}> {
  static summary = 'Create or update queues from a YAML file (validated as a whole first)'
  static description = `The file maps queue names to settings (the same names as queue list --json shows):

  queues:
    sales:
      strategy: round-robin
      requiredSkills: sales & (english | mandarin)
      skillSteps: [{after: 30, require: sales}]
      maxWait: 300
      overflow: {action: queue, queue: support}
      announceEvery: 30
      callbackKey: "*"`
  static examples = ['<%= config.bin %> queue apply queues.yaml', '<%= config.bin %> queue apply queues.yaml --dry-run']
  static args = {file: Args.string({description: 'YAML file', required: true})}
  static flags = {
    'dry-run': Flags.boolean({description: 'only validate'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<{queues: QueueRecord[]; dryRun: boolean}> {
    const {args, flags} = await this.parse(QueueApply)
    const queues = await withStore(flags.config, (store, who) => applyQueueFile(store, args.file, {dryRun: flags['dry-run'], ...byFlag(who)}))
    return {queues, dryRun: flags['dry-run']}
  }

  protected render(r: {queues: QueueRecord[]; dryRun: boolean}): void {
    this.print(`${r.dryRun ? 'Valid: would save' : 'Saved'} ${r.queues.length} queue${r.queues.length === 1 ? '' : 's'}: ${r.queues.map((q) => q.name).join(', ')}`)
  }
}
