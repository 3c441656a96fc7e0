import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {acquireEngineLock, lockHolder} from '../../src/engine/engine-lock.js'
import {isOurAsterisk, processesInRoot} from '../../src/engine/sandbox/process.js'
import {refuseRebuildWhileInUse} from '../../src/engine/sandbox/root.js'
import {drivesAnyOf} from '../../src/engine/sandbox/sandbox.js'
import {clearSandboxState, lastLayoutFile, layoutToReuse, readLastLayout, writeLastLayout, writeSandboxState, type SandboxState} from '../../src/engine/sandbox/state.js'
import {UserError} from '../../src/engine/util/errors.js'
import {callctlPaths} from '../../src/engine/util/paths.js'

const dirs: string[] = []
const children: ChildProcess[] = []
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}
const home = () => callctlPaths({CALLCTL_HOME: tempDir('callctl-sbstate-')})
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true})
})

function state(httpPort: number, sipPort?: number): SandboxState {
  return {
    pid: 1,
    root: '/nowhere',
    instance: 'abc',
    instanceDir: '/srv/callctl/abc',
    httpPort,
    ariUrl: `http://127.0.0.1:${httpPort}`,
    ariUser: 'callctl',
    passwordFile: '/nowhere/pw',
    app: 'callctl',
    ...(sipPort ? {sip: {host: '127.0.0.1', port: sipPort, transports: ['udp', 'tcp'], carrier: {host: '127.0.0.1', port: sipPort + 1}, rtp: {start: 10000, end: 10999}}} : {}),
    startedAt: '2026-12-07T00:00:00Z',
  } as SandboxState
}

/** A live process whose working directory is `cwd`, until the test ends. */
async function sleeper(cwd: string): Promise<number> {
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {cwd, stdio: 'ignore'})
  children.push(c)
  await new Promise((r) => c.once('spawn', r))
  return c.pid!
}

describe('the ports and shape a sandbox comes back on', () => {
  it('are remembered apart from the running state: sandbox down clears the state, not them', () => {
    const paths = home()
    expect(readLastLayout(paths)).toBeUndefined()
    writeSandboxState(paths, state(28088, 25060))
    writeLastLayout(paths, {httpPort: 28088, sipPort: 25060, boxes: 2, proxy: true})
    clearSandboxState(paths)
    expect(readLastLayout(paths)).toEqual({httpPort: 28088, sipPort: 25060, boxes: 2, proxy: true})
  })

  it('a sandbox on record keeps its own, else the last ones, else none (the defaults)', () => {
    const last = {httpPort: 28088, sipPort: 25060, boxes: 2, proxy: true}
    expect(layoutToReuse(state(38088, 35060), last)).toEqual({httpPort: 38088, sipPort: 35060, boxes: 1, proxy: false})
    expect(layoutToReuse(undefined, last)).toEqual(last)
    // A state from before SIP: its HTTP port, the last SIP port.
    expect(layoutToReuse(state(38088), last)).toMatchObject({httpPort: 38088, sipPort: 25060})
    expect(layoutToReuse(undefined, undefined)).toEqual({})
  })

  it('a damaged or edited file is no ports at all, never a bad one; a bad shape is one box', () => {
    const paths = home()
    mkdirSync(paths.sandboxDir, {recursive: true})
    for (const body of ['{', '{"httpPort": 0, "sipPort": 5060}', '{"httpPort": "8088", "sipPort": 5060}', '{"httpPort": 70000, "sipPort": 5060}', 'null']) {
      writeFileSync(lastLayoutFile(paths), body)
      expect(readLastLayout(paths), body).toBeUndefined()
    }
    writeFileSync(lastLayoutFile(paths), '{"httpPort": 8088, "sipPort": 5060, "boxes": 9, "proxy": "yes"}')
    expect(readLastLayout(paths)).toEqual({httpPort: 8088, sipPort: 5060, boxes: 1, proxy: false})
  })
})

describe("an engine counts as connected to the sandbox only when it drives the sandbox's ARI", () => {
  it('compares host and port, loopback names as one', () => {
    expect(drivesAnyOf(['http://127.0.0.1:28088'], ['http://127.0.0.1:8088'])).toBe(false)
    expect(drivesAnyOf(['http://localhost:8088'], ['http://127.0.0.1:8088'])).toBe(true)
    expect(drivesAnyOf(['http://127.0.0.1:8088/'], ['http://127.0.0.1:8088', 'http://127.0.0.1:8098'])).toBe(true)
    expect(drivesAnyOf(['http://127.0.0.1:8098'], ['http://127.0.0.1:8088', 'http://127.0.0.1:8098'])).toBe(true)
    expect(drivesAnyOf(['http://10.0.0.5:8088'], ['http://127.0.0.1:8088'])).toBe(false)
    // An engine whose lock does not say (older, or the demo's before its sandbox is up): counted, as before.
    expect(drivesAnyOf(undefined, ['http://127.0.0.1:8088'])).toBe(true)
  })

  it("the engine's lock records the ARI URLs it drives", () => {
    const paths = home()
    const lock = acquireEngineLock(paths, 'callctl', process.pid, ['http://127.0.0.1:28088'])
    expect(lockHolder(paths, 'callctl')?.ari).toEqual(['http://127.0.0.1:28088'])
    lock.release()
    acquireEngineLock(paths, 'callctl').release()
    const again = acquireEngineLock(paths, 'callctl')
    expect(lockHolder(paths, 'callctl')?.ari).toBeUndefined()
    again.release()
  })
})

describe('processes running from an Asterisk root', () => {
  it('are found by their working directory inside it, the ones asked to be left out are not', async () => {
    const root = tempDir('callctl-root-')
    mkdirSync(join(root, 'srv/callctl/x'), {recursive: true})
    const outside = tempDir('callctl-outside-')
    const a = await sleeper(root)
    const b = await sleeper(join(root, 'srv/callctl/x'))
    await sleeper(outside)
    expect(processesInRoot(root).map((p) => p.pid).sort()).toEqual([a, b].sort())
    expect(processesInRoot(root, [b]).map((p) => p.pid)).toEqual([a])
    // A root with a longer name beside it is another root.
    expect(processesInRoot(root + '-other')).toEqual([])
  })

  it('--rebuild refuses while one runs, naming it, exit 2; with none it lets the build go on', async () => {
    const root = tempDir('callctl-root-')
    expect(() => refuseRebuildWhileInUse(root)).not.toThrow()
    const pid = await sleeper(root)
    let err: unknown
    try {
      refuseRebuildWhileInUse(root)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).exitCode).toBe(2)
    expect((err as UserError).message).toContain(`Refusing to rebuild the Asterisk root ${root}, in use by a process: pid ${pid}`)
    expect(() => refuseRebuildWhileInUse(root, [pid])).not.toThrow()
  })

  it('a process that is not an Asterisk in that root is not "our Asterisk"', async () => {
    const root = tempDir('callctl-root-')
    const pid = await sleeper(root)
    expect(isOurAsterisk(pid, root)).toBe(false)
    expect(isOurAsterisk(process.pid, '/')).toBe(false)
  })
})
