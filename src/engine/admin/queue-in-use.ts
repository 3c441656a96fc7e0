import {withEngine} from '../api/connect.js'
import {UserError} from '../util/errors.js'

// Removing a queue ends the calls the running engine holds in it (cause queue-removed):
// a slip of the keyboard would drop live customers, so the CLI asks the engine first and
// refuses unless told --force. With no engine running there is no call to lose.

/** The running engine's calls in the queue, by state; null when no engine answers. */
export async function liveCallsInQueue(configFile: string | undefined, queue: string): Promise<Record<string, number> | null> {
  try {
    const snap = await withEngine(configFile, (c) => c.request('snapshot'))
    const byState: Record<string, number> = {}
    for (const c of snap.calls) if (c.queue === queue) byState[c.state] = (byState[c.state] ?? 0) + 1
    return byState
  } catch (err) {
    if (err instanceof UserError && err.code === 'engine_unreachable') return null
    throw err
  }
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
