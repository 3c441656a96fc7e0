import {Flags} from '@oclif/core'
import {loadEngineConfig} from '../../engine/config/engine-config.js'
import {migrateToPostgres, type MigrateResult} from '../../engine/store/migrate/migrate-to-postgres.js'
import {CallctlCommand} from '../../ui/command.js'
import {progressOnStderr} from '../../ui/progress.js'

export default class DbMigrate extends CallctlCommand<MigrateResult> {
  static summary = 'Copy the SQLite store into PostgreSQL (events and all), then check it: counts per table and every report byte for byte'
  static description = `Copies every table of the configured SQLite database (events with their ids, configuration, contacts,
blacklist, IVR flows, prompts, recordings index, knowledge base, phones, call summary) into the PostgreSQL
database given, in one transaction, then counts both sides table by table and makes every report (CSV, all
the data) from both stores: it commits only when all are the same, so a failed or interrupted migration
leaves the target as it was. Stop the engine first: the copy is of one moment of the SQLite file. A target
that already holds callctl data is refused; --force replaces what it holds (emptied in the same transaction).
Afterwards set database: (or CALLCTL_DB) to the URL.`
  static examples = [
    '<%= config.bin %> db migrate --to postgres://callctl:PASSWORD@db.example:5432/callctl',
    '<%= config.bin %> db migrate --to postgres://callctl@10.0.0.5/callctl --force --json',
  ]
  static flags = {
    to: Flags.string({description: 'the PostgreSQL database to copy into: postgres://USER:PASSWORD@HOST:PORT/DATABASE', required: true}),
    force: Flags.boolean({description: 'replace what the target holds (its callctl tables are emptied first, in the same transaction)'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<MigrateResult> {
    const {flags} = await this.parse(DbMigrate)
    const source = loadEngineConfig({file: flags.config, requireAri: false}).database
    const progress = progressOnStderr({quiet: this.jsonEnabled()})
    try {
      return await migrateToPostgres({
        source,
        target: flags.to,
        force: flags.force,
        onProgress: (p) => progress.update(p.phase === 'copy' ? p.table : p.phase === 'check' ? 'checking' : 'analyzing', p.done, p.total),
      })
    } finally {
      progress.done()
    }
  }

  protected render(r: MigrateResult): void {
    const n = (v: number) => v.toLocaleString('en-US')
    const when = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
    this.print(`Copied ${r.source} into ${r.target} in ${r.seconds.toFixed(1)} s${r.replaced ? ' (replacing what it held)' : ''}.`)
    const width = Math.max(...r.tables.map((t) => t.table.length))
    for (const t of r.tables) if (t.source > 0) this.print(`  ${t.table.padEnd(width)}  ${n(t.target).padStart(12)} rows`)
    this.print(`  events keep their ids (last ${n(r.lastEventId)}); ${r.tables.filter((t) => t.source === 0).length} empty tables not listed.`)
    this.print(`Every report is the same from both stores (${when(r.period.fromAt)} to ${when(r.period.toAt)}): ${r.reports.map((x) => `${x.report} ${n(x.rows)}`).join(', ')}.`)
    this.print('Next: set database: (or CALLCTL_DB) to the URL, then start the engines.')
  }
}
