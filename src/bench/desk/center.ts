import {SqliteStore} from '../../engine/store/sqlite-store.js'
import {addUser} from '../../engine/users/users.js'
import {simAgentEndpoint} from '../../engine/sim/simulator.js'
import {prepareEngineStore} from '../load/engine-child.js'
import {presenceSandbox, type PresenceSandbox} from '../presence/setup.js'

// bench:desk's call center: one sandbox Asterisk (the engine needs one to start), one
// queue, `size` agents logged in, each with a user of the agent role and its token (what
// `callctl user add NAME --role agent --agent ID` gives). The phones are simulated ones
// that nothing rings here: what is measured is the desks' polling, not calls.

export const QUEUE = 'desk'

export interface Center {
  sb: PresenceSandbox
  agents: {id: string; token: string}[]
  down(): Promise<void>
}

export async function deskCenter(size: number): Promise<Center> {
  const sb = await presenceSandbox()
  try {
    const ids = Array.from({length: size}, (_, i) => `da${String(i + 1).padStart(3, '0')}`)
    await prepareEngineStore(
      sb.paths.database,
      QUEUE,
      {strategy: 'longest-idle', wrapUp: 0},
      ids.map((id) => ({id, endpoint: simAgentEndpoint({id, ring: 999, talk: {min: 1, max: 1}})})),
    )
    const store = new SqliteStore(sb.paths.database)
    const agents: Center['agents'] = []
    try {
      for (const id of ids) agents.push({id, token: (await addUser(store, {name: `desk-${id}`, role: 'agent', agent: id})).token!})
    } finally {
      await store.close()
    }
    return {sb, agents, down: () => sb.down()}
  } catch (err) {
    await sb.down()
    throw err
  }
}
