import {randomBytes} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Paths} from '../util/paths.js'
import {safeId} from '../util/ids.js'

// A phone's SIP password lives in a 0600 file beside the other secrets, not in the
// database: a copy of callctl.db (a backup, a report export) does not carry it.

/** 144 random bits as 24 URL-safe characters: typeable on a desk phone's keypad menu, far beyond guessing. */
export function newPhonePassword(): string {
  return randomBytes(18).toString('base64url')
}

export function phoneSecretFile(paths: Paths, id: string): string {
  return join(paths.secretsDir, 'phones', `${safeId(id)}.secret`)
}

export function writePhoneSecret(paths: Paths, id: string, password: string): void {
  const file = phoneSecretFile(paths, id)
  mkdirSync(join(paths.secretsDir, 'phones'), {recursive: true, mode: 0o700})
  writeFileSync(file + '.tmp', password + '\n', {mode: 0o600})
  chmodSync(file + '.tmp', 0o600)
  // renamed into place: a reader never sees half a password
  renameSync(file + '.tmp', file)
}

export function readPhoneSecret(paths: Paths, id: string): string | null {
  const file = phoneSecretFile(paths, id)
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null
}

export function removePhoneSecret(paths: Paths, id: string): void {
  rmSync(phoneSecretFile(paths, id), {force: true})
}
