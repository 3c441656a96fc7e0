import {closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {endpointFile} from './api/connect.js'
import type {EngineEndpoint} from './api/protocol.js'
import {UserError} from './util/errors.js'
import {safeId} from './util/ids.js'
import type {Paths} from './util/paths.js'
import {isRunning} from './sandbox/process.js'

// One engine per Stasis app, decided before anything touches Asterisk. A second
// engine that connected to ARI and then gave up took the app over and, on its way
// out, unregistered it under the engine that was running: every new call then failed
// with "Stasis app doesn't exist" and the running engine never knew. The lock is a
// file created with O_EXCL (atomic on a local disk), holding the owner's pid; a lock
// whose pid is gone (SIGKILL, power loss) is stale and taken over.

export interface EngineLock {
  readonly file: string
  release(): void
}

export interface LockBody {
  pid: number
  app: string
  startedAt: string
  /** The ARI URLs the engine drives (its boxes'); absent when not known (the demo takes the lock before its sandbox is up, older engines). */
  ari?: string[]
}

export function engineLockFile(paths: Paths, app: string): string {
  // Keep the file name to what a file system takes; a name that had to change gets a
  // hash of the real one, or "客服" and "售后" would share one lock.
  return join(paths.home, `engine-${safeId(app)}.lock`)
}

/** Takes the lock for `app` in this callctl home, or refuses naming the engine that holds it. */
export function acquireEngineLock(paths: Paths, app: string, pid = process.pid, ari?: string[]): EngineLock {
  const file = engineLockFile(paths, app)
  // The first command of a new user: the home does not exist yet.
  mkdirSync(paths.home, {recursive: true, mode: 0o700})
  for (let tries = 0; tries < 3; tries++) {
    let fd: number
    try {
      fd = openSync(file, 'wx', 0o600)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holder = readLock(file)
      // A zombie (exited, not yet reaped) holds nothing: isRunning, not a bare kill(pid, 0).
      if (holder && holder.pid !== pid && isRunning(holder.pid)) throw alreadyRunning(paths, app, holder)
      // Stale (its process is gone) or unreadable (a crash mid-write): take it over.
      rmSync(file, {force: true})
      continue
    }
    writeSync(fd, JSON.stringify({pid, app, startedAt: new Date().toISOString(), ...(ari ? {ari} : {})} satisfies LockBody) + '\n')
    closeSync(fd)
    let released = false
    return {
      file,
      release() {
        if (released) return
        released = true
        // Only our own lock: a stale-lock takeover by another engine must survive us.
        if (readLock(file)?.pid === pid) rmSync(file, {force: true})
      },
    }
  }
  throw new Error(`could not take the engine lock ${file} (it keeps coming back)`)
}

/** The engine holding the lock for `app` in this home, if one is running. */
export function lockHolder(paths: Paths, app: string): LockBody | null {
  const holder = readLock(engineLockFile(paths, app))
  return holder && isRunning(holder.pid) ? holder : null
}

/** The engines running in this home, whatever their app (one lock file each). */
export function runningEngines(paths: Paths): LockBody[] {
  let names: string[]
  try {
    names = readdirSync(paths.home).filter((n) => /^engine-.+\.lock$/.test(n))
  } catch {
    return []
  }
  return names.map((n) => readLock(join(paths.home, n))).filter((l): l is LockBody => l !== null && isRunning(l.pid))
}

function readLock(file: string): LockBody | null {
  try {
    const body = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockBody>
    if (typeof body.pid !== 'number') return null
    const ari = Array.isArray(body.ari) ? body.ari.filter((u): u is string => typeof u === 'string') : undefined
    return {pid: body.pid, app: String(body.app ?? ''), startedAt: String(body.startedAt ?? ''), ...(ari ? {ari} : {})}
  } catch {
    return null
  }
}

function alreadyRunning(paths: Paths, app: string, holder: LockBody): UserError {
  let api = ''
  const f = endpointFile(paths)
  if (existsSync(f)) {
    try {
      const e = JSON.parse(readFileSync(f, 'utf8')) as EngineEndpoint
      if (e.pid === holder.pid) api = `, API ${e.url}`
    } catch {
      // no address to name
    }
  }
  return new UserError(`An engine for app "${app}" is already running (pid ${holder.pid}${api}, since ${holder.startedAt})`, {
    suggestion: `Use that one (callctl engine status), or stop it first (kill ${holder.pid}); a second engine on another app needs CALLCTL_ARI_APP.`,
    exitCode: 2,
    code: 'engine_running',
  })
}
