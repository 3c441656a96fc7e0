import type {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'
import {endSession} from './call-end.js'
import {answerCaller} from './caller-line.js'

// Sending a caller off with a message (no service, nobody available, a failed transfer):
// the front door, the queue and recovery all do it.

/** Plays a prompt, then hangs up; the call ends with `cause` (null: it continues as a callback). */
export async function leaveWithPrompt(core: EngineCore, session: CallSession, prompt: string | string[], cause: string | null): Promise<void> {
  if (cause !== null) session.state = 'leaving'
  const playback = session.nextPlaybackId()
  core.leavingPrompts.set(playback, cause)
  const media = (Array.isArray(prompt) ? prompt : [prompt]).map((p) => (p.startsWith('sound:') ? p : `sound:${p}`))
  try {
    if (session.unanswered) await answerCaller(core, session)
    else await core.ari.stopMoh(session.channelId).catch(() => undefined)
    await core.ari.playOnChannel(session.channelId, media.length === 1 ? media[0]! : media, playback)
  } catch {
    core.leavingPrompts.delete(playback)
    void core.hangup(session.channelId)
    if (cause !== null) endSession(core, session, cause)
  }
}

export function afterLeavingPrompt(core: EngineCore, session: CallSession, playbackId: string): void {
  if (!core.leavingPrompts.has(playbackId)) return
  const cause = core.leavingPrompts.get(playbackId)!
  core.leavingPrompts.delete(playbackId)
  void core.hangup(session.channelId)
  if (cause !== null) endSession(core, session, cause)
}
