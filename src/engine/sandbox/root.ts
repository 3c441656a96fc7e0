import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {dirname} from 'node:path'
import {UserError} from '../util/errors.js'
import {safeText} from '../util/text.js'
import type {Logger} from '../util/log.js'
import {processesInRoot} from './process.js'
import {which} from './which.js'

export const DEBIAN_MIRROR = process.env.CALLCTL_DEBIAN_MIRROR || 'http://deb.debian.org/debian'

export function rootIsComplete(root: string): boolean {
  return existsSync(`${root}/usr/sbin/asterisk`) && existsSync(`${root}/usr/share/asterisk/rest-api/resources.json`)
}

/**
 * A Debian sid root with Asterisk 22 (the only Debian suite that packages it), built
 * once with debootstrap and cached; later runs reuse it. Built under a temporary name
 * and renamed, so an interrupted build never looks complete.
 */
export async function ensureAsteriskRoot(root: string, opts: {rebuild?: boolean; log: Logger}): Promise<{built: boolean; seconds: number}> {
  if (!opts.rebuild && rootIsComplete(root)) {
    keepNamesLocal(root)
    return {built: false, seconds: 0}
  }
  if (opts.rebuild) refuseRebuildWhileInUse(root)
  // Two sandboxes coming up at once (the test suite's two integration lanes, two shells)
  // must not both build: the second rename would pull the root from under the first.
  const pending = building.get(root)
  if (pending) return pending.then(() => ({built: false, seconds: 0}))
  const build = withBuildLock(root, opts.log, () => (!opts.rebuild && rootIsComplete(root) ? Promise.resolve({built: false, seconds: 0}) : buildRoot(root, opts)))
  building.set(root, build)
  try {
    const done = await build
    keepNamesLocal(root)
    return done
  } finally {
    building.delete(root)
  }
}

const building = new Map<string, Promise<{built: boolean; seconds: number}>>()

/**
 * The root's name lookups stay on this machine. debootstrap copies the host's
 * resolv.conf; Asterisk then asked that resolver about 1.3 times per SIP call, and an
 * outside resolver that is slow or absent (CI, a laptop offline) stalled calls by
 * seconds. Everything the sandbox talks to is on loopback.
 */
function keepNamesLocal(root: string): void {
  const resolv = `${root}/etc/resolv.conf`
  const want = 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n'
  if (readOr(resolv) !== want) writeFileSync(resolv, want)
  const hosts = `${root}/etc/hosts`
  const name = hostname()
  const wantHosts = `127.0.0.1\tlocalhost ${name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`
  if (readOr(hosts) !== wantHosts) writeFileSync(hosts, wantHosts)
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

/** A lock directory beside the root, so another process waits for a build in progress; a lock left by a dead process is taken over. */
async function withBuildLock<T>(root: string, log: Logger, fn: () => Promise<T>): Promise<T> {
  const lock = `${root}.lock`
  mkdirSync(dirname(root), {recursive: true})
  let told = false
  for (;;) {
    try {
      mkdirSync(lock)
      writeFileSync(`${lock}/pid`, String(process.pid))
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number(readOr(`${lock}/pid`))
      if (pid > 0 && !alive(pid)) {
        rmSync(lock, {recursive: true, force: true})
        continue
      }
      if (!told) log.info('another process is building the Asterisk root: waiting for it', {root, pid})
      told = true
      await new Promise((r) => setTimeout(r, 500))
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, {recursive: true, force: true})
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function buildRoot(root: string, opts: {log: Logger}): Promise<{built: boolean; seconds: number}> {
  requireRoot('build the Asterisk root')
  if (!which('debootstrap')) {
    throw new UserError('debootstrap is not installed', {suggestion: 'Install it with: apt-get install -y debootstrap', exitCode: 2, code: 'missing_debootstrap'})
  }
  const started = Date.now()
  const tmp = `${root}.building-${process.pid}`
  mkdirSync(dirname(root), {recursive: true})
  rmSync(tmp, {recursive: true, force: true})
  opts.log.info(`building the Asterisk root with debootstrap (sid, about a minute)`, {root})
  const output: string[] = []
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('debootstrap', ['--variant=minbase', '--include=asterisk', 'sid', tmp, DEBIAN_MIRROR], {stdio: ['ignore', 'pipe', 'pipe']})
    const keep = (b: Buffer) => {
      output.push(b.toString())
      if (output.length > 200) output.splice(0, output.length - 200)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.on('error', reject)
    child.on('close', (c) => resolve(c ?? 1))
  })
  if (code !== 0) {
    rmSync(tmp, {recursive: true, force: true})
    const tail = output.join('').trim().split('\n').slice(-5).join('\n')
    throw new UserError(`debootstrap failed (exit ${code}): ${tail}`, {suggestion: `Check that ${DEBIAN_MIRROR} is reachable, then run again.`, exitCode: 2})
  }
  // Checked again after the build: a sandbox may have started from the old root meanwhile.
  try {
    refuseRebuildWhileInUse(root)
  } catch (err) {
    rmSync(tmp, {recursive: true, force: true})
    throw err
  }
  rmSync(root, {recursive: true, force: true})
  renameSync(tmp, root)
  return {built: true, seconds: (Date.now() - started) / 1000}
}

/**
 * A rebuild removes the root, and with it every home's instance directories (config,
 * logs, recordings) under the sandboxes running from it; those Asterisks ran on, holding
 * their ports, invisible to their homes' `sandbox status` and `down`. So it refuses
 * while any process but `except` (the caller's own sandbox, about to be stopped) runs
 * from the root, naming them.
 */
export function refuseRebuildWhileInUse(root: string, except: number[] = []): void {
  const users = processesInRoot(root, except)
  if (users.length === 0) return
  const named = users.map((p) => {
    const what = p.instanceDir ? `Asterisk pid ${p.pid} (${p.instanceDir}${p.home ? `, CALLCTL_HOME=${p.home}` : ''})` : `pid ${p.pid} (${p.command.slice(0, 60)})`
    return safeText(what)
  })
  const homes = [...new Set(users.map((p) => p.home).filter((h): h is string => h !== null))]
  throw new UserError(`Refusing to rebuild the Asterisk root ${root}, in use by ${users.length === 1 ? 'a process' : `${users.length} processes`}: ${named.join('; ')}`, {
    suggestion: `Stop ${users.length === 1 ? 'it' : 'them'} first (${homes.length ? homes.map((h) => `CALLCTL_HOME=${h} callctl sandbox down`).join(', ') : 'callctl sandbox down in the home that started it'}), then run --rebuild again.`,
    exitCode: 2,
    code: 'root_in_use',
  })
}

export function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new UserError(`The sandbox must run as root to ${what} (it uses debootstrap and chroot)`, {
      suggestion: 'Run the command with sudo, or point the engine at an existing Asterisk with CALLCTL_ARI_URL.',
      exitCode: 2,
      code: 'not_root',
    })
  }
}
