import type {CelEvent} from '../load/cel.js'
import {quantiles, runMetrics, sipAgentLeg, type CallerSpec, type Quantiles} from '../load/metrics.js'
import {sipCallers} from '../load/sip-plan.js'
import {callSetups, mergeBoxes} from './cel-boxes.js'

// bench:boxes' box-loss figures (the issue's "what it must show"), from a run in which one
// box is killed (SIGKILL, as a crash) under traffic. No I/O. The dead box's CEL ends at the
// kill; the callers' sending times are known (SIPp places them at a steady rate from t0).
//
//   calls lost only on the dead box   callers in progress at the kill, by the box they were
//                                     on: those on the dead box are lost with it; those on a
//                                     box still up must complete (a caller there whose agent's
//                                     phone was on the dead box, rung over the trunk, is
//                                     counted apart: its agent leg went with the box)
//   agents back                       each phone registered on the dead box: the time from
//                                     the kill until ARI shows it online on another box,
//                                     against one registration interval
//   new calls served within 10 s      callers sent after the kill: served (completed), and
//                                     the time from sending to being bridged with an agent

export const NEW_CALL_GOAL_S = 10

export interface BoxLossRaw {
  dead: string
  /** When the box was killed, and when the first caller was sent (µs since the epoch). */
  killUs: number
  t0Us: number
  /** Calls per second SIPp placed from t0. */
  rate: number
  events: Record<string, CelEvent[]>
  /** The callers' numbers, in the order they were sent. */
  numbers: string[]
  talkS: number
  holdS: number
  phones: string[]
  /** Phone → ms after the kill it was online on another box; null if never within the wait. */
  backMs: Record<string, number | null>
  registrationS: number
  /** The engine's call.ended events of the run, by cause. */
  endedByCause: Record<string, number>
  engineErrors: string[]
  engineWarnings: string[]
  sippFailed: number
}

export interface Outcome {
  callers: number
  completed: number
  failed: number
  failures: Record<string, number>
}

export interface BoxLossFigures {
  dead: string
  callers: number
  /** Callers in progress at the kill on the dead box: their channels went with it. */
  onDead: number
  /** Callers in progress at the kill on the boxes still up (those served over the trunk by a phone on the dead box apart). */
  onLive: Outcome
  crossingIntoDead: Outcome
  /** When those callers' channels ended, s after the kill, and who hung up (CEL's hangupsource, first of them). */
  crossingEndS: Quantiles
  crossingHungUpBy: string | null
  /** Calls in progress that ended on a box still up, not counting the crossing ones: must be 0. */
  lostOnLive: number
  phonesOnDead: number
  phonesBack: number
  backMs: Quantiles
  registrationS: number
  /** Callers sent after the kill. */
  newCalls: Outcome
  /** Sending → bridged with an agent, for those served. */
  newServedMs: Quantiles
  /** The first caller sent after the kill bridged with an agent: ms after the kill. */
  firstNewServedMs: number | null
  endedByCause: Record<string, number>
  /** The engine's log line saying the box is lost, if it said so. */
  engineSawLoss: string | null
  engineErrors: number
  engineErrorSample: string | null
  ok: {lostOnlyOnDead: boolean; agentsBack: boolean; newCallsServed: boolean}
}

function outcome(events: CelEvent[], callers: Map<string, CallerSpec>, phones: string[], talkS: number): Outcome {
  if (callers.size === 0) return {callers: 0, completed: 0, failed: 0, failures: {}}
  const m = runMetrics(events, {enterApp: 'Stasis', callers, originateErrors: new Map(), forced: new Set(), agents: new Map(phones.map((p) => [p, p])), talkS, agentLeg: sipAgentLeg})
  return {callers: callers.size, completed: m.completed, failed: m.failed + m.abandoned, failures: m.failures}
}

export function boxLossFigures(r: BoxLossRaw): BoxLossFigures {
  const merged = mergeBoxes(r.events)
  const callers = sipCallers(merged.events, 'carrier', r.numbers, r.holdS)
  const setups = new Map(callSetups(merged, callers).map((s) => [s.caller, s]))
  const sentUs = new Map(r.numbers.map((n, i) => [n, r.t0Us + (i * 1e6) / r.rate]))
  const rowsOf = new Map<string, CelEvent[]>()
  for (const e of merged.events) if (callers.has(e.uniqueId)) rowsOf.set(e.uniqueId, [...(rowsOf.get(e.uniqueId) ?? []), e])

  const pick = (f: (id: string, c: CallerSpec) => boolean) => new Map([...callers].filter(([id, c]) => f(id, c)))
  const inProgress = (id: string) => {
    const rows = rowsOf.get(id) ?? []
    const entered = rows.find((e) => e.type === 'APP_START' && e.app === 'Stasis')
    const hangup = rows.find((e) => e.type === 'HANGUP')
    return entered !== undefined && entered.us < r.killUs && (hangup === undefined || hangup.us >= r.killUs)
  }
  const isNew = (c: CallerSpec) => (sentUs.get(c.number) ?? 0) >= r.killUs
  const box = (id: string) => merged.boxOf.get(id)
  const crossing = (id: string) => setups.get(id)?.phoneBox === r.dead

  const onDead = pick((id, c) => !isNew(c) && box(id) === r.dead && inProgress(id))
  const hangupOf = (id: string) => (rowsOf.get(id) ?? []).find((e) => e.type === 'HANGUP')
  const onLive = pick((id, c) => !isNew(c) && box(id) !== undefined && box(id) !== r.dead && inProgress(id) && !crossing(id))
  const crossingIntoDead = pick((id, c) => !isNew(c) && box(id) !== undefined && box(id) !== r.dead && inProgress(id) && crossing(id))
  const fresh = pick((_, c) => isNew(c))
  const o = (m: Map<string, CallerSpec>) => outcome(merged.events, m, r.phones, r.talkS)
  const live = o(onLive)
  const newCalls = o(fresh)

  const served: number[] = []
  let firstNew: number | null = null
  for (const [id, c] of fresh) {
    const s = setups.get(id)
    if (!s) continue
    const bridgedUs = s.enteredUs + s.bridgedMs * 1000
    served.push((bridgedUs - sentUs.get(c.number)!) / 1000)
    const sinceKill = (bridgedUs - r.killUs) / 1000
    if (firstNew === null || sinceKill < firstNew) firstNew = sinceKill
  }
  const crossingEnds = [...crossingIntoDead.keys()].flatMap((id) => {
    const h = hangupOf(id)
    return h ? [{s: (h.us - r.killUs) / 1e6, by: hangupSource(h.extra)}] : []
  })
  const back = Object.values(r.backMs)
  const backDone = back.filter((v): v is number => v !== null)
  const newServedMs = quantiles(served)
  const lostOnLive = live.callers - live.completed
  return {
    dead: r.dead,
    callers: callers.size,
    onDead: onDead.size,
    onLive: live,
    crossingIntoDead: o(crossingIntoDead),
    crossingEndS: quantiles(crossingEnds.map((x) => x.s)),
    crossingHungUpBy: crossingEnds.find((x) => x.by !== null)?.by ?? null,
    lostOnLive,
    phonesOnDead: back.length,
    phonesBack: backDone.length,
    backMs: quantiles(backDone),
    registrationS: r.registrationS,
    newCalls,
    newServedMs,
    firstNewServedMs: firstNew,
    endedByCause: r.endedByCause,
    engineSawLoss: r.engineWarnings.find((l) => l.includes('is lost')) ?? null,
    engineErrors: r.engineErrors.length,
    engineErrorSample: r.engineErrors[0]?.slice(0, 300) ?? null,
    ok: {
      lostOnlyOnDead: lostOnLive === 0,
      agentsBack: back.length > 0 && backDone.length === back.length && Math.max(...backDone) <= r.registrationS * 1000,
      newCallsServed: newCalls.callers > 0 && newCalls.completed === newCalls.callers && newServedMs.max <= NEW_CALL_GOAL_S * 1000,
    },
  }
}

function hangupSource(extra: string): string | null {
  try {
    const v = (JSON.parse(extra) as {hangupsource?: unknown}).hangupsource
    return typeof v === 'string' && v !== '' ? v : null
  } catch {
    return null
  }
}
