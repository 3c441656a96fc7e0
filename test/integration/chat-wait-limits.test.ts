import type {ChildProcess} from 'node:child_process'
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
// image older than the uploads' retention.

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
        '  agents: {li: {web: 1, total: 1}}',
        '  maxWait: 2s',
        '  onMaxWait: {overflow: support}',
        '  leaveMessage: {ask: "Nobody is free: leave us a message.", thanks: "Thanks, we will call you back."}',
        '  queues:',
        '    support: {maxWait: 2s, onMaxWait: leaveMessage}',
        'channels:',
        '  web: {}',
        '',
      ].join('\n'),
    )
    // Set up in the store directly (the CLI's own admin functions): a process less per step.
    const store = await openStore(loadEngineConfig({file: join(home, 'config.yaml'), env, requireAri: false}).database)
    await addQueue(store, 'sales', {record: false})
    await addQueue(store, 'support', {record: false})
    await addAgent(store, {id: 'li', endpoint: simAgentEndpoint({id: 'li', ring: 999, talk: {min: 1, max: 1}}), queues: ['support']})
    await loginAgent(store, 'li')
    const {token} = await addUser(store, {name: 'li', role: 'agent', agent: 'li'})
    await store.close()
    // Two widget images from before: one 100 days old, one 10 (chat.uploadsRetention defaults to 90 days).
    mkdirSync(join(home, 'chat-uploads'), {recursive: true})
    for (const [name, days] of [[OLD_UPLOAD, 100], [YOUNG_UPLOAD, 10]] as const) {
      writeFileSync(join(home, 'chat-uploads', name), 'x')
      const t = new Date(Date.now() - days * 86_400_000)
      utimesSync(join(home, 'chat-uploads', name), t, t)
    }
    engine = await startEngineCli(env)
    const chatUrl = `http://127.0.0.1:${chatPort}`
    await until('the chat server', () => engine.output().includes(`chat server listening on ${chatUrl}`), 10_000)
    wsUrl = `ws://127.0.0.1:${chatPort}/chat/ws`
    const url = `ws://127.0.0.1:${port}/`
    admin = await EngineClient.connect(url, readFileSync(join(home, 'secrets', 'api-token'), 'utf8').trim())
    desk = await EngineClient.connect(url, token ?? '')
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
})
