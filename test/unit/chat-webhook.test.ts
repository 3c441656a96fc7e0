import {createHmac} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {channelsSettings} from '../../src/engine/chat/channels/channels-config.js'
import {startChannels, type RunningChannels} from '../../src/engine/chat/channels/start-channels.js'
import {createLogger} from '../../src/engine/util/log.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {ChatCoreDouble} from '../support/chat-core-double.js'
import {until} from '../support/wait.js'

// The JSON webhook against the real chat server: signed requests in, forged and stale
// ones refused, the engine's answers POSTed to the platform signed the same way, in order,
// tried again when the platform fails.

const SECRET = 'webhook-shared-secret-0123456789'
const home = mkdtempSync(join(tmpdir(), 'callctl-webhook-'))
const core = new ChatCoreDouble()
let ch: RunningChannels
let platform: Server
const received: {body: string; ts: string; sig: string}[] = []
let failNext = 0

const sig = (ts: string, body: string) => 'sha256=' + createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')
const send = (body: string, o: {ts?: string; sig?: string} = {}) => {
  const ts = o.ts ?? String(Math.floor(Date.now() / 1000))
  return fetch(`${ch.url}/hooks/chat`, {method: 'POST', headers: {'content-type': 'application/json', 'x-callctl-timestamp': ts, 'x-callctl-signature': o.sig ?? sig(ts, body)}, body})
}

beforeAll(async () => {
  platform = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (failNext > 0) {
        failNext--
        res.writeHead(503)
        return res.end()
      }
      received.push({body: Buffer.concat(chunks).toString(), ts: String(req.headers['x-callctl-timestamp']), sig: String(req.headers['x-callctl-signature'])})
      res.writeHead(204)
      res.end()
    })
  })
  await new Promise<void>((r) => platform.listen(0, '127.0.0.1', r))
  writeFileSync(join(home, 'secret'), SECRET, {mode: 0o600})
  const url = `http://127.0.0.1:${(platform.address() as AddressInfo).port}/in`
  const settings = channelsSettings({web: {port: 0}, webhook: {path: '/hooks/chat', url, secretFile: join(home, 'secret'), timeoutMs: 2000}}, callctlPaths({CALLCTL_HOME: home}), {})!
  ch = await startChannels(settings, core, createLogger({level: 'error'}))
})
afterAll(async () => {
  await ch?.stop()
  platform?.close()
  rmSync(home, {recursive: true, force: true})
})

describe('JSON webhook channel', () => {
  it('a signed message reaches the core and answers its conversation and seq; a retry is stored once', async () => {
    const body = JSON.stringify({customer: 'app-user-1', name: 'Chen', text: 'hello from the app', id: 'm-1'})
    const r = await send(body)
    expect(r.status).toBe(200)
    const first = await r.json()
    expect(first).toEqual({conversation: expect.any(String), seq: 1})
    expect(await (await send(body)).json()).toEqual(first)
    expect(core.inbound.filter((m) => m.customer === 'app-user-1')).toEqual([{channel: 'webhook', customer: 'app-user-1', name: 'Chen', text: 'hello from the app', channelMessageId: 'm-1'}])
  })

  it('forged, stale, unsigned or malformed requests are refused and reach nothing', async () => {
    const before = core.inbound.length
    const body = JSON.stringify({customer: 'app-user-2', text: 'x'})
    expect((await send(body, {sig: sig('1', body)})).status).toBe(403)
    const old = String(Math.floor(Date.now() / 1000) - 600)
    expect((await send(body, {ts: old, sig: sig(old, body)})).status).toBe(403)
    expect((await fetch(`${ch.url}/hooks/chat`, {method: 'POST', body})).status).toBe(403)
    expect((await send('{"customer":"u","text":"a","event":"open"}')).status).toBe(400)
    expect((await send('x'.repeat(300 * 1024))).status).toBe(413)
    expect(core.inbound.length).toBe(before)
  })

  it('answers go to the platform signed, in order, tried again after a failure', async () => {
    const conv = core.conversationOf('webhook', 'app-user-1')!
    failNext = 1
    for (const text of ['one', 'two', 'three']) await core.say(conv, {kind: 'text', from: 'agent', agentName: 'Li', text})
    await until('three deliveries', () => received.length >= 3, 10_000)
    expect(received.map((r) => JSON.parse(r.body).message.text)).toEqual(['one', 'two', 'three'])
    for (const r of received) {
      expect(r.sig).toBe(sig(r.ts, r.body))
      expect(JSON.parse(r.body)).toMatchObject({customer: 'app-user-1', message: {conversation: conv, from: 'agent', kind: 'text'}})
    }
  })
})
