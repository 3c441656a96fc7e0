import {repositoriesOf} from '../store/repositories.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import {runningSnapshot} from './running-engine.js'

// Removing an agent the running engine has on a call or in chats leaves that customer with
// an agent that no longer exists: after an engine restart such a call was taken back but
// listed nowhere (misuse report 20, finding 24). So the CLI asks the engine first, as for
// a queue (queue-in-use.ts), and refuses unless told --force.

/** Refuses to remove an agent the running engine has on a call (talking or ringing) or in chats. */
export async function refuseIfAgentInUse(configFile: string | undefined, agent: string): Promise<void> {
  const snap = await runningSnapshot(configFile)
  if (!snap) return
  const calls = snap.calls.filter((c) => c.agent === agent || c.ringing.includes(agent)).map((c) => c.id)
  const chats = snap.chats?.agents[agent]?.total ?? 0
  if (calls.length === 0 && chats === 0) return
  const what = [calls.length === 1 ? `on call ${calls[0]}` : calls.length > 1 ? `on ${calls.length} calls (${calls.join(', ')})` : '', chats ? `in ${chats} chat${chats === 1 ? '' : 's'}` : '']
    .filter(Boolean)
    .join(' and ')
  throw new UserError(`Agent ${agent} is ${what}: removed, it would leave them with an agent nobody can see`, {
    suggestion: `Wait until they end (callctl calls), or transfer them (callctl call transfer CALL --to-queue Q); or remove it anyway with: callctl agent remove ${agent} --force`,
    exitCode: 1,
    code: 'agent_in_use',
  })
}

/**
 * Refuses to remove an agent while users act as it. Unbinding them would leave agent-role
 * users with no agent, and keeping them bound hands their tokens to whoever gets this agent
 * id next (ids are extensions and seats, reused): the admin removes those users first,
 * knowingly. --force does not override this: it is about access, not live calls.
 */
export async function refuseIfAgentHasUsers(store: Store, agent: string): Promise<void> {
  const users = (await repositoriesOf(store).users.list()).filter((u) => u.agent === agent).map((u) => u.name)
  if (users.length === 0) return
  const s = users.length === 1 ? '' : 's'
  throw new UserError(`Agent ${agent} is the agent of user${s} ${users.join(', ')}: their token${s} would act as whoever gets agent id ${agent} next`, {
    suggestion: `Remove ${users.length === 1 ? 'that user' : 'those users'} first: ${users.map((u) => `callctl user remove ${u}`).join('; ')}`,
    exitCode: 1,
    code: 'agent_has_users',
  })
}
