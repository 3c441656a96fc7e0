import {mkdtempSync, rmSync} from 'node:fs'
import {until} from '../support/wait.js'
import {freePort} from '../../src/engine/util/net.js'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {AriHttp} from '../../src/engine/ari/index.js'
import {callRecords} from '../../src/engine/reports/call-records.js'
import {originateSimCaller, simAgentEndpoint} from '../../src/engine/sim/simulator.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {runCli, startCli, startEngineCli} from '../support/cli.js'
import {cliEngineEnv, sandboxCreds} from '../support/harness.js'

// The engine is killed with SIGKILL while 5 calls talk and 10 callers wait, then started
// again. Nothing alive may be hung up: the talking calls go on and are logged when they
// end, the waiting callers keep their place and are served in it.



describe('engine restart loses no call (SIGKILL, real Asterisk)', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-restart-'))
  const app = `r${Math.random().toString(36).slice(2, 8)}`
  let env: Record<string, string>
  let engine: ReturnType<typeof startCli> | undefined
  const numbers = Array.from({length: 15}, (_, i) => `+1555700${String(i).padStart(4, '0')}`)

  afterAll(async () => {
    engine?.child.kill('SIGTERM')
    rmSync(home, {recursive: true, force: true})
  })

  const startEngine = () => startEngineCli(env)

  it('re-adopts waiting and talking calls and serves everyone in order', async () => {
    const creds = sandboxCreds()
    env = cliEngineEnv({home, app, apiPort: await freePort()})
    const rest = new AriHttp(creds)
    expect((await runCli(['queue', 'add', 'q', '--wrap-up', '0', '--no-record'], env)).code).toBe(0)
    for (let i = 1; i <= 5; i++) {
      const id = `k${i}`
      expect((await runCli(['agent', 'add', id, '--endpoint', simAgentEndpoint({id, ring: 0, talk: {min: 12, max: 12}}), '--queue', 'q'], env)).code).toBe(0)
      expect((await runCli(['agent', 'login', id], env)).code).toBe(0)
    }
    engine = await startEngine()
    for (const number of numbers) {
      await originateSimCaller(rest, {number, name: 'Restart', did: 'q', patience: 120, app})
      await new Promise((r) => setTimeout(r, 100))
    }
    const store = new SqliteStore(join(home, 'callctl.db'))
    const count = async (type: string) => {
      let n = 0
      for await (const e of store.events({types: [type as StoredEvent['type']]})) if (e.type === type) n++
      return n
    }
    await until('5 calls bridged and 10 waiting', async () => (await count('call.connected')) === 5 && (await count('queue.entered')) === 15)
    await new Promise((r) => setTimeout(r, 500)) // let the engine flush
    const before = (await rest.listChannels()).length

    engine.child.kill('SIGKILL')
    await new Promise<void>((r) => engine!.child.once('exit', () => r()))
    await new Promise((r) => setTimeout(r, 2000))
    // Nothing was hung up while the engine was gone.
    expect((await rest.listChannels()).length).toBe(before)

    engine = await startEngine()
    const started = await until('the restarted engine to log what it recovered', async () => {
      for await (const e of store.events({types: ['engine.started']})) if ((e.data.recovered as Record<string, number> | undefined)?.connected) return e
      return undefined
    })
    expect(started.data.recovered).toMatchObject({connected: 5, waiting: 10})

    await until('every caller served', async () => (await callRecords(store)).filter((c) => c.outcome === 'completed').length === 15, 120_000)
    const calls = await callRecords(store)
    expect(calls).toHaveLength(15)
    const byNumber = new Map(calls.map((c) => [c.number, c]))
    // Served in the order they called: the first five before the restart, the rest after.
    const order = [...calls].sort((a, b) => a.connectedAt! - b.connectedAt!).map((c) => c.number)
    expect(order.slice(0, 5).sort()).toEqual(numbers.slice(0, 5).sort())
    expect(order.slice(5)).toEqual(numbers.slice(5))
    for (const n of numbers) {
      const c = byNumber.get(n)!
      // One life each: started once, queued once, connected once, completed once, ended once.
      for (const t of ['call.started', 'queue.entered', 'call.connected', 'call.completed', 'call.ended']) expect(c.trail.filter((x) => x === t), `${n} ${t}`).toHaveLength(1)
      expect(c.trail).toContain('call.readopted')
      expect(c.trail.at(-1)).toBe('call.ended')
    }
    // The calls that were talking were logged in full by the new engine: real talk time, not an estimate.
    for (const n of numbers.slice(0, 5)) expect(byNumber.get(n)!.talkMs!).toBeGreaterThanOrEqual(11_000)
    await store.close()
  }, 240_000)
})
