import {isNotFound} from '../ari/port.js'
import type {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'

// The caller's line, answered late. A caller sent straight to a queue is not answered at
// the door: if an idle agent is rung at once, the caller hears ringing until the agent
// answers and both are answered and bridged together (app_queue's way). That spares three
// requests to Asterisk per call (answer now, hold music on, hold music off) and a round
// trip before the agent's phone rings. The line is answered, with hold music, as soon as
// nobody is being rung for the caller, or before anything is played to them.

/** Answers the caller's leg if it is still unanswered. */
export async function answerCaller(core: EngineCore, session: CallSession): Promise<void> {
  if (!session.unanswered) return
  session.unanswered = false
  await core.ari.answer(session.channelId)
}

/**
 * A waiting caller nobody is ringing for is answered and hears hold music. Queued after
 * a dispatch (a microtask behind it), so a caller an idle agent took is left ringing.
 */
export function holdTheLineSoon(core: EngineCore, session: CallSession): void {
  if (!session.unanswered) return
  queueMicrotask(() => {
    if (!session.unanswered || session.state !== 'waiting' || session.liveAttempts().length > 0) return
    void answerCaller(core, session)
      .then(() => session.wait?.lineAnswered?.())
      .catch((err: unknown) => {
        if (!isNotFound(err) && !session.ended) core.log.warn('could not answer a waiting caller', {call: session.id, error: String(err)})
      })
  })
}
