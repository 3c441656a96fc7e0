import {checkFlow} from '../ivr/parse-flow.js'
import {repositoriesOf} from '../store/repositories.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import {runningSnapshot} from './running-engine.js'

// Removing a queue ends the calls the running engine holds in it (cause queue-removed), and
// rejects every later caller an IVR flow or an overflow sends there: a slip of the keyboard
// would drop live customers, so the CLI checks both first and refuses unless told --force.
// With no engine running there is no call to lose.

/** The running engine's calls in the queue, by state; null when no engine answers. */
export async function liveCallsInQueue(configFile: string | undefined, queue: string): Promise<Record<string, number> | null> {
  const snap = await runningSnapshot(configFile)
  if (!snap) return null
  const byState: Record<string, number> = {}
  for (const c of snap.calls) if (c.queue === queue) byState[c.state] = (byState[c.state] ?? 0) + 1
  return byState
}

/** Refuses to remove a queue that has live calls, naming them and the ways out. */
export async function refuseIfQueueInUse(configFile: string | undefined, queue: string): Promise<void> {
  const live = await liveCallsInQueue(configFile, queue)
  const total = Object.values(live ?? {}).reduce((a, b) => a + b, 0)
  if (!live || total === 0) return
  const states = Object.entries(live)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ')
  throw new UserError(`Queue ${queue} has ${total} live call${total === 1 ? '' : 's'} (${states}): removing it would end them`, {
    suggestion: `Move them first (callctl calls --queue ${queue}; callctl call transfer CALL --to-queue OTHER), or end them with: callctl queue remove ${queue} --force`,
    exitCode: 1,
    code: 'queue_in_use',
  })
}

/** What sends callers to the queue: deployed IVR flows' queue nodes, other queues' overflow. */
export async function queueReferences(store: Store, queue: string): Promise<string[]> {
  const refs: string[] = []
  for (const f of await repositoriesOf(store).flows.list()) {
    const {flow} = checkFlow(f.source, `flow ${f.name}`)
    for (const [id, n] of Object.entries(flow?.nodes ?? {})) {
      if (n.type === 'queue' && n.queue === queue) refs.push(`flow ${f.name} (node ${id}) on DID ${f.did}`)
    }
  }
  for (const q of await store.listQueues()) if (q.name !== queue && q.settings.overflow.action === 'queue' && q.settings.overflow.queue === queue) refs.push(`queue ${q.name}'s overflow`)
  return refs
}

/**
 * Refuses to remove a queue that a live IVR flow or another queue's overflow sends
 * callers to: from then on every caller choosing it would be rejected after the IVR, a
 * silent outage on a live number (ivr deploy refuses such a flow for the same reason).
 */
export async function refuseIfQueueTargeted(store: Store, queue: string): Promise<void> {
  const refs = await queueReferences(store, queue)
  if (refs.length === 0) return
  throw new UserError(`Queue ${queue} is where ${refs.join(', ')} send${refs.length === 1 ? 's' : ''} callers: removing it would reject them`, {
    suggestion: `Deploy a flow or set an overflow without ${queue} first (callctl ivr deploy FILE --did DID; callctl queue add Q --update --overflow ...), or remove it anyway with --force`,
    exitCode: 1,
    code: 'queue_in_use',
  })
}
