import {WebSocket} from 'ws'
import type {CloseReason} from '../chat/chat-core.js'
import type {OutboundMessage} from '../chat/channel.js'
import type {EngineFrame, WidgetFrame, WidgetMessage} from '../chat/channels/web/web-protocol.js'
import type {NewEvent} from '../store/events.js'
import type {Range} from '../util/duration.js'
import type {Logger} from '../util/log.js'

// Simulated chat customers and the simulated agents' side of their chats. Customers are
// real widget clients: a WebSocket to the chat server's /chat/ws speaking the widget's
// frames (hello, start, text, button, close), so to the engine they are exactly a person
// in a browser. Agents are the demo's own agents, the ones who take calls, acting through
// the chat core's agent methods (accept, send, close) as the desk's API calls do.

/** The chat core as far as a simulated agent uses it (the engine's ChatCore). */
export interface ChatAgentSide {
  accept(id: string, agent: string): unknown
  send(id: string, agent: string, m: {text: string}): unknown
  close(id: string, reason: CloseReason, by: string, agent: string | null): unknown
  /** Open conversations. */
  list(): {id: string}[]
}

/** Milliseconds. */
export interface ChatSimTiming {
  /** The first customer writes this soon after the start: the demo shows a chat at once. */
  firstAfterMs: number
  /** An agent offered a chat accepts after this long. */
  acceptMs: Range
  agentThinkMs: Range
  customerThinkMs: Range
  /** Share of customers who give up unless answered within `impatientMs`; the rest wait `patientMs`. */
  impatientShare: number
  impatientMs: Range
  patientMs: Range
  /** Customer lines the agent answers before saying goodbye and closing. */
  exchanges: Range
}

export const CHAT_SIM_TIMING: ChatSimTiming = {
  firstAfterMs: 2_000,
  acceptMs: {min: 2_000, max: 6_000},
  agentThinkMs: {min: 2_000, max: 5_000},
  customerThinkMs: {min: 2_000, max: 6_000},
  // An agent with room accepts in 2-6 s: some of these leave before, more when agents are busy.
  impatientShare: 0.3,
  impatientMs: {min: 1_500, max: 8_000},
  patientMs: {min: 120_000, max: 240_000},
  exchanges: {min: 2, max: 4},
}

export interface ChatSimulatorOptions {
  /** The widget's socket: ws://HOST:PORT/chat/ws. */
  wsUrl: string
  chat: ChatAgentSide
  events: {subscribe(l: (e: NewEvent) => void): () => void}
  /** Whether an agent is one the simulator answers for (a person's own agent is left alone). */
  simulated: (agent: string) => boolean
  /** New customers a minute; 0 sends none (simulated agents still answer a person's chat). */
  perMinute: number
  log: Logger
  timing?: Partial<ChatSimTiming>
  random?: () => number
  names?: readonly string[]
  /** Recorded as who ended the conversations still open at stop (reason system), as the demo's calls are system-ended. */
  stopReason?: string
}

export interface ChatSimulator {
  /** Customers sent so far, and those who gave up before an answer. */
  readonly customers: number
  readonly gaveUp: number
  /** Ends every open conversation as the system's doing (never a customer abandoning), then closes the customers' sockets. */
  stop(): Promise<void>
}

// Canned lines. A customer writes in one language; the agent answers in the customer's.
const OPENING = {
  zh: ['您好，我想找人工客服，我的订单还没有到。', '你好，请帮我转人工，快递一直没有更新。', '人工客服在吗？我想改一下收货地址。'],
  en: ['Hi, can I talk to an agent about my delivery?', 'Hello, I need a person to help with my order.', 'Hi, agent please: my parcel has not arrived yet.'],
}
const CUSTOMER_SAYS = {
  zh: ['订单号是 20261207-8842。', '好的，大概什么时候能到？', '明白了，谢谢。', '可以帮我查一下物流吗？', '好的，没问题。'],
  en: ['The order number is 20261207-8842.', 'OK, when will it arrive?', 'I see, thanks.', 'Could you check the tracking for me?', 'Great, that works.'],
}
const AGENT_GREETS = {
  zh: (name: string) => `您好，我是${name}，很高兴为您服务。请问有什么可以帮您？`,
  en: (name: string) => `Hi, this is ${name}. How can I help you today?`,
}
const AGENT_SAYS = {
  zh: ['好的，请稍等，我帮您查一下。', '查到了，您的包裹已经到达本地分拣中心，预计明天送达。', '已经为您备注，快递员会提前电话联系您。', '还有其他可以帮您的吗？'],
  en: ['Sure, one moment while I look that up.', 'Found it: your parcel is at the local depot and should arrive tomorrow.', "I've added a note so the courier calls you first.", 'Is there anything else I can help with?'],
}
const AGENT_BYE = {zh: '感谢您的耐心，祝您生活愉快！再见。', en: 'Thanks for your patience, have a great day! Goodbye.'}
const NAMES = ['王芳', '李娜', '张伟', '刘洋', '陈静', 'Olivia Brown', 'Lucas Martin', 'Sofia Rossi']
/** A menu button that means "a person" (the demo flow's handoff), when the bot asks again. */
const PERSON = /agent|person|human|人工|客服/i
const HAN = /\p{Script=Han}/u

type Lang = 'zh' | 'en'

interface AgentChat {
  agent: string
  name: string
  lang: Lang
  answered: number
  goal: number
  timer: ReturnType<typeof setTimeout> | null
  closing: boolean
}

export function startChatSimulator(o: ChatSimulatorOptions): ChatSimulator {
  const t: ChatSimTiming = {...CHAT_SIM_TIMING, ...o.timing}
  const rnd = o.random ?? Math.random
  const within = (r: Range) => r.min + (r.max - r.min) * rnd()
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const later = (ms: number, fn: () => void) => {
    const h = setTimeout(() => {
      timers.delete(h)
      if (!stopping) fn()
    }, ms)
    timers.add(h)
    return h
  }
  let stopping = false
  let customers = 0
  let gaveUp = 0
  const sockets = new Set<WebSocket>()

  // ---- agents ------------------------------------------------------------------
  const chats = new Map<string, AgentChat>()
  /** The customer's language, from the first line: known before the agent greets. */
  const languageOf = new Map<string, Lang>()
  const agentSays = (id: string, c: AgentChat, text: string) => {
    try {
      o.chat.send(id, c.agent, {text})
    } catch (err) {
      // The customer left, or a supervisor moved the chat, while the agent was typing.
      o.log.debug('simulated agent could not send', {conversation: id, error: String(err)})
    }
  }
  const reply = (id: string, c: AgentChat) => {
    c.timer = null
    if (chats.get(id) !== c || c.closing) return
    c.answered++
    if (c.answered < c.goal) return agentSays(id, c, AGENT_SAYS[c.lang][Math.min(c.answered - 1, AGENT_SAYS[c.lang].length - 1)]!)
    c.closing = true
    agentSays(id, c, AGENT_BYE[c.lang])
    later(1_000, () => {
      try {
        o.chat.close(id, 'agent', c.agent, c.agent)
      } catch (err) {
        o.log.debug('simulated agent could not close', {conversation: id, error: String(err)})
      }
    })
  }
  const unsubscribe = o.events.subscribe((e) => {
    if (stopping || !e.type.startsWith('chat.') || !e.callId) return
    const id = e.callId
    const mine = chats.get(id)
    switch (e.type) {
      case 'chat.offered':
        if (e.agent && o.simulated(e.agent)) {
          const agent = e.agent
          later(within(t.acceptMs), () => {
            try {
              o.chat.accept(id, agent)
            } catch (err) {
              // The offer ran out, or the customer gave up meanwhile.
              o.log.debug('simulated agent could not accept', {conversation: id, error: String(err)})
            }
          })
        }
        return
      case 'chat.accepted': {
        if (!e.agent || !o.simulated(e.agent)) return
        const c: AgentChat = {agent: e.agent, name: String(e.data?.agentName ?? e.agent), lang: languageOf.get(id) ?? 'en', answered: 0, goal: Math.round(within(t.exchanges)), timer: null, closing: false}
        chats.set(id, c)
        c.timer = later(within(t.agentThinkMs) / 2, () => {
          c.timer = null
          agentSays(id, c, AGENT_GREETS[c.lang](c.name))
        })
        return
      }
      case 'chat.message':
        if (e.data?.from !== 'customer') return
        if (typeof e.data.text === 'string' && !languageOf.has(id)) languageOf.set(id, HAN.test(e.data.text) ? 'zh' : 'en')
        if (!mine) return
        // One answer to a customer's burst of lines, not one per line.
        if (mine.timer === null) mine.timer = later(within(t.agentThinkMs), () => reply(id, mine))
        return
      case 'chat.transferred':
      case 'chat.closed':
        if (mine?.timer) clearTimeout(mine.timer)
        chats.delete(id)
        if (e.type === 'chat.closed') languageOf.delete(id)
        return
      default:
        return
    }
  })
  // ---- customers ---------------------------------------------------------------
  const customer = (n: number) => {
    const lang: Lang = rnd() < 0.6 ? 'zh' : 'en'
    const name = pick(o.names ?? NAMES)
    const patience = within(rnd() < t.impatientShare ? t.impatientMs : t.patientMs)
    const ws = new WebSocket(o.wsUrl, {perMessageDeflate: false})
    sockets.add(ws)
    let frame = 0
    let answered = false
    let ended = false
    let pressed = false
    /** The opening line's frame id, and its place in the conversation once acknowledged. */
    const opening: {id: string; seq: number | null} = {id: `c${n}-0`, seq: null}
    /** The bot's latest message with buttons. */
    let menu: OutboundMessage | null = null
    // A menu sent after the opening line means the flow did not take it as asking for a
    // person: press the button that does (the menu sent on start, before it, is answered by it).
    const pressPerson = () => {
      if (pressed || answered || !menu?.buttons || opening.seq === null || menu.seq <= opening.seq) return
      const b = menu.buttons.find((x) => PERSON.test(x.key) || PERSON.test(x.label))
      if (!b) return
      pressed = true
      send({type: 'button', id: `c${n}-${++frame}`, key: b.key})
    }
    let replying: ReturnType<typeof setTimeout> | null = null
    const send = (f: WidgetFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(f))
    }
    const leave = (ms: number) => later(ms, () => ws.close(1000))
    const giveUp = later(patience, () => {
      if (answered || ended) return
      gaveUp++
      ended = true
      send({type: 'close'})
      leave(500)
    })
    const heard = (m: WidgetMessage) => {
      if (m.from === 'customer') return
      if (m.kind === 'rating-request' && m.buttons?.length) {
        const stars = rnd() < 0.7 ? '5' : rnd() < 0.7 ? '4' : '3'
        const key = m.buttons.find((b) => b.key === stars)?.key ?? m.buttons.at(-1)!.key
        later(500, () => send({type: 'button', id: `c${n}-${++frame}`, key}))
        return
      }
      if (ended) return
      if (m.from === 'agent' && m.kind === 'text') {
        answered = true
        clearTimeout(giveUp)
        if (replying === null) {
          replying = later(within(t.customerThinkMs), () => {
            replying = null
            if (!ended) send({type: 'text', id: `c${n}-${++frame}`, text: pick(CUSTOMER_SAYS[lang])})
          })
        }
        return
      }
      if (m.kind === 'closed') {
        ended = true
        clearTimeout(giveUp)
        // The rating request follows at once when the core asks for one.
        leave(1_500)
        return
      }
      if (m.from === 'bot' && m.buttons?.length) {
        menu = m
        pressPerson()
      }
    }
    ws.on('open', () => send({type: 'hello', name}))
    ws.on('message', (data) => {
      let f: EngineFrame
      try {
        f = JSON.parse(data.toString()) as EngineFrame
      } catch {
        return
      }
      if (f.type === 'welcome') {
        // start opens the conversation flow (its greeting and menu); the opening line asks for a person.
        send({type: 'start', name})
        send({type: 'text', id: opening.id, text: pick(OPENING[lang])})
      } else if (f.type === 'ack' && f.id === opening.id) {
        opening.seq = f.seq
        pressPerson()
      } else if (f.type === 'message') heard(f.message)
      else if (f.type === 'history') f.messages.forEach(heard)
    })
    ws.on('error', (err) => o.log.debug('simulated chat customer: socket error', {error: String(err)}))
    ws.on('close', () => {
      sockets.delete(ws)
      clearTimeout(giveUp)
      if (replying) clearTimeout(replying)
    })
  }

  const arrive = () => {
    if (o.perMinute <= 0) return
    customer(++customers)
    later((60_000 / o.perMinute) * (0.5 + rnd()), arrive)
  }
  if (o.perMinute > 0) later(t.firstAfterMs, arrive)

  return {
    get customers() {
      return customers
    },
    get gaveUp() {
      return gaveUp
    },
    async stop() {
      if (stopping) return
      stopping = true
      unsubscribe()
      for (const h of timers) clearTimeout(h)
      timers.clear()
      // The system ends what is still open, before any socket closes: a customer in line
      // at the stop did not give up (as the demo's callers are system-ended, not abandoned).
      for (const c of o.chat.list()) {
        try {
          o.chat.close(c.id, 'system', o.stopReason ?? 'demo-stopped', null)
        } catch (err) {
          o.log.warn('could not end a chat at the stop', {conversation: c.id, error: String(err)})
        }
      }
      await Promise.all(
        [...sockets].map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === ws.CLOSED) return resolve()
              const hard = setTimeout(() => (ws.terminate(), resolve()), 1_000)
              ws.once('close', () => (clearTimeout(hard), resolve()))
              ws.close(1000)
            }),
        ),
      )
    },
  }
}
