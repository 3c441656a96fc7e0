import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {freePort} from '../../src/engine/util/net.js'
import {runCli, type CliResult} from '../support/cli.js'
import {startPostgres, type TestPostgres} from '../support/postgres.js'

// Provisioning scripts run `callctl queue add` in parallel (misuse report 20, finding 23):
// each process checked the name and the DIDs, then wrote in a second step, so four of six
// took one DID and two creations of one queue both "saved". The check and the write are
// one transaction now (SQLite BEGIN IMMEDIATE, PostgreSQL a lock): exactly one wins, the
// others get the usual one-line refusal. Real processes on both stores, no engine.

const PARALLEL = 6

async function parallel(n: number, args: (i: number) => string[], env: Record<string, string>): Promise<CliResult[]> {
  return Promise.all(Array.from({length: n}, (_, i) => runCli(args(i + 1), env)))
}

async function queues(env: Record<string, string>): Promise<{name: string; settings: {dids: string[]}}[]> {
  const r = await runCli(['queue', 'list', '--json'], env)
  expect(r.code, r.stderr).toBe(0)
  const out = JSON.parse(r.stdout) as {name: string; settings?: {dids: string[]}; dids?: string[]}[] | {queues: {name: string; settings?: {dids: string[]}; dids?: string[]}[]}
  const list = Array.isArray(out) ? out : out.queues
  return list.map((q) => ({name: q.name, settings: {dids: q.settings?.dids ?? q.dids ?? []}}))
}

function raceTests(label: string, makeEnv: () => Promise<Record<string, string>>) {
  describe(`parallel queue add on ${label}`, () => {
    let env: Record<string, string>
    beforeAll(async () => {
      env = await makeEnv()
      // The schema exists before the race: the race is about queues, not first use.
      const r = await runCli(['queue', 'add', 'first'], env)
      expect(r.code, r.stderr).toBe(0)
    }, 60_000)

    it('one DID claimed by six new queues at once: one queue gets it, five are refused', async () => {
      const results = await parallel(PARALLEL, (i) => ['queue', 'add', `dd${i}`, '--did', '5555'], env)
      const won = results.filter((r) => r.code === 0)
      expect(won, results.map((r) => r.stderr).join('')).toHaveLength(1)
      const owner = /Queue (dd\d) saved\./.exec(won[0]!.stdout)![1]!
      for (const r of results.filter((x) => x.code !== 0)) {
        expect(r.code).toBe(1)
        expect(r.stderr.split('\n')[0]).toBe(`Error: DID 5555 already belongs to queue "${owner}"`)
        expect(r.stderr).not.toMatch(/callctl bug|\n\s+at /)
      }
      const withDid = (await queues(env)).filter((q) => q.settings.dids.includes('5555'))
      expect(withDid.map((q) => q.name)).toEqual([owner])
    }, 60_000)

    it('one queue created six times at once: saved once, five told it already exists', async () => {
      const results = await parallel(PARALLEL, (i) => ['queue', 'add', 'dupq', '--did', '999', '--wrap-up', String(i)], env)
      const won = results.filter((r) => r.code === 0)
      expect(won, results.map((r) => r.stderr).join('')).toHaveLength(1)
      for (const r of results.filter((x) => x.code !== 0)) {
        expect(r.code).toBe(1)
        expect(r.stderr.split('\n')[0]).toBe('Error: Queue "dupq" already exists')
      }
      const ev = await runCli(['events', '--since', '1h', '--type', 'queue.added', '--json'], env)
      expect(ev.code, ev.stderr).toBe(0)
      expect(ev.stdout.split('\n').filter((l) => l.includes('"dupq"'))).toHaveLength(1)
    }, 60_000)
  })
}

const homes: string[] = []
const newHome = async (db?: string): Promise<Record<string, string>> => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-admin-races-'))
  homes.push(home)
  return {CALLCTL_HOME: home, CALLCTL_API_PORT: String(await freePort()), CALLCTL_TOKEN: '', ...(db ? {CALLCTL_DB: db} : {})}
}

let pg: TestPostgres | undefined
afterAll(() => {
  pg?.stop()
  for (const h of homes) rmSync(h, {recursive: true, force: true})
})

raceTests('SQLite', () => newHome())
raceTests('PostgreSQL', async () => {
  pg ??= await startPostgres()
  return newHome(pg.createDatabase('races'))
})
