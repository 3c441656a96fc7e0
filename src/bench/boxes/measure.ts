import {runMetrics, sipAgentLeg} from '../load/metrics.js'
import type {PathResult} from '../load/paths.js'
import {summarizePath, type PathSummary} from '../load/report.js'
import {judgeSipRun, sipCallers} from '../load/sip-plan.js'
import {callSetups, crossBoxCost, mergeBoxes, type CallSetup} from './cel-boxes.js'
import type {CpuSpent} from './drive.js'
import {cpuPer100, type CpuPer100} from './model.js'
import type {RunInput, RunOutput} from './run.js'

// One run of bench:boxes judged and summarized: bench:load --sip's figures over every box's
// CEL (merged), its criteria for a rate that holds, and the calls' setup times split into
// same-box and cross-box.

/** bench:load --sip's rate ladder: a rate holds with ring p99 (free agent) within this and nobody waiting longer than MAX_WAIT_S. */
export const MAX_RING_P99_MS = 1000
export const MAX_WAIT_S = 20
/** The goal: a cross-box call's setup at most this much longer than a same-box call's, at p50. */
export const GOAL_MS = 20

export interface BoxesStep {
  /** The arrival rate, calls/s. */
  value: number
  callers: number
  agents: number
  /** The run's phones by the box they are registered on. */
  phonesByBox: Record<string, number>
  /** The measured callers by the box they arrived on. */
  callsByBox: Record<string, number>
  run: PathSummary
  cpu: CpuSpent
  cpuPer100: CpuPer100
  /** Connected calls' setup, same-box and cross-box apart (cross − same at p50/p99, bridged). */
  setup: ReturnType<typeof crossBoxCost>
  sippFailed: number
  sippErrorSample: string | null
  peakConnected: number
  waitP99Ms: number
  restPerCall: number | null
  /** Rings the engine could not place ("could not ring agent"): Asterisk refused the channel. */
  ringsRefused: number
  ok: boolean
  why: string[]
}

export function judgeRun(input: RunInput, out: RunOutput, boxOfPhone: ReadonlyMap<string, string>): BoxesStep & {setups: CallSetup[]} {
  const d = out.driven
  const merged = mergeBoxes(d.events)
  const callers = sipCallers(merged.events, 'carrier', out.numbers, input.holdS)
  const metrics = runMetrics(merged.events, {
    enterApp: 'Stasis',
    callers,
    originateErrors: new Map(),
    forced: d.forced,
    agents: new Map(input.phones.map((id) => [id, id])),
    talkS: input.talkS,
    agentLeg: sipAgentLeg,
  })
  const asteriskCpuS = Object.values(d.cpu.boxes).reduce((a, b) => a + b, 0)
  const path: PathResult = {metrics, asteriskCpuS, engineCpuS: d.cpu.engine, wallS: d.wallS, engineErrors: out.engineErrors, engineWarnings: out.engineWarnings}
  const run = summarizePath(path)
  const verdict = judgeSipRun({...run, sippFailed: d.sippFailed, peakConnected: metrics.peakConnected, waitMaxMs: metrics.waitMs.max}, input.callers, {maxRingP99Ms: MAX_RING_P99_MS, maxWaitMs: MAX_WAIT_S * 1000, connectedAtOnce: null})
  const setups = callSetups(merged, callers)
  return {
    value: input.rate,
    callers: input.callers,
    agents: input.phones.length,
    phonesByBox: countBy(input.phones.map((id) => boxOfPhone.get(id) ?? '?')),
    callsByBox: countBy([...callers.keys()].map((id) => merged.boxOf.get(id) ?? 'never arrived')),
    run,
    cpu: d.cpu,
    cpuPer100: cpuPer100(d.cpu, input.callers),
    setup: crossBoxCost(setups),
    setups,
    sippFailed: d.sippFailed,
    sippErrorSample: d.sippErrors[0] ?? null,
    peakConnected: metrics.peakConnected,
    waitP99Ms: metrics.waitMs.p99,
    restPerCall: out.restPerCall?.total ?? null,
    ringsRefused: out.engineWarnings.filter((l) => l.includes('could not ring agent')).length,
    ok: verdict.ok,
    why: verdict.why,
  }
}

export function countBy(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const k of [...keys].sort()) out[k] = (out[k] ?? 0) + 1
  return out
}
