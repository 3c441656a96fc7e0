import {addQueue} from './admin/admin.js'
import {AriHttp} from './ari/index.js'
import {loadEngineConfig} from './config/engine-config.js'
import {sandboxDown, sandboxUp} from './sandbox/sandbox.js'
import {originateSimCaller, planSimulation, prepareSimAgents} from './sim/simulator.js'
import {startEngine, type RunningEngine} from './run.js'
import type {NewEvent} from './store/events.js'
import type {Logger} from './util/log.js'
import type {Paths} from './util/paths.js'

export interface DemoOptions {
  paths: Paths
  log: Logger
  /** Seconds to run; 0 runs until stop() is called. */
  duration: number
  /** Callers per second across all queues. */
  rate: number
  agentsPerQueue: number
  onEvent?: (e: NewEvent) => void
}

export interface DemoHandle {
  running: RunningEngine
  startedSandbox: boolean
  done: Promise<void>
  stop(): Promise<void>
}

const DEMO_QUEUES = [
  {name: 'support', did: '100', talk: {min: 4, max: 12}},
  {name: 'sales', did: '200', talk: {min: 3, max: 8}},
]

/**
 * The whole product on one machine: a sandbox Asterisk (unless one is configured),
 * the engine, simulated agents in two queues and a steady stream of simulated callers,
 * some of them impatient. Stopping hangs up the simulated calls and the sandbox.
 */
export async function startDemo(o: DemoOptions): Promise<DemoHandle> {
  let startedSandbox = false
  if (!process.env.CALLCTL_ARI_URL) {
    const up = await sandboxUp(o.paths, {log: o.log})
    startedSandbox = !up.alreadyRunning
  }
  const config = loadEngineConfig()
  const running = await startEngine(config, o.log)
  if (o.onEvent) running.engine.events.subscribe(o.onEvent)
  const rest = new AriHttp(config.ari)
  for (const q of DEMO_QUEUES) {
    const existing = await running.store.getQueue(q.name)
    if (!existing || !existing.settings.dids.includes(q.did)) {
      await addQueue(running.store, q.name, {dids: [...new Set([...(existing?.settings.dids ?? []), q.did])], wrapUp: 3, ringTimeout: 10}, {update: true})
    }
    const plan = planSimulation({callers: 0, rate: 1, agents: o.agentsPerQueue, talk: q.talk, patience: {min: 5, max: 40}, queue: q.name, agentPrefix: `${q.name}-`})
    await prepareSimAgents(running.store, plan, q.name)
  }
  await new Promise((r) => setTimeout(r, 500))

  let stopping = false
  let seq = 0
  const callerLoop = (async () => {
    const started = Date.now()
    while (!stopping && (o.duration === 0 || Date.now() - started < o.duration * 1000)) {
      const q = DEMO_QUEUES[seq % DEMO_QUEUES.length]!
      seq++
      const patience = Math.random() < 0.25 ? 3 + Math.random() * 5 : 30 + Math.random() * 60
      await originateSimCaller(rest, {
        number: `+8613800${String(100000 + (seq % 900000)).slice(-6)}`,
        name: seq % 7 === 0 ? '张伟' : `Demo caller ${seq}`,
        did: q.did,
        patience,
        channelId: `demo-${Date.now().toString(36)}-${seq}`,
      }).catch((err: unknown) => o.log.warn('could not place demo caller', {error: String(err)}))
      await new Promise((r) => setTimeout(r, (1000 / o.rate) * (0.5 + Math.random())))
    }
  })()

  const stop = async () => {
    if (stopping) return
    stopping = true
    await callerLoop
    // Hang up simulated calls still up, so nothing is left behind in Asterisk.
    for (const ch of await rest.listChannels().catch(() => [])) if (ch.id.startsWith('demo-') || ch.name.includes('callctl-sim')) await rest.hangup(ch.id).catch(() => undefined)
    await new Promise((r) => setTimeout(r, 500))
    await running.stop()
    if (startedSandbox) await sandboxDown(o.paths)
  }
  return {running, startedSandbox, done: callerLoop, stop}
}
