import {Args, Flags} from '@oclif/core'
import {existsSync, renameSync, rmSync, statSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
import {loadEngineConfig} from '../../engine/config/engine-config.js'
import {isPostgresUrl, maskDatabase} from '../../engine/store/database-url.js'
import {pgDump} from '../../engine/store/pg/pg-backup.js'
import {SqliteStore} from '../../engine/store/sqlite-store.js'
import {UserError} from '../../engine/util/errors.js'
import {CallctlCommand} from '../../ui/command.js'

interface BackupResult {
  file: string
  bytes: number
  /** SQLite: pages copied; PostgreSQL: null (pg_dump). */
  pages: number | null
  seconds: number
  store: 'sqlite' | 'postgres'
  /** PostgreSQL: the pg_dump that wrote it (custom format, for pg_restore). */
  tool?: string
}

export default class DbBackup extends CallctlCommand<BackupResult> {
  static summary = 'Copy the database while the engine runs: an online, consistent backup (SQLite backup API, or pg_dump for PostgreSQL)'
  static description = `SQLite: a copy of the database file, usable as it is. PostgreSQL: pg_dump in its custom format (it
must be installed: Debian postgresql-client-15; the password goes to it in PGPASSWORD, never on its
command line); restore with pg_restore --dbname=postgres://… FILE into an empty database.`
  static examples = ['<%= config.bin %> db backup /var/backups/callctl-$(date +%F).db', 'CALLCTL_DB=postgres://callctl@db/callctl <%= config.bin %> db backup /var/backups/callctl-$(date +%F).dump']
  static args = {file: Args.string({description: 'where to write the copy', required: true})}
  static flags = {
    force: Flags.boolean({description: 'replace the file if it exists'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<BackupResult> {
    const {args, flags} = await this.parse(DbBackup)
    const file = resolve(args.file)
    if (existsSync(file) && !flags.force) throw new UserError(`${file} exists`, {suggestion: 'Pick another name, or pass --force to replace it.', exitCode: 2})
    if (!existsSync(dirname(file))) throw new UserError(`Directory ${dirname(file)} does not exist`, {exitCode: 2})
    const database = loadEngineConfig({file: flags.config, requireAri: false}).database
    const tmp = `${file}.partial-${process.pid}`
    const started = Date.now()
    // Written under a temporary name and renamed: a cron job never leaves half a backup.
    try {
      if (isPostgresUrl(database)) {
        const tool = await pgDump(database, tmp)
        renameSync(tmp, file)
        return {file, bytes: statSync(file).size, pages: null, seconds: (Date.now() - started) / 1000, store: 'postgres', tool: `pg_dump ${tool.version}`}
      }
      const store = new SqliteStore(database)
      try {
        const {pages} = await store.backup(tmp)
        renameSync(tmp, file)
        return {file, bytes: statSync(file).size, pages, seconds: (Date.now() - started) / 1000, store: 'sqlite'}
      } finally {
        await store.close()
      }
    } catch (err) {
      rmSync(tmp, {force: true})
      if (err instanceof UserError) throw err
      throw new UserError(`Backup of ${maskDatabase(database)} to ${file} failed: ${err instanceof Error ? err.message : String(err)}`, {exitCode: 1})
    }
  }

  protected render(r: BackupResult): void {
    this.print(`Backed up to ${r.file} (${(r.bytes / 1024 / 1024).toFixed(1)} MB) in ${r.seconds.toFixed(1)} s${r.tool ? ` with ${r.tool}` : ''}.`)
    if (r.store === 'postgres') this.print(`Restore into an empty database: pg_restore --dbname=postgres://USER@HOST/DATABASE ${r.file}`)
  }
}
