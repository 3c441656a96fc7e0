import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {isRunning} from '../../src/engine/sandbox/process.js'
import {rootIsComplete} from '../../src/engine/sandbox/root.js'
import {sandboxDown, sandboxStatus, sandboxUp} from '../../src/engine/sandbox/sandbox.js'
import {freeSipPort} from '../../src/engine/sandbox/sip-ports.js'
import {sipSpan} from '../../src/engine/sandbox/layout.js'
import {boxesOf, readSandboxState} from '../../src/engine/sandbox/state.js'
import {UserError} from '../../src/engine/util/errors.js'
import {createLogger} from '../../src/engine/util/log.js'
import {freePort} from '../../src/engine/util/net.js'
import {callctlPaths, type Paths} from '../../src/engine/util/paths.js'
import {runCli} from '../support/cli.js'
import {freePortPair} from '../support/port-pair.js'

// The sandbox's own commands around a running engine and other homes (misuse report 20,
// findings 2, 6, 7). Everything here runs from a private copy of the Asterisk root (hard
// links, no data copied): the suite's sandboxes run from the shared one, which a test
// must never rebuild or remove. A debootstrap that ran anyway would fail at once on an
// unreachable mirror instead of building for 100 s.

const log = createLogger({level: 'warn'})
let base: string
let root: string
const homes: Record<'a' | 'b', {dir: string; paths: Paths; env: Record<string, string>}> = {} as never
const sleepers: ChildProcess[] = []

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'callctl-sbroot-'))
  root = join(base, 'asterisk-root')
  const shared = inject('sandbox').root
  if (!rootIsComplete(shared)) throw new Error(`the shared Asterisk root ${shared} is not complete`)
  mkdirSync(root)
  // Everything but the instance directories of the sandboxes running from the shared root.
  for (const e of readdirSync(shared)) {
    if (e === 'srv') continue
    const cp = spawnSync('cp', ['-al', join(shared, e), join(root, e)], {encoding: 'utf8'})
    if (cp.status !== 0) throw new Error(`cp -al ${shared}/${e} failed: ${cp.stderr}`)
  }
  for (const k of ['a', 'b'] as const) {
    const dir = join(base, `home-${k}`)
    const env = {CALLCTL_HOME: dir, CALLCTL_ASTERISK_ROOT: root, CALLCTL_DEBIAN_MIRROR: 'http://127.0.0.1:1/debian', CALLCTL_ARI_URL: '', CALLCTL_ARI_PASSWORD: ''}
    homes[k] = {dir, paths: callctlPaths({...process.env, ...env}), env}
  }
}, 20_000)

afterAll(async () => {
  for (const s of sleepers) s.kill('SIGKILL')
  for (const k of ['a', 'b'] as const) if (homes[k]) await sandboxDown(homes[k].paths, {force: true}).catch(() => undefined)
  if (base) rmSync(base, {recursive: true, force: true})
})

/** A live process standing for an engine of home A (the lock needs a live pid). */
async function sleeper(): Promise<number> {
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {stdio: 'ignore'})
  sleepers.push(c)
  await new Promise((r) => c.once('spawn', r))
  return c.pid!
}

describe('sandbox ports across down and up, and the shared root under other homes (real Asterisk)', () => {
  it('down then up comes back as it was (ports, boxes, proxy); only an engine on its ports makes down refuse; the engine names the box holding its API port', async () => {
    const {env, paths} = homes.a
    const port = await freePortPair()
    const sip = await freeSipPort(sipSpan(2, true))
    const before = (await sandboxUp(paths, {port, sipPort: sip, boxes: 2, proxy: true, log})).state
    const {pid} = before
    expect(boxesOf(before).map((b) => b.httpPort)).toEqual([port, port + 10])

    // The engine's API port on box1's: the message says whose it is.
    const engine = await runCli(['engine', 'start'], {...env, CALLCTL_API_PORT: String(port)}, 20_000)
    expect(engine.code).toBe(2)
    expect(engine.stderr).toContain(`Error: The engine API port 127.0.0.1:${port} is in use by this home's sandbox box1 (Asterisk pid ${pid}, its ARI port)`)

    // An engine of this home on this sandbox's ARI: down refuses (exit 1), naming it.
    const enginePid = await sleeper()
    const lockFile = join(paths.home, 'engine-callctl.lock')
    writeFileSync(lockFile, JSON.stringify({pid: enginePid, app: 'callctl', startedAt: new Date().toISOString(), ari: [`http://127.0.0.1:${port}`]}))
    const refused = await sandboxDown(paths).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(UserError)
    expect((refused as UserError).exitCode).toBe(1)
    expect((refused as UserError).message).toContain(`an engine is connected to it (engine pid ${enginePid}`)

    expect((await sandboxDown(paths, {force: true})).how).toBe('stopped')
    expect(isRunning(pid)).toBe(false)

    // Brought back without ports: the ones it had, where the engine waits.
    const back = await runCli(['sandbox', 'up', '--json'], env)
    expect(back.code, back.stderr).toBe(0)
    const state = readSandboxState(paths)!
    expect(boxesOf(state).map((b) => [b.name, b.httpPort, b.sip.port])).toEqual(boxesOf(before).map((b) => [b.name, b.httpPort, b.sip.port]))
    expect(state.proxy?.port).toBe(before.proxy!.port)

    // An engine of this home waiting on another Asterisk is not connected to this one.
    writeFileSync(lockFile, JSON.stringify({pid: enginePid, app: 'callctl', startedAt: new Date().toISOString(), ari: ['http://127.0.0.1:1']}))
    expect((await sandboxDown(paths)).boxes.map((b) => b.how)).toEqual(['stopped', 'stopped'])
    expect(isRunning(state.pid)).toBe(false)
    rmSync(lockFile)
  }, 30_000)

  it("--rebuild refuses while another home's sandbox runs from the root, naming it (exit 2); down stops an Asterisk whose root was removed", async () => {
    const a = homes.a
    const b = homes.b
    // One box again (the home remembers the two of the test before).
    const up = await runCli(['sandbox', 'up', '--boxes', '1', '--no-proxy', '--port', String(await freePort()), '--sip-port', String(await freeSipPort(2))], a.env)
    expect(up.code, up.stderr).toBe(0)
    const state = readSandboxState(a.paths)!

    const rebuild = await runCli(['sandbox', 'up', '--rebuild', '--port', String(await freePort()), '--sip-port', String(await freeSipPort(2))], b.env)
    expect(rebuild.code).toBe(2)
    const lines = rebuild.stderr.trim().split('\n')
    expect(lines[0]).toBe(`Error: Refusing to rebuild the Asterisk root ${root}, in use by a process: Asterisk pid ${state.pid} (${state.instanceDir}, CALLCTL_HOME=${a.dir})`)
    expect(rebuild.stderr).toContain(`CALLCTL_HOME=${a.dir} callctl sandbox down`)
    // Nothing touched: A runs on from the root, B started nothing.
    expect(isRunning(state.pid)).toBe(true)
    expect(existsSync(join(root, state.instanceDir, 'etc/asterisk.conf'))).toBe(true)
    expect(readSandboxState(b.paths)).toBeUndefined()

    // What a rebuild did before: the root removed under a running Asterisk. Its home still
    // sees it running, and down stops it instead of saying it "had already stopped".
    rmSync(root, {recursive: true, force: true})
    expect(await sandboxStatus(a.paths)).toMatchObject({running: true, pid: state.pid})
    const down = await sandboxDown(a.paths, {force: true})
    expect([down.pid, down.how]).toEqual([state.pid, 'stopped'])
    expect(isRunning(state.pid)).toBe(false)
  }, 30_000)
})
