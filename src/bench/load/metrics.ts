import {bridgeOf, type CelEvent} from './cel.js'

// The figures of one run, from Asterisk's channel events alone (one clock for both paths).
// Legs: every simulated person is a Local channel pair; the ;1 half is the one the router
// sees (the caller's leg the bench originated, the agent's leg app_queue or the engine dialled),
// the ;2 half runs the person's dialplan.
//
//   caller entered the queue  APP_START on the caller's ;1 leg of the path's app: Queue for
//                             app_queue, Stasis for the engine (its queue is the Stasis app).
//   agent's phone rings       CHAN_START of an agent's pair (Local/EXTEN@callctl-sim-agent-…):
//                             the channels exist the moment the router dials.
//   agent hung up             the first HANGUP of either half: ;2 when the agent ends the call
//                             (;1 follows, later under load), ;1 when the router cancels a ring.
//                             The agent is busy from its ring to its hangup.
//   ring for which caller     the agent leg's caller number (its ANSWER/HANGUP rows carry the
//                             caller ID both routers give it); app_queue's linkedid as a fallback.
//   connected                 the caller's leg entered a bridge an agent leg entered too.
//
//   ring latency       callers who entered while more agents were idle than callers waiting
//                      unrung: their first ring − their entry.
//   agent-free → ring  an agent hangs up while more callers wait unrung than other agents are
//                      idle (so that agent is needed): its next ring − its hangup. Dropped if
//                      it is no longer needed first: the line empties (another agent took the
//                      last caller), or abandons leave fewer callers than idle agents (then the
//                      agents freed last are dropped: longest-idle rings the others first).
//   drain rate         while any caller waits unrung, the time-average of agents on a call
//                      (ringing to hangup) ÷ the talk time: the rate the line is worked off,
//                      against the ideal of every agent on a call, agents ÷ talk time. Rung
//                      the moment they hang up, agents come within the re-ring gap of it;
//                      agents left idle while callers wait pull it down. Counting rings per
//                      second instead would depend on the phase of the agents' calls.
//
// Outcomes: completed = connected (and the agent talked its full time); abandoned = hung up
// after its patience, unconnected or just as it was connected; anything else is failed
// (originate error, never entered the queue, hung up early by the system, cut off while
// talking, still up at the end or hung up by the bench at its deadline).

export interface CallerSpec {
  number: string
  patienceS: number
}

export interface RunSpec {
  enterApp: 'Queue' | 'Stasis'
  /** By the uniqueid of the ;1 leg the bench originated. */
  callers: Map<string, CallerSpec>
  /** Callers whose originate request failed, by uniqueid → error. */
  originateErrors: Map<string, string>
  /** Channels the bench hung up because they were still up at its deadline. */
  forced: Set<string>
  /** Dial-string extension of each agent of this run (Local/EXTEN@callctl-sim-agent) → agent id; with `agentLeg`, its key. */
  agents: Map<string, string>
  talkS: number
  /**
   * Which agent leg a channel name is: `pair` names the leg (both halves of a Local pair),
   * `key` is looked up in `agents`. Default: the simulated agents' Local pairs. SIP agents
   * are one channel each (PJSIP/<phone>-<seq>), see sipAgentLeg.
   */
  agentLeg?: (channel: string) => {pair: string; key: string} | null
}

export interface Quantiles {
  n: number
  p50: number
  p99: number
  max: number
}

export interface RunMetrics {
  placed: number
  completed: number
  abandoned: number
  failed: number
  /** Reason → callers. */
  failures: Record<string, number>
  ringMs: Quantiles
  /** Callers who entered with an agent idle and left before any ring. */
  ringMissed: number
  freeToRingMs: Quantiles
  /**
   * While callers wait unrung: `seconds` of it, the agents on a call on average, and the rate
   * they take calls at (busy agents ÷ talk time; every call lasts the talk time), against
   * the ideal of every agent on a call (agents ÷ talk time).
   */
  drain: {seconds: number; busyAgents: number; perSec: number; idealPerSec: number; ratio: number}
  /** Rings to an agent whose previous leg was still up (a router ringing a busy agent). */
  doubleBooked: number
  /** Most caller–agent calls connected at once: agent legs bridged with their caller, answer to hangup. */
  peakConnected: number
  /** Connected callers' wait, entry → their agent's answer. */
  waitMs: Quantiles
}

/** An agent's Local pair: the name without ;1 / ;2 (unique per pair), and the dialled extension. */
const AGENT_LEG = /^(Local\/([^@;]+)@callctl-sim-agent-[0-9a-f]+);[12]$/

function localAgentLeg(channel: string): {pair: string; key: string} | null {
  const m = AGENT_LEG.exec(channel)
  return m ? {pair: m[1]!, key: m[2]!} : null
}

/** A SIP phone's channel, PJSIP/<phone>-<sequence>: one channel per leg, keyed by the phone. */
export function sipAgentLeg(channel: string): {pair: string; key: string} | null {
  const m = /^PJSIP\/(.+)-[0-9a-f]{8}$/.exec(channel)
  return m ? {pair: channel, key: m[1]!} : null
}
/** The sim caller hangs up after waiting ticks of 0.2 s, never before its patience. */
const PATIENCE_SLACK_US = 250_000
const TALK_SLACK_US = 500_000

interface CallerState {
  id: string
  spec: CallerSpec
  enteredUs: number | null
  hangupUs: number | null
  bridges: Set<string>
  seen: boolean
}

interface AgentLeg {
  /** Both halves' uniqueids. */
  ids: Set<string>
  agent: string
  startUs: number | null
  answerUs: number | null
  hangupUs: number | null
  caller: string | null
  bridges: Set<string>
}

export function quantiles(samplesMs: number[]): Quantiles {
  const s = [...samplesMs].sort((a, b) => a - b)
  const n = s.length
  const at = (p: number) => (n === 0 ? NaN : s[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!)
  return {n, p50: at(0.5), p99: at(0.99), max: n === 0 ? NaN : s[n - 1]!}
}

function collect(events: CelEvent[], spec: RunSpec) {
  const callers = new Map<string, CallerState>()
  for (const [id, c] of spec.callers) callers.set(id, {id, spec: c, enteredUs: null, hangupUs: null, bridges: new Set(), seen: false})
  const byNumber = new Map<string, string>()
  for (const [id, c] of spec.callers) byNumber.set(c.number, id)
  const legs = new Map<string, AgentLeg>()
  for (const e of events) {
    const caller = callers.get(e.uniqueId)
    if (caller) {
      caller.seen = true
      if (e.type === 'APP_START' && e.app === spec.enterApp) caller.enteredUs ??= e.us
      else if (e.type === 'HANGUP') caller.hangupUs ??= e.us
      const b = bridgeOf(e)
      if (b) caller.bridges.add(b)
      continue
    }
    const m = (spec.agentLeg ?? localAgentLeg)(e.channel)
    const agent = m ? spec.agents.get(m.key) : undefined
    if (!agent) continue
    let leg = legs.get(m!.pair)
    if (!leg) legs.set(m!.pair, (leg = {ids: new Set(), agent, startUs: null, answerUs: null, hangupUs: null, caller: null, bridges: new Set()}))
    leg.ids.add(e.uniqueId)
    if (e.type === 'CHAN_START') leg.startUs ??= e.us
    else if (e.type === 'ANSWER') leg.answerUs ??= e.us
    else if (e.type === 'HANGUP') leg.hangupUs ??= e.us
    leg.caller ??= byNumber.get(e.callerNumber) ?? (callers.has(e.linkedId) ? e.linkedId : null)
    const b = bridgeOf(e)
    if (b) leg.bridges.add(b)
  }
  return {callers, legs: [...legs.values()].filter((l) => l.startUs !== null)}
}

/** The caller hung up when its patience ran out (not earlier). */
function gaveUp(c: CallerState): boolean {
  return c.enteredUs !== null && c.hangupUs !== null && c.hangupUs - c.enteredUs >= c.spec.patienceS * 1e6 - PATIENCE_SLACK_US
}

/** The most intervals open at once (an interval ending where another starts does not overlap it). */
export function peakOverlap(intervals: Array<{from: number; to: number}>): number {
  const edges = intervals.flatMap((i) => [{at: i.from, d: 1}, {at: i.to, d: -1}])
  edges.sort((a, b) => a.at - b.at || a.d - b.d)
  let open = 0
  let peak = 0
  for (const e of edges) peak = Math.max(peak, (open += e.d))
  return peak
}

/** Agent legs bridged with their caller: the call from the agent's answer to its hangup, and the caller's wait. */
function connections(callers: Map<string, CallerState>, legs: AgentLeg[]) {
  const calls: Array<{from: number; to: number}> = []
  const waits: number[] = []
  for (const l of legs) {
    const c = l.caller === null ? undefined : callers.get(l.caller)
    if (!c || l.answerUs === null || ![...l.bridges].some((b) => c.bridges.has(b))) continue
    calls.push({from: l.answerUs, to: l.hangupUs ?? Number.MAX_SAFE_INTEGER})
    if (c.enteredUs !== null) waits.push((l.answerUs - c.enteredUs) / 1000)
  }
  return {peak: peakOverlap(calls), waitMs: quantiles(waits)}
}

function outcomes(spec: RunSpec, callers: Map<string, CallerState>, legs: AgentLeg[]) {
  const agentBridges = new Map<string, AgentLeg>()
  for (const l of legs) for (const b of l.bridges) agentBridges.set(b, l)
  const failures: Record<string, number> = {}
  const fail = (why: string) => void (failures[why] = (failures[why] ?? 0) + 1)
  let completed = 0
  let abandoned = 0
  for (const c of callers.values()) {
    const originateError = spec.originateErrors.get(c.id)
    if (originateError !== undefined) fail(`originate error (${originateError.slice(0, 60)})`)
    else if (spec.forced.has(c.id)) fail('still up at the deadline')
    else if (c.enteredUs === null) fail('never entered the queue')
    else {
      const leg = [...c.bridges].map((b) => agentBridges.get(b)).find((l) => l !== undefined)
      if (leg) {
        const cut = leg.answerUs !== null && leg.hangupUs !== null && leg.hangupUs - leg.answerUs < spec.talkS * 1e6 - TALK_SLACK_US
        if ([...leg.ids].some((id) => spec.forced.has(id))) fail('still up at the deadline')
        else if (cut && gaveUp(c) && c.hangupUs! <= leg.hangupUs!) abandoned++ // its patience ran out as it was connected: the sim caller looks every 0.2 s
        else if (cut || leg.hangupUs === null) fail(cut ? 'cut off while talking' : 'still up at the end')
        else completed++
      } else if (c.hangupUs === null) fail('still up at the end')
      else if (gaveUp(c)) abandoned++
      else fail('hung up before its patience ran out')
    }
  }
  const failed = Object.values(failures).reduce((a, b) => a + b, 0)
  return {completed, abandoned, failed, failures}
}

type Step =
  | {us: number; order: 0; kind: 'free'; leg: AgentLeg}
  | {us: number; order: 1; kind: 'leave'; caller: CallerState}
  | {us: number; order: 2; kind: 'enter'; caller: CallerState}
  | {us: number; order: 3; kind: 'ring'; leg: AgentLeg}

function timeline(callers: Map<string, CallerState>, legs: AgentLeg[]): Step[] {
  const steps: Step[] = []
  for (const c of callers.values()) {
    if (c.enteredUs === null) continue
    steps.push({us: c.enteredUs, order: 2, kind: 'enter', caller: c})
    if (c.hangupUs !== null) steps.push({us: c.hangupUs, order: 1, kind: 'leave', caller: c})
  }
  for (const l of legs) {
    steps.push({us: l.startUs!, order: 3, kind: 'ring', leg: l})
    if (l.hangupUs !== null) steps.push({us: l.hangupUs, order: 0, kind: 'free', leg: l})
  }
  return steps.sort((a, b) => a.us - b.us || a.order - b.order)
}

/** Replays the run in Asterisk's time order: who waited, which agents were idle. */
function replay(spec: RunSpec, callers: Map<string, CallerState>, legs: AgentLeg[]) {
  const agentCount = new Set(spec.agents.values()).size
  const busy = new Map<string, number>()
  let busyAgents = 0
  const waiting = new Set<string>()
  const withIdle = new Set<string>()
  const pending = new Map<string, number>()
  const ringMs: number[] = []
  const freeMs: number[] = []
  let doubleBooked = 0
  const backlog = {us: 0, busyUs: 0}
  let lastUs: number | null = null
  /** Fewer callers waiting than agents idle: the agents freed last are not needed. */
  const dropUnneeded = () => {
    let surplus = agentCount - busyAgents - waiting.size
    for (const a of [...pending.keys()].reverse()) if (surplus-- > 0) pending.delete(a)
  }

  for (const s of timeline(callers, legs)) {
    if (lastUs !== null && waiting.size > 0) {
      backlog.us += s.us - lastUs
      backlog.busyUs += busyAgents * (s.us - lastUs)
    }
    lastUs = s.us
    if (s.kind === 'enter') {
      if (agentCount - busyAgents > waiting.size) withIdle.add(s.caller.id)
      waiting.add(s.caller.id)
    } else if (s.kind === 'leave') {
      if (waiting.delete(s.caller.id)) dropUnneeded()
    } else if (s.kind === 'free') {
      const a = s.leg.agent
      const n = Math.max(0, (busy.get(a) ?? 0) - 1)
      busy.set(a, n)
      if (n > 0) continue
      busyAgents--
      if (waiting.size > agentCount - busyAgents - 1) pending.set(a, s.us)
    } else {
      const a = s.leg.agent
      const n = busy.get(a) ?? 0
      if (n > 0) doubleBooked++
      else busyAgents++
      busy.set(a, n + 1)
      const freedAt = pending.get(a)
      if (freedAt !== undefined) {
        freeMs.push((s.us - freedAt) / 1000)
        pending.delete(a)
      }
      const c = s.leg.caller
      if (c !== null && waiting.delete(c)) {
        if (withIdle.delete(c)) ringMs.push((s.us - callers.get(c)!.enteredUs!) / 1000)
        dropUnneeded()
      }
    }
  }
  const ringMissed = [...withIdle].filter((id) => !legs.some((l) => l.caller === id)).length
  return {ringMs, freeMs, doubleBooked, ringMissed, backlog}
}

export function runMetrics(events: CelEvent[], spec: RunSpec): RunMetrics {
  const {callers, legs} = collect(events, spec)
  const out = outcomes(spec, callers, legs)
  const r = replay(spec, callers, legs)
  const agents = new Set(spec.agents.values()).size
  const seconds = r.backlog.us / 1e6
  const busyAgents = seconds > 0 ? r.backlog.busyUs / r.backlog.us : NaN
  const perSec = busyAgents / spec.talkS
  const idealPerSec = agents / spec.talkS
  const conn = connections(callers, legs)
  return {
    placed: spec.callers.size,
    ...out,
    ringMs: quantiles(r.ringMs),
    ringMissed: r.ringMissed,
    freeToRingMs: quantiles(r.freeMs),
    drain: {seconds, busyAgents, perSec, idealPerSec, ratio: perSec / idealPerSec},
    doubleBooked: r.doubleBooked,
    peakConnected: conn.peak,
    waitMs: conn.waitMs,
  }
}
