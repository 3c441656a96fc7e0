import {spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {AriHttp} from '../ari/index.js'
import {UserError} from '../util/errors.js'
import type {Logger} from '../util/log.js'
import type {Paths} from '../util/paths.js'
import {ensureSecret} from '../util/secrets.js'
import {lockHolder} from '../engine-lock.js'
import {holdMusicWav} from './moh.js'
import {isOurAsterisk, isRunning, stopProcess} from './process.js'
import {ensureAsteriskRoot, requireRoot, rootIsComplete} from './root.js'
import {DEFAULT_SIP_PORT, freeSipPort, rtpRange, sipPortFree} from './sip-ports.js'
import {clearSandboxState, readSandboxState, writeSandboxState, type SandboxSip, type SandboxState} from './state.js'

export const DEFAULT_HTTP_PORT = 8088
export const ARI_USER = 'callctl'

/** The Asterisk config templates kept in the repo (asterisk/conf). */
export function templateDir(): string {
  return fileURLToPath(new URL('../../../asterisk/conf/', import.meta.url))
}

export interface UpOptions {
  port?: number
  /** SIP port on 127.0.0.1, UDP and TCP (default 5060 with the default HTTP port, else a free one); the carrier is the next port. */
  sipPort?: number
  rebuild?: boolean
  app?: string
  /** Channel Event Logging on (asterisk/conf/cel.conf): off unless asked, it costs per event. bench:load asks. */
  cel?: boolean
  /** Restart a running sandbox (new port, --rebuild) even while an engine is connected to it. */
  force?: boolean
  log: Logger
}

export interface UpResult {
  state: SandboxState
  alreadyRunning: boolean
  rootBuilt: boolean
  rootBuildSeconds: number
  startSeconds: number
}

export async function sandboxUp(paths: Paths, opts: UpOptions): Promise<UpResult> {
  requireRoot('start Asterisk')
  const existing = readSandboxState(paths)
  if (existing && isRunning(existing.pid) && isOurAsterisk(existing.pid, existing.root)) {
    if (!opts.rebuild && (opts.port === undefined || opts.port === existing.httpPort) && (opts.sipPort === undefined || opts.sipPort === existing.sip?.port)) {
      return {state: existing, alreadyRunning: true, rootBuilt: false, rootBuildSeconds: 0, startSeconds: 0}
    }
    // Everything that can refuse comes before the running sandbox is stopped: a taken
    // port used to be found only after it, leaving no sandbox at all.
    if (opts.port !== undefined && opts.port !== existing.httpPort) await assertPortFree(opts.port, 0)
    if (!opts.force) await refuseWhileEngineConnected(paths, existing, opts.rebuild ? 'rebuild and restart' : `move to port ${opts.port}`)
    await stopProcess(existing.pid)
  }
  const root = paths.asteriskRoot
  const {built, seconds} = await ensureAsteriskRoot(root, {rebuild: opts.rebuild, log: opts.log})
  const port = opts.port ?? DEFAULT_HTTP_PORT
  await assertPortFree(port)

  const sipPort = opts.sipPort ?? (await defaultSipPort(port, existing?.sip?.port))
  await assertSipPortsFree(sipPort)

  const instance = createHash('sha1').update(paths.home).digest('hex').slice(0, 10)
  const instanceDir = `/srv/callctl/${instance}`
  const rtp = rtpRange(root, instanceDir)
  const sip: SandboxSip = {host: '127.0.0.1', port: sipPort, transports: ['udp', 'tcp'], carrier: {host: '127.0.0.1', port: sipPort + 1}, rtp}
  const hostDir = join(root, instanceDir)
  for (const d of ['etc', 'run', 'spool/recording', 'spool/monitor', 'log', 'log/cdr-csv', 'lib', 'cache', 'moh']) mkdirSync(join(hostDir, d), {recursive: true})
  // Recordings are private: Asterisk writes them 0644 while recording, the directory keeps others out.
  chmodSync(join(hostDir, 'spool/recording'), 0o750)
  const password = ensureSecret(paths.ariPasswordFile)
  const app = opts.app ?? 'callctl'
  writeConfig(join(hostDir, 'etc'), {
    HTTP_PORT: String(port),
    ARI_USER,
    ARI_PASSWORD: password,
    APP: app,
    INSTANCE_DIR: instanceDir,
    CEL: opts.cel ? 'yes' : 'no',
    SIP_PORT: String(sip.port),
    CARRIER_HOST: sip.carrier.host,
    CARRIER_PORT: String(sip.carrier.port),
    RTP_START: String(rtp.start),
    RTP_END: String(rtp.end),
  })
  writeFileSync(join(hostDir, 'moh', 'callctl-hold.wav'), holdMusicWav())

  mkdirSync(paths.sandboxDir, {recursive: true})
  const outFile = join(paths.sandboxDir, 'asterisk.out')
  const out = openSync(outFile, 'w')
  const started = Date.now()
  const child = spawn('chroot', [root, '/usr/sbin/asterisk', '-f', '-n', '-C', `${instanceDir}/etc/asterisk.conf`], {
    detached: true,
    stdio: ['ignore', out, out],
  })
  closeSync(out)
  child.unref()
  const pid = child.pid
  if (!pid) throw new Error('chroot did not start')
  const ariUrl = `http://127.0.0.1:${port}`
  await waitForAri(new AriHttp({url: ariUrl, user: ARI_USER, password}), pid, outFile)
  const state: SandboxState = {
    pid,
    root,
    instance,
    instanceDir,
    httpPort: port,
    ariUrl,
    ariUser: ARI_USER,
    passwordFile: paths.ariPasswordFile,
    app,
    sip,
    startedAt: new Date().toISOString(),
  }
  writeSandboxState(paths, state)
  return {state, alreadyRunning: false, rootBuilt: built, rootBuildSeconds: seconds, startSeconds: (Date.now() - started) / 1000}
}

function writeConfig(etcDir: string, vars: Record<string, string>): void {
  const dir = templateDir()
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.conf')) continue
    const text = readFileSync(join(dir, name), 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (_, k: string) => {
      const v = vars[k]
      if (v === undefined) throw new Error(`template ${name} uses unknown variable ${k}`)
      return v
    })
    const target = join(etcDir, name)
    writeFileSync(target, text, {mode: 0o600})
    chmodSync(target, 0o600)
  }
}

/**
 * The port must be free. Right after an Asterisk crash its old connections can hold the
 * port for a few seconds (until clients close their keep-alive sockets), so a busy port
 * is retried for a while before it is reported.
 */
async function assertPortFree(port: number, waitMs = 10_000): Promise<void> {
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      return await tryListen(port)
    } catch (err) {
      if ((err as {code?: string}).code !== 'port_in_use' || Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

/**
 * Without --sip-port: the port this home's sandbox had before (registered phones keep
 * working across a restart), else 5060 beside the default HTTP port, else a free one
 * (a test run beside a demo). `sandbox status` and the demo print which.
 */
async function defaultSipPort(httpPort: number, before: number | undefined): Promise<number> {
  if (before !== undefined && (await sipPortFree(before)) && (await sipPortFree(before + 1))) return before
  if (httpPort === DEFAULT_HTTP_PORT && (await sipPortFree(DEFAULT_SIP_PORT)) && (await sipPortFree(DEFAULT_SIP_PORT + 1))) return DEFAULT_SIP_PORT
  return freeSipPort()
}

/** SIP listens on UDP and TCP, and the carrier (SIPp in tests, a second box in production) on the next port. */
async function assertSipPortsFree(port: number): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    if (await sipPortFree(port)) return
    if (Date.now() > deadline) {
      throw new UserError(`SIP port ${port} on 127.0.0.1 is already in use (UDP or TCP)`, {
        suggestion: `Stop the program using it, or pick another: callctl sandbox up --sip-port ${port === DEFAULT_SIP_PORT ? 5070 : DEFAULT_SIP_PORT}`,
        exitCode: 2,
        code: 'port_in_use',
      })
    }
    await new Promise((r) => setTimeout(r, 250))
  }
}

async function tryListen(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer()
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new UserError(`Port ${port} on 127.0.0.1 is already in use, so Asterisk's HTTP server cannot bind it`, {
            suggestion: `Stop the program using it, or pick another port: callctl sandbox up --port ${port + 10000 > 65535 ? port - 1 : port + 10000}`,
            exitCode: 2,
            code: 'port_in_use',
          }),
        )
      } else reject(err)
    })
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()))
  })
}

async function waitForAri(rest: AriHttp, pid: number, outFile: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!isRunning(pid)) {
      const tail = readFileSync(outFile, 'utf8').trim().split('\n').slice(-5).join(' | ')
      throw new UserError(`Asterisk exited during startup: ${tail}`, {suggestion: `See ${outFile} and the instance's log directory.`, exitCode: 2})
    }
    try {
      await rest.asteriskInfo()
      return
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  await stopProcess(pid)
  throw new UserError(`Asterisk did not answer on ARI within ${timeoutMs / 1000} s`, {suggestion: `See ${outFile}.`, exitCode: 2})
}

export interface DownResult {
  stopped: boolean
  pid: number | null
  how: 'stopped' | 'killed' | 'gone' | 'not-running'
}

/** Stops the sandbox; refuses while an engine is connected to it unless `force` (the demo and the tests stopping their own). */
export async function sandboxDown(paths: Paths, opts: {force?: boolean} = {}): Promise<DownResult> {
  const state = readSandboxState(paths)
  if (!state) return {stopped: false, pid: null, how: 'not-running'}
  let how: DownResult['how'] = 'gone'
  if (isRunning(state.pid) && isOurAsterisk(state.pid, state.root)) {
    if (!opts.force) await refuseWhileEngineConnected(paths, state, 'stop')
    how = await stopProcess(state.pid)
  }
  clearSandboxState(paths)
  return {stopped: how === 'stopped' || how === 'killed', pid: state.pid, how}
}

/**
 * An engine connected to the sandbox would lose every call it holds: refuse, naming it.
 * Two signs, either enough: this home's engine lock is held by a live process, or
 * Asterisk has an ARI event socket open (an engine of another home, or a test's).
 * Asterisk's own console says which sockets are up; the list of Stasis apps does not
 * do, since an app outlives its engine while calls stay in it.
 */
async function refuseWhileEngineConnected(paths: Paths, state: SandboxState, what: string): Promise<void> {
  const local = lockHolder(paths, state.app)
  const apps = eventSocketApps(state)
  if (!local && apps.length === 0) return
  const who = [local ? `engine pid ${local.pid} (app "${state.app}")` : null, apps.length ? `ARI event socket${apps.length > 1 ? 's' : ''} open for ${apps.map((a) => `"${a}"`).join(', ')}` : null].filter(Boolean).join('; ')
  throw new UserError(`Refusing to ${what} the sandbox Asterisk (pid ${state.pid}, port ${state.httpPort}): an engine is connected to it (${who}) and would lose its calls`, {
    suggestion: 'Stop the engine first, or add --force to do it anyway.',
    exitCode: 1,
    code: 'engine_connected',
  })
}

/** The apps of the ARI event sockets open on the sandbox (`ari show websocket sessions`). */
function eventSocketApps(state: SandboxState): string[] {
  const r = spawnSync('chroot', [state.root, '/usr/sbin/asterisk', '-C', `${state.instanceDir}/etc/asterisk.conf`, '-rx', 'ari show websocket sessions'], {encoding: 'utf8', timeout: 5_000})
  if (r.status !== 0 || typeof r.stdout !== 'string') return []
  const apps: string[] = []
  // Connection ID  Type  RemoteAddr  State  Apps
  for (const line of r.stdout.split('\n')) {
    const cols = line.trim().split(/\s+/)
    if (cols.length >= 5 && cols[3] === 'Up') apps.push(...cols.slice(4).join(' ').split(',').filter(Boolean))
  }
  return [...new Set(apps)]
}

export interface StatusResult {
  running: boolean
  pid: number | null
  ariUrl: string | null
  ariUser: string | null
  passwordFile: string | null
  app: string | null
  root: string
  rootReady: boolean
  instanceDir: string | null
  asteriskVersion: string | null
  startedAt: string | null
  channels: number | null
  /** Where phones register and the carrier sends calls; null before a sandbox has run with SIP. */
  sip: SandboxSip | null
}

export async function sandboxStatus(paths: Paths): Promise<StatusResult> {
  const state = readSandboxState(paths)
  const running = !!state && isRunning(state.pid) && isOurAsterisk(state.pid, state.root)
  let version: string | null = null
  let channels: number | null = null
  if (state && running) {
    try {
      const rest = new AriHttp({url: state.ariUrl, user: state.ariUser, password: readFileSync(state.passwordFile, 'utf8').trim()})
      version = (await rest.asteriskInfo()).system?.version ?? null
      channels = (await rest.listChannels()).length
    } catch {
      // running but not answering yet: leave the details empty
    }
  }
  return {
    running,
    pid: running ? state!.pid : null,
    ariUrl: state?.ariUrl ?? null,
    ariUser: state?.ariUser ?? null,
    passwordFile: state?.passwordFile ?? null,
    app: state?.app ?? null,
    root: paths.asteriskRoot,
    rootReady: rootIsComplete(paths.asteriskRoot),
    instanceDir: state?.instanceDir ?? null,
    asteriskVersion: version,
    startedAt: state?.startedAt ?? null,
    channels,
    sip: state?.sip ?? null,
  }
}

/** Asterisk's own log file for this instance. */
export function sandboxLogFile(paths: Paths): string {
  const state = readSandboxState(paths)
  if (!state) throw new UserError('No sandbox has been started from this CALLCTL_HOME', {suggestion: 'Run: callctl sandbox up', exitCode: 1})
  return join(state.root, state.instanceDir, 'log', 'messages.log')
}

export function tailLines(file: string, n: number): string[] {
  if (!existsSync(file)) return []
  const size = statSync(file).size
  const want = Math.min(size, Math.max(4096, n * 400))
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(want)
    readSync(fd, buf, 0, want, size - want)
    const lines = buf.toString('utf8').split('\n')
    if (lines.at(-1) === '') lines.pop()
    return lines.slice(-n)
  } finally {
    closeSync(fd)
  }
}
