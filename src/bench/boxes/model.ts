import type {CpuSpent} from './drive.js'

// bench:boxes' measured model: CPU per call of each part, and the calls per second one
// core of it carries. No I/O. On a machine of two cores, two boxes cannot carry twice
// one box's rate (the boxes, the proxy, the engine and SIPp share the cores); what
// scales is each part's CPU per call, measured here, so the claim "N boxes carry N times
// the calls" becomes a figure per core that a larger machine (or N machines) multiplies.

export interface CpuPer100 {
  /** Each Asterisk, by box. */
  boxes: Record<string, number>
  /** All boxes together. */
  asterisk: number
  proxy: number | null
  engine: number | null
  total: number
}

/** CPU seconds per 100 calls placed, each part and in total. */
export function cpuPer100(cpu: CpuSpent, calls: number): CpuPer100 {
  const per = (s: number) => (calls > 0 ? (s / calls) * 100 : NaN)
  const boxes: Record<string, number> = {}
  let asteriskS = 0
  for (const [name, s] of Object.entries(cpu.boxes)) {
    boxes[name] = per(s)
    asteriskS += s
  }
  return {boxes, asterisk: per(asteriskS), proxy: cpu.proxy === null ? null : per(cpu.proxy), engine: cpu.engine === null ? null : per(cpu.engine), total: per(asteriskS + (cpu.proxy ?? 0) + (cpu.engine ?? 0))}
}

export interface CapacityModel {
  /** CPU milliseconds per call: Asterisk (all boxes), the proxy, the engine, all three. */
  perCallMs: {asterisk: number; proxy: number | null; engine: number | null; total: number}
  /** Each box's CPU ms per call that arrived on it (its share of the calls, crossing included). */
  perBoxCallMs: Record<string, number>
  /** Calls per second one core of each part carries: 1000 ÷ its CPU ms per call. */
  callsPerCore: {asterisk: number; proxy: number | null; engine: number | null}
  /** Calls per second this machine's cores carry with every part on them (SIPp not counted). */
  machineCallsPerS: number
}

export function capacityModel(cpu: CpuSpent, calls: number, callsByBox: Record<string, number>, cores: number): CapacityModel {
  const c = cpuPer100(cpu, calls)
  const ms = (per100: number) => per100 * 10
  const perCallMs = {asterisk: ms(c.asterisk), proxy: c.proxy === null ? null : ms(c.proxy), engine: c.engine === null ? null : ms(c.engine), total: ms(c.total)}
  const perBoxCallMs: Record<string, number> = {}
  for (const [name, s] of Object.entries(cpu.boxes)) {
    const n = callsByBox[name] ?? 0
    perBoxCallMs[name] = n > 0 ? (s / n) * 1000 : NaN
  }
  const perCore = (m: number | null) => (m === null ? null : m > 0 ? 1000 / m : Infinity)
  return {
    perCallMs,
    perBoxCallMs,
    callsPerCore: {asterisk: perCore(perCallMs.asterisk)!, proxy: perCore(perCallMs.proxy), engine: perCore(perCallMs.engine)},
    machineCallsPerS: perCallMs.total > 0 ? (cores * 1000) / perCallMs.total : Infinity,
  }
}

/** b over a (the setup against the one-box baseline); null when either is missing or a is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || a === 0) return null
  return b / a
}

/**
 * The rung both setups are compared at: the highest arrival rate every setup held (the
 * same offered load), else the lowest rate every setup tried.
 */
export function commonRate(ladders: ReadonlyArray<ReadonlyArray<{value: number; ok: boolean}>>): number | null {
  if (ladders.length === 0) return null
  const held = ladders.map((l) => new Set(l.filter((s) => s.ok).map((s) => s.value)))
  const tried = ladders.map((l) => new Set(l.map((s) => s.value)))
  const all = [...tried[0]!].sort((a, b) => a - b)
  const both = all.filter((v) => held.every((h) => h.has(v)))
  if (both.length > 0) return both.at(-1)!
  return all.find((v) => tried.every((t) => t.has(v))) ?? null
}
