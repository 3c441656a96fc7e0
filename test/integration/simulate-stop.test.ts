// Ctrl-C on `callctl simulate` (misuse report 20, finding 14): its callers were left in line,
// gave up later and counted as real abandons, moving the queue's abandon rate and service
// level. Now the engine ends them as system-ended (as the demo's stop does), simulate prints
// its summary so far and exits 130. Through the real binary, on an engine serving the app the
// sandbox's dialplan sends calls to, in a home whose sandbox is the suite's (state copied).
import {rmSync} from 'node:fs'
import {afterAll, describe, expect, it} from 'vitest'
import {freePort} from '../../src/engine/util/net.js'
import {exited, runCli, startCli, startEngineCli} from '../support/cli.js'
import {homeOnSuiteSandbox, stopEngineCli} from '../support/sandbox-home.js'
import {until} from '../support/wait.js'

describe('simulate stopped midway', () => {
  const home = homeOnSuiteSandbox('callctl-simstop-')
  let env: Record<string, string | undefined> = {}
  let engine: Awaited<ReturnType<typeof startEngineCli>> | undefined

  afterAll(async () => {
    await stopEngineCli(engine)
    rmSync(home, {recursive: true, force: true})
  })

  it('Ctrl-C ends its callers still in line as system-ended, never abandoned, prints the summary so far and exits 130', async () => {
    env = {CALLCTL_HOME: home, CALLCTL_ARI_URL: undefined, CALLCTL_ARI_APP: undefined, CALLCTL_API_PORT: String(await freePort()), CALLCTL_CHAT_PORT: '0'}
    engine = await startEngineCli(env)
    // No agent: the four callers wait (patient for a minute) until the run is stopped.
    const sim = startCli(['simulate', '--callers', '4', '--rate', '10', '--agents', '0', '--queue', 'stopme', '--patience', '60-60'], env)
    const waiting = await until('the four callers waiting', async () => {
      const r = await runCli(['calls', '--queue', 'stopme', '--state', 'waiting', '--json'], env)
      const calls = r.code === 0 ? (JSON.parse(r.stdout) as {calls: {id: string}[]}).calls : []
      return calls.length === 4 ? calls.map((c) => c.id) : undefined
    })
    sim.child.kill('SIGINT')
    expect(await exited(sim.child), sim.output()).toBe(130)
    expect(sim.output()).toContain('Stopped before its callers finished: 4 calls still live ended as system-ended (not abandons).')
    expect(sim.output()).not.toMatch(/callctl bug|at .*\.js:/)
    const left = await runCli(['calls', '--queue', 'stopme', '--json'], env)
    expect((JSON.parse(left.stdout) as {calls: unknown[]}).calls).toEqual([])
    const events = (await runCli(['events', '--since', '10m', '--json'], env)).stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as {type: string; call_id?: string; data: Record<string, unknown>})
      .filter((e) => e.call_id && waiting.includes(e.call_id))
    expect(events.filter((e) => e.type === 'queue.system_ended').map((e) => e.data.reason)).toEqual(Array(4).fill('simulate-stopped'))
    expect(events.filter((e) => e.type === 'call.ended').map((e) => e.data.cause)).toEqual(Array(4).fill('system-ended'))
    expect(events.filter((e) => e.type === 'queue.abandoned')).toEqual([])
  })
})
