import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, closeSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {AriHttp} from '../ari/index.js'
import {UserError} from '../util/errors.js'
import type {Paths} from '../util/paths.js'
import {holdMusicWav} from './moh.js'
import {isRunning, stopProcess} from './process.js'

// One sandbox Asterisk ("box"): its config written from the repo's templates into its own
// instance directory inside the shared Debian root, and its process. Several boxes of
// one sandbox share the root, the ARI user and password and the Stasis app.

/** The Asterisk config templates kept in the repo (asterisk/conf). */
export function templateDir(): string {
  return fileURLToPath(new URL('../../../asterisk/conf/', import.meta.url))
}

/** Inside the root: box1 keeps the directory a single sandbox always had, the others get their own beside it. */
export function boxInstanceDir(instance: string, name: string): string {
  return name === 'box1' ? `/srv/callctl/${instance}` : `/srv/callctl/${instance}-${name}`
}

/** Asterisk's stdout and stderr: box1's where they always were. */
export function boxOutFile(paths: Paths, name: string): string {
  return join(paths.sandboxDir, name === 'box1' ? 'asterisk.out' : `asterisk-${name}.out`)
}

/** What the templates are filled with (the {{NAMES}} in asterisk/conf). */
export interface BoxConfigVars {
  HTTP_PORT: string
  ARI_USER: string
  ARI_PASSWORD: string
  APP: string
  INSTANCE_DIR: string
  CEL: 'yes' | 'no'
  SIP_PORT: string
  /** The carrier endpoint's AOR: where outbound calls go (host:port). */
  CARRIER_CONTACT: string
  /** Addresses the carrier endpoint is identified by (host:port, comma separated). */
  CARRIER_MATCH: string
  /** The identify section of the interbox endpoint (the other boxes' addresses), or a comment. */
  INTERBOX_IDENTIFY: string
  RTP_START: string
  RTP_END: string
  /** asterisk.conf systemname: the box's name with several boxes, empty for one. */
  SYSTEM_NAME: string
}

/** The interbox endpoint's identify section for these peers; with no peers, none (an identify must match something). */
export function interboxIdentify(peers: Array<{host: string; port: number}>): string {
  if (peers.length === 0) return '; (one box: no other boxes to identify)'
  return ['[interbox]', 'type = identify', 'endpoint = interbox', ...peers.map((p) => `match = ${p.host}:${p.port}`)].join('\n')
}

/** Creates the instance's directories and writes its config and hold music. */
export function writeBoxConfig(root: string, instanceDir: string, vars: BoxConfigVars): void {
  const hostDir = join(root, instanceDir)
  for (const d of ['etc', 'run', 'spool/recording', 'spool/monitor', 'log', 'log/cdr-csv', 'lib', 'cache', 'moh']) mkdirSync(join(hostDir, d), {recursive: true})
  // Recordings are private: Asterisk writes them 0644 while recording, the directory keeps others out.
  chmodSync(join(hostDir, 'spool/recording'), 0o750)
  writeTemplates(join(hostDir, 'etc'), vars as unknown as Record<string, string>)
  writeFileSync(join(hostDir, 'moh', 'callctl-hold.wav'), holdMusicWav())
}

function writeTemplates(etcDir: string, vars: Record<string, string>): void {
  const dir = templateDir()
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.conf')) continue
    const target = join(etcDir, name)
    writeFileSync(target, fillTemplate(readFileSync(join(dir, name), 'utf8'), vars, name), {mode: 0o600})
    chmodSync(target, 0o600)
  }
}

/** {{NAME}} replaced by vars.NAME; a name the vars lack is a bug in the caller, not a blank. */
export function fillTemplate(text: string, vars: Record<string, string>, what: string): string {
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (_, k: string) => {
    const v = vars[k]
    if (v === undefined) throw new Error(`template ${what} uses unknown variable ${k}`)
    return v
  })
}

/** Starts the box's Asterisk (chroot, foreground, detached from us) on the config in its instance directory; its pid. */
export function spawnBox(root: string, instanceDir: string, outFile: string): number {
  const out = openSync(outFile, 'w')
  const child = spawn('chroot', [root, '/usr/sbin/asterisk', '-f', '-n', '-C', `${instanceDir}/etc/asterisk.conf`], {
    detached: true,
    stdio: ['ignore', out, out],
  })
  closeSync(out)
  child.unref()
  if (!child.pid) throw new Error('chroot did not start')
  return child.pid
}

export async function waitForAri(rest: AriHttp, pid: number, outFile: string, timeoutMs = 30_000): Promise<void> {
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

/** The apps of the ARI event sockets open on a box (`ari show websocket sessions`). */
export function eventSocketApps(root: string, instanceDir: string): string[] {
  const r = spawnSync('chroot', [root, '/usr/sbin/asterisk', '-C', `${instanceDir}/etc/asterisk.conf`, '-rx', 'ari show websocket sessions'], {encoding: 'utf8', timeout: 5_000})
  if (r.status !== 0 || typeof r.stdout !== 'string') return []
  const apps: string[] = []
  // Connection ID  Type  RemoteAddr  State  Apps
  for (const line of r.stdout.split('\n')) {
    const cols = line.trim().split(/\s+/)
    if (cols.length >= 5 && cols[3] === 'Up') apps.push(...cols.slice(4).join(' ').split(',').filter(Boolean))
  }
  return [...new Set(apps)]
}
