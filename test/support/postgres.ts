// A throwaway PostgreSQL cluster for tests: Debian's postgresql-15 binaries, initdb in a
// temporary directory, started by pg_ctl on a free loopback port. PostgreSQL refuses to
// run as root, so as root (CI) the cluster belongs to the `postgres` user the Debian
// package creates; otherwise to the current user. Missing binaries are an error, never a
// skip: `scripts/setup.sh` installs them.
import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface TestPostgres {
  /** postgres://callctl@127.0.0.1:PORT/callctl (trust auth on loopback). */
  url: string
  port: number
  dir: string
  /** A fresh, empty database on the same cluster; returns its URL. */
  createDatabase(name: string): string
  /** Runs SQL as the superuser (psql -c) and returns its output, unaligned, tuples only. */
  psql(sql: string, database?: string): string
  /** Takes the server away (fast shutdown: every session cut), keeping its data. */
  down(): void
  /** Brings it back on the same port with the same data. */
  up(): void
  stop(): void
}

export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : []
  if (versions.length === 0) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (run scripts/setup.sh, which installs postgresql-15)')
  return join(root, versions[0]!, 'bin')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as {port: number}).port
      s.close(() => resolve(port))
    })
  })
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir()
  const asRoot = process.getuid?.() === 0
  const run = (cmd: string, args: string[]): string => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args]
    return execFileSync(file, argv, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  }
  const dir = mkdtempSync(join(tmpdir(), 'callctl-pg-'))
  chmodSync(dir, 0o777)
  const data = join(dir, 'data')
  const port = await freePort()
  run('initdb', ['-D', data, '-U', 'callctl', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'])
  // Small and fast: no fsync (a test cluster), sockets in the temporary directory only.
  const opts = `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB`
  const up = () => void run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', opts, '-w', '-t', '60', 'start'])
  up()
  const psqlBin = join(bin, 'psql')
  const psql = (sql: string, database = 'postgres'): string => {
    const r = spawnSync(psqlBin, ['-h', '127.0.0.1', '-p', String(port), '-U', 'callctl', '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], {encoding: 'utf8'})
    if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`)
    return r.stdout.trim()
  }
  psql('CREATE DATABASE callctl')
  let stopped = false
  return {
    url: `postgres://callctl@127.0.0.1:${port}/callctl`,
    port,
    dir,
    createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`)
      psql(`CREATE DATABASE ${name}`)
      return `postgres://callctl@127.0.0.1:${port}/${name}`
    },
    psql,
    down() {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
    },
    up,
    stop() {
      if (stopped) return
      stopped = true
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    },
  }
}
