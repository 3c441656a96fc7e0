import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, renameSync, rmSync} from 'node:fs'
import {dirname} from 'node:path'
import {UserError} from '../util/errors.js'
import type {Logger} from '../util/log.js'
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
  if (!opts.rebuild && rootIsComplete(root)) return {built: false, seconds: 0}
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
  rmSync(root, {recursive: true, force: true})
  renameSync(tmp, root)
  return {built: true, seconds: (Date.now() - started) / 1000}
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
