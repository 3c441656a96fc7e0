import type {CelEvent} from '../load/cel.js'
import type {Finding} from './check.js'

// Context for a lost call, so the table says where to look: which kill or freeze it fell
// into, and what Asterisk's channel event log (CEL) saw of the caller. A caller who reached
// Stasis while no engine had the app registered (a leader killed, its successor not yet
// connected) leaves the dialplan's fallback in callctl-stasis: "all circuits busy", hangup.

export interface Signal {
  kind: 'kill' | 'freeze'
  n: number
  /** Bench clock (ms) of the signal. */
  at: number
  takeoverMs: number | null
}

/** "N ms after kill K (takeover T ms)" for the last signal at or before `t`, within a minute. */
export function afterSignal(t: number, signals: readonly Signal[]): string | null {
  let last: Signal | null = null
  for (const s of signals) if (s.at <= t && (!last || s.at > last.at)) last = s
  if (!last || t - last.at > 60_000) return null
  return `${Math.round(t - last.at)} ms after ${last.kind} ${last.n} (takeover ${last.takeoverMs === null ? 'none' : `${last.takeoverMs} ms`})`
}

/** What CEL says of the caller's channels: when it reached Stasis, when it was answered and hung up, and why. */
export function celStory(cel: readonly CelEvent[], number: string, signals: readonly Signal[]): string | null {
  const mine = cel.filter((e) => e.callerNumber === number).sort((a, b) => a.us - b.us)
  const stasis = mine.find((e) => e.type === 'APP_START' && e.app.toLowerCase() === 'stasis')
  if (!stasis) return mine.length > 0 ? 'CEL: never reached Stasis' : null
  const at = stasis.us / 1000
  const bits = [`CEL: reached Stasis ${afterSignal(at, signals) ?? ''}`.trimEnd()]
  const answer = mine.find((e) => e.type === 'ANSWER' && e.us >= stasis.us)
  if (answer) bits.push(`answered +${Math.round(answer.us / 1000 - at)} ms`)
  const hangup = mine.find((e) => e.type === 'HANGUP' && e.us >= stasis.us)
  if (hangup) {
    let cause = ''
    try {
      const x = JSON.parse(hangup.extra) as {hangupcause?: unknown; dialstatus?: unknown}
      cause = x.hangupcause === undefined ? '' : ` (cause ${String(x.hangupcause)})`
    } catch {
      // no extra: no cause to show
    }
    bits.push(`hung up +${Math.round(hangup.us / 1000 - at)} ms${cause}`)
  }
  return bits.join(', ')
}

/**
 * The findings with their context appended: the signal before the caller was placed (for
 * one that never started) or before the call's last event, and the CEL story of the caller.
 */
export function explainLost(lost: readonly Finding[], o: {placedAt: Map<string, number>; lastEventTs: Map<string, number>; signals: readonly Signal[]; cel: readonly CelEvent[]}): Finding[] {
  return lost.map((f) => {
    const t = f.callId ? o.lastEventTs.get(f.callId) : f.number ? o.placedAt.get(f.number) : undefined
    const when = t === undefined ? null : afterSignal(t, o.signals)
    const story = f.number ? celStory(o.cel, f.number, o.signals) : null
    const extra = [when && `${f.callId ? 'last event' : 'placed'} ${when}`, story].filter(Boolean).join('; ')
    return extra ? {...f, problem: `${f.problem}; ${extra}`} : f
  })
}
