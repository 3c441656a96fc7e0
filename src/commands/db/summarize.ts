import {Flags} from '@oclif/core'
import {openConfiguredStore} from '../../engine/config/open-store.js'
import {summarizeStore, type SummarizeResult} from '../../engine/reports/call-rows.js'
import {CallctlCommand} from '../../ui/command.js'

export default class DbSummarize extends CallctlCommand<SummarizeResult> {
  static summary = 'Bring the per-call and per-queue-visit summaries that `report calls` and `report queues` read up to date now (a running engine does it every 5 s)'
  static description =
    'Reports stay correct without it (calls the summary does not hold yet are folded from the event log): it makes them fast, for example after importing a log or when no engine runs. Works on SQLite and PostgreSQL stores alike.'
  static examples = ['<%= config.bin %> db summarize', '<%= config.bin %> db summarize --json']
  static flags = {
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<SummarizeResult> {
    const {flags} = await this.parse(DbSummarize)
    const store = await openConfiguredStore(flags.config)
    try {
      return await summarizeStore(store)
    } finally {
      await store.close()
    }
  }

  protected render(r: SummarizeResult): void {
    this.print(`Summarized ${r.written.toLocaleString('en-US')} calls in ${r.seconds.toFixed(1)} s; the summary holds ${r.calls.toLocaleString('en-US')} calls.`)
  }
}
