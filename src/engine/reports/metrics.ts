// The call-center figures, defined once (../shared/PRODUCT.md, "Metric definitions").
// Reports, dashboards and the engine API all compute them here, from the same counts.

/** How service level is computed; there is no single industry formula. */
export const SL_FORMULAS = ['default', 'answered', 'sl2', 'answered-abandoned'] as const
export type SlFormula = (typeof SL_FORMULAS)[number]

export const SL_FORMULA_TEXT: Record<SlFormula, string> = {
  default: 'answered within T / (answered + abandoned after T)',
  answered: 'answered within T / answered (Asterisk servicelevel)',
  sl2: '(answered within T + abandoned within T) / (answered + abandoned) (Asterisk SL2)',
  'answered-abandoned': 'answered within T / (answered + abandoned)',
}

export interface SlSettings {
  /** T, seconds. */
  seconds: number
  formula: SlFormula
  /** Callers who hang up within this many seconds are short abandons, reported apart. */
  shortAbandonSeconds: number
}

export const DEFAULT_SL: SlSettings = {seconds: 20, formula: 'default', shortAbandonSeconds: 5}

/**
 * Counts for one queue (or agent) over one interval. All times in milliseconds.
 *
 * A queue visit is counted offered when it enters the queue, and once more when it
 * finishes, in the interval where that happens: answered, abandoned, or exited (left
 * without an agent). Every ratio divides by finished visits only (finishedOffered):
 * callers still waiting are counted apart (`waiting`), and so are visits the system
 * ended (`systemEnded`: the engine or the demo shutting down, Asterisk restarting).
 */
export interface Tally {
  /** Calls that reached the queue. */
  offered: number
  /** Connected to an agent. */
  answered: number
  /** Hung up while waiting, short abandons included. */
  abandoned: number
  shortAbandoned: number
  /** Left the queue without an agent and without hanging up: max wait, a key, no agents, a callback that failed. */
  exited: number
  /** Ended by the system (shutdown, Asterisk restart): neither answered nor abandoned, and in no ratio. */
  systemEnded: number
  /** Callers still in line when the interval ended (or now): in no ratio until they leave it. */
  waiting: number
  answeredWithinT: number
  /** Abandons (not short) within T, and after T. */
  abandonedWithinT: number
  abandonedAfterT: number
  /** Total wait of answered calls. */
  answeredWaitMs: number
  longestWaitMs: number
  /** Calls an agent finished (talk, hold and wrap-up counted for them). */
  handled: number
  talkMs: number
  holdMs: number
  wrapUpMs: number
}

export function emptyTally(): Tally {
  return {offered: 0, answered: 0, abandoned: 0, shortAbandoned: 0, exited: 0, systemEnded: 0, waiting: 0, answeredWithinT: 0, abandonedWithinT: 0, abandonedAfterT: 0, answeredWaitMs: 0, longestWaitMs: 0, handled: 0, talkMs: 0, holdMs: 0, wrapUpMs: 0}
}

/** A caller reached the queue. */
export function countOffered(t: Tally): void {
  t.offered++
}

export function countAnswered(t: Tally, waitMs: number, sl: SlSettings): void {
  t.answered++
  t.answeredWaitMs += waitMs
  t.longestWaitMs = Math.max(t.longestWaitMs, waitMs)
  if (waitMs <= sl.seconds * 1000) t.answeredWithinT++
}

export function countAbandoned(t: Tally, waitMs: number, sl: SlSettings): void {
  t.abandoned++
  t.longestWaitMs = Math.max(t.longestWaitMs, waitMs)
  if (waitMs < sl.shortAbandonSeconds * 1000) t.shortAbandoned++
  else if (waitMs <= sl.seconds * 1000) t.abandonedWithinT++
  else t.abandonedAfterT++
}

/** The caller left the line without an agent and without hanging up (timeout, key, empty, failed callback). */
export function countExited(t: Tally): void {
  t.exited++
}

/** The system ended the caller's wait (shutdown, Asterisk restart): apart from every ratio. */
export function countSystemEnded(t: Tally): void {
  t.systemEnded++
}

export function countHandled(t: Tally, talkMs: number, holdMs: number, wrapUpMs: number): void {
  t.handled++
  t.talkMs += talkMs
  t.holdMs += holdMs
  t.wrapUpMs += wrapUpMs
}

export function mergeTally(into: Tally, t: Tally): Tally {
  // A count missing from `t` (a snapshot from an engine before the count existed) adds nothing.
  for (const k of Object.keys(into) as (keyof Tally)[]) into[k] = k === 'longestWaitMs' ? Math.max(into[k], t[k] ?? 0) : into[k] + (t[k] ?? 0)
  return into
}

/** null when the denominator is zero: "no calls" is not 0 %. */
function ratio(n: number, d: number): number | null {
  return d > 0 ? n / d : null
}

/**
 * Finished offered calls: visits that left the queue by an answer, an abandon or an exit
 * without an agent. Callers still waiting and visits the system ended are not among
 * them. Over a span that holds whole visits this is offered − waiting − system-ended;
 * a visit crossing an interval's end counts where it finishes.
 */
export function finishedOffered(t: Tally): number {
  return t.answered + t.abandoned + t.exited
}

/**
 * Answer rate (接通率) = answered / finished offered.
 * Denominator: answered + abandoned (short ones too) + exited without an agent; not
 * callers still waiting, not system-ended visits.
 */
export function answerRate(t: Tally): number | null {
  return ratio(t.answered, finishedOffered(t))
}

/**
 * Abandon rate = (abandoned − short abandons) / (finished offered − short abandons).
 * Denominator: answered + abandons after the short threshold + exited without an agent;
 * not short abandons, callers still waiting or system-ended visits.
 */
export function abandonRate(t: Tally): number | null {
  return ratio(t.abandoned - t.shortAbandoned, finishedOffered(t) - t.shortAbandoned)
}

/**
 * Service level at T with the queue's formula. Denominators hold answered calls and,
 * as the formula says, abandons; never short abandons, exits without an agent, callers
 * still waiting or system-ended visits (a shutdown is no caller giving up).
 */
export function serviceLevel(t: Tally, formula: SlFormula): number | null {
  switch (formula) {
    case 'default':
      return ratio(t.answeredWithinT, t.answered + t.abandonedAfterT)
    case 'answered':
      return ratio(t.answeredWithinT, t.answered)
    case 'sl2':
      return ratio(t.answeredWithinT + t.abandonedWithinT, t.answered + t.abandonedWithinT + t.abandonedAfterT)
    case 'answered-abandoned':
      return ratio(t.answeredWithinT, t.answered + t.abandonedWithinT + t.abandonedAfterT)
  }
}

/** ASA = total wait of answered calls / answered (ms). */
export function asa(t: Tally): number | null {
  return ratio(t.answeredWaitMs, t.answered)
}

/** AHT = (talk + hold + wrap-up) / handled calls (ms). */
export function aht(t: Tally): number | null {
  return ratio(t.talkMs + t.holdMs + t.wrapUpMs, t.handled)
}

/** Occupancy = (talk + hold + wrap-up) / (logged-in − paused). */
export function occupancy(busyMs: number, loggedInMs: number, pausedMs: number): number | null {
  return ratio(busyMs, loggedInMs - pausedMs)
}

/** "SL 20 s (answered within T / (answered + abandoned after T))" — the figure's definition, for headers. */
export function describeSl(sl: SlSettings): string {
  return `SL ${sl.seconds} s (${SL_FORMULA_TEXT[sl.formula]}; short abandon < ${sl.shortAbandonSeconds} s excluded)`
}

// ---- staffing (Erlang C) ------------------------------------------------------

/** Probability a caller waits at all, with `agents` agents and `traffic` Erlangs offered. */
export function erlangC(agents: number, traffic: number): number {
  if (agents <= traffic) return 1
  // Erlang B by its stable recursion, then C from B.
  let b = 1
  for (let k = 1; k <= agents; k++) b = (traffic * b) / (k + traffic * b)
  return (agents * b) / (agents - traffic * (1 - b))
}

/** Share of calls answered within `targetSeconds` with `agents` agents. */
export function erlangServiceLevel(agents: number, callsPerHour: number, ahtSeconds: number, targetSeconds: number): number {
  const traffic = (callsPerHour * ahtSeconds) / 3600
  if (agents <= traffic) return 0
  return 1 - erlangC(agents, traffic) * Math.exp((-(agents - traffic) * targetSeconds) / ahtSeconds)
}

/** Fewest agents reaching the service level target (e.g. 0.8 within 20 s). */
export function agentsNeeded(callsPerHour: number, ahtSeconds: number, targetSl: number, targetSeconds: number): number {
  if (callsPerHour <= 0 || ahtSeconds <= 0) return 0
  const traffic = (callsPerHour * ahtSeconds) / 3600
  let n = Math.max(1, Math.ceil(traffic))
  while (erlangServiceLevel(n, callsPerHour, ahtSeconds, targetSeconds) < targetSl && n < 100_000) n++
  return n
}

// ---- first-contact resolution (FCR) -------------------------------------------

/**
 * First-contact resolution (PRODUCT.md, "Metric definitions"):
 *
 *   FCR = contacts resolved on first contact / contacts judged
 *
 * - A contact is an inbound call an agent answered. A transferred call is one contact (one
 *   call id, however many agents had it); it counts for the last queue it entered and the
 *   last agent who answered it, as `report calls` shows them, in the interval it started.
 * - The customer is the contact id the call names (its disposition's `contact`), else its
 *   number as received (spaces, dashes, dots and brackets dropped).
 * - It is resolved on first contact when the same customer does not contact again within
 *   the window after it started (default 7 days, `--fcr-window`): no inbound call of theirs,
 *   answered or not, starts in (start, start + window], and no ticket of theirs is reopened
 *   (ticket.status_changed from solved or closed to open or pending) in that time; a
 *   ticket is the customer's its contact names, else its number, as they stood then.
 * - Left out of the denominator, and counted apart:
 *   - pending: contacts not followed so far whose window has not ended when the report is
 *     made (`now`): they may still be. (One already followed is judged: repeated.) A report
 *     reads the log past its period's end for this, up to the window;
 *   - anonymous callers (no contact id, and a number that is empty, withheld or not a
 *     number): nobody can tell their next call from anyone else's. Their calls are not
 *     repeats of anyone's either.
 * - Calls we placed (outbound, callbacks dialled out) are neither contacts nor repeats.
 */
export const DEFAULT_FCR_WINDOW_MS = 7 * 86_400_000

/** Numbers a trunk sends for a withheld caller id. */
const WITHHELD = /^(anonymous|unknown|restricted|private|unavailable|withheld)$/i

/**
 * The customer a contact belongs to: its contact id (a contact's key is its E.164 number),
 * else its number as received, separators dropped; '' when anonymous. Both are numbers, so a
 * contact's calls meet its calls that named no contact when the trunk sent E.164.
 */
export function customerKey(contact: string | null | undefined, number: string | null | undefined): string {
  const n = String(contact || number || '').trim()
  if (n === '' || WITHHELD.test(n)) return ''
  const digits = n.replace(/[\s\-().]/g, '')
  return /^\+?\d+$/.test(digits) ? digits : ''
}

export interface FcrCounts {
  /** Contacts judged: resolved + repeated. */
  contacts: number
  resolved: number
  /** Window still open at the report's making: in no ratio. */
  pending: number
  /** Answered calls from anonymous callers: in no ratio. */
  anonymous: number
}

export function emptyFcr(): FcrCounts {
  return {contacts: 0, resolved: 0, pending: 0, anonymous: 0}
}

/** FCR = resolved / contacts judged (pending and anonymous ones left out); null with none judged. */
export function fcrRate(c: FcrCounts): number | null {
  return ratio(c.resolved, c.contacts)
}

export type FcrVerdict = 'resolved' | 'repeated' | 'pending' | 'anonymous'

/**
 * One contact judged: `next` is the customer's first inbound call or ticket reopen after the
 * contact's start (null: none known). Grouping contacts by customer is fcr.ts's.
 */
export function fcrVerdict(at: number, next: number | null, o: {windowMs: number; now: number}): FcrVerdict {
  if (next !== null && next <= at + o.windowMs) return 'repeated'
  return at + o.windowMs > o.now ? 'pending' : 'resolved'
}

/** Adds one judged contact to its counts. */
export function countFcr(f: FcrCounts, verdict: 'resolved' | 'repeated' | 'pending' | 'anonymous'): void {
  if (verdict === 'pending') f.pending++
  else if (verdict === 'anonymous') f.anonymous++
  else {
    f.contacts++
    if (verdict === 'resolved') f.resolved++
  }
}

// ---- tickets -------------------------------------------------------------------

/**
 * The median (p50) of a list: the middle value, the lower of the two middle ones for an
 * even count (nearest rank: the value at rank ceil(n / 2)); null for none.
 */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.ceil(sorted.length / 2) - 1]!
}

// ---- chats -------------------------------------------------------------------

/**
 * Chats (issue 18), as `report chats` and the agents report's chat columns count them
 * (reports/chat-tally.ts folds the chat.* events):
 *
 * - offered (queue): conversations that entered the queue in the period (chat.queued; a
 *   transfer to a queue enters it again). offered (agent): offers made to the agent
 *   (chat.offered), each re-offer after an expired one counted again.
 * - answered: an agent accepted it (chat.accepted) in a visit that entered in the period;
 *   missed: an offer the agent let run out (chat.offer_expired).
 * - abandoned: the visit ended (chat.closed: the customer left or went silent) before any
 *   agent accepted it. Ended by the system itself (chat.closed system: the engine or the demo
 *   stopping, a queue removed) is system_ended, apart, as for calls (PRODUCT.md). A visit still waiting at the period's end is neither answered nor
 *   abandoned.
 * - exited: the visit ended without an agent and without the customer leaving, the system's
 *   doing as a call's "exited" is (PRODUCT.md: abandoned = the customer left while waiting):
 *   overflowed to another queue (chat.overflowed, counted there again as offered: each queue
 *   counts the visits it had), asked to leave a message (chat.message_asked), or closed at
 *   maxWait or with nobody logged in (chat.closed max-wait / no-agents). overflowed is the
 *   first of those apart; messages_left the messages that became tickets (chat.message_left,
 *   when written, for the ticket's queue). offered = answered + abandoned + exited + system_ended + waiting.
 * - wait: queue entry → accept. first response: queue entry → the agent's first line after
 *   accepting (answered chats the agent never wrote in are left out of that average).
 * - handle time: accept → close or transfer away, for chats that ended in the period; counted
 *   for the agent that had it and the queue it came through.
 * - concurrency (agent): max_concurrent is the most chats held at once (accepted, not ended)
 *   in the period; avg_concurrent = chat-time / busy-time, where busy-time is the time the
 *   agent held at least one chat and chat-time the sum over chats of their time held, both
 *   clipped to the period.
 * - satisfaction: the 1-5 ratings given in the period (chat.rated), for the queue and the
 *   agent who had the conversation last; avg_rating = their mean.
 */
export function meanMs(totalMs: number, n: number): number | null {
  return n > 0 ? totalMs / n : null
}

/** Chats held at once on average while the agent held any; null when it held none. */
export function avgChatConcurrency(chatMs: number, busyMs: number): number | null {
  return busyMs > 0 ? chatMs / busyMs : null
}
