import {withEngine} from '../api/connect.js'
import type {EngineSnapshot} from '../calls/engine-types.js'
import {UserError} from '../util/errors.js'

// Removing a queue or an agent ends what the running engine holds for it (calls, chats):
// the CLI asks the engine first and refuses unless told --force. With no engine running
// there is nothing live to lose.

/** The running engine's snapshot; null when no engine answers. */
export async function runningSnapshot(configFile: string | undefined): Promise<EngineSnapshot | null> {
  try {
    return await withEngine(configFile, (c) => c.request('snapshot'))
  } catch (err) {
    if (err instanceof UserError && err.code === 'engine_unreachable') return null
    throw err
  }
}
