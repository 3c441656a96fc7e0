import {Flags} from '@oclif/core'
import chalk from 'chalk'
import type {EngineClient} from '../engine/api/client.js'
import {connectToEngine} from '../engine/api/connect.js'
import {loadEngineConfig} from '../engine/config/engine-config.js'
import {openConfiguredStore, withStore} from '../engine/config/open-store.js'
import {EVENT_TYPES, type EventType, type NewEvent, type StoredEvent} from '../engine/store/events.js'
import type {StoreUse} from '../engine/api/store-access.js'
import type {Store} from '../engine/store/store.js'
import {isUserError, UserError} from '../engine/util/errors.js'
import {jsonText} from '../engine/util/json-text.js'
import {safeText} from '../engine/util/text.js'
import {parseTimeInput} from '../engine/util/time-input.js'
import {CallctlCommand} from '../ui/command.js'
import {toJsonContract} from '../ui/json-contract.js'
import {table} from '../ui/render.js'

/** The stored log is every event: supervisors and admins (events.subscribe); an agent's events come narrowed from the engine only. */
const EVERY_EVENT: StoreUse = {method: 'events.subscribe', params: {}}

/** An event as --follow prints it: live events have no id yet (the store numbers them when it writes them). */
type FollowedEvent = Omit<StoredEvent, 'id'> & {id: number | null}

interface Filter {
  since: number
  types: EventType[] | undefined
  callId: string | undefined
}

// How often --follow looks in the store for events the engine does not stream:
// admin changes written by other callctl processes, events of other engines.
const TAIL_INTERVAL_MS = 500

export default class Events extends CallctlCommand<StoredEvent[]> {
  static summary = 'Print the event log (every call, agent and admin event), oldest first'
  static description = `With --json, one JSON object per line, for scripts and log shippers.
With --follow, prints the events since --since, then every new event as it happens (from the running engine),
until Ctrl-C. Events that arrive live have "id": null in --json output.`
  static examples = [
    '<%= config.bin %> events --since 10m',
    '<%= config.bin %> events --since 1h --type call.connected --json',
    '<%= config.bin %> events --call call-m3x1k-a1b2c3d4e5',
    '<%= config.bin %> events --follow --since 0m --type call.started --type call.ended',
  ]
  static flags = {
    since: Flags.string({description: 'from this time: 10m, 2h, today, an ISO date/time', default: '1h'}),
    until: Flags.string({description: 'up to this time (exclusive)'}),
    type: Flags.string({description: `only this event type (repeatable); e.g. ${EVENT_TYPES.slice(0, 4).join(', ')}`, multiple: true}),
    call: Flags.string({description: 'only this call id'}),
    limit: Flags.integer({description: 'at most this many events', min: 1}),
    follow: Flags.boolean({char: 'f', description: 'keep printing new events as they happen, until Ctrl-C (needs a running engine)', exclusive: ['until', 'limit']}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  private following = false

  protected async execute(): Promise<StoredEvent[]> {
    const {flags} = await this.parse(Events)
    const now = Date.now()
    const since = parseTimeInput(flags.since, now, '--since')
    const until = flags.until ? parseTimeInput(flags.until, now, '--until') : undefined
    if (until !== undefined && until <= since) throw new UserError('--until is not after --since', {suggestion: 'Swap them, or leave out --until.', exitCode: 2})
    for (const t of flags.type ?? []) {
      if (!EVENT_TYPES.includes(t as EventType)) throw new UserError(`Unknown event type "${t}"`, {suggestion: `Event types: ${EVENT_TYPES.join(', ')}`, exitCode: 2})
    }
    const types = flags.type as EventType[] | undefined
    if (flags.follow) {
      this.following = true
      await this.follow(flags.config, {since, types, callId: flags.call})
      return []
    }
    return withStore(
      flags.config,
      async (store) => {
        const out: StoredEvent[] = []
        for await (const e of store.events({since, until, types, callId: flags.call, limit: flags.limit})) out.push(e)
        return out
      },
      EVERY_EVENT,
    )
  }

  protected override jsonLines(events: StoredEvent[]): readonly unknown[] {
    return events
  }

  protected render(events: StoredEvent[]): void {
    if (this.following) return
    if (events.length === 0) return this.print('No events in that period.')
    this.print(
      table(events, [
        {header: 'TIME', get: (e) => timeOf(e.ts)},
        {header: 'TYPE', get: (e) => e.type},
        {header: 'CALL', get: (e) => e.callId ?? ''},
        {header: 'QUEUE', get: (e) => e.queue ?? ''},
        {header: 'AGENT', get: (e) => e.agent ?? ''},
        // JSON.stringify, not jsonText: the table's safeText removes what it leaves raw, and keeps
        // the joiners of an emoji name that jsonText would show as \u200d.
        {header: 'DATA', get: (e) => (Object.keys(e.data).length ? JSON.stringify(e.data) : ''), max: 80},
      ]),
    )
  }

  /**
   * Subscribes first and holds live events back while the stored ones print, then
   * lets the held ones through except those the store already had: no gap between
   * the two, and no event twice. Resolves on SIGINT/SIGTERM or a closed stdout.
   */
  private async follow(configFile: string | undefined, f: Filter): Promise<void> {
    let stopping = false
    let stop: () => void = () => {}
    const stopped = new Promise<void>((resolve) => {
      stop = () => {
        stopping = true
        resolve()
      }
    })
    // Installed before anything else, so an early Ctrl-C still ends with exit 0 and closed resources.
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    const onStdoutError = (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err
      stop()
    }
    process.stdout.on('error', onStdoutError)

    const json = this.jsonEnabled()
    const emit = (e: FollowedEvent) => {
      if (stopping) return
      if (json) process.stdout.write(jsonText(toJsonContract(e)) + '\n')
      else process.stdout.write(line(e) + '\n')
    }

    const config = loadEngineConfig({file: configFile, requireAri: false})
    let client: EngineClient | null = null
    let store: Store | null = null
    let tail: ReturnType<typeof setInterval> | null = null
    const ended: {lost?: UserError} = {}
    try {
      client = await connectToEngine(config.paths, config.api, {database: config.database, app: config.ari.app})
      client.onClose(() => {
        if (stopping) return
        ended.lost = new UserError('The engine closed the connection; no more events will arrive', {suggestion: 'Check the engine log, then run callctl events --follow again.', code: 'disconnected'})
        stop()
      })
      store = await openConfiguredStore(configFile, EVERY_EVENT)
      const {origin} = await client.request('engine.status')

      // Anything the store numbers beyond this was written after the subscription began,
      // so it is the only part of the stored history the live stream can repeat.
      const idBefore = await store.lastEventId()
      const held: NewEvent[] = []
      let live = false
      client.onEvent((raw) => {
        const e = raw as NewEvent
        // Admin changes made elsewhere are pushed too, once the engine applied them (for
        // desks); this follower reads those from the store, numbered, and prints them once.
        if (!matches(e, f) || e.origin !== origin) return
        if (live) emit(fromLive(e))
        else held.push(e)
      })
      await client.request('events.subscribe', f.types ? {types: f.types} : {})
      await flushEngine(client)

      const repeated = new Map<string, number>()
      const printedAfter = new Set<number>()
      if (!json && !stopping) process.stdout.write(chalk.bold(header()) + '\n')
      for await (const e of store.events({since: f.since, types: f.types, callId: f.callId})) {
        if (stopping) break
        emit(e)
        if (e.id > idBefore) {
          printedAfter.add(e.id)
          if (e.origin === origin) repeated.set(keyOf(e), (repeated.get(keyOf(e)) ?? 0) + 1)
        }
      }
      for (const e of held) {
        const k = keyOf(e)
        const n = repeated.get(k) ?? 0
        if (n > 0) repeated.set(k, n - 1)
        else emit(fromLive(e))
      }
      held.length = 0
      live = true

      // The live stream prints what the engine appends itself; CLI admin changes are read from the store.
      let tailAfter = idBefore
      let tailing = false
      const tailStore = store
      tail = setInterval(() => {
        if (tailing || stopping) return
        tailing = true
        void (async () => {
          try {
            for await (const e of tailStore.events({afterId: tailAfter, types: f.types, callId: f.callId})) {
              tailAfter = e.id
              if (e.origin !== origin && !printedAfter.has(e.id)) emit(e)
            }
            printedAfter.clear()
          } catch {
            // A locked or busy store is retried on the next tick; the live stream goes on meanwhile.
          } finally {
            tailing = false
          }
        })()
      }, TAIL_INTERVAL_MS)

      await stopped
    } catch (err) {
      // A Ctrl-C during start-up is a normal end, not an error.
      if (!(stopping && isUserError(err))) throw err
    } finally {
      stopping = true
      if (tail) clearInterval(tail)
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      process.stdout.off('error', onStdoutError)
      client?.close()
      await store?.close()
    }
    if (ended.lost) throw ended.lost
  }
}

/** Makes the engine write what it holds, so the store read has everything from before the subscription. */
async function flushEngine(client: EngineClient): Promise<void> {
  try {
    await client.request('events.flush')
  } catch (err) {
    if (!(isUserError(err) && err.code === 'unknown_method')) throw err
    // An engine without events.flush writes its buffer within ~20 ms of each append.
    await new Promise((r) => setTimeout(r, 200))
  }
}

function matches(e: NewEvent, f: Filter): boolean {
  if (f.types && !f.types.includes(e.type)) return false
  if (f.callId !== undefined && e.callId !== f.callId) return false
  return true
}

function fromLive(e: NewEvent): FollowedEvent {
  return {id: null, type: e.type, ts: e.ts, callId: e.callId ?? null, queue: e.queue ?? null, agent: e.agent ?? null, data: e.data ?? {}, origin: e.origin ?? ''}
}

// Live events have no id; this is what identifies one against its stored copy.
function keyOf(e: {ts: number; type: string; callId?: string | null; agent?: string | null}): string {
  return JSON.stringify([e.ts, e.type, e.callId ?? null, e.agent ?? null])
}

function timeOf(ts: number): string {
  return new Date(ts).toISOString().replace('T', ' ').slice(0, 23)
}

// Fixed columns: a stream cannot size them to its rows the way table() does.
const COLUMNS = [
  {header: 'TIME', width: 23},
  {header: 'TYPE', width: 24},
  {header: 'CALL', width: 24},
  {header: 'QUEUE', width: 12},
  {header: 'AGENT', width: 10},
  {header: 'DATA', width: 0},
] as const

function header(): string {
  return cells(COLUMNS.map((c) => c.header))
}

function line(e: FollowedEvent): string {
  return cells([timeOf(e.ts), e.type, e.callId ?? '', e.queue ?? '', e.agent ?? '', Object.keys(e.data).length ? JSON.stringify(e.data) : ''])
}

function cells(values: string[]): string {
  return values
    .map((v, i) => {
      const w = COLUMNS[i]!.width
      const s = safeText(v, w || 200)
      return w ? s.padEnd(w) : s
    })
    .join('  ')
    .trimEnd()
}
