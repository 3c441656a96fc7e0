import type {ChannelHangupRequestEvent} from '../ari/port.js'
import type {EngineCore} from './core.js'

// Asterisk stopping (`core stop now`, SIGTERM, `sandbox down`) hangs up every channel itself
// before its connection drops. The caller in line did not give up, yet the StasisEnd that
// follows looks like a caller's hang-up, and such calls were counted abandoned (three in a
// row when the sandbox went down under `simulate`). Asterisk says why in the request that
// comes first: ChannelHangupRequest with `soft` and, as `cause`, the soft-hangup reason bits
// (main/channel.c, ast_softhangup), where AST_SOFTHANGUP_SHUTDOWN is 1 << 2. A hang-up the
// engine asks for is AST_SOFTHANGUP_EXPLICIT (1 << 5), a caller's own is not soft.

/** AST_SOFTHANGUP_SHUTDOWN in include/asterisk/channel.h. */
export const SOFTHANGUP_SHUTDOWN = 1 << 2

/** Asterisk is hanging this channel up because it is shutting down. */
export function isShutdownHangup(e: Pick<ChannelHangupRequestEvent, 'soft' | 'cause'>): boolean {
  return e.soft === true && typeof e.cause === 'number' && (e.cause & SOFTHANGUP_SHUTDOWN) !== 0
}

/** Marks the call whose leg Asterisk is hanging up as it stops; its teardown then ends it as system-ended. */
export function onHangupRequest(core: EngineCore, e: ChannelHangupRequestEvent): void {
  if (!isShutdownHangup(e)) return
  const ref = core.channels.get(e.channel.id)
  if (!ref || ref.session.ended || ref.session.asteriskStopping) return
  ref.session.asteriskStopping = true
  // One line per stop, not one per call: a stop under a thousand calls is one event.
  const now = core.clock.now()
  if (now - (lastLogged.get(core) ?? -Infinity) < 10_000) return
  lastLogged.set(core, now)
  core.log.warn('Asterisk is stopping and hangs up its calls: callers in line end as system-ended, not abandoned', {firstCall: ref.session.id})
}

const lastLogged = new WeakMap<EngineCore, number>()
