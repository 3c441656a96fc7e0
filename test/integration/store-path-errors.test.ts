import Database from 'better-sqlite3'
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {addAgent, addQueue} from '../../src/engine/admin/admin.js'
import {MIGRATIONS} from '../../src/engine/store/migrations.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {BIN, runCli, type CliResult} from '../support/cli.js'

// Wrong paths and a database the disk will not write (misuse report 20, findings 3 and 4):
// the real binary says what is wrong in one line with the path and a Try:, exit 2, and
// leaves nothing behind at a mistyped path; a real bug still gets its stack and exit 70.
// No Asterisk and no engine: admin commands on the store alone.

const root = mkdtempSync(join(tmpdir(), 'callctl-storeerr-'))
const cleanups: (() => void)[] = []

afterAll(() => {
  for (const undo of cleanups.reverse()) undo()
  rmSync(root, {recursive: true, force: true})
})

let n = 0
const dir = (name: string) => {
  const d = join(root, `${name}-${++n}`)
  mkdirSync(d)
  return d
}

/** The one error line (and its Try: line) of a user mistake: exit 2, no stack trace, nothing on stdout. */
function userError(r: CliResult): {error: string; tryLine: string} {
  expect(r.code, r.stderr).toBe(2)
  expect(r.stderr).not.toContain('callctl bug')
  expect(r.stderr).not.toMatch(/^\s+at /m)
  expect(r.stdout).toBe('')
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines, r.stderr).toHaveLength(2)
  expect(lines[1]).toMatch(/^ {2}Try: /)
  return {error: lines[0]!, tryLine: lines[1]!}
}

describe('wrong paths for the config, the database and the home', () => {
  it('a directory given as the config file', async () => {
    const home = dir('home')
    const configDir = dir('configdir')
    const {error, tryLine} = userError(await runCli(['queue', 'list', '-c', configDir], {CALLCTL_HOME: home}))
    expect(error).toBe(`Error: Config ${configDir} is a directory, not a YAML file`)
    expect(tryLine).toContain(`${configDir}/config.yaml`)
  })

  it('a directory given as the database', async () => {
    const home = dir('home')
    const dbDir = dir('dbdir')
    const {error} = userError(await runCli(['queue', 'list'], {CALLCTL_HOME: home, CALLCTL_DB: dbDir}))
    expect(error).toBe(`Error: The database path ${dbDir} is a directory, not a database file`)
    expect(readdirSync(dbDir)).toEqual([])
  })

  it('a file that is not a database, untouched', async () => {
    const d = dir('notdb')
    const file = join(d, 'notdb.db')
    writeFileSync(file, 'hello')
    const {error} = userError(await runCli(['queue', 'list'], {CALLCTL_HOME: dir('home'), CALLCTL_DB: file}))
    expect(error).toBe(`Error: ${file} is not a callctl database (SQLite: file is not a database)`)
    expect(readdirSync(d)).toEqual(['notdb.db'])
  })

  it('CALLCTL_HOME naming a file, or under one', async () => {
    const file = join(dir('f'), 'passwd')
    writeFileSync(file, 'root:x:0:0\n')
    const {error, tryLine} = userError(await runCli(['queue', 'list'], {CALLCTL_HOME: file}))
    expect(error).toBe(`Error: CALLCTL_HOME ${file} is not a directory: it is a file`)
    expect(tryLine).toContain('CALLCTL_HOME')
  })

  it('a CALLCTL_DB in a directory that does not exist: said, not created (listing or writing); the home’s own database is still made on first use', async () => {
    const base = dir('typo')
    const missing = join(base, 'no', 'such', 'x.db')
    // A listing (queue list through withStore, ticket list through its own opener) and a write.
    for (const args of [['queue', 'list'], ['ticket', 'list'], ['queue', 'add', 'q', '--did', '100']]) {
      const {error, tryLine} = userError(await runCli(args, {CALLCTL_HOME: dir('home'), CALLCTL_DB: missing}))
      expect(error, args.join(' ')).toBe(`Error: The database ${missing} does not exist yet, nor its directory ${join(base, 'no', 'such')}`)
      expect(tryLine).toContain(`mkdir -p ${join(base, 'no', 'such')}`)
    }
    expect(readdirSync(base)).toEqual([])
    // A fresh home (not made yet): the first listing makes it and its database, as before.
    const home = join(dir('fresh'), 'callctl-home')
    const r = await runCli(['queue', 'list'], {CALLCTL_HOME: home})
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(join(home, 'callctl.db'))).toBe(true)
  })

  it('a real bug still ends with its stack trace and exit 70', async () => {
    // A database that says it has every table and has none: SQLite answers "no such table",
    // an error no user condition explains.
    const home = dir('bug')
    const db = new Database(join(home, 'callctl.db'))
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
    for (const m of MIGRATIONS) db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name)
    db.close()
    const r = await runCli(['queue', 'list'], {CALLCTL_HOME: home})
    expect(r.code).toBe(70)
    expect(r.stderr).toMatch(/^callctl bug: SqliteError: no such table/)
    expect(r.stderr).toMatch(/^\s+at .+sqlite-store\.js:\d+/m)
  })
})

/**
 * A home whose database the command may read but not write. As root neither chmod nor a
 * read-only open stops a write: the file is made immutable (chattr +i, undone after the
 * tests); where chattr does not work (tmpfs), the command runs as the unprivileged user
 * nobody on a root-owned 0644 file. Neither working fails the test: never skipped.
 */
function readOnly(home: string): (args: string[]) => Promise<CliResult> {
  const file = join(home, 'callctl.db')
  const chattr = spawnSync('chattr', ['+i', file], {encoding: 'utf8'})
  if (chattr.status === 0) {
    cleanups.push(() => void spawnSync('chattr', ['-i', file]))
    return (args) => runCli(args, {CALLCTL_HOME: home})
  }
  // The other way: as nobody, who owns the home (so -wal/-shm can be made) but not the database.
  chmodSync(root, 0o755)
  chownSync(home, 65534, 65534)
  chmodSync(file, 0o644)
  const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true'], {encoding: 'utf8'})
  if (probe.status !== 0) {
    throw new Error(`cannot make a read-only database for this test: chattr +i failed (${chattr.stderr || chattr.error?.message}) and setpriv to nobody failed (${probe.stderr || probe.error?.message})`)
  }
  return (args) =>
    new Promise((resolve, reject) => {
      // HOME too: oclif keeps its own files under it, and nobody may not write root's.
      const env = {...process.env, FORCE_COLOR: '0', CALLCTL_HOME: home, HOME: home}
      const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
      child.on('error', reject)
      child.on('close', (code) => resolve({code, stdout, stderr}))
    })
}

describe('a database the disk will not write', () => {
  it('read-only: listings work, every write is one line naming the database, exit 2', async () => {
    const home = dir('ro')
    const store = new SqliteStore(join(home, 'callctl.db'))
    await addQueue(store, 'sales', {dids: ['100']})
    await addAgent(store, {id: '1001', name: 'Li Na', endpoint: 'Local/1001@nowhere', queues: ['sales']})
    await store.close()
    // Made read-only only now, with its content in it.
    const run = readOnly(home)
    const list = await run(['queue', 'list'])
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout).toContain('sales')
    const db = join(home, 'callctl.db')
    for (const args of [
      // Presence (SqliteStore.setPresence), a ticket and a user (their own stores on the same connection).
      ['agent', 'login', '1001'],
      ['ticket', 'add', '-s', 'hi'],
      ['user', 'add', 'carol', '--role', 'supervisor'],
    ]) {
      const {error, tryLine} = userError(await run(args))
      expect(error, args.join(' ')).toBe(`Error: The database ${db} is read-only (SQLite: attempt to write a readonly database)`)
      expect(tryLine).toContain('lsattr')
    }
  })

  it('locked by another process past the wait: one line, exit 2', async () => {
    const home = dir('busy')
    await new SqliteStore(join(home, 'callctl.db')).close()
    const locker = new Database(join(home, 'callctl.db'))
    locker.exec('BEGIN IMMEDIATE')
    try {
      const {error} = userError(await runCli(['queue', 'add', 'q2', '--did', '200'], {CALLCTL_HOME: home}))
      expect(error).toBe(`Error: The database ${join(home, 'callctl.db')} stayed locked by another process longer than callctl waits (SQLite: database is locked)`)
    } finally {
      locker.exec('ROLLBACK')
      locker.close()
    }
  })
})
