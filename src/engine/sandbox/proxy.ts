import {spawn, spawnSync} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {UserError} from '../util/errors.js'
import {fillTemplate} from './box.js'
import type {ProxyPorts} from './layout.js'
import {isRunning, stopProcess} from './process.js'
import {sipOptions} from './sip-options.js'
import {which} from './which.js'

// The sandbox's SIP proxy: Debian's Kamailio with the dispatcher module, run as a child of
// the sandbox (foreground, logging to a file) in a runtime directory of its own under the
// callctl home, on 127.0.0.1 only, never as the system's kamailio service. Its config is
// the repo's asterisk/kamailio/kamailio.cfg with the ports filled in; the dispatcher list
// (set 1) is the boxes.

/**
 * How long a registration through the proxy lasts (the proxy caps what phones ask for).
 * Phones refresh before it runs out (baresip at 90 %), each refresh is dispatched again,
 * so a phone whose box died is on another box within about this long plus the 3 s the
 * proxy takes to see a box gone. 10 s keeps that within seconds for the box-loss tests,
 * at one REGISTER per phone every 9 s (a few hundred phones: tens of requests a second,
 * nothing for Asterisk); a production proxy would use 60-120 s.
 */
export const SANDBOX_REGISTRATION_S = 10

export const KAMAILIO_BIN = '/usr/sbin/kamailio'
const KAMCMD_BIN = '/usr/sbin/kamcmd'

export function kamailioTemplate(): string {
  return fileURLToPath(new URL('../../../asterisk/kamailio/kamailio.cfg', import.meta.url))
}

export function requireKamailio(): string {
  const bin = which('kamailio') ?? (existsSync(KAMAILIO_BIN) ? KAMAILIO_BIN : undefined)
  if (!bin) {
    throw new UserError('Kamailio is not installed, so the sandbox has no SIP proxy to start', {
      suggestion: 'Run scripts/setup.sh (it installs Debian\'s kamailio package), or: apt-get install -y kamailio',
      exitCode: 2,
      code: 'missing_kamailio',
    })
  }
  return bin
}

export interface ProxySpec {
  /** Runtime directory: config, dispatcher list, pid file, control socket, log. */
  dir: string
  host: string
  ports: ProxyPorts
  /** The boxes to dispatch to, in order. */
  boxes: Array<{name: string; host: string; sipPort: number}>
  registrationS: number
}

export function proxyConfigFile(dir: string): string {
  return join(dir, 'kamailio.cfg')
}

export function proxyLogFile(dir: string): string {
  return join(dir, 'kamailio.out')
}

function controlSocket(dir: string): string {
  return join(dir, 'kamailio_ctl')
}

/** kamailio.cfg from the template, and the dispatcher list: one destination per box in set 1. */
export function writeProxyConfig(spec: ProxySpec): void {
  mkdirSync(spec.dir, {recursive: true, mode: 0o700})
  const vars = {
    HOST: spec.host,
    PHONES_PORT: String(spec.ports.port),
    CARRIER_SIDE_PORT: String(spec.ports.carrierSidePort),
    CARRIER_HOST: spec.host,
    CARRIER_PORT: String(spec.ports.carrierPort),
    RUN_DIR: spec.dir,
    REG_EXPIRES: String(spec.registrationS),
    LOG_PREFIX: 'callctl-proxy:',
  }
  writeFileSync(proxyConfigFile(spec.dir), fillTemplate(readFileSync(kamailioTemplate(), 'utf8'), vars, 'kamailio.cfg'), {mode: 0o600})
  const list = ['# set  destination  flags  priority  attributes (written by callctl sandbox up)', ...spec.boxes.map((b) => `1 sip:${b.host}:${b.sipPort} 0 0 duid=${b.name}`)]
  writeFileSync(join(spec.dir, 'dispatcher.list'), list.join('\n') + '\n', {mode: 0o600})
}

/** Starts Kamailio on the written config; resolves with its pid once it answers OPTIONS on the phones' port. */
export async function startProxy(spec: ProxySpec, timeoutMs = 10_000): Promise<number> {
  const bin = requireKamailio()
  const outFile = proxyLogFile(spec.dir)
  const out = openSync(outFile, 'w')
  // -DD: stay in the foreground (our child), -E: log to stderr (the file), -Y: its own runtime directory.
  const child = spawn(bin, ['-f', proxyConfigFile(spec.dir), '-DD', '-E', '-Y', spec.dir, '-P', join(spec.dir, 'kamailio.pid'), '-w', spec.dir, '-m', '64', '-M', '8'], {
    detached: true,
    stdio: ['ignore', out, out],
  })
  closeSync(out)
  child.unref()
  const pid = child.pid
  if (!pid) throw new Error('kamailio did not start')
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (!isRunning(pid)) {
      const tail = readFileSync(outFile, 'utf8').trim().split('\n').slice(-6).join(' | ')
      throw new UserError(`Kamailio exited during startup: ${tail}`, {suggestion: `See ${outFile} and ${proxyConfigFile(spec.dir)}.`, exitCode: 2})
    }
    if ((await sipOptions({host: spec.host, port: spec.ports.port}, 300)) === 200) return pid
    if (Date.now() > deadline) {
      await stopProcess(pid)
      throw new UserError(`Kamailio did not answer on ${spec.host}:${spec.ports.port} within ${timeoutMs / 1000} s`, {suggestion: `See ${outFile}.`, exitCode: 2})
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** True when `pid` is the Kamailio running on the config in `dir` (a pid can be reused). */
export function isOurKamailio(pid: number, dir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return cmdline.includes('kamailio') && cmdline.includes(proxyConfigFile(dir))
  } catch {
    return false
  }
}

/** SIGTERM: Kamailio's main process stops its workers and exits. */
export function stopProxy(pid: number): Promise<'stopped' | 'killed' | 'gone'> {
  return stopProcess(pid)
}

export type ProxyBoxState = 'active' | 'inactive' | 'trying' | 'disabled'

/** How the dispatcher sees each box, by its SIP URI (sip:host:port); null when Kamailio does not answer. */
export function dispatcherStates(dir: string): Map<string, ProxyBoxState> | null {
  if (!existsSync(KAMCMD_BIN)) return null
  const r = spawnSync(KAMCMD_BIN, ['-s', `unix:${controlSocket(dir)}`, 'dispatcher.list'], {encoding: 'utf8', timeout: 3_000})
  if (r.status !== 0 || typeof r.stdout !== 'string') return null
  return parseDispatcherList(r.stdout)
}

/** `kamcmd dispatcher.list`: URI: lines each followed by FLAGS: (first letter A, I, T or D). */
export function parseDispatcherList(text: string): Map<string, ProxyBoxState> {
  const states = new Map<string, ProxyBoxState>()
  let uri: string | null = null
  for (const line of text.split('\n')) {
    const u = /^\s*URI:\s*(\S+)/.exec(line)
    if (u) {
      uri = u[1]!
      continue
    }
    const f = /^\s*FLAGS:\s*([AITD])/.exec(line)
    if (f && uri) {
      states.set(uri, ({A: 'active', I: 'inactive', T: 'trying', D: 'disabled'} as const)[f[1] as 'A' | 'I' | 'T' | 'D'])
      uri = null
    }
  }
  return states
}
