import type {ChannelDestroyedEvent} from '../ari/port.js'
import {externalLegGone} from './admission.js'
import {customerLegGone} from './callbacks.js'
import type {EngineCore} from './core.js'
import {ringFailed, ringFailure} from './ring-attempts.js'
import {agentLegGone, callerLegGone} from './teardown.js'

// The one way a departing channel is handled, whatever told the engine it left: StasisEnd,
// ChannelDestroyed, or a reconnect finding it gone. Two copies of this routing had
// drifted apart (only one knew Asterisk's hang-up cause); this module is above the phases
// it routes to, and the engine and recovery call it.

/** What ChannelDestroyed says about how the channel went: decides a ring's or a callback's outcome. */
export type HangupCause = Pick<ChannelDestroyedEvent, 'cause' | 'cause_txt'>

/**
 * A channel left the app (hung up, or gone while we were away): its part of the call ends.
 * `destroyed` is Asterisk's cause when the channel was destroyed; without it the channel
 * just left (StasisEnd, or missing after a reconnect).
 */
export function channelLeft(core: EngineCore, channelId: string, destroyed?: HangupCause): void {
  if (core.supervision.onChannelGone(channelId)) return
  const ref = core.channels.get(channelId)
  if (!ref) return
  // Asterisk stops sending a channel's events once it leaves the app.
  core.channels.delete(channelId)
  const {session} = ref
  if (ref.role === 'caller') return callerLegGone(core, session)
  if (ref.role === 'customer') return customerLegGone(core, session, channelId, destroyed ? (destroyed.cause === 19 ? 'no-answer' : causeText(destroyed)) : 'hangup')
  if (ref.role === 'external') return externalLegGone(core, session, channelId)
  if (core.control.legGone(session, channelId, ref.role)) return
  const attempt = session.attempts.get(channelId)
  if (destroyed && attempt && attempt.outcome === null) {
    // Destroyed before it answered: the cause says which path (ring-attempts.ts).
    ringFailed(core, session, attempt, ringFailure(destroyed.cause), causeText(destroyed), destroyed.cause)
  }
  agentLegGone(core, session, channelId)
}

function causeText(c: HangupCause): string {
  return c.cause_txt || `cause ${c.cause}`
}
