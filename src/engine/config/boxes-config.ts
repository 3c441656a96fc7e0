import {UserError} from '../util/errors.js'
import {readSecret} from '../util/secrets.js'
import {errorAt, type LocatedDoc} from './yaml-errors.js'

// Several Asterisk boxes (the `asterisk:` list of the config): the engine holds one ARI
// connection per box and one queue line over all of them (boxes/box-router.ts). The single
// `ari:` form stays, and is one box.

export interface BoxConfig {
  name: string
  url: string
  user: string
  password: string
  /** Where other boxes send a ring for a phone registered on this one (its SIP address); null when unknown. */
  sip: {host: string; port: number} | null
}

export interface RawBox {
  name?: string
  url?: string
  user?: string
  password?: string
  passwordFile?: string
  sip?: string
}

const BOX_KEYS = ['name', 'url', 'user', 'password', 'passwordFile', 'sip'] as const

/** Checks `asterisk:` with file:line:column errors. */
export function validateBoxes(d: LocatedDoc, r: Record<string, unknown>, checkKeys: (d: LocatedDoc, path: (string | number)[], o: Record<string, unknown>, keys: readonly string[]) => void): void {
  if (r.asterisk === undefined) return
  if (!Array.isArray(r.asterisk) || r.asterisk.length === 0) throw errorAt(d, ['asterisk'], 'asterisk must be a list of boxes', 'Example:\n  asterisk:\n    - {name: box1, url: http://10.0.0.11:8088, sip: 10.0.0.11:5060}\n    - {name: box2, url: http://10.0.0.12:8088, sip: 10.0.0.12:5060}')
  const names = new Set<string>()
  r.asterisk.forEach((b: unknown, i: number) => {
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw errorAt(d, ['asterisk', i], 'each box must be a mapping', `Accepted keys: ${BOX_KEYS.join(', ')}.`)
    const box = b as Record<string, unknown>
    checkKeys(d, ['asterisk', i], box, BOX_KEYS)
    for (const k of BOX_KEYS) if (box[k] !== undefined && typeof box[k] !== 'string') throw errorAt(d, ['asterisk', i, k], `asterisk[${i}].${k} must be a string`)
    if (typeof box.name !== 'string' || !/^[A-Za-z0-9_.-]{1,32}$/.test(box.name)) throw errorAt(d, ['asterisk', i, 'name'], 'each box needs a name of letters, digits, _ . - (at most 32)')
    if (names.has(box.name)) throw errorAt(d, ['asterisk', i, 'name'], `box name "${box.name}" is used twice`)
    names.add(box.name)
    if (typeof box.url !== 'string' || !/^https?:\/\/[^/\s]+/.test(box.url)) throw errorAt(d, ['asterisk', i, 'url'], `asterisk[${i}].url must be an http(s) URL`, 'Example: http://10.0.0.11:8088')
    if (box.sip !== undefined && !/^[^\s:]+:\d{1,5}$/.test(box.sip as string)) throw errorAt(d, ['asterisk', i, 'sip'], `asterisk[${i}].sip must be HOST:PORT`, 'Example: 10.0.0.11:5060')
  })
}

/** The boxes to drive: the `asterisk:` list, or the one box of `ari:` (or the sandbox). */
export function resolveBoxes(raw: RawBox[] | undefined, single: {url: string; user: string; password: string; sip: {host: string; port: number} | null}, fallbackPasswordFile: string): BoxConfig[] {
  if (!raw || raw.length === 0) return [{name: 'box1', url: single.url, user: single.user, password: single.password, sip: single.sip}]
  return raw.map((b) => {
    const password = b.password ?? (b.passwordFile ? readPassword(b.passwordFile, b.name!) : single.password || readPassword(fallbackPasswordFile, b.name!))
    return {name: b.name!, url: b.url!, user: b.user ?? single.user, password, sip: b.sip ? parseHostPort(b.sip) : null}
  })
}

function readPassword(file: string, box: string): string {
  try {
    return readSecret(file)
  } catch {
    throw new UserError(`No ARI password for box ${box}: ${file} cannot be read`, {suggestion: 'Set password or passwordFile on that box in the asterisk: list.', exitCode: 2})
  }
}

function parseHostPort(s: string): {host: string; port: number} {
  const i = s.lastIndexOf(':')
  return {host: s.slice(0, i), port: Number(s.slice(i + 1))}
}
