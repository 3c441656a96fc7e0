// bench:presence's figures from the run's ground truth and the engine's event log, and
// their table. Pure: presence.ts gathers, this sums up and prints.
import type {StoredEvent} from '../../engine/store/events.js'
import {busyTimings, classifyRing, countRings, engineWindows, flapTimings, ringOverhangs, ringsOf, stat, unmatchedWindows, type RingOverhang, type ClassifiedRing, type FlapTiming, type RingCounts, type Stat, type TruthBusy, type TruthDown} from './count.js'

export interface RunFacts {
  command: string
  machine: {cpus: number; model: string; node: string; asterisk: string; loadavgBefore: number[]; loadavgAfter: number[]}
  settings: {agents: number; flapping: number; calls: number; rate: number; talkMs: number; ringMs: number; graceMs: number; qualifyS: number; qualifyTimeoutS: number; ringTimeoutS: number}
  /** The first event id of the measured run (rings before it, e.g. at start-up, are not counted). */
  fromEventId: number
  events: StoredEvent[]
  downs: TruthDown[]
  busy: (TruthBusy & {cause: number | null})[]
  caller: {created: number; successful: number; failed: number; exitCode: number | null}
  engineErrors: string[]
  wallS: number
}

export interface Summary {
  rings: number
  counts: RingCounts
  /** Offers the engine made knowing the phone was down or busy: the bench fails on any. */
  violations: ClassifiedRing[]
  races: ClassifiedRing[]
  ringFailures: {n: number; reasons: Record<string, number>}
  timings: {
    unregisterToUnreachable: Stat
    killToUnreachable: Stat
    reregisterToReachable: Stat
    reregisterToNextRing: Stat
    answerToOtherCall: Stat
    hangupToOtherCallEnded: Stat
  }
  flaps: {explicit: number; kill: number; neverNoticed: number; stuck: number; unreachableReasons: Record<string, number>}
  /** Flaps over their goal (explicit > 1 s, silent > one qualify interval + timeout) or never noticed, for a closer look. */
  slowFlaps: FlapTiming[]
  /** The engine marked a phone unreachable that was not away (per the truth): count, reasons and how long. */
  spurious: {n: number; reasons: Record<string, number>; durationMs: Stat}
  /** Rings still going after the engine had marked the agent unreachable (placed before it knew). */
  overhangs: RingOverhang[]
  /** Direct calls the engine never showed as other-call (the agent was busy with the engine's own ring or call then: ignored by design). */
  directUnseen: number
  /** Rings other than to an up-and-free phone or a silent one, with their class and offset into the truth window. */
  notable: ClassifiedRing[]
  /** Every flap, for --json. */
  perFlap: FlapTiming[]
  directCalls: {placed: number; answered: number}
  calls: {started: number; connected: number; completed: number; abandoned: number}
}

export function summarize(f: RunFacts): Summary {
  const windows = engineWindows(f.events)
  const allRings = ringsOf(f.events)
  const rings = allRings.filter((r) => r.id > f.fromEventId)
  const classified = rings.map((r) => classifyRing(r, {down: f.downs, busy: f.busy}, windows, f.settings.graceMs))
  const counts = countRings(classified)
  const endOfLog = f.events.at(-1)?.ts ?? Date.now()
  const flaps = flapTimings(f.downs, windows, allRings, {graceMs: f.settings.graceMs, endOfLog, stuckMs: 5000})
  const busy = busyTimings(f.busy, windows)
  const num = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null)
  const reasons: Record<string, number> = {}
  let failedRings = 0
  for (const e of f.events) {
    if (e.id <= f.fromEventId || e.type !== 'agent.ring_noanswer' || e.data.outcome !== 'failed') continue
    failedRings++
    const why = String(e.data.reason ?? '?')
    reasons[why] = (reasons[why] ?? 0) + 1
  }
  const unreachableReasons: Record<string, number> = {}
  for (const t of flaps) if (t.reason) unreachableReasons[`${t.kind}: ${t.reason}`] = (unreachableReasons[`${t.kind}: ${t.reason}`] ?? 0) + 1
  const run = f.events.filter((e) => e.id > f.fromEventId)
  const n = (type: string) => run.filter((e) => e.type === type).length
  return {
    rings: rings.length,
    counts,
    violations: classified.filter((r) => r.class === 'engine-knew-unreachable' || r.class === 'engine-knew-other-call'),
    races: classified.filter((r) => r.class === 'unregistered-race' || r.class === 'busy-race' || r.class === 'takedown-gap'),
    ringFailures: {n: failedRings, reasons},
    timings: {
      unregisterToUnreachable: stat(num(flaps.filter((t) => t.kind === 'unregister').map((t) => t.toUnreachableMs))),
      killToUnreachable: stat(num(flaps.filter((t) => t.kind === 'kill').map((t) => t.toUnreachableMs))),
      reregisterToReachable: stat(num(flaps.map((t) => t.toReachableMs))),
      reregisterToNextRing: stat(num(flaps.map((t) => t.toNextRingMs))),
      answerToOtherCall: stat(num(busy.map((b) => b.toOtherCallMs))),
      hangupToOtherCallEnded: stat(num(busy.map((b) => b.toEndedMs))),
    },
    flaps: {
      explicit: flaps.filter((t) => t.kind === 'unregister').length,
      kill: flaps.filter((t) => t.kind === 'kill').length,
      neverNoticed: flaps.filter((t) => t.toUnreachableMs === null).length,
      stuck: flaps.filter((t) => t.stuck).length,
      unreachableReasons,
    },
    slowFlaps: flaps.filter((t) => t.toUnreachableMs === null || t.toUnreachableMs > (t.kind === 'kill' ? (f.settings.qualifyS + f.settings.qualifyTimeoutS) * 1000 : 1000)),
    perFlap: flaps,
    overhangs: ringOverhangs(rings, f.events, windows),
    directUnseen: busy.filter((b) => b.answered && b.toOtherCallMs === null).length,
    notable: classified.filter((r) => r.class !== 'clear' && r.class !== 'silent-before-qualify'),
    spurious: (() => {
      const u = unmatchedWindows(f.downs, windows, f.fromEventId)
      const rs: Record<string, number> = {}
      for (const w of u) rs[w.reason ?? '?'] = (rs[w.reason ?? '?'] ?? 0) + 1
      return {n: u.length, reasons: rs, durationMs: stat(u.filter((w) => w.endTs !== null).map((w) => w.endTs! - w.startTs))}
    })(),
    directCalls: {placed: f.busy.length, answered: f.busy.filter((b) => b.answeredAt !== null).length},
    calls: {started: n('call.started'), connected: n('call.connected'), completed: n('call.completed'), abandoned: n('queue.abandoned')},
  }
}

const ms = (v: number | null) => (v === null ? '-' : `${Math.round(v)} ms`)

function statRow(label: string, s: Stat, goal = ''): string {
  return `  ${label.padEnd(52)} ${String(s.n).padStart(4)} ${ms(s.p50).padStart(9)} ${ms(s.max).padStart(9)}${goal ? `   ${goal}` : ''}`
}

export function table(f: RunFacts, s: Summary): string[] {
  const st = f.settings
  const c = s.counts
  const row = (label: string, v: number, note = '') => `  ${label.padEnd(70)} ${String(v).padStart(5)}${note ? `  ${note}` : ''}`
  const offsets = (cls: string) => {
    const o = s.races.filter((r) => r.class === cls).map((r) => r.offsetMs ?? 0)
    return o.length ? `(${o.map((x) => `+${x} ms`).join(', ')} into the window)` : ''
  }
  const qualifyBound = (st.qualifyS + st.qualifyTimeoutS) * 1000
  return [
    `Agent presence on real SIP: sandbox Asterisk ${f.machine.asterisk}; ${f.machine.cpus} × ${f.machine.model}, node ${f.machine.node}; load average before ${f.machine.loadavgBefore.join(' ')}, after ${f.machine.loadavgAfter.join(' ')}`,
    `Command: ${f.command}`,
    `${st.agents} agents, one product-provisioned PJSIP phone each (a registered SIPp phone answering after ${st.ringMs} ms, hanging up after ${st.talkMs} ms); ${st.flapping} of them flap (explicit unregister, away 2-8 s, or SIGKILL, away until the engine sees it); ${st.calls} carrier calls at ${st.rate}/s; direct calls from the bench make other phones busy. Qualify every ${st.qualifyS} s, timeout ${st.qualifyTimeoutS} s; ring timeout ${st.ringTimeoutS} s; grace ${st.graceMs} ms.`,
    `Run: ${Math.round(f.wallS)} s; SIPp callers ${f.caller.successful} ok / ${f.caller.failed} failed of ${f.caller.created}; engine: ${s.calls.started} calls, ${s.calls.connected} connected, ${s.calls.abandoned} abandoned; ${s.flaps.explicit} explicit unregisters, ${s.flaps.kill} SIGKILLs; ${s.directCalls.placed} direct calls (${s.directCalls.answered} answered).`,
    '',
    `Offers (agent.ringing) in the run: ${s.rings}`,
    row('to a phone the ENGINE KNEW was unreachable (must be 0)', c['engine-knew-unreachable']),
    row('to a phone the ENGINE KNEW was busy on another call (must be 0)', c['engine-knew-other-call']),
    row('after an explicit unregister\'s 200 OK, before the engine heard (race)', c['unregistered-race'], offsets('unregistered-race')),
    row(`to a SIGKILLed phone before qualify could tell (<= ${qualifyBound / 1000} s, expected)`, c['silent-before-qualify']),
    row('to a phone whose process ended, unregister not yet sent (bench gap)', c['takedown-gap'], offsets('takedown-gap')),
    row('to a phone busy on the bench\'s direct call, engine not yet aware (race)', c['busy-race'], offsets('busy-race')),
    row('to a phone the bench\'s direct call was ringing, not yet answered', c['direct-ringing']),
    row(`within ${st.graceMs} ms before the phone's return / the direct call's end (edge)`, c.edge),
    row('to a phone that was up and free', c.clear),
    `  offers to unreachable phones: ${c['engine-knew-unreachable'] + c['unregistered-race'] + c['silent-before-qualify']} (engine knew: ${c['engine-knew-unreachable']}); to busy phones: ${c['engine-knew-other-call'] + c['busy-race']} (engine knew: ${c['engine-knew-other-call']})`,
    `  rings still ringing after the engine marked the agent unreachable: ${s.overhangs.length}${s.overhangs.length ? ` (the caller waited on a phone known gone for p50 ${ms(stat(s.overhangs.map((x) => x.overhangMs)).p50)}, max ${ms(stat(s.overhangs.map((x) => x.overhangMs)).max)}; ended by ${[...new Set(s.overhangs.map((x) => x.endedBy))].join(', ')})` : ''}`,
    ...s.notable.map((r) => `    ${r.class}: agent ${r.agent}, ${r.offsetMs ?? '?'} ms into the window, call ${r.callId ?? '-'} (event ${r.id})`),
    `  rings that failed (the phone could not ring): ${s.ringFailures.n}${Object.keys(s.ringFailures.reasons).length ? ` (${Object.entries(s.ringFailures.reasons).map(([k, v]) => `${v}× ${k}`).join('; ')})` : ''}`,
    '',
    `Presence timings${' '.repeat(42)}    n       p50       max`,
    statRow('explicit unregister (200 OK) → agent.unreachable', s.timings.unregisterToUnreachable, 'goal <= 1000 ms'),
    statRow('SIGKILL (silent phone) → agent.unreachable', s.timings.killToUnreachable, `goal <= ${qualifyBound} ms (one qualify interval + timeout)`),
    statRow('re-register (200 OK) → agent.reachable', s.timings.reregisterToReachable, 'goal <= 50 ms'),
    statRow('re-register (200 OK) → next ring to it', s.timings.reregisterToNextRing),
    statRow('direct call answered → agent.other_call', s.timings.answerToOtherCall, '(< 0: seen while ringing)'),
    statRow('direct call ended → agent.other_call_ended', s.timings.hangupToOtherCallEnded),
    `  direct calls answered that the engine never showed as other-call: ${s.directUnseen} (it ignores in-use while it rings or connects the agent itself)`,
    `  agent.unreachable reasons: ${Object.entries(s.flaps.unreachableReasons).map(([k, v]) => `${v}× ${k}`).join('; ') || '-'}`,
    `  agent.unreachable for a phone that was not away: ${s.spurious.n}${s.spurious.n ? ` (${Object.entries(s.spurious.reasons).map(([k, v]) => `${v}× ${k}`).join('; ')}; lasting p50 ${ms(s.spurious.durationMs.p50)}, max ${ms(s.spurious.durationMs.max)})` : ''}`,
    `  flaps the engine never marked unreachable: ${s.flaps.neverNoticed}; agents still unreachable in the engine > 5 s after their phone was back: ${s.flaps.stuck}`,
    ...(f.engineErrors.length ? ['', `Engine errors (${f.engineErrors.length}): ${f.engineErrors.slice(0, 3).join(' | ')}`] : []),
  ]
}
