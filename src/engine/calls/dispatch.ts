import type {EngineCore} from './core.js'

// Putting routing decisions into effect, batched: the bottom of the call phases. Every
// phase that frees an agent or adds a caller asks for a dispatch; ringing the chosen
// agent is the ringing phase's work, reached through core.ringAgent (set when the engine
// is built) so this module imports no phase.

/** Dispatch held back while Asterisk's answers fail (the REST client's back-off). */
const heldBack = new WeakMap<EngineCore, ReturnType<typeof setTimeout>>()

/** Batch decisions: many state changes in one tick lead to one dispatch. */
export function scheduleDispatch(core: EngineCore): void {
  if (core.dispatchQueued || core.stopped) return
  core.dispatchQueued = true
  queueMicrotask(() => {
    core.dispatchQueued = false
    if (core.stopped) return
    // A request to Asterisk just failed or timed out: no new rings until the back-off
    // ends (the REST client's, doubled per failure, with jitter). The callers keep their
    // places; what piled up meanwhile goes out in one dispatch.
    const backoffUntil = core.ari.pressure?.view().backoffUntil ?? 0
    if (backoffUntil > Date.now()) {
      if (!heldBack.has(core)) {
        const t = setTimeout(() => {
          heldBack.delete(core)
          scheduleDispatch(core)
        }, backoffUntil - Date.now())
        t.unref?.()
        heldBack.set(core, t)
      }
      return
    }
    const now = core.clock.now()
    for (const offer of core.acd.dispatch(now)) {
      const session = core.sessions.get(offer.callId)
      if (!session || session.ended) {
        core.acd.ringEnded(offer.callId, offer.agentId, 'canceled', now)
        continue
      }
      core.ringAgent(session, offer.agentId)
    }
    scheduleWake(core)
  })
}

/** The ACD's own deadlines (sticky holds ending, skills widening, retries) wake a dispatch. */
export function scheduleWake(core: EngineCore): void {
  const at = core.acd.nextWakeAt()
  if (at === null) return
  if (core.wakeTimer && core.wakeTimer.at <= at) return
  if (core.wakeTimer) core.clock.clearTimeout(core.wakeTimer.timer)
  const delay = Math.max(0, at - core.clock.now())
  core.wakeTimer = {
    at,
    timer: core.clock.setTimeout(() => {
      core.wakeTimer = null
      scheduleDispatch(core)
    }, delay),
  }
}
