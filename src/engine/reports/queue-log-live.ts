import {closeSync, openSync, writeSync} from 'node:fs'
import type {NewEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import type {Logger} from '../util/log.js'
import {AGENT_ADMIN_TYPES, QueueLogConverter, queueStartLine} from './queue-log.js'

/** What the live writer needs from the engine: its event stream and the queue settings. */
export interface QueueLogSource {
  events: {subscribe(l: (e: NewEvent) => void): () => void}
  callbackKey(queue: string): string
}

// Admin commands (login, pause, membership) write to the store from their own process;
// the engine only reads them back, so the writer reads them from the store as well.
const POLL_MS = 500

/**
 * Appends the engine's events to an Asterisk-format queue_log file as they happen: call
 * events from the engine's own stream, agent presence and membership from the store.
 * A write that fails (disk full) is logged and the writer goes on with the next line.
 */
export class LiveQueueLog {
  private fd: number
  private timer: ReturnType<typeof setInterval> | null = null
  private unsubscribe: () => void = () => {}
  private lastId = 0
  private polling = false
  private failures = 0

  private constructor(
    readonly file: string,
    private readonly store: Store,
    private readonly log: Logger,
    private converter: QueueLogConverter,
  ) {
    this.fd = openSync(file, 'a', 0o640)
  }

  static async start(o: {file: string; source: QueueLogSource; store: Store; log: Logger; now?: number}): Promise<LiveQueueLog> {
    const membership = new Map((await o.store.listAgents()).map((a) => [a.id, Object.keys(a.queues)]))
    const loggedIn = (await o.store.listPresence()).filter((p) => p.status !== 'offline').map((p) => p.agent)
    const converter = new QueueLogConverter({membership, loggedIn, callbackKey: (q) => o.source.callbackKey(q)})
    const w = new LiveQueueLog(o.file, o.store, o.log, converter)
    w.lastId = await o.store.lastEventId()
    w.write([queueStartLine(o.now ?? Date.now())])
    w.unsubscribe = o.source.events.subscribe((e) => {
      if (!AGENT_ADMIN_TYPES.includes(e.type)) w.write(w.converter.lines(e))
    })
    w.timer = setInterval(() => void w.poll(), POLL_MS)
    w.timer.unref?.()
    o.log.info(`writing queue_log to ${o.file}`)
    return w
  }

  /** Reads admin changes written since the last look. */
  async poll(): Promise<void> {
    if (this.polling) return
    this.polling = true
    try {
      for await (const e of this.store.events({afterId: this.lastId, types: AGENT_ADMIN_TYPES})) {
        this.lastId = e.id
        this.write(this.converter.lines(e))
      }
    } catch (err) {
      this.log.warn('queue_log: could not read agent changes from the store', {error: String(err)})
    } finally {
      this.polling = false
    }
  }

  private write(lines: string[]): void {
    if (lines.length === 0) return
    try {
      writeSync(this.fd, lines.join('\n') + '\n')
      if (this.failures > 0) this.log.warn('queue_log writable again', {file: this.file})
      this.failures = 0
    } catch (err) {
      if (this.failures++ === 0) this.log.error('QUEUE_LOG WRITE FAILED: lines are being lost', {file: this.file, error: String(err)})
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe()
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.poll()
    for (const l of this.converter.flush()) this.write([l])
    closeSync(this.fd)
  }
}
