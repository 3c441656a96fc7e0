import {createHmac} from 'node:crypto'
import {existsSync, statSync} from 'node:fs'
import type {EventType, StoredEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import type {Logger} from '../util/log.js'
import {ensureSecret} from '../util/secrets.js'
import {isOverdue} from './ticket.js'
import type {TicketRepository} from './ticket-store.js'
import type {Checkpoint} from './webhook-checkpoint.js'
import {storeCheckpoint} from './webhook-checkpoint.js'

// Every ticket change, told to an outside system (a helpdesk, a CRM) as an HTTP POST.
//
// It reads the event log, not the engine's own changes, so a ticket changed by
// `callctl ticket ...` on any machine is told too. Deliveries go one at a time in log
// order (a receiver sees a ticket's changes in the order they happened), each retried
// with backoff; nothing here is awaited by the engine, and a receiver that is down costs
// a log line when it starts failing, not one per event.
//
// The body is JSON: {id, type, at, ticket, data}: the event (its id in the log, its type,
// when, and what it said) and the ticket as it is when delivered. X-Callctl-Signature is
// sha256=HEX, the HMAC-SHA256 of the exact body with the configured secret; the receiver
// computes the same and compares (in constant time) before trusting the body.

export const TICKET_EVENTS: readonly EventType[] = ['ticket.created', 'ticket.updated', 'ticket.status_changed', 'ticket.assigned', 'ticket.commented', 'ticket.call_linked']
export const SIGNATURE_HEADER = 'x-callctl-signature'

export interface TicketWebhookOptions {
  url: string
  secret: string
  store: Pick<Store, 'events' | 'lastEventId'>
  tickets: Pick<TicketRepository, 'get'>
  log: Logger
  timeoutMs?: number
  /** How often the log is read for new ticket events. */
  pollMs?: number
  /** Waits between attempts (their count + 1 is the number of attempts). */
  retryDelaysMs?: readonly number[]
  /** Events waiting beyond this are dropped, oldest first (a receiver down for long). */
  maxQueue?: number
  /** Where the last event told is kept across restarts (webhook-checkpoint.ts); without it, each start begins at the log's end. */
  checkpoint?: Checkpoint | null
  now?: () => number
}

const DEFAULT_RETRIES = [1000, 2000, 4000, 8000, 16_000, 32_000]

/** The URL as logs show it: a password in it is masked. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url
  }
}

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

export class TicketWebhook {
  private afterId = 0
  private readonly queue: StoredEvent[] = []
  private timer: ReturnType<typeof setTimeout> | null = null
  private running: Promise<void> | null = null
  private stopped = false
  private failing = false
  private checkpointFailing = false
  private dropped = 0
  private readonly abort = new AbortController()
  /** Deliveries made (2xx) and given up, since start. */
  delivered = 0
  failed = 0

  constructor(private readonly o: TicketWebhookOptions) {}

  /** From the checkpoint (the first time: from the log's end, history is not told). */
  async start(): Promise<void> {
    this.afterId = (await this.o.checkpoint?.load().catch(() => null)) ?? (await this.o.store.lastEventId())
    this.schedule()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.abort.abort()
    if (this.timer) clearTimeout(this.timer)
    await this.running?.catch(() => {})
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule())
    }, this.o.pollMs ?? 500)
    this.timer.unref?.()
  }

  /** New ticket events from the log, then deliveries until the queue is empty. */
  private async tick(): Promise<void> {
    try {
      for await (const e of this.o.store.events({afterId: this.afterId, types: TICKET_EVENTS, limit: 1000})) {
        this.afterId = e.id
        this.queue.push(e)
      }
    } catch (err) {
      this.o.log.warn('ticket webhook: could not read the event log (retrying)', {error: String(err)})
      return
    }
    const max = this.o.maxQueue ?? 10_000
    if (this.queue.length > max) {
      const n = this.queue.length - max
      this.queue.splice(0, n)
      if (this.dropped === 0) this.o.log.error(`ticket webhook: ${n} ticket changes dropped untold (more than ${max} waiting for ${shownUrl(this.o.url)})`)
      this.dropped += n
    }
    while (this.queue.length > 0 && !this.stopped) {
      const e = this.queue[0]!
      await this.deliver(e)
      if (this.stopped) break
      this.queue.shift()
      await this.o.checkpoint?.save(e.id).then(
        () => void (this.checkpointFailing = false),
        (err: unknown) => {
          if (!this.checkpointFailing) this.o.log.warn('ticket webhook: could not keep its place in the log (a restart may tell some changes again)', {error: String(err)})
          this.checkpointFailing = true
        },
      )
    }
  }

  private async deliver(e: StoredEvent): Promise<void> {
    const now = (this.o.now ?? Date.now)()
    const id = String(e.data.ticket ?? '')
    const t = await this.o.tickets.get(id).catch(() => undefined)
    const body = JSON.stringify({id: e.id, type: e.type, at: new Date(e.ts).toISOString(), ticket: t ? {...t, overdue: isOverdue(t, now)} : null, data: e.data})
    const delays = this.o.retryDelaysMs ?? DEFAULT_RETRIES
    let why = ''
    for (let attempt = 0; attempt <= delays.length && !this.stopped; attempt++) {
      if (attempt > 0) await this.sleep(delays[attempt - 1]! * (0.8 + Math.random() * 0.4))
      const r = await this.post(e, body)
      if (r.ok) {
        this.delivered++
        if (this.failing) this.o.log.info(`ticket webhook: ${shownUrl(this.o.url)} takes deliveries again`)
        this.failing = false
        return
      }
      why = r.why
      if (!r.retry) break
    }
    if (this.stopped) return
    this.failed++
    // Once per outage: the next failures are the same news.
    if (!this.failing) this.o.log.warn(`ticket webhook: ${e.type} of ${id} (event ${e.id}) not delivered to ${shownUrl(this.o.url)}: ${why}; further failures are not logged until a delivery succeeds`)
    this.failing = true
  }

  private async post(e: StoredEvent, body: string): Promise<{ok: true} | {ok: false; retry: boolean; why: string}> {
    try {
      const res = await fetch(this.o.url, {
        method: 'POST',
        headers: {'content-type': 'application/json', 'user-agent': 'callctl', 'x-callctl-event': e.type, 'x-callctl-delivery': String(e.id), [SIGNATURE_HEADER]: signature(this.o.secret, body)},
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.timeoutMs ?? 5000)]),
      })
      await res.body?.cancel().catch(() => {})
      if (res.status >= 200 && res.status < 300) return {ok: true}
      // The receiver refused this body: the same body will be refused again.
      const retry = res.status >= 500 || res.status === 408 || res.status === 429
      return {ok: false, retry, why: `HTTP ${res.status}`}
    } catch (err) {
      const cause = (err as {cause?: {code?: string}}).cause?.code
      return {ok: false, retry: true, why: (err as Error).name === 'TimeoutError' ? 'no answer in time' : (cause ?? String((err as Error).message ?? err))}
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms)
      this.abort.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), {once: true})
    })
  }
}

/**
 * The webhook's secret: the configured file, created 0600 with a random key when absent.
 * A file others may read is refused (the key signs what the receiver will trust).
 */
export function webhookSecret(file: string): string {
  if (existsSync(file)) {
    const mode = statSync(file).mode & 0o777
    if (mode & 0o077) throw new Error(`${file} is readable by others (mode ${mode.toString(8)}): chmod 600 ${file}`)
  }
  const secret = ensureSecret(file, 32)
  if (!secret) throw new Error(`${file} is empty`)
  return secret
}

/** Starts the webhook of the config, or says why not (logged) and returns null: the engine runs on without it. */
export async function startTicketWebhook(settings: {url: string; secretFile: string; timeoutMs: number}, store: Store, tickets: TicketRepository, log: Logger): Promise<TicketWebhook | null> {
  let secret: string
  try {
    secret = webhookSecret(settings.secretFile)
  } catch (err) {
    log.error(`ticket webhook off: its secret: ${(err as Error).message}`)
    return null
  }
  const hook = new TicketWebhook({url: settings.url, secret, store, tickets, log, timeoutMs: settings.timeoutMs, checkpoint: storeCheckpoint(store)})
  await hook.start()
  log.info(`ticket webhook: every ticket change is posted to ${shownUrl(settings.url)}`)
  return hook
}
