import {AriHttp} from '../ari/index.js'
import {loadEngineConfig} from '../config/engine-config.js'
import {runningEngines} from '../engine-lock.js'
import {openStore} from '../store/open-store.js'
import {createLogger} from '../util/log.js'
import {runSimulation, type SimulationSummary} from './run-simulation.js'
import type {SimulationOptions} from './simulator.js'

// callctl simulate's run against the configured Asterisk and store: the command parses
// flags and renders; opening Asterisk, the store and the log is the engine's side.

export async function runConfiguredSimulation(configFile: string | undefined, opts: SimulationOptions & {wait?: boolean}): Promise<SimulationSummary> {
  const config = loadEngineConfig({file: configFile})
  const log = createLogger({level: config.logLevel})
  const store = await openStore(config.database, {log})
  try {
    return await runSimulation({ari: new AriHttp(config.ari), store, log, engines: () => runningEngines(config.paths)}, opts)
  } finally {
    await store.close()
  }
}
