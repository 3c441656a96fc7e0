import {createHash} from 'node:crypto'
import {closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {AriHttp} from '../ari/index.js'
import {UserError} from '../util/errors.js'
import type {Logger} from '../util/log.js'
import type {Paths} from '../util/paths.js'
import {ensureSecret} from '../util/secrets.js'
import {lockHolder} from '../engine-lock.js'
import {boxInstanceDir, boxOutFile, eventSocketApps, interboxIdentify, spawnBox, waitForAri, writeBoxConfig} from './box.js'
import {boundPorts, BOX_HTTP_STRIDE, boxHttpPorts, ENGINE_DEFAULT_PORTS, MAX_BOXES, sandboxLayout, sipSpan, type SandboxLayout} from './layout.js'
import {isOurAsterisk, isRunning, stopProcess} from './process.js'
import {dispatcherStates, isOurKamailio, proxyConfigFile, proxyLogFile, requireKamailio, SANDBOX_REGISTRATION_S, startProxy, stopProxy, writeProxyConfig, type ProxyBoxState, type ProxySpec} from './proxy.js'
import {ensureAsteriskRoot, refuseRebuildWhileInUse, requireRoot, rootIsComplete} from './root.js'
import {DEFAULT_SIP_PORT, freeSipPort, rtpRange, sipPortFree, sipPortsFree} from './sip-ports.js'
import {boxesOf, clearSandboxState, layoutToReuse, readLastLayout, readSandboxState, writeLastLayout, writeSandboxState, type SandboxBox, type SandboxProxy, type SandboxSip, type SandboxState} from './state.js'

export {templateDir} from './box.js'

export const DEFAULT_HTTP_PORT = 8088
export const ARI_USER = 'callctl'
const HOST = '127.0.0.1'

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
  /** How many Asterisk boxes, 1 to 4 (default: as many as the sandbox has, else 1). Ports: layout.ts. */
  boxes?: number
  /** Kamailio in front of the boxes (default: as the sandbox has, else none). */
  proxy?: boolean
  log: Logger
}

export interface UpResult {
  state: SandboxState
  alreadyRunning: boolean
  rootBuilt: boolean
  rootBuildSeconds: number
  startSeconds: number
  /** Parts of a running sandbox that had died (kill-box, a crash) and were started again: box names, "proxy". */
  restarted: string[]
}

export async function sandboxUp(paths: Paths, opts: UpOptions): Promise<UpResult> {
  requireRoot('start Asterisk')
  if (opts.boxes !== undefined) checkBoxCount(opts.boxes)
  const existing = readSandboxState(paths)
  const reuse = layoutToReuse(existing, readLastLayout(paths))
  const boxes = opts.boxes ?? reuse.boxes ?? 1
  const proxy = opts.proxy ?? reuse.proxy ?? false
  // Before anything is stopped: a missing Kamailio must not leave no sandbox at all.
  if (proxy) requireKamailio()
  const ownPids = existing ? [...boxesOf(existing).map((b) => b.pid), ...(existing.proxy ? [existing.proxy.pid] : [])] : []
  if (opts.rebuild) refuseRebuildWhileInUse(paths.asteriskRoot, ownPids)
  if (existing && partsRunning(existing).length > 0) {
    const sameLayout = boxes === boxesOf(existing).length && proxy === !!existing.proxy
    if (!opts.rebuild && sameLayout && (opts.port === undefined || opts.port === existing.httpPort) && (opts.sipPort === undefined || opts.sipPort === existing.sip?.port)) {
      // Running as asked, but for a box or the proxy that died (kill-box, a crash): start those.
      const started = Date.now()
      const restarted = await startMissing(paths, existing)
      return {state: readSandboxState(paths)!, alreadyRunning: restarted.length === 0, rootBuilt: false, rootBuildSeconds: 0, startSeconds: restarted.length ? (Date.now() - started) / 1000 : 0, restarted}
    }
    // Everything that can refuse comes before the running sandbox is stopped: a taken
    // port used to be found only after it, leaving no sandbox at all.
    if (opts.port !== undefined && opts.port !== existing.httpPort) await assertPortFree(opts.port, 0)
    const what = opts.rebuild ? 'rebuild and restart' : opts.port !== undefined && opts.port !== existing.httpPort ? `move to port ${opts.port}` : 'restart'
    if (!opts.force) await refuseWhileEngineConnected(paths, existing, what)
    await stopAll(existing)
  }
  const root = paths.asteriskRoot
  const {built, seconds} = await ensureAsteriskRoot(root, {rebuild: opts.rebuild, log: opts.log})
  const port = opts.port ?? reuse.httpPort ?? DEFAULT_HTTP_PORT
  const avoid = avoidedPorts()
  const httpPorts = boxHttpPorts(port, boxes, avoid)
  if (httpPorts.at(-1)! > 65535) {
    throw new UserError(`${boxes} boxes from HTTP port ${port} go past 65535 (each box's port is ${BOX_HTTP_STRIDE} further)`, {suggestion: 'Pick a lower one: callctl sandbox up --port 18088', exitCode: 2, code: 'invalid_port'})
  }
  for (const p of httpPorts) await assertPortFree(p)

  const sipPort = opts.sipPort ?? (await defaultSipPort(port, reuse.sipPort, sipSpan(boxes, proxy)))
  const layout = sandboxLayout({httpPort: port, sipPort, boxes, proxy, avoid})
  await assertSipPortsFree(boundPorts(layout).sip)

  const instance = createHash('sha1').update(paths.home).digest('hex').slice(0, 10)
  const password = ensureSecret(paths.ariPasswordFile)
  const app = opts.app ?? 'callctl'
  const planned = planBoxes(root, instance, layout)
  for (const b of planned) {
    const others = planned.filter((o) => o !== b).map((o) => ({host: HOST, port: o.sip.port}))
    writeBoxConfig(root, b.instanceDir, {
      HTTP_PORT: String(b.httpPort),
      ARI_USER,
      ARI_PASSWORD: password,
      APP: app,
      INSTANCE_DIR: b.instanceDir,
      CEL: opts.cel ? 'yes' : 'no',
      SIP_PORT: String(b.sip.port),
      // Behind the proxy the carrier's calls come from its carrier-side socket, and calls
      // out go there; the carrier calling a box directly still works.
      CARRIER_CONTACT: layout.proxy ? `${HOST}:${layout.proxy.carrierSidePort}` : `${b.sip.carrier.host}:${b.sip.carrier.port}`,
      CARRIER_MATCH: [`${b.sip.carrier.host}:${b.sip.carrier.port}`, ...(layout.proxy ? [`${HOST}:${layout.proxy.carrierSidePort}`] : [])].join(','),
      INTERBOX_IDENTIFY: interboxIdentify(others),
      RTP_START: String(b.sip.rtp.start),
      RTP_END: String(b.sip.rtp.end),
      // Channel ids stay as they were with one box; with several each starts with its box's name.
      SYSTEM_NAME: boxes > 1 || proxy ? b.name : '',
    })
  }

  mkdirSync(paths.sandboxDir, {recursive: true})
  const started = Date.now()
  const running: SandboxBox[] = []
  try {
    await Promise.all(
      planned.map(async (b) => {
        const outFile = boxOutFile(paths, b.name)
        const pid = spawnBox(root, b.instanceDir, outFile)
        running.push({...b, pid, startedAt: ''})
        await waitForAri(new AriHttp({url: b.ariUrl, user: ARI_USER, password}), pid, outFile)
      }),
    )
  } catch (err) {
    await Promise.all(running.map((b) => stopProcess(b.pid)))
    throw err
  }
  const now = new Date().toISOString()
  const boxStates = planned.map((b) => ({...b, pid: running.find((r) => r.name === b.name)!.pid, startedAt: now}))

  let proxyState: SandboxProxy | undefined
  if (layout.proxy) {
    const spec = proxySpec(paths, layout, boxStates)
    try {
      writeProxyConfig(spec)
      const pid = await startProxy(spec)
      proxyState = {pid, host: HOST, port: layout.proxy.port, carrierPort: layout.proxy.carrierSidePort, carrier: {host: HOST, port: layout.proxy.carrierPort}, registrationS: spec.registrationS, dir: spec.dir, startedAt: new Date().toISOString()}
    } catch (err) {
      await Promise.all(boxStates.map((b) => stopProcess(b.pid)))
      throw err
    }
  }
  const box1 = boxStates[0]!
  const state: SandboxState = {
    pid: box1.pid,
    root,
    instance,
    instanceDir: box1.instanceDir,
    httpPort: box1.httpPort,
    ariUrl: box1.ariUrl,
    ariUser: ARI_USER,
    passwordFile: paths.ariPasswordFile,
    app,
    sip: box1.sip,
    startedAt: box1.startedAt,
    boxes: boxStates,
    ...(proxyState ? {proxy: proxyState} : {}),
  }
  writeSandboxState(paths, state)
  writeLastLayout(paths, {httpPort: port, sipPort, boxes, proxy})
  return {state, alreadyRunning: false, rootBuilt: built, rootBuildSeconds: seconds, startSeconds: (Date.now() - started) / 1000, restarted: []}
}

/**
 * Ports the boxes after the first never take: the engine API's and the chat server's,
 * their defaults and those CALLCTL_API_PORT / CALLCTL_CHAT_PORT name here.
 */
function avoidedPorts(env: NodeJS.ProcessEnv = process.env): number[] {
  const fromEnv = [env.CALLCTL_API_PORT, env.CALLCTL_CHAT_PORT].map((v) => Number(v || NaN)).filter((n) => Number.isInteger(n) && n > 0)
  return [...new Set([...ENGINE_DEFAULT_PORTS, ...fromEnv])]
}

function checkBoxCount(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_BOXES) {
    throw new UserError(`A sandbox has 1 to ${MAX_BOXES} boxes, not ${n}`, {suggestion: 'callctl sandbox up --boxes 2 --proxy', exitCode: 2, code: 'invalid_boxes'})
  }
}

/** Each box's instance directory, ports and RTP slot (slots apart from each other's and from running instances'). */
function planBoxes(root: string, instance: string, layout: SandboxLayout): Array<Omit<SandboxBox, 'pid' | 'startedAt'>> {
  const slots: number[] = []
  return layout.boxes.map((b) => {
    const instanceDir = boxInstanceDir(instance, b.name)
    const rtp = rtpRange(root, instanceDir, slots)
    slots.push(rtp.start)
    const sip: SandboxSip = {host: HOST, port: b.sipPort, transports: ['udp', 'tcp'], carrier: {host: HOST, port: b.directCarrierPort}, rtp}
    return {name: b.name, instance, instanceDir, httpPort: b.httpPort, ariUrl: `http://${HOST}:${b.httpPort}`, sip}
  })
}

function proxySpec(paths: Paths, layout: SandboxLayout, boxes: Array<{name: string; sip: SandboxSip}>): ProxySpec {
  return {
    dir: join(paths.sandboxDir, 'proxy'),
    host: HOST,
    ports: layout.proxy!,
    boxes: boxes.map((b) => ({name: b.name, host: b.sip.host, sipPort: b.sip.port})),
    registrationS: SANDBOX_REGISTRATION_S,
  }
}

/** The sandbox's processes that are alive (and still ours). */
function partsRunning(state: SandboxState): string[] {
  const up = boxesOf(state).filter((b) => boxRunning(state, b)).map((b) => b.name)
  if (state.proxy && proxyRunning(state.proxy)) up.push('proxy')
  return up
}

function boxRunning(state: SandboxState, box: SandboxBox): boolean {
  return isRunning(box.pid) && isOurAsterisk(box.pid, state.root, box.instanceDir)
}

function proxyRunning(proxy: SandboxProxy): boolean {
  return isRunning(proxy.pid) && isOurKamailio(proxy.pid, proxy.dir)
}

async function stopAll(state: SandboxState): Promise<Pick<DownResult, 'boxes' | 'proxy'>> {
  // The proxy first: no new calls for boxes on their way down.
  const proxy = state.proxy ? {pid: state.proxy.pid, how: proxyRunning(state.proxy) ? await stopProxy(state.proxy.pid) : ('gone' as const)} : null
  const boxes = await Promise.all(boxesOf(state).map(async (b) => ({name: b.name, pid: b.pid, how: boxRunning(state, b) ? await stopProcess(b.pid) : ('gone' as const)})))
  return {boxes, proxy}
}

/** Starts the boxes and the proxy of a running sandbox that are not running; which. */
async function startMissing(paths: Paths, state: SandboxState): Promise<string[]> {
  const started: string[] = []
  for (const b of boxesOf(state)) {
    if (!boxRunning(state, b)) {
      await startBox(paths, b.name)
      started.push(b.name)
    }
  }
  const now = readSandboxState(paths)!
  if (now.proxy && !proxyRunning(now.proxy)) {
    const layout: SandboxLayout = {
      boxes: boxesOf(now).map((b) => ({name: b.name, httpPort: b.httpPort, sipPort: b.sip.port, directCarrierPort: b.sip.carrier.port})),
      proxy: {port: now.proxy.port, carrierSidePort: now.proxy.carrierPort, carrierPort: now.proxy.carrier.port},
    }
    await assertSipPortsFree([now.proxy.port, now.proxy.carrierPort])
    const spec = proxySpec(paths, layout, boxesOf(now))
    writeProxyConfig(spec)
    const pid = await startProxy(spec)
    writeSandboxState(paths, {...now, proxy: {...now.proxy, pid, startedAt: new Date().toISOString()}})
    started.push('proxy')
  }
  return started
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
 * (a test run beside a demo). `sandbox status` and the demo print which. The ports
 * after it that the layout uses (the carrier's, other boxes', the proxy's) must be free too.
 */
async function defaultSipPort(httpPort: number, before: number | undefined, span: number): Promise<number> {
  if (before !== undefined && (await sipPortsFree(before, span))) return before
  if (httpPort === DEFAULT_HTTP_PORT && (await sipPortsFree(DEFAULT_SIP_PORT, span))) return DEFAULT_SIP_PORT
  return freeSipPort(span)
}

/** Each port the boxes and the proxy bind must be free for UDP and TCP (the carrier binds its own later). */
async function assertSipPortsFree(ports: number[]): Promise<void> {
  const deadline = Date.now() + 10_000
  for (const port of ports) {
    for (;;) {
      if (await sipPortFree(port)) break
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

export interface DownResult {
  stopped: boolean
  /** Box 1's, as with one box. */
  pid: number | null
  how: 'stopped' | 'killed' | 'gone' | 'not-running'
  /** Every box (box1 first); empty when no sandbox was recorded. */
  boxes: Array<{name: string; pid: number; how: 'stopped' | 'killed' | 'gone'}>
  proxy: {pid: number; how: 'stopped' | 'killed' | 'gone'} | null
}

/** Stops the sandbox (every box and the proxy); refuses while an engine is connected to it unless `force` (the demo and the tests stopping their own). */
export async function sandboxDown(paths: Paths, opts: {force?: boolean} = {}): Promise<DownResult> {
  const state = readSandboxState(paths)
  if (!state) return {stopped: false, pid: null, how: 'not-running', boxes: [], proxy: null}
  if (partsRunning(state).length > 0 && !opts.force) await refuseWhileEngineConnected(paths, state, 'stop')
  const {boxes, proxy} = await stopAll(state)
  clearSandboxState(paths)
  const how = boxes[0]!.how
  return {stopped: boxes.some((b) => b.how !== 'gone') || (proxy !== null && proxy.how !== 'gone'), pid: state.pid, how, boxes, proxy}
}

/**
 * An engine connected to the sandbox would lose every call it holds: refuse, naming it.
 * Two signs, either enough: this home's engine (a live lock holder) drives one of these
 * boxes' ARI URLs (while it reconnects too), or Asterisk has an ARI event socket open
 * (an engine of another home, or a test's). Asterisk's own console says which sockets
 * are up; the list of Stasis apps does not do, since an app outlives its engine while
 * calls stay in it. A home's engine waiting on another Asterisk (the sandbox's old
 * port) is not connected to this one.
 */
async function refuseWhileEngineConnected(paths: Paths, state: SandboxState, what: string): Promise<void> {
  const all = boxesOf(state)
  const holder = lockHolder(paths, state.app)
  const local = holder && drivesAnyOf(holder.ari, all.map((b) => b.ariUrl)) ? holder : null
  const apps = [...new Set(all.filter((b) => boxRunning(state, b)).flatMap((b) => eventSocketApps(state.root, b.instanceDir)))]
  if (!local && apps.length === 0) return
  const who = [local ? `engine pid ${local.pid} (app "${state.app}")` : null, apps.length ? `ARI event socket${apps.length > 1 ? 's' : ''} open for ${apps.map((a) => `"${a}"`).join(', ')}` : null].filter(Boolean).join('; ')
  const which = all.length === 1 ? `Asterisk (pid ${state.pid}, port ${state.httpPort})` : `Asterisk boxes (${all.map((b) => `${b.name}: pid ${b.pid}, port ${b.httpPort}`).join('; ')})`
  throw new UserError(`Refusing to ${what} the sandbox ${which}: an engine is connected to it (${who}) and would lose its calls`, {
    suggestion: 'Stop the engine first, or add --force to do it anyway.',
    exitCode: 1,
    code: 'engine_connected',
  })
}

/** Whether an engine driving `engineAri` (its lock's URLs; unknown for an engine from before they were recorded) drives one of `boxes`. */
export function drivesAnyOf(engineAri: string[] | undefined, boxes: string[]): boolean {
  if (engineAri === undefined) return true
  const at = new Set(boxes.map(hostPort))
  return engineAri.some((u) => at.has(hostPort(u)))
}

/** An HTTP URL's host and port, loopback names as one. */
function hostPort(url: string): string {
  try {
    const u = new URL(url)
    const host = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) ? 'loopback' : u.hostname
    return `${host}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`
  } catch {
    return url
  }
}

function findBox(state: SandboxState | undefined, name: string): {state: SandboxState; box: SandboxBox} {
  if (!state) throw new UserError('No sandbox has been started from this CALLCTL_HOME', {suggestion: 'Run: callctl sandbox up --boxes 2 --proxy', exitCode: 1, code: 'no_sandbox'})
  const box = boxesOf(state).find((b) => b.name === name)
  if (!box) {
    throw new UserError(`The sandbox has no box "${name}". Its boxes: ${boxesOf(state).map((b) => b.name).join(', ')}`, {
      suggestion: 'See them with: callctl sandbox status',
      exitCode: 1,
      code: 'unknown_box',
    })
  }
  return {state, box}
}

export interface KillBoxResult {
  name: string
  pid: number
  /** False when it was not running. */
  killed: boolean
}

/**
 * Kills one box's Asterisk with SIGKILL, as a crash: no BYE, no unregistering, its calls
 * simply gone (box-loss tests and benches). Never refuses: that is the point. The proxy
 * finds out by itself (its OPTIONS go unanswered).
 */
export async function killBox(paths: Paths, name: string): Promise<KillBoxResult> {
  const {state, box} = findBox(readSandboxState(paths), name)
  if (!boxRunning(state, box)) return {name, pid: box.pid, killed: false}
  process.kill(box.pid, 'SIGKILL')
  while (isRunning(box.pid)) await new Promise((r) => setTimeout(r, 20))
  return {name, pid: box.pid, killed: true}
}

export interface StartBoxResult {
  name: string
  pid: number
  alreadyRunning: boolean
  startSeconds: number
  /** How the proxy sees the box once started (it waits up to 5 s for active); null without a proxy. */
  proxyState: ProxyBoxState | null
}

/** Starts one box again on the config it had (ports, RTP slot, astdb with its phones), and waits for the proxy to take it back. */
export async function startBox(paths: Paths, name: string): Promise<StartBoxResult> {
  requireRoot('start Asterisk')
  const {state, box} = findBox(readSandboxState(paths), name)
  const proxyOf = () => (state.proxy && proxyRunning(state.proxy) ? waitInProxy(state.proxy, box, 5_000) : Promise.resolve(null))
  if (boxRunning(state, box)) return {name, pid: box.pid, alreadyRunning: true, startSeconds: 0, proxyState: await proxyOf()}
  await assertPortFree(box.httpPort)
  await assertSipPortsFree([box.sip.port])
  const started = Date.now()
  const outFile = boxOutFile(paths, box.name)
  const pid = spawnBox(state.root, box.instanceDir, outFile)
  await waitForAri(new AriHttp({url: box.ariUrl, user: state.ariUser, password: readFileSync(state.passwordFile, 'utf8').trim()}), pid, outFile)
  const startSeconds = (Date.now() - started) / 1000
  // Read again: another box may have been started meanwhile.
  const now = readSandboxState(paths) ?? state
  const startedAt = new Date().toISOString()
  const boxes = boxesOf(now).map((b) => (b.name === name ? {...b, pid, startedAt} : b))
  writeSandboxState(paths, {...now, boxes, ...(name === 'box1' ? {pid, startedAt} : {})})
  return {name, pid, alreadyRunning: false, startSeconds, proxyState: await proxyOf()}
}

async function waitInProxy(proxy: SandboxProxy, box: SandboxBox, timeoutMs: number): Promise<ProxyBoxState | null> {
  const uri = `sip:${box.sip.host}:${box.sip.port}`
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const seen = dispatcherStates(proxy.dir)?.get(uri) ?? null
    if (seen === 'active' || Date.now() > deadline) return seen
    await new Promise((r) => setTimeout(r, 200))
  }
}

export interface BoxStatus {
  name: string
  ariUrl: string
  ariUser: string
  passwordFile: string
  pid: number
  running: boolean
  sip: {host: string; port: number}
  rtp: {start: number; end: number}
  instanceDir: string
  /** How the proxy's dispatcher sees the box; null without a running proxy. */
  proxyState: ProxyBoxState | null
}

export interface ProxyStatus {
  host: string
  /** Phones register and call here. */
  port: number
  /** The carrier sends its calls here. */
  carrierPort: number
  /** The carrier itself: calls are taken only from it, outbound calls go to it. */
  carrier: {host: string; port: number}
  pid: number
  running: boolean
  registrationS: number
  config: string
  log: string
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
  /** Every box, box1 first (the fields above are box1's); empty before a sandbox has run. */
  boxes: BoxStatus[]
  /** The SIP proxy in front of the boxes; null without one. */
  proxy: ProxyStatus | null
}

export async function sandboxStatus(paths: Paths): Promise<StatusResult> {
  const state = readSandboxState(paths)
  const running = !!state && isRunning(state.pid) && isOurAsterisk(state.pid, state.root, state.instanceDir)
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
  const proxyUp = !!state?.proxy && proxyRunning(state.proxy)
  const seen = proxyUp ? dispatcherStates(state!.proxy!.dir) : null
  const boxes: BoxStatus[] = state
    ? boxesOf(state).map((b) => ({
        name: b.name,
        ariUrl: b.ariUrl,
        ariUser: state.ariUser,
        passwordFile: state.passwordFile,
        pid: b.pid,
        running: boxRunning(state, b),
        sip: {host: b.sip.host, port: b.sip.port},
        rtp: b.sip.rtp,
        instanceDir: b.instanceDir,
        proxyState: seen?.get(`sip:${b.sip.host}:${b.sip.port}`) ?? null,
      }))
    : []
  const p = state?.proxy
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
    boxes,
    proxy: p ? {host: p.host, port: p.port, carrierPort: p.carrierPort, carrier: p.carrier, pid: p.pid, running: proxyUp, registrationS: p.registrationS, config: proxyConfigFile(p.dir), log: proxyLogFile(p.dir)} : null,
  }
}

/** Asterisk's own log file for a box of this sandbox (box1 by default). */
export function sandboxLogFile(paths: Paths, box = 'box1'): string {
  const state = readSandboxState(paths)
  if (!state) throw new UserError('No sandbox has been started from this CALLCTL_HOME', {suggestion: 'Run: callctl sandbox up', exitCode: 1})
  const {box: b} = findBox(state, box)
  return join(state.root, b.instanceDir, 'log', 'messages.log')
}

/** The proxy's log (Kamailio's stderr). */
export function proxyLog(paths: Paths): string {
  const state = readSandboxState(paths)
  if (!state?.proxy) throw new UserError('This sandbox has no SIP proxy', {suggestion: 'Start one with: callctl sandbox up --boxes 2 --proxy', exitCode: 1, code: 'no_proxy'})
  return proxyLogFile(state.proxy.dir)
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
