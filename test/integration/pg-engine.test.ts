import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {AriHttp} from '../../src/engine/ari/index.js'
import {callRecords} from '../../src/engine/reports/call-records.js'
import {originateSimCaller, simAgentEndpoint} from '../../src/engine/sim/simulator.js'
import {PgStore} from '../../src/engine/store/pg/pg-store.js'
import {freePort} from '../../src/engine/util/net.js'
import {runAll, runCli, startEngineCli} from '../support/cli.js'
import {cliEngineEnv, sandboxCreds} from '../support/harness.js'
import {startPostgres, type TestPostgres} from '../support/postgres.js'
import {until} from '../support/wait.js'

// `database: postgres://…` end to end: admin commands write queues and agents into
// PostgreSQL, `engine start` serves calls from it on the real Asterisk, and the URL's
// password is never printed (engine log, engine status, errors).

describe('the engine on a PostgreSQL store (real Asterisk)', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-pg-engine-'))
  const app = `p${Math.random().toString(36).slice(2, 8)}`
  let cluster: TestPostgres
  let engine: Awaited<ReturnType<typeof startEngineCli>> | undefined

  beforeAll(async () => {
    cluster = await startPostgres()
  })

  afterAll(async () => {
    engine?.child.kill('SIGKILL')
    cluster?.stop()
    rmSync(home, {recursive: true, force: true})
  })

  it('serves calls from queues and agents kept in PostgreSQL, and masks the password everywhere it prints the URL', async () => {
    // Trust authentication on loopback: the password is never asked for, only carried.
    const url = cluster.createDatabase('engine').replace('callctl@', 'callctl:s3cret@')
    const env = {...cliEngineEnv({home, app, apiPort: await freePort()}), CALLCTL_DB: url}
    await runAll(
      [
        ['queue', 'add', 'q', '--wrap-up', '0', '--no-record'],
        ...['k1', 'k2'].flatMap((id) => [
          ['agent', 'add', id, '--endpoint', simAgentEndpoint({id, ring: 0, talk: {min: 2, max: 2}}), '--queue', 'q'],
          ['agent', 'login', id],
        ]),
      ],
      env,
    )
    engine = await startEngineCli(env)
    const status = await runCli(['engine', 'status', '--json'], env)
    expect(JSON.parse(status.stdout).database).toBe(url.replace(':s3cret@', ':***@'))

    const rest = new AriHttp(sandboxCreds())
    const numbers = ['+15557100001', '+15557100002', '+15557100003']
    for (const number of numbers) await originateSimCaller(rest, {number, name: 'Pg', did: 'q', patience: 60, app})
    const store = await PgStore.open(url)
    try {
      const calls = await until('every caller served', async () => {
        const done = (await callRecords(store)).filter((c) => c.outcome === 'completed')
        return done.length === numbers.length && done
      }, 60_000)
      expect(calls.map((c) => c.number).sort()).toEqual(numbers)
      for (const c of calls) for (const t of ['call.started', 'call.connected', 'call.completed', 'call.ended']) expect(c.trail.filter((x) => x === t), `${c.number} ${t}`).toHaveLength(1)

      // A CLI change reaches the running engine through the log (its admin sync tails the events).
      expect((await runCli(['agent', 'pause', 'k1', '--reason', 'lunch'], env)).code).toBe(0)
      await until('the engine sees the pause', async () => {
        const r = await runCli(['agent', 'list', '--json'], env)
        return (JSON.parse(r.stdout) as {agents: {id: string; state: string}[]}).agents.some((a) => a.id === 'k1' && a.state === 'paused')
      })
      const events = await runCli(['events', '--since', '10m', '--json'], env)
      expect(events.code).toBe(0)
      const ids = events.stdout.trim().split('\n').map((l) => (JSON.parse(l) as {id: number}).id)
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
    } finally {
      await store.close()
    }

    engine.child.kill('SIGTERM')
    await new Promise<void>((r) => engine!.child.once('exit', () => r()))
    expect(engine.output()).toContain('postgres://callctl:***@')
    expect(engine.output()).not.toContain('s3cret')

    const down = await runCli(['queue', 'list'], {...env, CALLCTL_DB: `postgres://callctl:s3cret@127.0.0.1:${cluster.port + 1}/engine`})
    expect(down.code).toBe(2)
    expect(down.stderr).toContain(`Cannot reach PostgreSQL at 127.0.0.1:${cluster.port + 1}/engine`)
    expect(down.stderr + down.stdout).not.toContain('s3cret')
    expect(down.stderr).not.toMatch(/\n\s+at /) // no stack
  }, 180_000)
})
