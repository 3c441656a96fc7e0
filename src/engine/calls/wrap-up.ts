import type {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'
import {scheduleDispatch} from './dispatch.js'

// After-call work: the timer that ends an agent's wrap-up, and its end (which frees the agent for a dispatch).

export function startWrapUpTimer(core: EngineCore, agentId: string, seconds: number, session: CallSession | null): void {
  const endsAt = core.clock.now() + seconds * 1000
  core.events.append({type: 'agent.wrapup_started', callId: session?.id ?? null, queue: session?.queue ?? null, agent: agentId, data: {seconds}})
  core.clock.clearTimeout(core.wrapUpTimers.get(agentId)?.timer)
  core.wrapUpTimers.set(agentId, {endsAt, callId: session?.id ?? null, queue: session?.queue ?? null, timer: core.clock.setTimeout(() => endWrapUp(core, agentId, 'timer'), seconds * 1000)})
}

export function endWrapUp(core: EngineCore, agentId: string, how: 'timer' | 'agent'): boolean {
  const w = core.wrapUpTimers.get(agentId)
  core.clock.clearTimeout(w?.timer)
  core.wrapUpTimers.delete(agentId)
  if (!core.acd.endWrapUp(agentId, core.clock.now())) return false
  core.events.append({type: 'agent.wrapup_ended', agent: agentId, callId: w?.callId ?? null, queue: w?.queue ?? null, data: {how}})
  scheduleDispatch(core)
  return true
}
