import {execFile, type ChildProcess} from 'node:child_process'
import {until} from '../support/wait.js'
import {freePort} from '../../src/engine/util/net.js'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {AriHttp} from '../../src/engine/ari/index.js'
import {originateSimCaller, simAgentEndpoint} from '../../src/engine/sim/simulator.js'
import {BIN, runCli, startCli} from '../support/cli.js'
import {cliEngineEnv, sandboxCreds} from '../support/harness.js'

const exec = promisify(execFile)



function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

interface AgentJson {
  id: string
  presence: string
  pauseReason: string | null
}

// The real binary in a real terminal: `callctl dashboard` in tmux against an engine
// started with `callctl engine start` on the sandbox, with simulated agents and callers.
describe('callctl dashboard in a terminal (tmux)', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-dash-'))
  const app = `d${Math.random().toString(36).slice(2, 8)}`
  // A tmux server of this test's own, so nobody else's sessions are touched.
  const socket = `callctl-test-${app}`
  const tmux = (...args: string[]) => exec('tmux', ['-L', socket, ...args])
  const screen = async () => (await tmux('capture-pane', '-p', '-t', 'dash')).stdout
  const keys = (...k: string[]) => tmux('send-keys', '-t', 'dash', ...k)
  let env: Record<string, string>
  let engine: ReturnType<typeof startCli>
  let rest: AriHttp
  const channels: string[] = []
  const waiting = ['+15557100001', '+15557100002']
  const talking = ['+15557100011', '+15557100012']

  const startEngine = async (port: string) => {
    engine = startCli(['engine', 'start'], env)
    await until('the engine API to listen', () => {
      if (engine.child.exitCode !== null) throw new Error(`the engine exited: ${engine.output()}`)
      return engine.output().includes(`engine API listening on ws://127.0.0.1:${port}/`)
    })
  }
  const agents = async () => {
    const r = await runCli(['agent', 'list', '--json'], env)
    expect(r.code, r.stderr).toBe(0)
    return (JSON.parse(r.stdout) as {agents: AgentJson[]}).agents
  }

  beforeAll(async () => {
    const port = String(await freePort())
    const creds = sandboxCreds()
    env = cliEngineEnv({home, app, apiPort: port})
    rest = new AriHttp(creds)
    const phone = (id: string) => simAgentEndpoint({id, ring: 0, talk: {min: 90, max: 90}})
    for (const args of [
      ['queue', 'add', 'support', '--wrap-up', '0', '--ring-timeout', '10', '--no-record'],
      ['queue', 'add', 'quiet', '--no-record'],
      // Two agents who keep their callers for 90 s, so two more callers wait in line.
      ['agent', 'add', 'dash-a1', '--name', 'Li Na', '--endpoint', phone('dash-a1'), '--queue', 'support'],
      ['agent', 'add', 'dash-a2', '--name', 'Wang Fang', '--endpoint', phone('dash-a2'), '--queue', 'support'],
      // Idle in a queue nobody calls: the one the supervisor pauses.
      ['agent', 'add', 'dash-a3', '--name', 'Zhang Wei', '--endpoint', phone('dash-a3'), '--queue', 'quiet'],
      ['agent', 'login', 'dash-a1'],
      ['agent', 'login', 'dash-a2'],
      ['agent', 'login', 'dash-a3'],
    ]) {
      const r = await runCli(args, env)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }
    await startEngine(port)
    for (const number of [...talking, ...waiting]) {
      const id = await originateSimCaller(rest, {number, name: `Caller ${number.slice(-2)}`, did: 'support', patience: 120, app, channelId: `sim-${app}-${number.slice(1)}`})
      channels.push(id)
      // In this order: the first two reach the agents, the last two wait.
      await new Promise((r) => setTimeout(r, 700))
    }
    const assignments = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`)
    // CI=true as on a CI runner: the dashboard must draw live anyway.
    const command = ['env', 'CI=true', ...assignments, shellQuote(process.execPath), shellQuote(BIN), 'dashboard'].join(' ')
    await tmux('new-session', '-d', '-s', 'dash', '-x', '150', '-y', '40', command)
  })

  afterAll(async () => {
    await tmux('kill-server').catch(() => undefined)
    for (const id of channels) await rest.hangup(id).catch(() => undefined)
    if (engine?.child.exitCode === null) {
      engine.child.kill('SIGTERM')
      await exited(engine.child)
    }
    rmSync(home, {recursive: true, force: true})
  })

  it('shows the simulated agents on their calls and the callers waiting in line', async () => {
    const s = await until('the agents on calls and two callers waiting', async () => {
      const s = await screen()
      return /^dash-a1 .*on-call/m.test(s) && /^dash-a2 .*on-call/m.test(s) && waiting.every((n) => new RegExp(`^\\${n} .*support .*waiting`, 'm').test(s)) ? s : undefined
    })
    expect(s).toMatch(/ live /)
    expect(s).toMatch(/^Agents 3 logged in: 1 idle · 0 ringing · 2 on-call · 0 wrap-up · 0 paused/m)
    expect(s).toMatch(/^Waiting 2 /m)
    expect(s).toMatch(/^support\s+2\s+0:\d\d\s+0\s+2\s+0\s+4\s+2\s+0 /m)
    expect(s).toMatch(/^dash-a3\s+Zhang Wei\s+idle /m)
    // The agents' current callers, with the numbers that called.
    const onCall = s.split('\n').filter((l) => /^dash-a[12] /.test(l)).join('\n')
    for (const n of talking) expect(onCall).toContain(n)
    for (const n of talking) expect(s).toMatch(new RegExp(`^\\${n} .*support\\s+dash-a[12]\\s+connected`, 'm'))
  })

  it('p pauses the selected agent in the engine; p again unpauses it', async () => {
    await keys('Tab') // the agents pane; dash-a1 is selected
    await keys('Down')
    await keys('Down') // dash-a3
    await keys('p')
    const paused = await until('dash-a3 paused in the store', async () => (await agents()).find((a) => a.id === 'dash-a3' && a.presence === 'paused'))
    expect(paused.pauseReason).toBe('supervisor')
    // The engine itself has it: its snapshot (dashboard --once) shows the agent paused.
    await until('the engine to show dash-a3 paused', async () => {
      const r = await runCli(['dashboard', '--once', '--json'], env)
      return (JSON.parse(r.stdout) as {agents: {id: string; state: string; pauseReason: string | null}[]}).agents.some((a) => a.id === 'dash-a3' && a.state === 'paused' && a.pauseReason === 'supervisor')
    })
    const s = await until('the screen to show dash-a3 paused', async () => {
      const s = await screen()
      return /^dash-a3\s+Zhang Wei\s+paused\s+0:\d\d\s+0\s+supervisor/m.test(s) ? s : undefined
    })
    expect(s).toContain('Agent dash-a3 is paused (supervisor); queues: quiet.')
    await keys('p')
    await until('dash-a3 available again', async () => (await agents()).find((a) => a.id === 'dash-a3' && a.presence === 'available'))
    await until('the screen to show dash-a3 idle', async () => /^dash-a3\s+Zhang Wei\s+idle /m.test(await screen()))
  })

  it('dashboard --once prints the same panes as plain text for scripts', async () => {
    const r = await runCli(['dashboard', '--once'], env)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toContain('\u001b')
    expect(r.stdout).toMatch(/^waiting\s+2 \(longest 0:\d\d\)$/m)
    expect(r.stdout).toMatch(/^dash-a1\s+Li Na\s+on-call\s/m)
    for (const n of waiting) expect(r.stdout).toMatch(new RegExp(`^\\${n}\\s+Caller \\d\\d\\s+-\\s+support\\s+-\\s+waiting`, 'm'))
  })

  it('says when the engine is unreachable and reconnects by itself when it is back', async () => {
    engine.child.kill('SIGTERM')
    expect(await exited(engine.child)).toBe(0)
    const s = await until('the unreachable banner', async () => {
      const s = await screen()
      return s.includes('ENGINE UNREACHABLE') ? s : undefined
    })
    expect(s).toMatch(new RegExp(`Cannot reach the engine at ws://127\\.0\\.0\\.1:${env.CALLCTL_API_PORT}/ \\(ECONNREFUSED\\)|the engine closed the connection`))
    expect(s).toContain('not live')
    // The last data stays on screen meanwhile.
    expect(s).toMatch(/^dash-a1 /m)
    await startEngine(env.CALLCTL_API_PORT!)
    await until('the dashboard to be live again', async () => {
      const s = await screen()
      return !s.includes('ENGINE UNREACHABLE') && / live /.test(s) ? s : undefined
    })
  })

  it('q quits and gives the terminal back', async () => {
    await keys('q')
    await until('the dashboard to exit', async () => {
      const r = await tmux('list-sessions').catch(() => ({stdout: ''}))
      return !r.stdout.includes('dash:')
    })
  })
})
