import {externalLegGone} from './admission.js'
import {customerLegGone} from './callbacks.js'
import type {EngineCore} from './core.js'
import {agentLegGone, callerLegGone} from './teardown.js'

// Routing a departing channel to its leg's phase sits above those phases (it was in
// teardown, which then imported admission and callbacks, and they imported teardown).

/** A channel left the app (hung up, or gone while we were away): its part of the call ends. */
export function channelLeft(core: EngineCore, channelId: string): void {
  if (core.supervision.onChannelGone(channelId)) return
  const ref = core.channels.get(channelId)
  if (!ref) return
  // Asterisk stops sending a channel's events once it leaves the app.
  core.channels.delete(channelId)
  if (ref.role === 'caller') callerLegGone(core, ref.session)
  else if (ref.role === 'customer') customerLegGone(core, ref.session, channelId, 'hangup')
  else if (ref.role === 'external') externalLegGone(core, ref.session, channelId)
  else if (!core.control.legGone(ref.session, channelId, ref.role)) agentLegGone(core, ref.session, channelId)
}
