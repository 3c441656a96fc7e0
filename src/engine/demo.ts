import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {freePort} from './util/net.js'
import {createServer} from 'node:net'
import {fileURLToPath} from 'node:url'
import {parse as parseYamlText, parseDocument} from 'yaml'
import {channelsSettings} from './chat/channels/channels-config.js'
import {chatSettings} from './config/chat-config.js'
import {addAgent, addQueue, loginAgent, unpauseAgent} from './admin/admin.js'
import {AriHttp} from './ari/index.js'
import {loadEngineConfig, type EngineConfig} from './config/engine-config.js'
import {loadPromptBook} from './front-door.js'
import {deployFlow} from './ivr/flow-service.js'
import {sandboxDown, sandboxUp} from './sandbox/sandbox.js'
import {readSandboxState, type SandboxSip} from './sandbox/state.js'
import {originateSimCaller, simAgentEndpoint} from './sim/simulator.js'
import {startChatSimulator, type ChatSimulator} from './sim/chat-simulator.js'
import {startEngine, type RunningEngine} from './run.js'
import {acquireEngineLock} from './engine-lock.js'
import type {NewEvent} from './store/events.js'
import {openStore} from './store/open-store.js'
import {repositoriesOf} from './store/repositories.js'
import type {Range} from './util/duration.js'
import type {Logger} from './util/log.js'
import type {Paths} from './util/paths.js'

export interface DemoOptions {
  paths: Paths
  log: Logger
  /** Seconds to run; 0 runs until stop() is called. */
  duration: number
  /** Callers per second. */
  rate: number
  /** Simulated agents in the sales queue; support gets one more, billing one fewer. */
  agentsPerQueue: number
  /** New simulated chat customers a minute (0: none; the agents still answer a person's chat). */
  chatsPerMinute: number
  onEvent?: (e: NewEvent) => void
  random?: () => number
}

export interface DemoHandle {
  running: RunningEngine
  config: EngineConfig
  startedSandbox: boolean
  /** A simulated supervisor phone on the sandbox (null on a real Asterisk). */
  supervisorPhone: string | null
  /** Where a softphone registers, when the demo runs on a sandbox with SIP. */
  sip: SandboxSip | null
  /** The web chat widget's page (http://127.0.0.1:PORT/chat/): a person chats there with a simulated agent. */
  chatUrl: string | null
  /** Resolves when --duration is up. */
  done: Promise<void>
  stop(): Promise<void>
}

/** Every demo caller dials this number; the demo flow asks them for a queue. */
export const DEMO_DID = '100'

const DEMO_QUEUES: {name: string; key: string; share: number; talk: Range; agents: (n: number) => number}[] = [
  {name: 'sales', key: '1', share: 0.35, talk: {min: 5, max: 15}, agents: (n) => n},
  {name: 'support', key: '2', share: 0.45, talk: {min: 6, max: 24}, agents: (n) => n + 1},
  {name: 'billing', key: '3', share: 0.15, talk: {min: 4, max: 12}, agents: (n) => Math.max(1, n - 1)},
]

const AGENT_NAMES = ['Li Na', 'Wang Fang', 'Zhang Wei', 'Liu Yang', 'Chen Jing', 'Anna Müller', 'James Smith', 'Yang Lei', 'Zhao Min', 'Maria Garcia', 'Ken Tanaka', 'Huang Li']
const CALLER_NAMES = ['王芳', '李娜', '张伟', '刘洋', '陈静', '杨磊', '赵敏', '周杰', '吴婷', 'Olivia Brown', 'Lucas Martin', 'Sofia Rossi', 'Noah Wilson']
const CONTACTS = [
  {number: '+8613900000001', name: '马云飞', tier: 'VIP', company: 'Hangzhou Trading'},
  {number: '+8613900000002', name: 'Grace Lee', tier: 'VIP', company: 'Lee & Partners'},
  {number: '+8613900000003', name: '孙丽', tier: 'VIP', company: ''},
  {number: '+8613900000011', name: '郭强', tier: 'Gold', company: ''},
  {number: '+8613900000012', name: 'Tom Baker', tier: 'Gold', company: ''},
  {number: '+8613900000013', name: '何敏', tier: 'Standard', company: ''},
]

const FLOW_FILE = fileURLToPath(new URL('../../examples/flows/demo.yaml', import.meta.url))
const CHAT_FLOW_FILE = fileURLToPath(new URL('../../examples/flows/chat.yaml', import.meta.url))
/** Chats go to support, the queue whose agents the flow's "talk to a person" names. */
const CHAT_QUEUE = 'support'

/**
 * The whole product on one machine: a sandbox Asterisk (unless one is configured), the
 * engine with its web chat widget, simulated agents in three queues, the demo IVR flow on
 * DID 100, contacts (some VIP), a steady stream of simulated callers choosing queues, some
 * of them impatient, and chat customers the same agents answer (sim/chat-simulator.ts).
 * Stopping ends the chats and calls (system-ended, never abandoned by the customer), stops
 * the engine and the sandbox it started.
 */
export async function startDemo(o: DemoOptions): Promise<DemoHandle> {
  const rnd = o.random ?? Math.random
  // Before the sandbox, the setup writes or Asterisk: a demo next to a running engine
  // refuses here, leaving that engine (and its calls and config) alone.
  const lock = acquireEngineLock(o.paths, loadEngineConfig({requireAri: false}).ari.app)
  let startedSandbox = false
  const onSandbox = !asteriskConfigured(o.paths)
  try {
    if (onSandbox) {
      // Another callctl home's sandbox may hold the usual port: then take any free one.
      const running = readSandboxState(o.paths)
      const up = await sandboxUp(o.paths, {log: o.log, ...(running ? {} : {port: (await portFree(8088)) ? 8088 : await freePort()})})
      startedSandbox = !up.alreadyRunning
    }
    const config = await withDemoChat(loadEngineConfig(), o.paths)
    await setUp(config, o.paths, o.agentsPerQueue, rnd)
    const running = await startEngine(config, o.log, {lock, apiPort: (await portFree(config.api.port, config.api.host)) ? config.api.port : 0})
    if (o.onEvent) running.engine.events.subscribe(o.onEvent)
    return traffic(o, config, running, startedSandbox, onSandbox, rnd)
  } catch (err) {
    lock.release()
    if (startedSandbox) await sandboxDown(o.paths, {force: true})
    throw err
  }
}

/**
 * The demo's chats: the web widget's server (channels.web, on 8090 unless taken, as the
 * API's port is picked; CALLCTL_CHAT_PORT as given) and the chat: section, the same as a
 * config file's would be.
 */
async function withDemoChat(config: EngineConfig, paths: Paths): Promise<EngineConfig> {
  const env = process.env
  const channels = config.channels ?? channelsSettings({web: {}}, paths, env)!
  const given = env.CALLCTL_CHAT_PORT !== undefined && env.CALLCTL_CHAT_PORT !== ''
  const port = given || (await portFree(channels.web.port, channels.web.host)) ? channels.web.port : 0
  const flow = demoChatFlow(paths)
  const chat = chatSettings(
    {
      queue: CHAT_QUEUE,
      ...(flow ? {flow} : {}),
      // call-counts-as rather than call-blocks-chats: both directions of the one capacity
      // model show. A call weighs 2 of an agent's 3 slots, so an agent on a call may hold one
      // chat (its load reads 1/3+call on the dashboard's chat line) and an agent holding two
      // chats is not rung for a call until one ends; call-blocks-chats would only ever show
      // chats waiting for agents between calls.
      capacity: {mode: 'call-counts-as', slots: 2},
      limits: {web: 2, wechat: 2, webhook: 2, total: 3},
      acceptTimeout: '15s',
      positionEvery: '20s',
      // A person trying the widget has time to read and type; idle longer, it closes.
      silence: {closeAfter: '5m'},
    },
    CHAT_QUEUE,
  )
  return {...config, channels: {...channels, web: {...channels.web, port}}, chat}
}

/**
 * examples/flows/chat.yaml (greeting, menu, knowledge base, hand-off to support), open all
 * day: the demo runs at any hour, and the example's office hours (Shanghai) would close
 * every chat in the evening. Written to the callctl home; null without the example (chats
 * then go straight to the queue).
 */
function demoChatFlow(paths: Paths): string | null {
  if (!existsSync(CHAT_FLOW_FILE)) return null
  const doc = parseDocument(readFileSync(CHAT_FLOW_FILE, 'utf8'))
  // A broken example is the engine's to report, at its file:line:column.
  if (doc.errors.length > 0) return CHAT_FLOW_FILE
  const flow = doc.toJS() as {calendars?: Record<string, unknown>} | null
  for (const name of Object.keys(flow?.calendars ?? {})) doc.setIn(['calendars', name], doc.createNode({open: {daily: '00:00-24:00'}}))
  const file = join(paths.home, 'demo-chat-flow.yaml')
  writeFileSync(file, `# Written by callctl demo from examples/flows/chat.yaml, open all day.\n${doc.toString()}`)
  return file
}

/** Queues, agents, contacts and the flow, written before the engine starts so it sees them at once. */
async function setUp(config: EngineConfig, paths: Paths, n: number, rnd: () => number): Promise<void> {
  const store = await openStore(config.database)
  try {
    // Recording every demo call would fill the disk for nothing.
    for (const q of DEMO_QUEUES) await addQueue(store, q.name, {wrapUp: 3, ringTimeout: 10, record: false}, {update: true})
    let next = 0
    for (const q of DEMO_QUEUES) {
      for (let i = 0; i < q.agents(n); i++) {
        const id = `demo${String(++next).padStart(2, '0')}`
        const endpoint = simAgentEndpoint({id, ring: 1 + Math.round(rnd() * 2), talk: q.talk})
        // The first support agent also takes billing, after billing's own agents (penalty 1).
        const queues = q.name === 'support' && i === 0 ? [q.name, 'billing:1'] : [q.name]
        await addAgent(store, {id, name: AGENT_NAMES[(next - 1) % AGENT_NAMES.length], endpoint, queues}, {update: true})
        // Every demo starts with everyone at work, whatever the last one ended with.
        await loginAgent(store, id)
        await unpauseAgent(store, id)
      }
    }
    const repos = repositoriesOf(store)
    await repos.contacts.upsertMany(CONTACTS)
    await deployFlow(FLOW_FILE, DEMO_DID, repos.flows, await loadPromptBook(store, paths), store, Date.now())
  } finally {
    await store.close()
  }
}

function traffic(o: DemoOptions, config: EngineConfig, running: RunningEngine, startedSandbox: boolean, onSandbox: boolean, rnd: () => number): DemoHandle {
  const rest = new AriHttp(config.ari)
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!
  let stopping = false
  let wake: (() => void) | null = null
  const sleep = (ms: number) => new Promise<void>((r) => ((wake = r), setTimeout(r, ms)))
  let seq = 0
  const callerLoop = (async () => {
    const started = Date.now()
    while (!stopping && (o.duration === 0 || Date.now() - started < o.duration * 1000)) {
      seq++
      // A contact calls again only once its last call is over.
      const live = new Set(running.engine.snapshot().calls.map((c) => c.caller.number))
      const free = CONTACTS.filter((c) => !live.has(c.number))
      const known = free.length > 0 && rnd() < 0.25 ? pick(free) : null
      const r = rnd()
      const queue = DEMO_QUEUES.find((_, i) => r < DEMO_QUEUES.slice(0, i + 1).reduce((s, x) => s + x.share, 0))
      // One in five callers is impatient: some of them give up before an agent is free.
      const patience = rnd() < 0.2 ? 5 + rnd() * 15 : 45 + rnd() * 105
      await originateSimCaller(rest, {
        number: known?.number ?? `+86138${String(Math.floor(rnd() * 1e8)).padStart(8, '0')}`,
        name: known?.name ?? pick(CALLER_NAMES),
        did: DEMO_DID,
        // No key (5 %): the menu times out to support.
        dtmf: queue ? `w${queue.key}` : undefined,
        patience,
        app: config.ari.app,
        channelId: `demo-${Date.now().toString(36)}-${seq}`,
      }).catch((err: unknown) => o.log.warn('could not place demo caller', {error: String(err)}))
      await sleep((1000 / o.rate) * (0.5 + rnd()))
    }
  })()

  // Chat customers through the real widget socket; the demo's agents answer them.
  const chats: ChatSimulator | null = running.channels
    ? startChatSimulator({
        wsUrl: `${running.channels.url.replace(/^http/, 'ws')}/chat/ws`,
        chat: running.engine.chat,
        events: running.engine.events,
        // The demo's own agents (setUp's demoNN), never a person's agent added beside them.
        simulated: (agent) => /^demo\d+$/.test(agent),
        perMinute: o.chatsPerMinute,
        log: o.log,
        random: rnd,
        names: CALLER_NAMES,
        stopReason: 'demo-stopped',
      })
    : null

  const stop = async () => {
    if (stopping) return
    stopping = true
    wake?.()
    await callerLoop
    // Chats first, while the engine runs: the ones still open end as the system's doing.
    await chats?.stop()
    // The engine ends its calls itself, as the system's doing: a caller still in line is
    // system-ended, not abandoned (hanging the callers up first made the engine log each
    // as an abandon, and the next demo opened at "abandon 13 %").
    await running.stop({endCalls: 'demo-stopped'})
    // Then whatever simulated leg is still up, so nothing is left behind in Asterisk.
    for (const ch of await rest.listChannels().catch(() => [])) if (ch.id.startsWith('demo-') || ch.name.includes('callctl-sim')) await rest.hangup(ch.id).catch(() => undefined)
    if (startedSandbox) await sandboxDown(o.paths, {force: true})
  }
  const sip = onSandbox ? (readSandboxState(o.paths)?.sip ?? null) : null
  const chatUrl = running.channels ? `${running.channels.url}/chat/` : null
  return {running, config, startedSandbox, supervisorPhone: onSandbox ? 'Local/700-demo-supervisor@callctl-sim-supervisor' : null, sip, chatUrl, done: callerLoop, stop}
}

/** An Asterisk of the user's own: CALLCTL_ARI_URL, or ari.url in the config file. */
function asteriskConfigured(paths: Paths): boolean {
  if (process.env.CALLCTL_ARI_URL) return true
  if (!existsSync(paths.configFile)) return false
  try {
    const raw = parseYamlText(readFileSync(paths.configFile, 'utf8')) as {ari?: {url?: unknown}} | null
    return typeof raw?.ari?.url === 'string' && raw.ari.url !== ''
  } catch {
    // loadEngineConfig reports a broken file with its line and column.
    return false
  }
}

function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, host, () => srv.close(() => resolve(true)))
  })
}

