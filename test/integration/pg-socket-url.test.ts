import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {freePort} from '../../src/engine/util/net.js'
import {runCli} from '../support/cli.js'
import {startPostgres, type TestPostgres} from '../support/postgres.js'

// PostgreSQL over its Unix socket, the usual Debian setup (peer authentication): the URL
// postgres://USER@/DATABASE?host=/var/run/postgresql was refused as invalid, because the
// check was WHATWG URL's, not node-postgres' (misuse report 20, finding 16). A throwaway
// cluster listens on a socket in its temporary directory; the real binary connects.

describe('CALLCTL_DB as a PostgreSQL Unix-socket URL', () => {
  let pg: TestPostgres
  const home = mkdtempSync(join(tmpdir(), 'callctl-pg-socket-'))
  let env: Record<string, string>

  beforeAll(async () => {
    pg = await startPostgres()
    env = {CALLCTL_HOME: home, CALLCTL_API_PORT: String(await freePort()), CALLCTL_TOKEN: ''}
  }, 60_000)
  afterAll(() => {
    pg?.stop()
    rmSync(home, {recursive: true, force: true})
  })

  it('?host=/dir and the percent-encoded host both reach the database through the socket', async () => {
    const query = `postgres://callctl@/callctl?host=${pg.dir}&port=${pg.port}`
    const added = await runCli(['queue', 'add', 'sockq'], {...env, CALLCTL_DB: query})
    expect(added.code, added.stderr).toBe(0)
    const encoded = `postgresql://callctl@${encodeURIComponent(pg.dir)}:${pg.port}/callctl`
    const listed = await runCli(['queue', 'list', '--json'], {...env, CALLCTL_DB: encoded})
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toContain('"sockq"')
    // Written through the socket, not some other database: TCP sees the same row.
    expect(pg.psql("SELECT name FROM queues WHERE name = 'sockq'", 'callctl')).toBe('sockq')
  }, 60_000)

  it('a socket directory with no server: one line naming the socket path, no password, exit 2', async () => {
    const missing = join(home, 'nosock')
    const r = await runCli(['queue', 'list'], {...env, CALLCTL_DB: `postgres://callctl:s3cret@/callctl?host=${missing}`})
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^Error: Cannot reach PostgreSQL at ${missing}/\\.s\\.PGSQL\\.5432 \\(database callctl\\): `))
    expect(r.stderr).not.toContain('s3cret')
    expect(r.stderr).not.toMatch(/callctl bug|\n\s+at /)
  }, 30_000)
})
