// The agents `callctl simulate` logs in are logged out again when its run is over (misuse
// report 20, small things): left logged in, a simulated phone, which answers by itself, took
// the next real caller of the queue. Agents logged in before the run stay; with --no-wait the
// agents stay to take its callers and the output says how to log them out. Through the real
// binary, on an engine serving the sandbox's app, in a home whose sandbox is the suite's.
import {rmSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {freePort} from '../../src/engine/util/net.js'
import {runCli, startEngineCli} from '../support/cli.js'
import {homeOnSuiteSandbox, stopEngineCli} from '../support/sandbox-home.js'
import {until} from '../support/wait.js'

describe('simulate leaves the agents as it found them', () => {
  const home = homeOnSuiteSandbox('callctl-simagents-')
  let env: Record<string, string | undefined> = {}
  let engine: Awaited<ReturnType<typeof startEngineCli>> | undefined

  /** Each agent: logged in (idle, ringing, on a call, in wrap-up...) or offline. */
  const presence = async (): Promise<Record<string, string>> => {
    const r = await runCli(['agent', 'list', '--json'], env)
    expect(r.code, r.stderr).toBe(0)
    return Object.fromEntries((JSON.parse(r.stdout) as {agents: {id: string; state: string}[]}).agents.map((a) => [a.id, a.state === 'offline' ? 'offline' : 'in']))
  }
  const simulate = async (extra: string[]) => {
    const r = await runCli(['simulate', '--callers', '1', '--agents', '2', '--agent-prefix', 'sa', '--queue', 'simag', '--talk', '1-1', '--patience', '30-30', ...extra], env)
    expect(r.code, r.stderr).toBe(0)
    return r
  }

  beforeAll(async () => {
    env = {CALLCTL_HOME: home, CALLCTL_ARI_URL: undefined, CALLCTL_ARI_APP: undefined, CALLCTL_API_PORT: String(await freePort()), CALLCTL_CHAT_PORT: '0'}
    engine = await startEngineCli(env)
  }, 60_000)

  afterAll(async () => {
    await stopEngineCli(engine)
    rmSync(home, {recursive: true, force: true})
  })

  it('a finished run logs out the agents it logged in', async () => {
    const r = JSON.parse((await simulate(['--json'])).stdout) as {connected: number; logged_out: string[]; left_logged_in: string[]}
    expect(r.connected).toBe(1)
    expect(r.logged_out).toEqual(['sa01', 'sa02'])
    expect(r.left_logged_in).toEqual([])
    // The agent that took the call is offline once its wrap-up (the queue's 5 s) is over.
    await until('both simulated agents offline', async () => {
      const p = await presence()
      return p.sa01 === 'offline' && p.sa02 === 'offline'
    }, 20_000)
  }, 60_000)

  it('an agent logged in before the run stays logged in after it', async () => {
    expect((await runCli(['agent', 'login', 'sa01'], env)).code).toBe(0)
    const r = JSON.parse((await simulate(['--json'])).stdout) as {logged_out: string[]}
    expect(r.logged_out).toEqual(['sa02'])
    await until('sa02 offline once any wrap-up is over', async () => (await presence()).sa02 === 'offline', 20_000)
    expect(await presence()).toMatchObject({sa01: 'in', sa02: 'offline'})
    expect((await runCli(['agent', 'logout', 'sa01'], env)).code).toBe(0)
  }, 60_000)

  it('--no-wait leaves them to take its callers and says how to log them out', async () => {
    const r = await simulate(['--no-wait'])
    expect(r.stdout).toContain('Its simulated agents stay logged in to take them, and would answer real callers of simag too: log them out when done (callctl agent logout sa01 (and the other 1: sa02)).')
    expect(await presence()).toMatchObject({sa01: 'in', sa02: 'in'})
    // Its caller ends before the engine stops (a one-second talk).
    await until('the --no-wait caller done', async () => {
      const c = await runCli(['calls', '--queue', 'simag', '--json'], env)
      return c.code === 0 && (JSON.parse(c.stdout) as {calls: unknown[]}).calls.length === 0
    })
  }, 60_000)
})
