import type {AriPressureView} from '../ari/pressure.js'
import type {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'
import type {OverloadView} from './engine-types.js'
import {endSession} from './call-end.js'

// Load shedding. When Asterisk's answers slow down past the threshold (ari/pressure.ts)
// every caller the engine takes costs more requests to an Asterisk that already cannot
// keep up (answer, variables, music, rings): the issue-12 run queued ~600 channels and
// never recovered. While overloaded, a new caller is refused at the door with one request
// (hangup, congestion) and a call.shed event; callers already in line keep their place.

interface State {
  overloaded: boolean
  since: number | null
  shed: number
  timer: ReturnType<typeof setInterval> | null
  off: (() => void) | null
}

const states = new WeakMap<EngineCore, State>()

function stateOf(core: EngineCore): State {
  let s = states.get(core)
  if (!s) states.set(core, (s = {overloaded: false, since: null, shed: 0, timer: null, off: null}))
  return s
}

/** Follows Asterisk's pressure: engine.overloaded on and off, and a flag for the snapshot. */
export function watchOverload(core: EngineCore): void {
  const pressure = core.ari.pressure
  const s = stateOf(core)
  if (!pressure || s.off) return
  s.off = pressure.onChange((v) => changed(core, v))
  // Requests that never come back complete nothing: look again every second.
  s.timer = setInterval(() => {
    if (core.stopped) return stopWatching(core)
    pressure.view()
  }, 1000)
  s.timer.unref?.()
}

export function stopWatching(core: EngineCore): void {
  const s = states.get(core)
  if (!s) return
  if (s.timer) clearInterval(s.timer)
  s.off?.()
  s.timer = null
  s.off = null
}

function changed(core: EngineCore, v: AriPressureView): void {
  const s = stateOf(core)
  if (v.overloaded === s.overloaded || core.stopped) return
  s.overloaded = v.overloaded
  const now = core.clock.now()
  const data = {on: v.overloaded, p90Ms: v.p90Ms, inFlight: v.inFlight, failures: v.failures, shed: s.shed}
  if (v.overloaded) {
    s.since = now
    core.log.warn('Asterisk is answering slowly: new callers are refused until it recovers', {p90Ms: v.p90Ms, inFlight: v.inFlight})
  } else {
    core.log.warn('Asterisk answers quickly again: taking new callers', {p90Ms: v.p90Ms, overloadedMs: now - (s.since ?? now), shed: s.shed})
    s.since = null
  }
  core.events.append({type: 'engine.overloaded', data})
}

export function overloadView(core: EngineCore): OverloadView {
  const s = stateOf(core)
  const p = core.ari.pressure?.view()
  return {overloaded: s.overloaded, since: s.since, p90Ms: p?.p90Ms ?? 0, shed: s.shed, requests: p?.requests ?? 0, failures: p?.failures ?? 0}
}

/**
 * Refuses a new caller while overloaded; returns whether it did. With several boxes the
 * caller's own box decides: a slow box sheds its new callers while the others serve.
 */
export async function shedIfOverloaded(core: EngineCore, session: CallSession): Promise<boolean> {
  const s = stateOf(core)
  const box = core.ari.pressure?.viewFor?.(session.channelId) ?? null
  if (!s.overloaded && !box?.overloaded) return false
  s.shed++
  core.events.append({type: 'call.shed', callId: session.id, data: {number: session.caller.number, did: session.did, p90Ms: (box ?? core.ari.pressure?.view())?.p90Ms ?? 0}})
  session.state = 'leaving'
  core.channels.delete(session.channelId)
  endSession(core, session, 'shed')
  await core.hangup(session.channelId, 'congestion')
  return true
}
