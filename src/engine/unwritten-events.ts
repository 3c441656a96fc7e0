import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {NewEvent} from './store/events.js'
import type {Store} from './store/store.js'
import type {Logger} from './util/log.js'

// Events the engine could not write to its store by the time it had to stop (the
// database locked, full, read-only or gone). They go to a file beside the store, one
// JSON object a line, and the next engine start writes them before anything else, so
// a stop never loses an event and never hangs on a store that will not take them.

const PREFIX = 'unwritten-events-'

/** Writes events to a new spill file in `dir` (0600); returns its path. */
export function spillEvents(dir: string, events: readonly NewEvent[], pid = process.pid): string {
  const file = join(dir, `${PREFIX}${Date.now()}-${pid}.jsonl`)
  mkdirSync(dir, {recursive: true, mode: 0o700})
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n', {mode: 0o600})
  return file
}

/** Appends every spilled event in `dir` to the store (oldest file first) and removes the files. */
export async function replaySpilledEvents(dir: string, store: Store, log: Logger): Promise<number> {
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(PREFIX) && n.endsWith('.jsonl'))
  } catch {
    return 0
  }
  let total = 0
  for (const name of names.sort()) {
    const file = join(dir, name)
    const events: NewEvent[] = []
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue
      try {
        events.push(JSON.parse(line) as NewEvent)
      } catch {
        log.warn('skipped an unreadable line in a spilled events file', {file})
      }
    }
    await store.appendEvents(events)
    rmSync(file, {force: true})
    total += events.length
    log.warn(`wrote ${events.length} events a previous engine could not write when it stopped`, {file})
  }
  return total
}
