import {existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Paths} from '../util/paths.js'
import {MAX_BOXES} from './layout.js'

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
  /**
   * Every box, box1 first (box1 is also the fields above). Absent in the state of a
   * sandbox started before there could be several: then box1 is the only one.
   */
  boxes?: SandboxBox[]
  /** The SIP proxy in front of the boxes (sandbox up --proxy). */
  proxy?: SandboxProxy
}

/** One Asterisk of the sandbox: its own instance directory, HTTP/ARI port, SIP port and RTP slot. */
export interface SandboxBox {
  /** box1, box2, …: also its Asterisk systemname when there are several (channel ids start with it). */
  name: string
  pid: number
  instance: string
  instanceDir: string
  httpPort: number
  ariUrl: string
  sip: SandboxSip
  startedAt: string
}

/** Kamailio in front of the boxes: phones register at host:port, the carrier sends to host:carrierPort. */
export interface SandboxProxy {
  pid: number
  host: string
  /** Where phones register and call (UDP and TCP). */
  port: number
  /** Where the carrier sends its calls (UDP); the boxes identify the carrier by this socket. */
  carrierPort: number
  /** The carrier itself: the proxy takes calls only from this address and port, and sends the boxes' outbound calls to it. */
  carrier: {host: string; port: number}
  /** Registrations are capped at this many seconds, so a phone moves off a dead box within about that long. */
  registrationS: number
  /** Its runtime directory: kamailio.cfg, dispatcher.list, kamailio.out (its log), the control socket. */
  dir: string
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

/** The sandbox's boxes: the recorded list, or box1 alone for a state from before there could be several. */
export function boxesOf(state: SandboxState): SandboxBox[] {
  if (state.boxes?.length) return state.boxes
  const sip = state.sip ?? {host: '127.0.0.1', port: 0, transports: ['udp', 'tcp'], carrier: {host: '127.0.0.1', port: 0}, rtp: {start: 0, end: 0}}
  return [{name: 'box1', pid: state.pid, instance: state.instance, instanceDir: state.instanceDir, httpPort: state.httpPort, ariUrl: state.ariUrl, sip, startedAt: state.startedAt}]
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

/** Clears what is running; the ports and shape stay remembered (LastLayout) for the next `sandbox up`. */
export function clearSandboxState(paths: Paths): void {
  rmSync(sandboxStateFile(paths), {force: true})
}

/**
 * The ports and shape this home's sandbox had last, kept apart from the running state
 * that `down` clears: a `sandbox up` after a `down` comes back where the engine and the
 * provisioned phones expect it (it used to come back on 8088/5060, one box, no proxy,
 * while they waited on the old ports).
 */
export interface LastLayout {
  /** Box1's HTTP/ARI port; the other boxes' follow from it (layout.ts). */
  httpPort: number
  /** The first SIP port of the layout (box1's). */
  sipPort: number
  boxes: number
  proxy: boolean
}

export function lastLayoutFile(paths: Paths): string {
  return join(paths.sandboxDir, 'last-layout.json')
}

export function readLastLayout(paths: Paths): LastLayout | undefined {
  try {
    const p = JSON.parse(readFileSync(lastLayoutFile(paths), 'utf8')) as Partial<LastLayout>
    if (!validPort(p.httpPort) || !validPort(p.sipPort)) return undefined
    const boxes = Number.isInteger(p.boxes) && p.boxes! >= 1 && p.boxes! <= MAX_BOXES ? p.boxes! : 1
    return {httpPort: p.httpPort, sipPort: p.sipPort, boxes, proxy: p.proxy === true}
  } catch {
    return undefined
  }
}

export function writeLastLayout(paths: Paths, last: LastLayout): void {
  mkdirSync(paths.sandboxDir, {recursive: true})
  const file = lastLayoutFile(paths)
  writeFileSync(file + '.tmp', JSON.stringify(last) + '\n', {mode: 0o600})
  renameSync(file + '.tmp', file)
}

/**
 * What `sandbox up` keeps without --port, --sip-port, --boxes, --proxy: a sandbox on
 * record (running or died) keeps its own, else the home's sandbox before `down`, else
 * nothing (the defaults, decided by the caller).
 */
export function layoutToReuse(state: SandboxState | undefined, last: LastLayout | undefined): Partial<LastLayout> {
  if (state) return {httpPort: state.httpPort, sipPort: state.sip?.port ?? last?.sipPort, boxes: boxesOf(state).length, proxy: !!state.proxy}
  return last ? {...last} : {}
}

function validPort(p: unknown): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p > 0 && p <= 65535
}
