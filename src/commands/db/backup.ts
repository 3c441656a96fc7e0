import {Args, Flags} from '@oclif/core'
import {existsSync, renameSync, rmSync, statSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
import {openConfiguredSqliteStore} from '../../engine/config/open-store.js'
import {UserError} from '../../engine/util/errors.js'
import {CallctlCommand} from '../../ui/command.js'

interface BackupResult {
  file: string
  bytes: number
  pages: number
  seconds: number
}

export default class DbBackup extends CallctlCommand<BackupResult> {
  static summary = 'Copy the database while the engine runs: an online, consistent backup (SQLite backup API)'
  static examples = ['<%= config.bin %> db backup /var/backups/callctl-$(date +%F).db']
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
    const store = await openConfiguredSqliteStore(flags.config, 'db backup (use pg_dump)')
    const tmp = `${file}.partial-${process.pid}`
    const started = Date.now()
    try {
      // Written under a temporary name and renamed: a cron job never leaves half a backup.
      const {pages} = await store.backup(tmp)
      renameSync(tmp, file)
      return {file, bytes: statSync(file).size, pages, seconds: (Date.now() - started) / 1000}
    } catch (err) {
      rmSync(tmp, {force: true})
      if (err instanceof UserError) throw err
      throw new UserError(`Backup to ${file} failed: ${err instanceof Error ? err.message : String(err)}`, {exitCode: 1})
    } finally {
      await store.close()
    }
  }

  protected render(r: BackupResult): void {
    this.print(`Backed up to ${r.file} (${(r.bytes / 1024 / 1024).toFixed(1)} MB) in ${r.seconds.toFixed(1)} s.`)
  }
}
