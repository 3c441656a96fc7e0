import type {ChildProcess} from 'node:child_process'
import {createHmac, timingSafeEqual} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {EngineClient} from '../../src/engine/api/client.js'
import {AriHttp} from '../../src/engine/ari/index.js'
import {originateSimCaller, simAgentEndpoint} from '../../src/engine/sim/simulator.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {freePort} from '../../src/engine/util/net.js'
import {exited, runAll, runCli, startEngineCli} from '../support/cli.js'
import {cliEngineEnv, sandboxCreds} from '../support/harness.js'
import {until} from '../support/wait.js'

// Notes, dispositions and tickets against `callctl engine start` on the sandbox Asterisk:
// an agent (a user of the agent role) notes its live call and opens a ticket from it, is
// refused ready until it chooses a disposition (its wrap-up held past its time), sees only
// its own tickets; an admin's CLI changes reach the engine's log; and every ticket change
// is posted to a local HTTP server, signed with the secret of a 0600 file.

const CALLER = '+8613800138000'
const SECRET = 'desk-test-secret-0123456789abcdef'

interface Hook {
  headers: IncomingHttpHeaders
  body: string
}


describe('notes, dispositions and tickets on a running engine', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-tickets-'))
  const app = `t${Math.random().toString(36).slice(2, 8)}`
  const hooks: Hook[] = []
  let hookServer: Server
  let env: Record<string, string>
  let engine: {child: ChildProcess; output: () => string}
  let admin: EngineClient
  let agent: EngineClient
  let rest: AriHttp

  beforeAll(async () => {
    hookServer = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString('utf8')))
      req.on('end', () => {
        hooks.push({headers: req.headers, body})
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r))
    const secretFile = join(home, 'secrets', 'ticket-webhook')
    mkdirSync(join(home, 'secrets'), {recursive: true, mode: 0o700})
    writeFileSync(secretFile, SECRET + '\n', {mode: 0o600})
    const port = await freePort()
    env = {
      ...cliEngineEnv({home, app, apiPort: port}),
      CALLCTL_TICKET_WEBHOOK_URL: `http://127.0.0.1:${(hookServer.address() as {port: number}).port}/hooks/callctl`,
      CALLCTL_TICKET_WEBHOOK_SECRET_FILE: secretFile,
    }
    writeFileSync(join(home, 'contacts.csv'), `number,name,tier\n${CALLER},张三,VIP\n`)
    await runAll(
      [
        ['queue', 'add', 'desk', '--wrap-up', '1', '--ring-timeout', '10', '--no-record', '--disposition', 'resolved:已解决:1', '--disposition', 'follow-up:需跟进:2'],
        ['queue', 'add', 'other', '--no-record'],
        ['agent', 'add', 'a1', '--endpoint', simAgentEndpoint({id: 'a1', ring: 0, talk: {min: 2, max: 2}}), '--queue', 'desk'],
        ['agent', 'login', 'a1'],
        ['contacts', 'import', join(home, 'contacts.csv')],
      ],
      env,
    )
    const user = await runCli(['user', 'add', '王芳', '--role', 'agent', '--agent', 'a1', '--json'], env)
    expect(user.code, user.stderr).toBe(0)
    const token = (JSON.parse(user.stdout) as {token: string}).token
    engine = await startEngineCli(env)
    const url = `ws://127.0.0.1:${port}/`
    admin = await EngineClient.connect(url, readFileSync(join(home, 'secrets', 'api-token'), 'utf8').trim())
    agent = await EngineClient.connect(url, token)
    rest = new AriHttp(sandboxCreds())
  })

  afterAll(async () => {
    admin?.close()
    agent?.close()
    if (engine?.child.exitCode === null) {
      engine.child.kill('SIGTERM')
      await exited(engine.child)
    }
    hookServer?.close()
    rmSync(home, {recursive: true, force: true})
  })

  const state = async () => (await admin.request('snapshot')).agents.find((a) => a.id === 'a1')!.state
  const refusal = (p: Promise<unknown>) => p.then(() => null, (e: {code?: string; message?: string}) => ({code: e.code, message: e.message}))

  it('an agent notes its call and opens a ticket from it; ready is refused until it chooses a disposition, then it is ready at once', async () => {
    await originateSimCaller(rest, {number: CALLER, name: 'Zhang San', did: 'desk', patience: 30, app})
    const call = await until('the call connected to a1', async () => (await agent.request('calls.list')).calls.find((c) => c.state === 'connected'), 15_000)
    const {note} = await agent.request('call.note', {call: call.id, text: '客户说退款'})
    expect(await agent.request('call.note', {call: call.id, note, text: '客户说退款未到账，要求三天内处理'})).toEqual({callId: call.id, note})
    const t = await agent.request('ticket.add', {subject: '退款未到账', priority: 'high', category: '退款', call: call.id})
    expect(t).toMatchObject({id: 'T-000001', status: 'open', assignee: {agent: 'a1'}, contact: CALLER, number: CALLER, calls: [call.id], overdue: false})
    expect(t.dueAt - t.createdAt).toBe(24 * 3_600_000)

    await until('a1 in wrap-up after the call', async () => (await state()) === 'wrap-up', 15_000)
    expect(await refusal(agent.request('agent.ready', {agent: 'a1'}))).toEqual({code: 'disposition_required', message: `Agent "a1" must choose a disposition for call ${call.id} before being ready`})
    // The queue's 1 s of wrap-up runs out: the agent is held (the engine says so), not made ready.
    await until('the wrap-up held', () => engine.output().includes(`agent a1: wrap-up held until a disposition is chosen for call ${call.id}`), 10_000)
    expect(await state()).toBe('wrap-up')
    expect(await refusal(agent.request('call.disposition', {call: call.id, code: 'done'}))).toMatchObject({code: 'unknown_disposition'})
    expect(await agent.request('call.disposition', {call: call.id, code: 'resolved'})).toEqual({callId: call.id, code: 'resolved', label: '已解决', released: true})
    expect(await state()).toBe('idle')

    await admin.request('events.flush')
    const store = new SqliteStore(join(home, 'callctl.db'), {readonly: true})
    const events: StoredEvent[] = []
    for await (const e of store.events({callId: call.id})) events.push(e)
    await store.close()
    const notes = events.filter((e) => e.type === 'call.note')
    expect(notes.map((n) => n.data)).toEqual([
      {note, text: '客户说退款', contact: CALLER, number: CALLER, by: '王芳'},
      {note, text: '客户说退款未到账，要求三天内处理', contact: CALLER, number: CALLER, by: '王芳'},
    ])
    expect(notes[0]).toMatchObject({agent: 'a1', queue: 'desk'})
    expect(events.find((e) => e.type === 'call.disposition')).toMatchObject({agent: 'a1', queue: 'desk', data: {code: 'resolved', label: '已解决', contact: CALLER, number: CALLER, by: '王芳'}})
    expect(events.find((e) => e.type === 'agent.wrapup_ended')?.data).toEqual({how: 'disposition'})
  })

  it("an agent sees only its own tickets; the admin's CLI changes are the engine's too", async () => {
    const cli = await runCli(['ticket', 'add', '-s', '发票重开', '--assignee', 'queue:other', '--json'], env)
    expect(cli.code, cli.stderr).toBe(0)
    expect(JSON.parse(cli.stdout)).toMatchObject({id: 'T-000002', assignee: {queue: 'other'}})
    expect((await agent.request('ticket.list', {})).tickets.map((t) => t.id)).toEqual(['T-000001'])
    expect((await admin.request('ticket.list', {})).tickets.map((t) => t.id)).toEqual(['T-000002', 'T-000001'])
    // Another's ticket and an unknown one are refused alike.
    for (const ticket of ['T-000002', 'T-000099']) {
      expect(await refusal(agent.request('ticket.get', {ticket}))).toEqual({code: 'forbidden', message: 'Forbidden: role agent may call ticket.get only on tickets of its agent a1, its queues or its calls (user 王芳)'})
    }
    expect(await refusal(agent.request('ticket.comment', {ticket: 'T-000002', text: 'x'}))).toMatchObject({code: 'forbidden'})
    expect(await refusal(admin.request('ticket.get', {ticket: 'T-000099'}))).toMatchObject({code: 'unknown_ticket'})
    const done = await agent.request('ticket.status', {ticket: 'T-000001', status: 'solved'})
    expect(done).toMatchObject({status: 'solved', resolvedAt: expect.any(Number)})
    const comment = await runCli(['ticket', 'comment', 'T-000001', '客户确认已到账'], env)
    expect(comment.code, comment.stderr).toBe(0)
    const shown = await runCli(['ticket', 'show', 'T-000001', '--json'], env)
    expect(JSON.parse(shown.stdout)).toMatchObject({status: 'solved', comments: [{id: 1, text: '客户确认已到账'}]})
  })

  it('posts every ticket change, the API\'s and the CLI\'s, to the webhook, signed with the 0600 secret', async () => {
    const got = await until('four ticket changes at the webhook', () => (hooks.length >= 4 ? hooks : undefined), 15_000)
    for (const h of got) {
      const want = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(h.body).digest('hex')}`)
      const sent = Buffer.from(String(h.headers['x-callctl-signature']))
      expect(sent.length === want.length && timingSafeEqual(sent, want), h.body).toBe(true)
    }
    const bodies = got.map((h) => JSON.parse(h.body) as {type: string; data: {ticket: string; by: string}})
    expect(bodies.map((b) => [b.type, b.data.ticket])).toEqual([
      ['ticket.created', 'T-000001'],
      ['ticket.created', 'T-000002'],
      ['ticket.status_changed', 'T-000001'],
      ['ticket.commented', 'T-000001'],
    ])
    expect(bodies[0]!.data.by).toBe('王芳')
  })
})
