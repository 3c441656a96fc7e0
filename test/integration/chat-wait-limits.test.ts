import type {ChildProcess} from 'node:child_process'
import {createHmac} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import WebSocket from 'ws'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {EngineClient} from '../../src/engine/api/client.js'
import type {EngineFrame} from '../../src/engine/chat/channels/web/web-protocol.js'
import {loadEngineConfig} from '../../src/engine/config/engine-config.js'
import {simAgentEndpoint} from '../../src/engine/sim/simulator.js'
import {openStore} from '../../src/engine/store/open-store.js'
import {addUser} from '../../src/engine/users/users.js'
import {freePort} from '../../src/engine/util/net.js'
import {exited, runCli, startEngineCli} from '../support/cli.js'
import {cliEngineEnv} from '../support/harness.js'
import {until} from '../support/wait.js'

// chat.maxWait on `callctl engine start` with its real ticket store: a web customer waits
// 2 s in sales (nobody there), overflows to support and is answered there by li through the
// API; a second customer overflows too, finds li full, waits support's 2 s and is asked to
// leave a message, which becomes a ticket for support with the conversation linked and the
// customer's number; report chats counts both. And at start the engine removed the widget
// image older than the uploads' retention. Then billing (reached through the JSON webhook's
// flow): its one agent wu, busy with a chat, is paused by `callctl agent pause`, and the
// customer waiting there is asked at once for a message in billing's own words (onNoAgents,
// chat.queues.billing.leaveMessage), shown by `chat list` and `dashboard --once` as leaving
// a message.

const OLD_UPLOAD = `${'o'.repeat(32)}.png`
const YOUNG_UPLOAD = `${'y'.repeat(32)}.png`


/** A web customer as the widget speaks (hello, start with name and number, texts), keeping what it is told. */
class Customer {
  private ws!: WebSocket
  conversation: string | null = null
  readonly told: string[] = []
  constructor(
    readonly url: string,
    readonly name: string,
    readonly number: string,
  ) {}

  async open(): Promise<void> {
    this.ws = new WebSocket(this.url)
    this.ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as EngineFrame
      if (f.type === 'ack') this.conversation = f.conversation
      else if (f.type === 'message' && 'text' in f.message && typeof f.message.text === 'string') this.told.push(f.message.text)
    })
    await new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
    })
    this.ws.send(JSON.stringify({type: 'hello'}))
    this.ws.send(JSON.stringify({type: 'start', name: this.name, number: this.number}))
  }

  text(id: string, text: string): void {
    this.ws.send(JSON.stringify({type: 'text', id, text}))
  }

  close(): void {
    this.ws?.terminate()
  }
}

describe('chat wait limits on callctl engine start', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-chat-wait-'))
  const app = `t${Math.random().toString(36).slice(2, 8)}`
  const started = Date.now()
  let env: Record<string, string>
  let engine: {child: ChildProcess; output: () => string}
  let admin: EngineClient
  let desk: EngineClient
  let wsUrl: string
  let chatUrl: string
  let wuToken = ''
  let apiUrl = ''
  const offers: {callId?: string; agent?: string | null}[] = []
  const customers: Customer[] = []

  beforeAll(async () => {
    const port = await freePort()
    const chatPort = await freePort()
    env = {...cliEngineEnv({home, app, apiPort: port}), CALLCTL_CHAT_PORT: String(chatPort)}
    writeFileSync(
      join(home, 'config.yaml'),
      [
        'chat:',
        '  queue: sales',
        '  rating: false',
        '  agents: {li: {web: 1, total: 1}, wu: {webhook: 1, total: 1}}',
        `  flows: {webhook: ${join(home, 'billing-flow.yaml')}}`,
        '  maxWait: 2s',
        '  onMaxWait: {overflow: support}',
        '  leaveMessage: {ask: "Nobody is free: leave us a message.", thanks: "Thanks, we will call you back."}',
        '  queues:',
        '    support: {maxWait: 2s, onMaxWait: leaveMessage}',
        '    billing: {maxWait: 0, onNoAgents: leaveMessage, leaveMessage: {ask: "Billing is away: leave us a message."}}',
        'channels:',
        '  web: {}',
        '  webhook: {path: /hooks/chat}',
        '',
      ].join('\n'),
    )
    writeFileSync(join(home, 'billing-flow.yaml'), 'flow: billing\ntimezone: UTC\nstart: q\nnodes:\n  q: {type: queue, queue: billing, text: "Connecting you to billing."}\n')
    // Set up in the store directly (the CLI's own admin functions): a process less per step.
    const store = await openStore(loadEngineConfig({file: join(home, 'config.yaml'), env, requireAri: false}).database)
    await addQueue(store, 'sales', {record: false})
    await addQueue(store, 'support', {record: false})
    await addAgent(store, {id: 'li', endpoint: simAgentEndpoint({id: 'li', ring: 999, talk: {min: 1, max: 1}}), queues: ['support']})
    await loginAgent(store, 'li')
    await addQueue(store, 'billing', {record: false})
    await addAgent(store, {id: 'wu', endpoint: simAgentEndpoint({id: 'wu', ring: 999, talk: {min: 1, max: 1}}), queues: ['billing']})
    await loginAgent(store, 'wu')
    const {token} = await addUser(store, {name: 'li', role: 'agent', agent: 'li'})
    wuToken = (await addUser(store, {name: 'wu', role: 'agent', agent: 'wu'})).token ?? ''
    await store.close()
    // Two widget images from before: one 100 days old, one 10 (chat.uploadsRetention defaults to 90 days).
    mkdirSync(join(home, 'chat-uploads'), {recursive: true})
    for (const [name, days] of [[OLD_UPLOAD, 100], [YOUNG_UPLOAD, 10]] as const) {
      writeFileSync(join(home, 'chat-uploads', name), 'x')
      const t = new Date(Date.now() - days * 86_400_000)
      utimesSync(join(home, 'chat-uploads', name), t, t)
    }
    engine = await startEngineCli(env)
    chatUrl = `http://127.0.0.1:${chatPort}`
    await until('the chat server', () => engine.output().includes(`chat server listening on ${chatUrl}`), 10_000)
    wsUrl = `ws://127.0.0.1:${chatPort}/chat/ws`
    apiUrl = `ws://127.0.0.1:${port}/`
    admin = await EngineClient.connect(apiUrl, readFileSync(join(home, 'secrets', 'api-token'), 'utf8').trim())
    desk = await EngineClient.connect(apiUrl, token ?? '')
    desk.onEvent((e) => offers.push(e as {callId?: string; agent?: string | null}))
    await desk.request('events.subscribe', {types: ['chat.offered']})
  }, 120_000)

  afterAll(async () => {
    for (const c of customers) c.close()
    admin?.close()
    desk?.close()
    if (engine?.child.exitCode === null) {
      engine.child.kill('SIGTERM')
      await exited(engine.child)
    }
    rmSync(home, {recursive: true, force: true})
  })

  it('the engine removed the widget image older than the retention when it started, and logged the count', async () => {
    await until('the retention line', () => engine.output().includes('chat uploads: 1 older than 90 days removed'), 5000)
    expect(existsSync(join(home, 'chat-uploads', OLD_UPLOAD))).toBe(false)
    expect(existsSync(join(home, 'chat-uploads', YOUNG_UPLOAD))).toBe(true)
  })

  it('after maxWait in sales the conversation overflows to support, the customer is told, and li answers it there', async () => {
    const c = new Customer(wsUrl, 'Sun Li', '+8613800138000')
    customers.push(c)
    await c.open()
    c.text('m1', 'Hello, my order is late')
    const offer = await until('the offer to li in support', () => offers.find((e) => e.agent === 'li'), 10_000)
    const conversation = offer.callId!
    expect(c.conversation).toBe(conversation)
    expect(c.told).toContain('Everyone on this team is busy, so we are passing you to another team. You keep your place in line.')
    await desk.request('chat.accept', {conversation, agent: 'li'})
    await desk.request('chat.send', {conversation, agent: 'li', text: 'Hello, li from support here'})
    await until('the answer at the customer', () => c.told.includes('Hello, li from support here'), 5000)
    const {conversation: view} = await admin.request('chat.transcript', {conversation})
    expect(view).toMatchObject({queue: 'support', agent: 'li', state: 'active'})
  })

  it('with li full, the next customer overflows, waits out support too and leaves a message: a ticket for support, the conversation linked', async () => {
    const c = new Customer(wsUrl, '王芳', '13900139000')
    customers.push(c)
    await c.open()
    c.text('m1', 'Is anyone there?')
    await until('the ask for a message', () => c.told.includes('Nobody is free: leave us a message.'), 10_000)
    c.text('m2', 'Please call me about invoice 7')
    await until('the thanks', () => c.told.includes('Thanks, we will call you back.'), 10_000)
    const conversation = c.conversation!
    await admin.request('events.flush')
    const {tickets} = await admin.request('ticket.list', {})
    expect(tickets).toHaveLength(1)
    expect(tickets[0]).toMatchObject({category: 'chat', assignee: {queue: 'support'}, contact: '+8613900139000', number: '13900139000', calls: [conversation], subject: 'Chat message from 王芳'})
    const {conversation: view} = await admin.request('chat.transcript', {conversation})
    expect(view).toMatchObject({state: 'closed', closeReason: 'message-left', queue: 'support'})

    // report chats: sales offered both, both exited by overflow; support offered both, answered
    // one (li), the other exited when asked for a message, which became its one message left.
    const period = ['--from', new Date(started - 60_000).toISOString(), '--to', new Date(Date.now() + 60_000).toISOString()]
    const report = await runCli(['report', 'chats', ...period, '--format', 'json'], env)
    expect(report.code, report.stderr).toBe(0)
    const rows = (JSON.parse(report.stdout) as {rows: Record<string, unknown>[]}).rows
    const row = (queue: string, agent: string) => rows.find((r) => r.queue === queue && r.agent === agent)
    expect(row('sales', '')).toMatchObject({offered: 2, answered: 0, abandoned: 0, exited: 2, overflowed: 2, messages_left: 0})
    expect(row('support', '')).toMatchObject({offered: 2, answered: 1, abandoned: 0, exited: 1, overflowed: 0, messages_left: 1})
  })

  it('billing loses its last agent able to take chats (wu paused by the CLI): the customer waiting there is asked for a message at once, in billing\'s words', async () => {
    const secret = readFileSync(join(home, 'secrets', 'chat-webhook'), 'utf8').trim()
    const hook = async (body: Record<string, unknown>): Promise<string> => {
      const raw = JSON.stringify(body)
      const ts = String(Math.floor(Date.now() / 1000))
      const r = await fetch(`${chatUrl}/hooks/chat`, {method: 'POST', headers: {'x-callctl-timestamp': ts, 'x-callctl-signature': 'sha256=' + createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex')}, body: raw})
      expect(r.status).toBe(200)
      return ((await r.json()) as {conversation: string}).conversation
    }
    const view = async (conversation: string) => (await admin.request('chat.transcript', {conversation})).conversation
    const wu = await EngineClient.connect(apiUrl, wuToken)
    try {
      // wu takes the first billing customer: its one webhook chat.
      const first = await hook({customer: 'app-1', text: 'Invoice question'})
      await until('the offer to wu', async () => (await view(first)).offeredTo === 'wu', 10_000)
      await wu.request('chat.accept', {conversation: first, agent: 'wu'})
      // The second waits in billing: wu is busy, not gone.
      const second = await hook({customer: 'app-2', number: '13700137000', text: 'Refund please'})
      expect(await view(second)).toMatchObject({state: 'queued', stage: 'queued', queue: 'billing'})
      const paused = await runCli(['agent', 'pause', 'wu', '--reason', 'lunch'], env)
      expect(paused.code, paused.stderr).toBe(0)
      const asked = await until('the ask for a message', async () => {
        const t = await admin.request('chat.transcript', {conversation: second})
        return t.lines.some((l) => l.text === 'Billing is away: leave us a message.') ? t : undefined
      }, 10_000)
      expect(asked.conversation).toMatchObject({state: 'flow', stage: 'leaving-message', queue: 'billing'})
      expect(await view(first)).toMatchObject({state: 'active', stage: 'active', agent: 'wu'})
      const list = await runCli(['chat', 'list', '--queue', 'billing'], env)
      expect(list.stdout.split('\n').find((l) => l.startsWith(second))?.split(/\s{2,}/)).toContain('leaving-message')
      const once = await runCli(['dashboard', '--once'], env)
      expect(once.code, once.stderr).toBe(0)
      expect(once.stdout).toMatch(/^CHATS  0 waiting \(0 offered\), \d+ active, 1 leaving a message$/m)
      // What --json prints is this view in the JSON contract (unit tested: leaving_message).
      expect((await admin.request('snapshot', {})).chats).toMatchObject({waiting: 0, leavingMessage: 1, withBot: 0})
      // The message left: a ticket for billing, thanked in the global words (billing gives only its ask).
      await hook({customer: 'app-2', text: 'Refund order 9 please, call 13700137000'})
      await until('closed with the message left', async () => ((await view(second)).state === 'closed' ? true : undefined), 10_000)
      const t = await admin.request('chat.transcript', {conversation: second})
      expect(t.lines.at(-1)).toMatchObject({kind: 'closed', text: 'Thanks, we will call you back.'})
      const {tickets} = await admin.request('ticket.list', {})
      expect(tickets.find((x) => x.calls.includes(second))).toMatchObject({category: 'chat', assignee: {queue: 'billing'}})
    } finally {
      wu.close()
    }
  })
})
