import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Paths} from '../util/paths.js'

/** What `sandbox up` leaves behind for `status`, `down` and the engine's defaults. */
export interface SandboxState {
  pid: number
  root: string
  instance: string
  /** The instance's directory inside the root, e.g. /srv/callctl/3f2a9c1e. */
  instanceDir: string
  httpPort: number
  ariUrl: string
  ariUser: string
  passwordFile: string
  app: string
  /** Absent in the state of a sandbox started before SIP was part of it. */
  sip?: SandboxSip
  startedAt: string
}

/** The sandbox's SIP side: where phones register, where the carrier is, its RTP ports. */
export interface SandboxSip {
  host: string
  port: number
  transports: Array<'udp' | 'tcp'>
  /** The carrier endpoint is identified by this address and port (SIPp in tests); outbound calls go to it. */
  carrier: {host: string; port: number}
  rtp: {start: number; end: number}
}

export function sandboxStateFile(paths: Paths): string {
  return join(paths.sandboxDir, 'state.json')
}

export function readSandboxState(paths: Paths): SandboxState | undefined {
  const file = sandboxStateFile(paths)
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SandboxState
  } catch {
    return undefined
  }
}

export function writeSandboxState(paths: Paths, state: SandboxState): void {
  mkdirSync(paths.sandboxDir, {recursive: true})
  const file = sandboxStateFile(paths)
  writeFileSync(file + '.tmp', JSON.stringify(state, null, 2) + '\n', {mode: 0o600})
  renameSync(file + '.tmp', file)
}

export function clearSandboxState(paths: Paths): void {
  rmSync(sandboxStateFile(paths), {force: true})
}
