import {join} from 'node:path'
import {celSize, readCelSince, type CelEvent} from '../load/cel.js'
import {waitQuiet} from '../load/drive.js'
import {cpuSeconds} from '../load/proc.js'
import {BENCH_SCENARIO_DIR, SIPP_TRACE} from '../load/sip-phones.js'
import {sippRate, sipWaves} from '../load/sip-plan.js'
import {startSipp} from '../sip/sipp.js'
import {processTree, type BoxesSetup} from './setup.js'

// One run's SIPp callers through a setup (bench-caller.xml, as bench:load --sip, from the
// carrier's address: to the box, or to the proxy's carrier port), then every box empty
// again, and what each box's CEL logged meanwhile, with the CPU time each Asterisk, the
// proxy (all its processes) and the engine spent.

export interface DriveInput {
  /** The number the callers dial (the engine's queue). */
  did: string
  numbers: string[]
  /** Calls per second within a wave. */
  rate: number
  /** Callers per SIPp process, a wave every spacingMs (one process at a time holds the carrier's port). */
  wave: number
  spacingMs: number
  /** When a caller hangs up itself, s after its answer: a guard beyond any call the run expects. */
  holdS: number
}

export interface CpuSpent {
  /** Each Asterisk, by box name. */
  boxes: Record<string, number>
  proxy: number | null
  engine: number | null
}

export interface Driven {
  /** Each box's CEL rows of the run, by box name. */
  events: Record<string, CelEvent[]>
  cpu: CpuSpent
  wallS: number
  /** Channels the bench hung up because they were still up at the end. */
  forced: Set<string>
  sippFailed: number
  sippErrors: string[]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** CPU seconds so far of each process the setup's figures name. */
export function cpuNow(setup: BoxesSetup, enginePid: number | null): CpuSpent {
  const boxes: Record<string, number> = {}
  for (const b of setup.boxes) boxes[b.name] = cpuSeconds(b.pid)
  let proxy: number | null = null
  if (setup.proxyPid !== null) {
    proxy = 0
    for (const pid of processTree(setup.proxyPid)) {
      try {
        proxy += cpuSeconds(pid)
      } catch {
        // a worker gone meanwhile
      }
    }
  }
  return {boxes, proxy, engine: enginePid === null ? null : cpuSeconds(enginePid)}
}

export function cpuSince(a: CpuSpent, b: CpuSpent): CpuSpent {
  const boxes: Record<string, number> = {}
  for (const [k, v] of Object.entries(b.boxes)) boxes[k] = v - (a.boxes[k] ?? 0)
  return {boxes, proxy: a.proxy === null || b.proxy === null ? null : b.proxy - a.proxy, engine: a.engine === null || b.engine === null ? null : b.engine - a.engine}
}

export async function driveCallers(setup: BoxesSetup, p: DriveInput, enginePid: number | null): Promise<Driven> {
  const offsets = new Map(setup.boxes.map((b) => [b.name, celSize(b.celFile)]))
  const cpu0 = cpuNow(setup, enginePid)
  const started = Date.now()
  const {calls, periodMs} = sippRate(p.rate)
  let sippFailed = 0
  const sippErrors: string[] = []
  for (const w of sipWaves(p.numbers, p.wave, p.spacingMs)) {
    const wait = started + w.atMs - Date.now()
    if (wait > 0) await sleep(wait)
    const sipp = await startSipp({
      scenario: join(BENCH_SCENARIO_DIR, 'bench-caller.xml'),
      remote: setup.callers.remote,
      localIp: setup.callers.local.host,
      localPort: setup.callers.local.port,
      calls: w.callers.length,
      rate: calls,
      limit: w.callers.length,
      injection: w.callers.map((n) => [p.did, n]),
      vars: {hold_ms: p.holdS * 1000},
      extraArgs: ['-rp', String(periodMs)],
      // The arrivals, every caller's guard, and a minute: then SIPp is stuck, not slow.
      timeoutMs: (w.callers.length / p.rate + p.holdS + 60) * 1000,
      ...SIPP_TRACE,
    })
    const r = await sipp.done
    sipp.cleanup()
    const failed = r.stats ? r.stats.failed : w.callers.length
    sippFailed += failed
    if ((failed > 0 || r.exitCode !== 0) && r.errors) sippErrors.push(`exit ${r.exitCode}: ${firstError(r.errors)}`)
  }
  const forced = new Set<string>()
  for (const f of await Promise.all(setup.boxes.map((b) => waitQuiet(b.rest, 10_000)))) for (const id of f) forced.add(id)
  const cpu = cpuSince(cpu0, cpuNow(setup, enginePid))
  const wallS = (Date.now() - started) / 1000
  // cel_custom writes each row as the event is dispatched; give the last ones a moment.
  await sleep(300)
  const events: Record<string, CelEvent[]> = {}
  for (const b of setup.boxes) events[b.name] = readCelSince(b.celFile, offsets.get(b.name)!)
  return {events, cpu, wallS, forced, sippFailed, sippErrors}
}

/** SIPp's first error line worth reading (its error log opens with a heading). */
export function firstError(errors: string): string {
  return errors.split('\n').find((l) => l.trim() !== '' && !/^The following events occurred/.test(l.trim()))?.trim() ?? ''
}
