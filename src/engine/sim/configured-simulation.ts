import {withEngine} from '../api/connect.js'
import {AriHttp} from '../ari/index.js'
import {loadEngineConfig} from '../config/engine-config.js'
import {runningEngines} from '../engine-lock.js'
import {openStore} from '../store/open-store.js'
import {createLogger} from '../util/log.js'
import {runSimulation, type SimulationSummary} from './run-simulation.js'
import type {SimulationOptions} from './simulator.js'

// callctl simulate's run against the configured Asterisk and store: the command parses
// flags and renders; opening Asterisk, the store and the log is the engine's side.

export async function runConfiguredSimulation(configFile: string | undefined, opts: SimulationOptions & {wait?: boolean; signal?: AbortSignal}): Promise<SimulationSummary> {
  const config = loadEngineConfig({file: configFile})
  const log = createLogger({level: config.logLevel})
  const store = await openStore(config.database, {log})
  try {
    return await runSimulation({ari: new AriHttp(config.ari), store, log, engines: () => runningEngines(config.paths), endCalls: (numbers) => endSimulatedCalls(configFile, numbers)}, opts)
  } finally {
    await store.close()
  }
}

/** The running engine ends the live calls of these simulated callers as system-ended (calls.end). */
async function endSimulatedCalls(configFile: string | undefined, numbers: ReadonlySet<string>): Promise<number> {
  return withEngine(configFile, async (c) => {
    const ids = (await c.request('calls.list')).calls.filter((x) => numbers.has(x.caller.number)).map((x) => x.id)
    if (ids.length === 0) return 0
    return (await c.request('calls.end', {calls: ids, reason: 'simulate-stopped'})).ended.length
  })
}
