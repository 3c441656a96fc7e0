import {withEngine} from './api/connect.js'
import {loadEngineConfig} from './config/engine-config.js'
import {lockHolder} from './engine-lock.js'
import type {EngineStatusView} from './run.js'
import {isUserError} from './util/errors.js'

/** What `callctl engine status` reports: the running engine's own view, or why there is none. */
export type EngineStatusResult =
  | ({running: true} & EngineStatusView)
  | {running: false; app: string; reason: string; lockedBy: number | null}

export async function engineStatus(configFile?: string): Promise<EngineStatusResult> {
  const config = loadEngineConfig({file: configFile, requireAri: false})
  try {
    const s = await withEngine(configFile, async (c) => (await c.request('engine.status')) as EngineStatusView)
    return {running: true, ...s}
  } catch (err) {
    if (!isUserError(err)) throw err
    // A live lock with no answering API: the engine is stuck, or starting on another port.
    const holder = lockHolder(config.paths, config.ari.app)
    return {running: false, app: config.ari.app, reason: err.message, lockedBy: holder?.pid ?? null}
  }
}
