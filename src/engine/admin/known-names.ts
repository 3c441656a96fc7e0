import {existsSync} from 'node:fs'
import {loadEngineConfig} from '../config/engine-config.js'
import {withStore} from '../config/open-store.js'
import {isPostgresUrl} from '../store/database-url.js'
import type {Store} from '../store/store.js'
import {closest} from '../util/closest.js'
import {UserError} from '../util/errors.js'
import {canonicalName, nameKey} from '../util/names.js'

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

/** `name` as one of `known` spells it: exactly, else the one equal under NFKC (客服１ is 客服1). */
export function findName(known: readonly string[], name: string): string | undefined {
  return known.includes(name) ? name : known.find((k) => nameKey(k) === nameKey(name))
}

/** The names as given, each replaced by the name as configured (or as the log has it). */
export type KnownNames<N extends NamesToCheck> = {queue: N['queue']; agent: N['agent']}

/**
 * Throws the one "does not exist" error for the first queue or agent that is neither
 * configured nor (with history) in the log; otherwise gives each name back as configured.
 * A queue typed in another normal form ("客服１" for 客服1, decomposed accents) is the
 * queue, and what the command filters by must be its configured spelling, or a report
 * would match nothing after the check said the queue exists.
 */
export async function checkKnownNames<N extends NamesToCheck>(store: Store, names: N): Promise<KnownNames<N>> {
  const out = {queue: names.queue, agent: names.agent} as KnownNames<N>
  for (const kind of ['queue', 'agent'] as const) {
    const given = names[kind]
    if (given === undefined || (Array.isArray(given) && given.length === 0)) continue
    const known = kind === 'queue' ? (await store.listQueues()).map((q) => q.name) : (await store.listAgents()).map((a) => a.id)
    const resolve = async (name: string): Promise<string> => {
      const configured = findName(known, name)
      if (configured !== undefined) return configured
      if (names.history) {
        for (const spelling of new Set([name, canonicalName(name)])) if (await store.seenInEvents(kind, spelling, names.history)) return spelling
      }
      const h = names.history
      throw unknownName(kind, name, known, {history: h === undefined ? undefined : h.since === undefined && h.until === undefined ? 'in the event log' : 'in the event log for that period'})
    }
    const resolved = typeof given === 'string' ? await resolve(given) : await Promise.all((given as readonly string[]).map(resolve))
    ;(out as Record<NameKind, unknown>)[kind] = resolved
  }
  return out
}

/**
 * The same check against the configured database, for commands that otherwise only talk
 * to the engine (dial, transfer, ready, supervise): the name is checked even when no engine
 * runs, and with the list of names the engine's own error lacks. No database yet means no
 * names, and none is created for asking.
 */
export async function checkNamesIn<N extends NamesToCheck>(configFile: string | undefined, names: N): Promise<KnownNames<N>> {
  if (names.queue === undefined && names.agent === undefined) return {queue: names.queue, agent: names.agent} as KnownNames<N>
  const database = loadEngineConfig({file: configFile, requireAri: false}).database
  if (!isPostgresUrl(database) && !existsSync(database)) {
    for (const kind of ['queue', 'agent'] as const) {
      const first = [names[kind] ?? []].flat()[0]
      if (first !== undefined) throw unknownName(kind, first, [])
    }
    return {queue: names.queue, agent: names.agent} as KnownNames<N>
  }
  return withStore(configFile, (store) => checkKnownNames(store, names), 'names')
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
