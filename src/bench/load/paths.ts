import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {QueueSettings} from '../../engine/model.js'
import {originateSimCaller, SIM_AGENT_CONTEXT} from '../../engine/sim/simulator.js'
import {drive, waitQueueLog, waitQuiet, type TimedCaller} from './drive.js'
import {prepareEngineStore, startEngineChild} from './engine-child.js'
import {runMetrics, type RunMetrics} from './metrics.js'
import type {BenchSandbox} from './sandbox.js'
import type {PlannedCaller} from './scenario.js'

// The two paths for the same callers and agents. Both use the sandbox dialplan's simulated
// people, which answer with Answer(,i): plain Answer() on a Local channel waits up to 500 ms
// for media and would swamp the figures. app_queue: callctl-sim-aqcaller into
// callctl-appqueue (Queue(aq-load), asterisk/conf/queues.conf). Engine: callctl-sim-caller
// into callctl-inbound (Stasis), the engine as `callctl engine start` in its own process.
//
// Equivalent settings: the longest-idle agent first on both, the call center's usual policy
// and the engine's default: the engine's longest-idle and app_queue's leastrecent (queues.conf
// [aq-load]) ring the free agent whose last call ended longest ago, agents never called yet
// first, ties in the order agents were added. Agents answer at once, talk `talkS` seconds,
// no wrap-up, no announcements, music on hold while waiting, a 15 s ring timeout, no
// recording, no auto-pause.

export const AQ_QUEUE = 'aq-load'
/** The routing policy of both paths, as the report names it. */
export const STRATEGY_LABEL = 'longest idle first (engine longest-idle, app_queue leastrecent)'
export const ENGINE_QUEUE = 'load'
export const ENGINE_SETTINGS: Partial<QueueSettings> = {
  strategy: 'longest-idle',
  ringTimeout: 15,
  wrapUp: 0,
  autoPauseAfter: 0,
  record: false,
  announceEvery: 0,
  musicClass: 'default',
  joinEmpty: true,
  leaveWhenEmpty: false,
  maxWait: 0,
}

export interface PathInput {
  /** Unique within the bench: it names callers and agents (letters and digits). */
  tag: string
  /** Digits unique within the bench: caller numbers start with it. */
  numberPrefix: string
  agents: number
  talkS: number
  callers: PlannedCaller[]
  /** Callers placed first, not measured: the first calls of a process are slower. */
  warmup: number
}

export interface PathResult {
  metrics: RunMetrics
  asteriskCpuS: number
  engineCpuS: number | null
  wallS: number
  engineErrors: string[]
  engineWarnings: string[]
}

export interface Agent {
  id: string
  ext: string
  endpoint: string
}

function agentsOf(p: PathInput): Agent[] {
  return Array.from({length: p.agents}, (_, i) => {
    const id = `${p.tag}a${String(i + 1).padStart(3, '0')}`
    const ext = `0-${p.talkS}-${p.talkS}-${id}`
    return {id, ext, endpoint: `Local/${ext}@${SIM_AGENT_CONTEXT}`}
  })
}

function timed(p: PathInput): {warm: TimedCaller[]; measured: TimedCaller[]} {
  const number = (i: number) => `+${p.numberPrefix}${String(i).padStart(5, '0')}`
  const warm = Array.from({length: p.warmup}, (_, i) => ({id: `${p.tag}w-${i}`, number: number(90_000 + i), atMs: i * 100, patienceS: 60}))
  const measured = p.callers.map((c) => ({id: `${p.tag}-${c.index}`, number: number(c.index), atMs: c.atMs, patienceS: c.patienceS}))
  return {warm, measured}
}

function metricsOf(p: PathInput, enterApp: 'Queue' | 'Stasis', agents: Agent[], measured: TimedCaller[], d: Awaited<ReturnType<typeof drive>>): RunMetrics {
  return runMetrics(d.events, {
    enterApp,
    callers: new Map(measured.map((c) => [c.id, {number: c.number, patienceS: c.patienceS}])),
    originateErrors: d.originateErrors,
    forced: d.forced,
    agents: new Map(agents.map((a) => [a.ext, a.id])),
    talkS: p.talkS,
  })
}

export async function appQueueMembers(sb: BenchSandbox, op: 'add' | 'remove', agents: Agent[]): Promise<void> {
  for (const a of agents) {
    await sb.rest.originate({
      endpoint: `Local/${op}@callctl-appqueue-member`,
      context: 'callctl-sim-callee',
      extension: '999',
      priority: 1,
      variables: {AQ_QUEUE, AQ_MEMBER: a.endpoint, AQ_NAME: a.id},
    })
  }
  await waitQueueLog(sb.queueLogFile, agents.map((a) => `|${AQ_QUEUE}|${a.id}|${op === 'add' ? 'ADDMEMBER' : 'REMOVEMEMBER'}|`))
  await waitQuiet(sb.rest, 10_000)
}

export async function runAppQueue(sb: BenchSandbox, p: PathInput): Promise<PathResult> {
  const agents = agentsOf(p)
  const {warm, measured} = timed(p)
  await appQueueMembers(sb, 'add', agents)
  const originate = (c: TimedCaller) =>
    sb.rest.originate({
      endpoint: 'Local/s@callctl-sim-aqcaller',
      context: 'callctl-appqueue',
      extension: AQ_QUEUE,
      priority: 1,
      callerId: `"Load ${c.number}" <${c.number}>`,
      channelId: c.id,
      variables: {SIM_PATIENCE: String(c.patienceS)},
    })
  try {
    if (warm.length > 0) await drive(sb, warm, originate, {talkS: p.talkS})
    const d = await drive(sb, measured, originate, {talkS: p.talkS})
    return {metrics: metricsOf(p, 'Queue', agents, measured, d), asteriskCpuS: d.asteriskCpuS, engineCpuS: null, wallS: d.wallS, engineErrors: [], engineWarnings: []}
  } finally {
    await appQueueMembers(sb, 'remove', agents)
  }
}

export async function runEngine(sb: BenchSandbox, p: PathInput): Promise<PathResult> {
  const agents = agentsOf(p)
  const {warm, measured} = timed(p)
  const dir = mkdtempSync(join(tmpdir(), 'callctl-bench-engine-'))
  const db = join(dir, 'callctl.db')
  const app = `lb${p.tag}`
  try {
    await prepareEngineStore(db, ENGINE_QUEUE, ENGINE_SETTINGS, agents)
    const engine = await startEngineChild({home: sb.home, db, app})
    try {
      const originate = (c: TimedCaller) => originateSimCaller(sb.rest, {number: c.number, name: `Load ${c.number}`, did: ENGINE_QUEUE, patience: c.patienceS, app, channelId: c.id})
      if (warm.length > 0) await drive(sb, warm, originate, {talkS: p.talkS})
      const d = await drive(sb, measured, originate, {talkS: p.talkS, enginePid: engine.pid})
      return {
        metrics: metricsOf(p, 'Stasis', agents, measured, d),
        asteriskCpuS: d.asteriskCpuS,
        engineCpuS: d.engineCpuS,
        wallS: d.wallS,
        engineErrors: engine.errors,
        engineWarnings: engine.warnings,
      }
    } finally {
      await engine.stop()
      // Whatever the engine left behind (it is gone now), so the next run starts empty.
      await waitQuiet(sb.rest, 5_000)
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
