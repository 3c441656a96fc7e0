import {Flags} from '@oclif/core'
import {purgeConfiguredRecordings} from '../../engine/recordings/configured-recordings.js'
import {parseRetention, type PurgeResult} from '../../engine/recordings/recordings.js'
import {CallctlCommand} from '../../ui/command.js'
import {fields} from '../../ui/render.js'

export default class RecordingsPurge extends CallctlCommand<PurgeResult> {
  static summary = 'Delete recordings older than a retention period, from Asterisk and the list'
  static description = `Nothing is deleted unless this runs: there is no default retention. Run it from cron with
your retention (finance: 5y). A year is a calendar year. Exit code 1 if any recording
could not be deleted (it stays listed and is tried again next time).`
  static examples = ['<%= config.bin %> recordings purge --older-than 5y', '<%= config.bin %> recordings purge --older-than 90d --dry-run --json']
  static flags = {
    'older-than': Flags.string({description: 'age: 5y, 90d, 12w, 36h', required: true}),
    'dry-run': Flags.boolean({description: 'only count and list what would be deleted'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<PurgeResult> {
    const {flags} = await this.parse(RecordingsPurge)
    const now = Date.now()
    const olderThanMs = parseRetention(flags['older-than'], now)
    const res = await purgeConfiguredRecordings(flags.config, {olderThanMs, now, dryRun: flags['dry-run']})
    if (res.failed.length > 0) process.exitCode = 1
    return res
  }

  protected render(r: PurgeResult): void {
    this.print(
      fields({
        'started before': new Date(r.cutoff).toISOString(),
        matched: r.matched,
        [r.dryRun ? 'would delete' : 'deleted']: r.dryRun ? r.names.length : r.deleted,
        ...(r.alreadyGone ? {'already gone from Asterisk': r.alreadyGone} : {}),
        ...(r.skipped ? {'still recording (left)': r.skipped} : {}),
        failed: r.failed.length,
      }),
    )
    for (const f of r.failed) this.print(`  ${f.name}: ${f.error}`)
  }
}
