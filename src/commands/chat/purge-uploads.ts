import {Flags} from '@oclif/core'
import {purgeConfiguredUploads, type UploadsPurgeResult} from '../../engine/chat/upload-retention.js'
import {parseRetention} from '../../engine/recordings/recordings.js'
import {CallctlCommand} from '../../ui/command.js'
import {fields} from '../../ui/render.js'

export default class ChatPurgeUploads extends CallctlCommand<UploadsPurgeResult> {
  static summary = "Delete the web widget's uploaded images older than the retention (chat.uploadsRetention, default 90d)"
  static description = 'The engine does this itself at start and daily; run it to purge now or with another age. Images in a conversation still open are kept.'
  static examples = ['<%= config.bin %> chat purge-uploads', '<%= config.bin %> chat purge-uploads --older-than 30d --dry-run --json']
  static flags = {
    'older-than': Flags.string({description: 'age: 90d, 12w, 36h (default: chat.uploadsRetention)'}),
    'dry-run': Flags.boolean({description: 'only count and list what would be deleted'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<UploadsPurgeResult> {
    const {flags} = await this.parse(ChatPurgeUploads)
    const now = Date.now()
    const olderThanMs = flags['older-than'] !== undefined ? parseRetention(flags['older-than'], now) : undefined
    return purgeConfiguredUploads(flags.config, {...(olderThanMs !== undefined ? {olderThanMs} : {}), now, dryRun: flags['dry-run']})
  }

  protected render(r: UploadsPurgeResult): void {
    if (r.cutoff === null) {
      this.print('chat.uploadsRetention is 0: uploads are kept. Give --older-than to purge anyway.')
      return
    }
    this.print(
      fields({
        'written before': new Date(r.cutoff).toISOString(),
        [r.dryRun ? 'would delete' : 'deleted']: r.removed,
        'kept for open conversations': r.kept,
        KiB: Math.round(r.bytes / 1024),
      }),
    )
  }
}
