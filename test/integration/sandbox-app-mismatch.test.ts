// An engine on the sandbox serving another Stasis app than the one the sandbox's dialplan
// sends calls to (CALLCTL_ARI_APP) got no call and nobody said so; simulate then exited 0
// (misuse report 20, finding 8). Through the real binary, in a home whose sandbox is the
// suite's (its state copied, so the engine takes its ARI settings from the sandbox).
import {rmSync} from 'node:fs'
import {afterAll, describe, expect, it} from 'vitest'
import {freePort} from '../../src/engine/util/net.js'
import {exited, runCli, startEngineCli} from '../support/cli.js'
import {homeOnSuiteSandbox, stopEngineCli} from '../support/sandbox-home.js'

describe('an engine on the sandbox under another app', () => {
  const home = homeOnSuiteSandbox('callctl-appmismatch-')
  const app = `t${Math.random().toString(36).slice(2, 8)}`
  const env = {CALLCTL_HOME: home, CALLCTL_ARI_URL: undefined, CALLCTL_ARI_APP: undefined}
  let engine: Awaited<ReturnType<typeof startEngineCli>> | undefined

  afterAll(async () => {
    await stopEngineCli(engine)
    rmSync(home, {recursive: true, force: true})
  })

  const simulate = () => runCli(['simulate', '--callers', '2', '--rate', '10', '--agents', '0', '--queue', 'mm', '--patience', '1-1'], env)

  it('engine start says in one line that no call from the sandbox reaches it, with the fix', async () => {
    engine = await startEngineCli({...env, CALLCTL_ARI_APP: app, CALLCTL_API_PORT: String(await freePort())})
    const warned = engine.output().split('\n').filter((l) => l.includes(' warn '))
    expect(warned).toHaveLength(1)
    expect(warned[0]).toContain(`The sandbox sends calls to app "callctl" and this engine serves "${app}": no call from the sandbox reaches it. Try: Start the engine without CALLCTL_ARI_APP`)
    expect(warned[0]).toContain(`callctl sandbox up --app ${app}`)
  })

  it('simulate exits 1 when none of its callers reached an engine, naming the two apps', async () => {
    const r = await simulate()
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`None of the 2 simulated callers reached an engine: the sandbox sends calls to app "callctl", and the engine here serves "${app}" (pid ${engine!.child.pid})`)
    expect(r.stderr).toContain(`callctl sandbox up --app ${app}`)
    expect(r.stderr).not.toMatch(/callctl bug|at .*\.js:/)
  })

  it('simulate --no-wait says what it placed, not a table of outcomes it did not wait for (misuse report 20, finding 21)', async () => {
    const r = await runCli(['simulate', '--callers', '2', '--rate', '10', '--agents', '0', '--queue', 'mm', '--patience', '1-1', '--no-wait'], env)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Placed 2 simulated callers \(run [0-9a-f]{6}\) for queue mm; not waiting for them \(--no-wait\)\.\nFollow them with: callctl calls/)
    expect(r.stdout).not.toMatch(/connected|abandoned|average wait/)
  })

  it('with no engine at all, simulate exits 1 and says to start one', async () => {
    engine!.child.kill('SIGTERM')
    await exited(engine!.child)
    const r = await simulate()
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('None of the 2 simulated callers reached an engine: no engine runs in this callctl home')
    expect(r.stderr).toContain('Try: Start one: callctl engine start')
  })
})
