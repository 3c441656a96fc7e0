import {existsSync} from 'node:fs'
import {loadEngineConfig} from '../config/engine-config.js'
import {withStore} from '../config/open-store.js'
import type {Store} from '../store/store.js'
import {closest} from '../util/closest.js'
import {UserError} from '../util/errors.js'

// A queue or agent named on the command line that does not exist is a mistake to say,
// never a filter that quietly matches nothing: `report queues --queue salse` from cron
// would otherwise write an empty report every night and exit 0.

export type NameKind = 'queue' | 'agent'

export interface NamesToCheck {
  queue?: string | readonly string[] | undefined
  agent?: string | readonly string[] | undefined
  /**
   * For commands over the past (reports, recordings): a name the event log has in this
   * period is known too. A queue removed since still had its calls then, and its
   * report must still run; a name in neither the config nor the period is a typo.
   */
  history?: {since?: number | undefined; until?: number | undefined}
}

/** Throws the one "does not exist" error for the first queue or agent that is neither configured nor (with history) in the log. */
export async function checkKnownNames(store: Store, names: NamesToCheck): Promise<void> {
  for (const kind of ['queue', 'agent'] as const) {
    const wanted = [names[kind] ?? []].flat()
    if (wanted.length === 0) continue
    const known = kind === 'queue' ? (await store.listQueues()).map((q) => q.name) : (await store.listAgents()).map((a) => a.id)
    for (const name of wanted) {
      if (known.includes(name)) continue
      if (names.history && (await store.seenInEvents(kind, name, names.history))) continue
      const h = names.history
      throw unknownName(kind, name, known, {history: h === undefined ? undefined : h.since === undefined && h.until === undefined ? 'in the event log' : 'in the event log for that period'})
    }
  }
}

/**
 * The same check against the configured database, for commands that otherwise only talk
 * to the engine (dial, transfer, ready, supervise): the name is checked even when no engine
 * runs, and with the list of names the engine's own error lacks. No database yet means no
 * names, and none is created for asking.
 */
export async function checkNamesIn(configFile: string | undefined, names: NamesToCheck): Promise<void> {
  if (names.queue === undefined && names.agent === undefined) return
  if (!existsSync(loadEngineConfig({file: configFile, requireAri: false}).database)) {
    for (const kind of ['queue', 'agent'] as const) {
      const first = [names[kind] ?? []].flat()[0]
      if (first !== undefined) throw unknownName(kind, first, [])
    }
    return
  }
  await withStore(configFile, (store) => checkKnownNames(store, names))
}

/** 'Queue "salse" does not exist. Existing queues: sales, support', and the nearest name when one is a slip away. */
export function unknownName(kind: NameKind, name: string, known: readonly string[], opts: {history?: string | undefined} = {}): UserError {
  const Kind = kind === 'queue' ? 'Queue' : 'Agent'
  const shown = known.length > 20 ? [...known.slice(0, 20), '…'] : known
  const where = opts.history ? ` (nor ${opts.history})` : ''
  // Agent 1002 is not a slip for 1001: numbers one digit apart are different people.
  const near = /^\d+$/.test(name) ? undefined : closest(name, known)
  const list = `List ${kind}s with: callctl ${kind} list`
  return new UserError(`${Kind} "${name}" does not exist${where}. Existing ${kind}s: ${shown.length ? shown.join(', ') : '(none)'}`, {
    suggestion: near === undefined ? list : `Did you mean "${near}"? ${list}`,
    exitCode: 1,
    code: `unknown_${kind}`,
  })
}
