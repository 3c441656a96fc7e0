import {readFileSync} from 'node:fs'
import {errorAt, parseYaml, toJS} from '../config/yaml-errors.js'
import type {QueueRecord, QueueSettings} from '../model.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import {addQueue, didOwners, didTaken} from './admin.js'
import {checkName, checkQueueSettings, QueueSettingError} from './validate.js'

/**
 * Queues as YAML, for admins who keep configuration in files:
 *
 *   queues:
 *     sales:
 *       strategy: round-robin
 *       requiredSkills: sales & (english | mandarin)
 *       overflow: {action: queue, queue: support}
 *
 * Every problem is reported as file:line:column with the accepted values.
 */
export function parseQueueFile(text: string, file: string): {name: string; key: string; settings: Partial<QueueSettings>}[] {
  const d = parseYaml(text, file)
  const root = toJS(d) as unknown
  if (typeof root !== 'object' || root === null || Array.isArray(root) || !('queues' in root)) {
    throw errorAt(d, [], 'expected a mapping with "queues:"', 'See: callctl queue apply --help')
  }
  const extra = Object.keys(root).find((k) => k !== 'queues')
  if (extra) throw errorAt(d, [extra], `unknown top-level key "${extra}"`, 'Only "queues" is accepted here.', true)
  const queues = (root as {queues: unknown}).queues
  if (typeof queues !== 'object' || queues === null || Array.isArray(queues)) throw errorAt(d, ['queues'], '"queues" must map queue names to their settings')
  const out: {name: string; key: string; settings: Partial<QueueSettings>}[] = []
  for (const [key, raw] of Object.entries(queues)) {
    let name: string
    try {
      // Stored as checkName returns it (NFC), like a name typed on the command line.
      name = checkName('queue', key)
    } catch (err) {
      throw errorAt(d, ['queues', key], (err as UserError).message, (err as UserError).suggestion, true)
    }
    if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw errorAt(d, ['queues', key], `the settings of queue "${name}" must be a mapping`)
    try {
      out.push({name, key, settings: checkQueueSettings((raw ?? {}) as Record<string, unknown>)})
    } catch (err) {
      if (err instanceof QueueSettingError) throw errorAt(d, ['queues', key, ...err.path], `queue ${name}: ${err.message}`, err.suggestion, err.message.startsWith('Unknown'))
      throw err
    }
  }
  // Two queues of the file claiming one DID: refused at the second claim.
  const claimed = new Map<string, string>()
  for (const q of out) {
    for (const [i, did] of (q.settings.dids ?? []).entries()) {
      const owner = claimed.get(did)
      if (owner !== undefined && owner !== q.name) {
        const e = didTaken(did, owner)
        throw errorAt(d, ['queues', q.key, 'dids', i], `queue ${q.name}: ${e.message}`, e.suggestion)
      }
      claimed.set(did, q.name)
    }
  }
  return out
}

/** Validates the whole file first; only then writes, so a bad file changes nothing. */
export async function applyQueueFile(store: Store, file: string, opts: {dryRun?: boolean; by?: string} = {}): Promise<QueueRecord[]> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UserError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {exitCode: 2})
  }
  const parsed = parseQueueFile(text, file)
  const known = new Set([...(await store.listQueues()).map((q) => q.name), ...parsed.map((q) => q.name)])
  for (const q of parsed) {
    const target = q.settings.overflow?.queue
    if (target && !known.has(target)) {
      throw new UserError(`${file}: queue ${q.name} overflows to queue "${target}", which does not exist`, {suggestion: `Define ${target} in the file or create it first.`, exitCode: 2})
    }
  }
  // DIDs as they will be once the file is applied: a queue of the file that lists dids replaces its own.
  const inFile = new Set(parsed.map((q) => q.name))
  const owners = didOwners((await store.listQueues()).map((q) => (inFile.has(q.name) && parsed.find((p) => p.name === q.name)!.settings.dids ? {...q, settings: {...q.settings, dids: []}} : q)))
  for (const q of parsed) {
    for (const did of q.settings.dids ?? []) {
      const owner = owners.get(did)
      if (owner !== undefined && owner !== q.name) throw didTaken(did, owner, `${file}: queue ${q.name}: `)
    }
  }
  if (opts.dryRun) return parsed.map((q) => ({name: q.name, settings: q.settings as QueueSettings, createdAt: 0}))
  const saved: QueueRecord[] = []
  for (const q of parsed) saved.push(await addQueue(store, q.name, q.settings as Record<string, unknown>, {update: true, didsChecked: true, ...(opts.by !== undefined ? {by: opts.by} : {})}))
  return saved
}
