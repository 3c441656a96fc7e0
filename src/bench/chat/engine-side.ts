import {readFileSync, writeFileSync} from 'node:fs'
import {EngineClient} from '../../engine/api/client.js'
import {apiToken, endpointFile} from '../../engine/api/connect.js'
import type {EngineEndpoint} from '../../engine/api/protocol.js'
import {SqliteStore} from '../../engine/store/sqlite-store.js'
import {addUser} from '../../engine/users/users.js'
import {simAgentEndpoint} from '../../engine/sim/simulator.js'
import {freePort} from '../../engine/util/net.js'
import {prepareEngineStore, startEngineChild, type EngineChild} from '../load/engine-child.js'
import {presenceSandbox, type PresenceSandbox} from '../presence/setup.js'
import type {SideFigures} from './echo-baseline.js'
import {waitUntil} from './echo-baseline.js'
import {spread} from './latency.js'
import {openInBatches, pace, sleep, type Load} from './load.js'
import {cpuWindow, rssBytes} from './proc-figures.js'
import {WebCustomer} from './web-customer.js'

// The engine side of bench:chat: a sandbox Asterisk (the engine needs one to start), the
// engine as deployed (`callctl engine start`, a process of its own) with the chat server
// on, a chat queue and its agents, each agent's desk an API connection with the agent's
// own token subscribed to chat messages (it gets its own conversations' only). The
// customers are web widgets as far as the engine can tell: the widget's WebSocket
// protocol, hello, start, texts. A text is timed from the customer's send to its arrival
// at the desk of the agent whose conversation it is.

const QUEUE = 'chat'

export async function engineSide(load: Load, log: (line: string) => void): Promise<SideFigures & {perAgent: {min: number; max: number}}> {
  let sb: PresenceSandbox | null = null
  let engine: EngineChild | null = null
  const clients: EngineClient[] = []
  const customers: WebCustomer[] = []
  try {
    log('sandbox Asterisk up…')
    sb = await presenceSandbox()
    // Chat only: each agent's phone is a simulated one that is never rung here.
    const agents = Array.from({length: load.agents}, (_, i) => {
      const id = `ca${String(i + 1).padStart(3, '0')}`
      return {id, endpoint: simAgentEndpoint({id, ring: 999, talk: {min: 1, max: 1}})}
    })
    await prepareEngineStore(sb.paths.database, QUEUE, {strategy: 'longest-idle', wrapUp: 0}, agents)
    const tokens = await agentTokens(sb.paths.database, agents.map((a) => a.id))
    const perAgent = Math.ceil(load.sessions / load.agents)
    const chatPort = await freePort()
    // Every conversation is taken at once by an agent (auto-accept, room for all of them),
    // and nothing closes or asks during the run: what is timed is the message path.
    writeFileSync(
      sb.paths.configFile,
      [
        'chat:',
        `  queue: ${QUEUE}`,
        '  autoAccept: true',
        `  limits: {web: ${perAgent}, wechat: 1, webhook: 1, total: ${perAgent}}`,
        '  silence: {closeAfter: 1h}',
        '  positionEvery: 1h',
        '  rating: false',
        'channels:',
        `  web: {host: 127.0.0.1, port: ${chatPort}}`,
        '',
      ].join('\n'),
    )
    log('engine start…')
    engine = await startEngineChild({home: sb.home, db: sb.paths.database, app: sb.state.app, env: {CALLCTL_DEFAULT_QUEUE: QUEUE}})
    const endpoint = JSON.parse(readFileSync(endpointFile(sb.paths), 'utf8')) as EngineEndpoint
    const admin = await EngineClient.connect(endpoint.url, apiToken(sb.paths, {}))
    clients.push(admin)
    let accepted = 0
    admin.onEvent((e) => {
      if ((e as {type?: string}).type === 'chat.accepted') accepted++
    })
    await admin.request('events.subscribe', {types: ['chat.accepted']})

    // The desks: each agent's own connection and token.
    const sentAt = new Map<string, number>()
    const samples: number[] = []
    const byAgent = new Map<string, number>()
    for (const a of agents) {
      const desk = await EngineClient.connect(endpoint.url, tokens.get(a.id)!)
      clients.push(desk)
      desk.onEvent((raw) => {
        const e = raw as {type?: string; agent?: string; callId?: string; data?: {from?: string; text?: string; autoAccept?: boolean}}
        // Without auto-accept the desk takes what it is offered, as an agent clicking at once would.
        if (e.type === 'chat.offered' && e.agent === a.id && e.data?.autoAccept === false && e.callId) {
          desk.request('chat.accept', {conversation: e.callId, agent: a.id}).catch((err: unknown) => log(`accept refused: ${String(err)}`))
          return
        }
        if (e.type !== 'chat.message' || e.data?.from !== 'customer' || typeof e.data.text !== 'string') return
        const id = e.data.text.slice(0, e.data.text.indexOf(' '))
        const t = sentAt.get(id)
        if (t === undefined) return
        sentAt.delete(id)
        samples.push(performance.now() - t)
        byAgent.set(a.id, (byAgent.get(a.id) ?? 0) + 1)
      })
      await desk.request('events.subscribe', {types: ['chat.message', 'chat.offered']})
    }
    await sleep(1000)
    const rssIdle = rssBytes(engine.pid)

    log(`${load.sessions} web chat sessions…`)
    const url = `ws://127.0.0.1:${chatPort}/chat/ws`
    for (let i = 0; i < load.sessions; i++) customers.push(new WebCustomer(url, `Customer ${i + 1}`))
    // Without a flow a conversation starts with the customer's first message.
    await openInBatches(customers, async (c) => {
      await c.open()
      c.text('first', 'Hello, is anyone there?')
    })
    if (!(await waitUntil(() => accepted >= load.sessions, 60_000))) {
      const open = await admin.request('chat.list', {})
      const states = new Map<string, number>()
      for (const c of open.conversations) states.set(c.state, (states.get(c.state) ?? 0) + 1)
      throw new Error(`only ${accepted} of ${load.sessions} conversations were accepted by an agent within 60 s (open: ${JSON.stringify(Object.fromEntries(states))}; engine warnings: ${engine.warnings.slice(0, 3).join(' | ') || 'none'})`)
    }
    await sleep(2000)
    const rss = rssBytes(engine.pid)

    log(`measuring ${load.seconds} s at ${load.rate} messages/s…`)
    const cpu = cpuWindow(engine.pid)
    let next = 0
    const sent = await pace(load, (i) => {
      const id = `m${++next}`
      sentAt.set(id, performance.now())
      customers[i % customers.length]!.text(id, `${id} ${load.text}`)
    })
    const window = cpu()
    await waitUntil(() => sentAt.size === 0, 5000)
    const counts = agents.map((a) => byAgent.get(a.id) ?? 0)
    const refused = customers.flatMap((c) => c.errors)
    if (refused.length > 0) log(`customers were refused ${refused.length} times: ${[...new Set(refused)].join(', ')}`)
    if (engine.errors.length > 0) log(`engine errors: ${engine.errors.slice(0, 3).join(' | ')}`)
    return {sessions: load.sessions, sent, timed: spread(samples), lost: sentAt.size, cpuPercent: window.percent, rssIdleBytes: rssIdle, rssBytes: rss, perAgent: {min: Math.min(...counts), max: Math.max(...counts)}}
  } finally {
    for (const c of customers) c.close()
    for (const c of clients) c.close()
    await engine?.stop()
    await sb?.down()
  }
}

/** A user of the agent role per agent (callctl user add NAME --role agent --agent ID): its token. */
async function agentTokens(db: string, agents: string[]): Promise<Map<string, string>> {
  const store = new SqliteStore(db)
  try {
    const tokens = new Map<string, string>()
    for (const a of agents) tokens.set(a, (await addUser(store, {name: `desk-${a}`, role: 'agent', agent: a})).token!)
    return tokens
  } finally {
    await store.close()
  }
}
