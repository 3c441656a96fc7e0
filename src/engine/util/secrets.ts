import {randomBytes} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'

/** Read a secret file, or create it with a random value readable by its owner only. */
export function ensureSecret(file: string, bytes = 24): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dirname(file), {recursive: true, mode: 0o700})
  const value = randomBytes(bytes).toString('base64url')
  writeFileSync(file, value + '\n', {mode: 0o600, flag: 'wx'})
  chmodSync(file, 0o600)
  return value
}

export function readSecret(file: string): string {
  return readFileSync(file, 'utf8').trim()
}
