import {Flags} from '@oclif/core'
import {checkKnownNames} from '../../engine/admin/known-names.js'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {listRecordings, type RecordingRow} from '../../engine/recordings/recordings.js'
import {formatDuration} from '../../engine/util/duration.js'
import {UserError} from '../../engine/util/errors.js'
import {parseTimeInput} from '../../engine/util/time-input.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

export default class RecordingsList extends CallctlCommand<{recordings: RecordingRow[]}> {
  static summary = 'List call recordings, newest first, by time, queue, agent, call or caller number'
  static examples = [
    '<%= config.bin %> recordings list --since today',
    '<%= config.bin %> recordings list --queue sales --agent 1001 --since 7d --json',
    '<%= config.bin %> recordings list --call call-m3x1k-a1b2c3d4e5',
  ]
  static flags = {
    since: Flags.string({description: 'started at or after: 10m, 2h, today, an ISO date/time'}),
    until: Flags.string({description: 'started before this time'}),
    queue: Flags.string({description: 'only this queue'}),
    agent: Flags.string({description: 'only this agent'}),
    call: Flags.string({description: 'only this call id'}),
    number: Flags.string({description: 'only calls with this caller (or called-back) number'}),
    limit: Flags.integer({description: 'at most this many', min: 1, default: 1000}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<{recordings: RecordingRow[]}> {
    const {flags} = await this.parse(RecordingsList)
    const now = Date.now()
    const since = flags.since ? parseTimeInput(flags.since, now, '--since') : undefined
    const until = flags.until ? parseTimeInput(flags.until, now, '--until') : undefined
    if (since !== undefined && until !== undefined && until <= since) throw new UserError('--until is not after --since', {suggestion: 'Swap them, or leave out --until.', exitCode: 2})
    return withStore(flags.config, async (store) => {
      // Recordings outlive their queue: a name the log has in the window is known too.
      const named = await checkKnownNames(store, {queue: flags.queue, agent: flags.agent, history: {since, until}})
      return {recordings: await listRecordings(repositoriesOf(store).recordings, {since, until, queue: named.queue, agent: named.agent, callId: flags.call, number: flags.number, limit: flags.limit})}
    })
  }

  protected render(r: {recordings: RecordingRow[]}): void {
    if (r.recordings.length === 0) return this.print('No recordings match.')
    this.print(
      table(r.recordings, [
        {header: 'NAME', get: (x) => x.name, keep: true},
        {header: 'STARTED (UTC)', get: (x) => new Date(x.startedAt).toISOString().replace('T', ' ').slice(0, 19)},
        {header: 'LENGTH', get: (x) => (x.durationMs === null ? '-' : formatDuration(x.durationMs)), align: 'right'},
        {header: 'QUEUE', get: (x) => x.queue ?? ''},
        {header: 'AGENT', get: (x) => x.agent ?? ''},
        {header: 'NUMBER', get: (x) => x.number},
        {header: 'STATE', get: (x) => (x.state === 'failed' ? `failed: ${x.error ?? ''}` : x.state), max: 40},
        {header: 'SIZE', get: (x) => (x.sizeBytes === null ? '' : `${Math.round(x.sizeBytes / 1024)} KiB`), align: 'right'},
      ]),
    )
  }
}
