import type {Paths} from '../util/paths.js'
import {isOurAsterisk, isRunning} from './process.js'
import {isOurKamailio} from './proxy.js'
import {boxesOf, readSandboxState} from './state.js'

/**
 * Which part of this home's running sandbox holds a TCP port, in words ("this home's
 * sandbox box2 (Asterisk pid 4167, its ARI port)"), or null. For the engine's "port in
 * use": it blamed "another engine?" while the user's own box held the port.
 */
export function sandboxPortOwner(paths: Paths, port: number): string | null {
  const state = readSandboxState(paths)
  if (!state) return null
  for (const b of boxesOf(state)) {
    const ours = isRunning(b.pid) && isOurAsterisk(b.pid, state.root, b.instanceDir)
    if (ours && b.httpPort === port) return `this home's sandbox ${b.name} (Asterisk pid ${b.pid}, its ARI port)`
    if (ours && b.sip.port === port) return `this home's sandbox ${b.name} (Asterisk pid ${b.pid}, its SIP port)`
  }
  const p = state.proxy
  if (p && (p.port === port || p.carrierPort === port) && isRunning(p.pid) && isOurKamailio(p.pid, p.dir)) return `this home's sandbox SIP proxy (Kamailio pid ${p.pid})`
  return null
}
