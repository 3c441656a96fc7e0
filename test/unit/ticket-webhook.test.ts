import {createHmac, timingSafeEqual} from 'node:crypto'
import {mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, describe, expect, it} from 'vitest'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {DEFAULT_SLA} from '../../src/engine/tickets/ticket.js'
import {SIGNATURE_HEADER, TicketWebhook, webhookSecret} from '../../src/engine/tickets/ticket-webhook.js'
import {storeCheckpoint} from '../../src/engine/tickets/webhook-checkpoint.js'
import {addTicket, setTicketStatus, type TicketContext} from '../../src/engine/tickets/tickets.js'
import type {Logger} from '../../src/engine/util/log.js'
import {repositoryStores} from '../support/repository-stores.js'
import {until} from '../support/wait.js'

// The ticket webhook against a local HTTP server: each change of the log posted, signed
// with HMAC-SHA256 of the body; a receiver that fails is tried again with backoff, and a
// receiver that stays down costs one log line, not one per change.

const dir = mkdtempSync(join(tmpdir(), 'callctl-webhook-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

interface Received {
  headers: IncomingMessage['headers']
  body: string
}

async function receiver(answer: (n: number) => number): Promise<{url: string; got: Received[]; server: Server}> {
  const got: Received[] = []
  let n = 0
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString('utf8')))
    req.on('end', () => {
      const status = answer(++n)
      if (status < 300) got.push({headers: req.headers, body})
      res.writeHead(status).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {url: `http://127.0.0.1:${(server.address() as {port: number}).port}/hooks/callctl`, got, server}
}

function logger(lines: string[]): Logger {
  const put = (m: string) => void lines.push(m)
  return {debug() {}, info: put, warn: put, error: put}
}

describe('ticket webhook', () => {
  const cleanup: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f()
  })

  async function setup(answer: (n: number) => number, retryDelaysMs = [10, 20]) {
    const store = new SqliteStore(':memory:')
    const r = await receiver(answer)
    const lines: string[] = []
    const secret = 'test-secret-0123456789'
    const hook = new TicketWebhook({url: r.url, secret, store, tickets: repositoriesOf(store).tickets, log: logger(lines), pollMs: 20, retryDelaysMs})
    await hook.start()
    cleanup.push(() => store.close(), () => void r.server.close(), () => hook.stop())
    const ctx: TicketContext = {tickets: repositoriesOf(store).tickets, store, sla: DEFAULT_SLA, defaultCountry: 'CN', origin: 'cli'}
    return {store, hook, lines, secret, ctx, ...r}
  }

  it('posts every change in log order, signed: HMAC-SHA256 of the exact body with the secret', async () => {
    const {ctx, got, secret} = await setup(() => 204)
    await addTicket(ctx, {subject: '退款未到账', priority: 'urgent'}, 'admin')
    await setTicketStatus(ctx, 'T-000001', 'solved', 'admin')
    await until('two deliveries', () => got.length === 2, 5000)
    for (const g of got) {
      const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(g.body).digest('hex')}`)
      const sent = Buffer.from(String(g.headers[SIGNATURE_HEADER]))
      expect(sent.length === want.length && timingSafeEqual(sent, want)).toBe(true)
      expect(g.headers['content-type']).toBe('application/json')
    }
    const [a, b] = got.map((g) => JSON.parse(g.body) as {type: string; ticket: {id: string; status: string}; data: Record<string, unknown>; id: number})
    expect(a).toMatchObject({type: 'ticket.created', data: {ticket: 'T-000001', subject: '退款未到账', priority: 'urgent', by: 'admin'}, ticket: {id: 'T-000001'}})
    expect(b).toMatchObject({type: 'ticket.status_changed', data: {from: 'open', to: 'solved'}, ticket: {status: 'solved'}})
    expect(b!.id).toBeGreaterThan(a!.id)
    expect(got[1]!.headers['x-callctl-event']).toBe('ticket.status_changed')
  })

  it('tries again with backoff when the receiver fails, then delivers', async () => {
    const {ctx, got, hook} = await setup((n) => (n <= 2 ? 503 : 200))
    await addTicket(ctx, {subject: 'retry me'}, 'admin')
    await until('a delivery after two failures', () => got.length === 1, 5000)
    expect(hook.delivered).toBe(1)
    expect(hook.failed).toBe(0)
  })

  it('a receiver that stays down is logged once, not per change; a refusal (4xx) is not retried', async () => {
    let calls = 0
    const {ctx, lines, hook} = await setup(() => (calls++, 500), [5])
    for (let i = 0; i < 3; i++) await addTicket(ctx, {subject: `t${i}`}, 'admin')
    await until('three changes given up', () => hook.failed === 3, 5000)
    expect(calls).toBe(6)
    expect(lines.filter((l) => l.includes('not delivered'))).toHaveLength(1)
    expect(lines[0]).toMatch(/ticket\.created of T-000001 .*HTTP 500; further failures are not logged until a delivery succeeds/)
  })

  it('the secret file must be the owner\'s alone; a missing one is made 0600', () => {
    const made = join(dir, 'secrets', 'ticket-webhook')
    expect(webhookSecret(made)).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    expect(statSync(made).mode & 0o777).toBe(0o600)
    const open = join(dir, 'open-secret')
    writeFileSync(open, 'k', {mode: 0o644})
    expect(() => webhookSecret(open)).toThrow(/readable by others \(mode 644\): chmod 600/)
  })
})

// The place in the log on both stores (a standby taking over reads what the leader kept).
describe.each(repositoryStores())('ticket webhook on $name', (kind) => {
  it('keeps its place in the log: a change made while no engine ran is told by the next, and nothing twice', async () => {
    const opened = await kind.open()
    const r = await receiver(() => 200)
    const {store} = opened
    const ctx: TicketContext = {tickets: opened.repos.tickets, store, sla: DEFAULT_SLA, defaultCountry: 'CN', origin: 'cli'}
    const checkpoint = storeCheckpoint(store)!
    const hook = (lines: string[] = []) => new TicketWebhook({url: r.url, secret: 's', store, tickets: opened.repos.tickets, log: logger(lines), pollMs: 20, checkpoint})
    const subjects = () => r.got.map((g) => (JSON.parse(g.body) as {ticket: {subject: string}}).ticket.subject)
    try {
      await addTicket(ctx, {subject: 'history'}, 'admin')
      // The first start on a store: from the log's end, history is not told.
      const first = hook()
      await first.start()
      await addTicket(ctx, {subject: 'one'}, 'admin')
      await until('the first delivery', () => r.got.length === 1, 5000)
      await first.stop()
      expect(await checkpoint.load()).toBe(await store.lastEventId())
      // Changed while no webhook ran (the CLI with the engine down).
      await addTicket(ctx, {subject: 'while down'}, 'admin')
      const second = hook()
      await second.start()
      await until('the change made while down', () => r.got.length === 2, 5000)
      await new Promise((res) => setTimeout(res, 100))
      await second.stop()
      expect(subjects()).toEqual(['one', 'while down'])
    } finally {
      r.server.close()
      await opened.close()
    }
  })
})
