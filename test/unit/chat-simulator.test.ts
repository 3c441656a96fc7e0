import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {channelsSettings} from '../../src/engine/chat/channels/channels-config.js'
import {startChannels, type RunningChannels} from '../../src/engine/chat/channels/start-channels.js'
import {loadChatFlowFile} from '../../src/engine/chat/flows/flow-session.js'
import {chatSettings} from '../../src/engine/config/chat-config.js'
import {startChatSimulator, type ChatSimTiming, type ChatSimulator} from '../../src/engine/sim/chat-simulator.js'
import type {NewEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {FakeAri, settle} from '../support/fake-ari.js'
import {until} from '../support/wait.js'

// The demo's chat simulator against an engine on a fake Asterisk behind the real chat
// server: its customers are widget sockets speaking the real frames through a conversation
// flow, its agents act through the chat core. What the engine logged is what is asserted.

const home = mkdtempSync(join(tmpdir(), 'callctl-chat-sim-'))
afterAll(() => rmSync(home, {recursive: true, force: true}))

// A menu whose keywords the customers' opening lines do not match: they must press the
// button that means a person, as they would if the flow asked again.
const FLOW = join(home, 'flow.yaml')
writeFileSync(
  FLOW,
  `flow: sim-test
start: greet
nodes:
  greet: {type: message, text: "您好！", next: menu}
  menu:
    type: menu
    text: Choose
    choices:
      - {key: orders, label: Orders, keywords: [zzz-orders], next: handoff}
      - {key: human, label: Talk to a person, keywords: [zzz-person], next: handoff}
  handoff: {type: queue, queue: support, text: "Connecting you."}
`,
)

const FAST: Partial<ChatSimTiming> = {
  firstAfterMs: 0,
  acceptMs: {min: 10, max: 30},
  agentThinkMs: {min: 20, max: 60},
  customerThinkMs: {min: 20, max: 60},
  exchanges: {min: 2, max: 2},
}

let running: {engine: Engine; channels: RunningChannels; sim: ChatSimulator | null; store: SqliteStore} | null = null
afterEach(async () => {
  await running?.sim?.stop()
  await running?.channels.stop()
  await running?.engine.stop()
  await running?.store.close()
  running = null
})

/** An engine with queue support and the given logged-in agents, the chat server, and the simulator; without the flow chats go straight to the queue. */
async function start(agents: string[], sim: {perMinute: number; timing: Partial<ChatSimTiming>; flow?: boolean}) {
  const store = new SqliteStore(join(home, `${Math.random().toString(36).slice(2)}.db`))
  await addQueue(store, 'support', {wrapUp: 0})
  for (const id of agents) {
    await addAgent(store, {id, name: `Agent ${id}`, endpoint: `PJSIP/${id}`, queues: ['support']})
    await loginAgent(store, id)
  }
  const flow = sim.flow !== false
  const settings = chatSettings({queue: 'support', ...(flow ? {flow: FLOW} : {}), capacity: {mode: 'call-counts-as', slots: 2}, limits: {web: 2, total: 3}, acceptTimeout: '60s'}, null)
  const engine = new Engine({ari: new FakeAri(), store, log: silentLogger, syncIntervalMs: 3_600_000, chat: {settings, ...(flow ? {flows: {web: loadChatFlowFile(FLOW)}} : {})}})
  const events: NewEvent[] = []
  engine.events.subscribe((e) => void events.push(e))
  await engine.start()
  await settle()
  const channels = await startChannels(channelsSettings({web: {port: 0}}, callctlPaths({CALLCTL_HOME: home}), {})!, engine.chat, silentLogger)
  const s = startChatSimulator({
    wsUrl: `${channels.url.replace('http', 'ws')}/chat/ws`,
    chat: engine.chat,
    events: engine.events,
    simulated: (a) => a.startsWith('demo'),
    perMinute: sim.perMinute,
    log: silentLogger,
    timing: sim.timing,
    stopReason: 'demo-stopped',
  })
  running = {engine, channels, sim: s, store}
  const of = (type: string, id?: string) => events.filter((e) => e.type === type && (id === undefined || e.callId === id))
  return {engine, channels, sim: s, events, of}
}

describe('the demo chat simulator', () => {
  it('a customer reaches a simulated agent through the flow; the agent answers in the customer’s language, closes after the exchanges, and is rated', async () => {
    const {of} = await start(['demo01'], {perMinute: 1, timing: {...FAST, impatientShare: 0}})
    const closed = await until('a chat closed by its agent', () => of('chat.closed').find((e) => e.data?.reason === 'agent'), 10_000)
    const id = closed.callId!
    const lines = of('chat.message', id).map((e) => ({from: e.data!.from as string, text: String(e.data!.text ?? '')}))
    const customer = lines.filter((l) => l.from === 'customer')
    const agent = lines.filter((l) => l.from === 'agent')
    // Pressed the menu's person button (the label is what the transcript shows), after its opening line.
    expect(customer[1]!.text).toBe('Talk to a person')
    expect(of('chat.accepted', id).map((e) => e.agent)).toEqual(['demo01'])
    // Greeting, one answer, goodbye: two exchanges; in the language of the opening line.
    expect(agent).toHaveLength(3)
    const han = /\p{Script=Han}/u
    expect(han.test(agent[0]!.text)).toBe(han.test(customer[0]!.text))
    expect(agent[0]!.text).toContain('Agent demo01')
    await until('the rating', () => of('chat.rated', id).length === 1, 5_000)
    expect(Number(of('chat.rated', id)[0]!.data!.score)).toBeGreaterThanOrEqual(3)
  })

  it('an impatient customer gives up before an answer; a person’s agent is never acted for', async () => {
    // Only "me" (not simulated) is logged in: the offer to me stays unanswered.
    const {engine, of} = await start(['me'], {perMinute: 1, timing: {...FAST, impatientShare: 1, impatientMs: {min: 300, max: 400}}})
    const gone = await until('the customer to give up', () => of('chat.closed').find((e) => e.data?.reason === 'customer'), 10_000)
    expect(of('chat.offered', gone.callId!).map((e) => e.agent)).toEqual(['me'])
    expect(of('chat.accepted')).toHaveLength(0)
    expect(engine.chat.list()).toHaveLength(0)
  })

  it('stop ends the open conversations as the system (demo-stopped), never as customers abandoning, and closes every socket', async () => {
    const {engine, channels, sim, of} = await start(['me'], {perMinute: 600, timing: {...FAST, impatientShare: 0}, flow: false})
    // A few customers in line, straight from their opening line (no flow); the only agent is a person's, who does not answer.
    await until('three chats waiting', () => engine.chat.list().length >= 3, 10_000)
    await sim.stop()
    const closes = of('chat.closed')
    expect(closes.length).toBeGreaterThanOrEqual(3)
    expect(closes.map((e) => [e.data!.reason, e.data!.by])).toEqual(closes.map(() => ['system', 'demo-stopped']))
    expect(engine.chat.list()).toHaveLength(0)
    await until('every widget socket closed', () => channels.web.sockets === 0, 5_000)
    expect(of('chat.closed').filter((e) => e.data!.reason === 'customer')).toHaveLength(0)
  })
})
