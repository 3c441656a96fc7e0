import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {freePort} from '../engine/util/net.js'

// A throwaway PostgreSQL cluster for benchmarks, as test/support/postgres.ts makes one for
// tests (Debian's binaries, initdb in a temporary directory, a free loopback port, the
// `postgres` user when run as root), but durable as a server is by default: fsync and
// synchronous_commit stay on, so the figures are what an installed PostgreSQL gives.

export interface BenchPostgres {
  /** postgres://callctl@127.0.0.1:PORT/callctl (trust auth on loopback). */
  url: string
  version: string
  stop(): void
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : []
  if (versions.length === 0) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (scripts/setup.sh installs postgresql-15), or give --pg-url')
  const bin = join(root, versions[0]!, 'bin')
  const asRoot = process.getuid?.() === 0
  const run = (cmd: string, args: string[]): string => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args]
    return execFileSync(file, argv, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  }
  const dir = mkdtempSync(join(tmpdir(), 'callctl-bench-pg-'))
  chmodSync(dir, 0o777)
  const data = join(dir, 'data')
  const port = await freePort()
  run('initdb', ['-D', data, '-U', 'callctl', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'])
  run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir}`, '-w', '-t', '60', 'start'])
  const psql = (sql: string) => execFileSync(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'callctl', '-d', 'postgres', '-At', '-c', sql], {encoding: 'utf8'}).trim()
  psql('CREATE DATABASE callctl')
  let stopped = false
  return {
    url: `postgres://callctl@127.0.0.1:${port}/callctl`,
    version: psql('SHOW server_version'),
    stop() {
      if (stopped) return
      stopped = true
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    },
  }
}
