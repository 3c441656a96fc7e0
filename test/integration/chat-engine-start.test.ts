import type {ChildProcess} from 'node:child_process'
import {createHmac} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {EngineClient} from '../../src/engine/api/client.js'
import {simAgentEndpoint} from '../../src/engine/sim/simulator.js'
import {freePort} from '../../src/engine/util/net.js'
import {WebCustomer} from '../../src/bench/chat/web-customer.js'
import {exited, runAll, runCli, startEngineCli} from '../support/cli.js'
import {cliEngineEnv} from '../support/harness.js'
import {until} from '../support/wait.js'

// The chat server as `callctl engine start` runs it from the config's channels: section:
// a web customer (the widget's protocol) and a platform on the JSON webhook reach an agent
// who works at its desk through the engine API with its own token (offered, accepts,
// answers); the webhook's secret file is made 0600 when missing; forged requests refused;
// customer text reaches the desk without terminal controls.


interface DeskEvent {
  type: string
  callId?: string
  agent?: string | null
  data?: {from?: string; text?: string}
}

describe('chat channels on callctl engine start', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-chat-cli-'))
  const app = `t${Math.random().toString(36).slice(2, 8)}`
  let env: Record<string, string>
  let engine: {child: ChildProcess; output: () => string}
  let admin: EngineClient
  let desk: EngineClient
  let chatUrl: string
  const seen: DeskEvent[] = []
  const customers: WebCustomer[] = []
  let conversationId = ''

  beforeAll(async () => {
    const port = await freePort()
    const chatPort = await freePort()
    env = {...cliEngineEnv({home, app, apiPort: port}), CALLCTL_CHAT_PORT: String(chatPort)}
    writeFileSync(join(home, 'config.yaml'), 'chat:\n  queue: web\n  autoAccept: false\n  rating: false\nchannels:\n  webhook: {path: /hooks/chat}\n')
    await runAll(
      [
        ['queue', 'add', 'web', '--no-record'],
        ['agent', 'add', 'li', '--endpoint', simAgentEndpoint({id: 'li', ring: 999, talk: {min: 1, max: 1}}), '--queue', 'web'],
        ['agent', 'login', 'li'],
      ],
      env,
    )
    const user = await runCli(['user', 'add', '李娜', '--role', 'agent', '--agent', 'li', '--json'], env)
    expect(user.code, user.stderr).toBe(0)
    engine = await startEngineCli(env)
    chatUrl = `http://127.0.0.1:${chatPort}`
    await until('the chat server', () => engine.output().includes(`chat server listening on ${chatUrl}`), 10_000)
    const url = `ws://127.0.0.1:${port}/`
    admin = await EngineClient.connect(url, readFileSync(join(home, 'secrets', 'api-token'), 'utf8').trim())
    desk = await EngineClient.connect(url, (JSON.parse(user.stdout) as {token: string}).token)
    desk.onEvent((e) => seen.push(e as DeskEvent))
    await desk.request('events.subscribe', {types: ['chat.offered', 'chat.message']})
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

  it('engine status names the chat server; the widget page is served with its CSP', async () => {
    expect(await admin.request('engine.status')).toMatchObject({chat: chatUrl})
    const page = await fetch(`${chatUrl}/chat/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("require-trusted-types-for 'script'")
  })

  it('a web customer is offered to the agent’s desk, accepted and answered through the API with the agent’s token', async () => {
    const customer = new WebCustomer(`${chatUrl.replace('http', 'ws')}/chat/ws`, 'Sun Li')
    customers.push(customer)
    await customer.open()
    customer.text('m1', 'Hello from the web \u001b[31mred\u001b[0m')
    const offer = await until('the offer at the desk', () => seen.find((e) => e.type === 'chat.offered' && e.agent === 'li'), 15_000)
    const conversation = offer.callId!
    await desk.request('chat.accept', {conversation, agent: 'li'})
    // What was said before the desk had the conversation, it reads in the transcript; what follows comes live.
    const before = await desk.request('chat.transcript', {conversation})
    expect(before.lines.find((l) => l.from === 'customer')?.text).toBe('Hello from the web red')
    customer.text('m2', 'Are you there?\u0007')
    const line = await until('the customer line at the desk', () => seen.find((e) => e.type === 'chat.message' && e.callId === conversation && e.data?.from === 'customer'), 10_000)
    expect(line.data!.text).toBe('Are you there?')
    await desk.request('chat.send', {conversation, agent: 'li', text: 'Hello Sun Li, how can I help?'})
    await until('the answer at the customer', () => customer.received >= 2, 10_000)
    const {lines} = await admin.request('chat.transcript', {conversation})
    expect(lines.map((l) => [l.from, l.text])).toContainEqual(['agent', 'Hello Sun Li, how can I help?'])
    conversationId = conversation
  })

  it('hostile text is inert in the exported transcript, on the terminal and as JSON', async () => {
    const customer = customers[0]!
    customer.text('m3', '<script>alert(1)</script>\u001b]0;owned\u0007\u001b[2J\u202Egnp.exe\u0000' + '长'.repeat(3000))
    await until('the hostile line in the transcript', async () => (await admin.request('chat.transcript', {conversation: conversationId})).lines.some((l) => l.text?.startsWith('<script>')), 10_000)
    await admin.request('events.flush')
    const shown = await runCli(['chat', 'transcript', conversationId], env)
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toContain('<script>alert(1)</script>gnp.exe')
    expect(shown.stdout).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/)
    const json = await runCli(['chat', 'transcript', conversationId, '--json'], env)
    expect(json.code, json.stderr).toBe(0)
    const t = JSON.parse(json.stdout) as {lines: {from: string; text?: string}[]}
    expect(t.lines.find((l) => l.text?.startsWith('<script>'))!.text).toBe('<script>alert(1)</script>gnp.exe' + '长'.repeat(3000))
  })

  it('a supervisor reads the live transcript and sends the agent a private note from the CLI; the customer never sees it', async () => {
    const customer = customers[0]!
    const receivedBefore = customer.received
    const sent = await runCli(['chat', 'note', conversationId, '--text', '退款可以, 30 天内', '--json'], env)
    expect(sent.code, sent.stderr).toBe(0)
    expect(JSON.parse(sent.stdout)).toEqual({conversation: conversationId, agent: 'li'})
    const human = await runCli(['chat', 'note', conversationId, '--text', 'second'], env)
    expect(human.stdout).toContain(`Note sent to agent li on ${conversationId}.`)
    await admin.request('events.flush')
    const withNotes = JSON.parse((await runCli(['chat', 'transcript', conversationId, '--notes', '--json'], env)).stdout) as {notes: {text: string}[]}
    expect(withNotes.notes.map((n) => n.text)).toEqual(['退款可以, 30 天内', 'second'])
    expect(customer.received).toBe(receivedBefore)
    const missing = await runCli(['chat', 'note', 'chat-nosuch-1', '--text', 'x'], env)
    expect(missing.code).not.toBe(0)
    expect(missing.stderr.split('\n')[0]).toMatch(/^Error: /)
  })

  it('the JSON webhook: its secret made 0600 when missing, signed requests in, forged refused', async () => {
    const secretFile = join(home, 'secrets', 'chat-webhook')
    const {statSync} = await import('node:fs')
    expect(statSync(secretFile).mode & 0o777).toBe(0o600)
    const secret = readFileSync(secretFile, 'utf8').trim()
    const body = JSON.stringify({customer: 'app-42', name: 'App User', text: 'Hi from the app', id: 'a-1'})
    const ts = String(Math.floor(Date.now() / 1000))
    const sig = 'sha256=' + createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')
    const ok = await fetch(`${chatUrl}/hooks/chat`, {method: 'POST', headers: {'x-callctl-timestamp': ts, 'x-callctl-signature': sig}, body})
    expect(ok.status).toBe(200)
    const {conversation} = (await ok.json()) as {conversation: string}
    const forged = await fetch(`${chatUrl}/hooks/chat`, {method: 'POST', headers: {'x-callctl-timestamp': ts, 'x-callctl-signature': 'sha256=' + '0'.repeat(64)}, body})
    expect(forged.status).toBe(403)
    const list = await admin.request('chat.list', {})
    expect(list.conversations.find((c) => c.id === conversation)).toMatchObject({channel: 'webhook', customer: 'app-42', name: 'App User'})
  })
})

// Misuse report finding 27: a taken chat port was found only once the engine had connected
// to Asterisk, pushed phones and written engine.started and agent.unreachable to the log.
describe('callctl engine start with its chat port taken', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-chat-port-'))
  const app = `t${Math.random().toString(36).slice(2, 8)}`
  afterAll(() => rmSync(home, {recursive: true, force: true}))

  it('refuses in one line (exit 2) before Asterisk and the store are touched; the same port as the API is named', async () => {
    const held = createServer()
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve))
    const heldPort = (held.address() as {port: number}).port
    try {
      const apiPort = await freePort()
      const env = {...cliEngineEnv({home, app, apiPort}), CALLCTL_CHAT_PORT: String(heldPort)}
      const r = await runCli(['engine', 'start'], env, 20_000)
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toContain(`Error: The chat port 127.0.0.1:${heldPort} is in use\n  Try: Set channels.web.port in the config (CALLCTL_CHAT_PORT), or stop what holds the port.`)
      expect(r.stderr).not.toMatch(/connecting to Asterisk|connected to Asterisk|phones pushed/)
      // Nothing written: not even the store was opened (it would have made the file).
      expect(existsSync(join(home, 'callctl.db'))).toBe(false)

      const same = await runCli(['engine', 'start'], {...env, CALLCTL_CHAT_PORT: String(apiPort)}, 20_000)
      expect(same.code, same.stderr).toBe(2)
      expect(same.stderr).toContain(`Error: The chat port 127.0.0.1:${apiPort} is in use by this engine's own API (api.port, CALLCTL_API_PORT)`)
      expect(existsSync(join(home, 'callctl.db'))).toBe(false)
    } finally {
      held.close()
    }
  })
})
