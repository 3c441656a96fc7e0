import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import WebSocket from 'ws'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {channelsSettings} from '../../src/engine/chat/channels/channels-config.js'
import {startChannels} from '../../src/engine/chat/channels/start-channels.js'
import type {EngineFrame, WidgetMessage} from '../../src/engine/chat/channels/web/web-protocol.js'
import {chatSettings} from '../../src/engine/config/chat-config.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {until} from '../support/wait.js'

// A reload after an engine restart: the widget's history has both sides of the
// conversation. The customer's lines used to live in the web channel's memory only, so a
// restarted engine showed the agent answering nobody.

const home = mkdtempSync(join(tmpdir(), 'callctl-web-restart-'))
afterAll(() => rmSync(home, {recursive: true, force: true}))

/** A widget's socket: its frames as they come. */
async function widget(url: string, hello: Record<string, unknown>) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/chat/ws`)
  const frames: EngineFrame[] = []
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as EngineFrame))
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  ws.send(JSON.stringify({type: 'hello', ...hello}))
  return {ws, frames, send: (f: Record<string, unknown>) => ws.send(JSON.stringify(f))}
}

const said = (m: WidgetMessage) => `${m.from}: ${m.text}`

describe('web chat history across an engine restart', () => {
  it('a reload after the restart shows what the customer wrote and what the agent answered, in order', async () => {
    const store = new SqliteStore(join(home, 'callctl.db'))
    await addQueue(store, 'support', {wrapUp: 0})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['support']})
    await loginAgent(store, 'a1')
    const settings = chatSettings({queue: 'support', autoAccept: false, acceptTimeout: '60s'}, null)
    const boot = async () => {
      const engine = new Engine({ari: new FakeAri(), store, log: silentLogger, syncIntervalMs: 3_600_000, chat: {settings}})
      await engine.start()
      await settle()
      const channels = await startChannels(channelsSettings({web: {port: 0}}, callctlPaths({CALLCTL_HOME: home}), {})!, engine.chat, silentLogger)
      return {engine, channels}
    }

    let run = await boot()
    const first = await widget(run.channels.url, {name: '王芳'})
    const welcome = await until('the welcome', () => first.frames.find((f) => f.type === 'welcome'))
    const visitor = (welcome as Extract<EngineFrame, {type: 'welcome'}>).visitor
    first.send({type: 'text', id: 'm1', text: '我的包裹在哪里？'})
    const ack = (await until('the ack', () => first.frames.find((f) => f.type === 'ack'))) as Extract<EngineFrame, {type: 'ack'}>
    const id = ack.conversation
    await until('the offer', () => run.engine.chat.get(id)?.offeredTo === 'a1')
    run.engine.chat.accept(id, 'a1')
    run.engine.chat.send(id, 'a1', {text: 'It left Shanghai today.'})
    first.send({type: 'text', id: 'm2', text: 'Thank you!'})
    await until('the second ack', () => first.frames.filter((f) => f.type === 'ack').length === 2)
    first.ws.close()
    await run.channels.stop()
    await run.engine.stop()

    // A new engine process on the same store; the customer reloads the page.
    run = await boot()
    const again = await widget(run.channels.url, {visitor})
    const history = (await until('the history', () => again.frames.find((f) => f.type === 'history'))) as Extract<EngineFrame, {type: 'history'}>
    const lines = history.messages.filter((m) => m.kind === 'text').map(said)
    expect(lines).toEqual(['customer: 我的包裹在哪里？', 'agent: It left Shanghai today.', 'customer: Thank you!'])
    expect(new Set(history.messages.map((m) => m.conversation))).toEqual(new Set([id]))
    // Each seq once, in order.
    const seqs = history.messages.map((m) => m.seq)
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b))
    again.ws.close()
    await run.channels.stop()
    await run.engine.stop()
    await store.close()
  })
})
