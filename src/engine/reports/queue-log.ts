import type {EventType, NewEvent} from '../store/events.js'
import {wholeSeconds} from './rounding.js'

// The event log as Asterisk's queue_log, so QueueMetrics, Asternic and qpanel read our
// calls: epoch|callid|queue|agent|EVENT|data1|data2|..., with app_queue's event names and
// field order (apps/app_queue.c, Asterisk 22; checked against the lines app_queue writes
// in the sandbox, test/integration/queue-log.test.ts):
//   ENTERQUEUE      url|callerid|position
//   RINGNOANSWER    ringtime (ms)            RINGCANCELED  ringtime (ms)
//   CONNECT         holdtime|bridged channel uniqueid|ringtime (s)
//   COMPLETECALLER / COMPLETEAGENT  holdtime|calltime|origposition
//   ABANDON, EXITWITHTIMEOUT, EXITEMPTY  position|origposition|waittime
//     (queue.system_ended, a visit a shutdown or an Asterisk restart ended, is written as
//     EXITEMPTY: see callLines)
//   EXITWITHKEY     key|position|origposition|waittime
//   BLINDTRANSFER   extension|context|holdtime|calltime|origposition
//   ATTENDEDTRANSFER BRIDGE|bridge id|holdtime|calltime|origposition
//   ADDMEMBER / REMOVEMEMBER (empty), PAUSE|reason, UNPAUSE, PAUSEALL|reason, UNPAUSEALL
// callid is our call id; agent is the agent id (app_queue's member name with
// log_membername_as_agent); NONE where app_queue writes NONE, MANAGER for admin changes.

/** The event types that make queue_log lines (or feed the state lines need). */
export const QUEUE_LOG_TYPES: readonly EventType[] = [
  'call.started',
  'queue.entered',
  'agent.ring_noanswer',
  'agent.ring_canceled',
  'call.connected',
  'call.transferred',
  'call.completed',
  'queue.abandoned',
  'queue.system_ended',
  'queue.exited',
  'call.ended',
  'agent.added',
  'agent.updated',
  'agent.removed',
  'agent.member_added',
  'agent.member_removed',
  'agent.login',
  'agent.logout',
  'agent.paused',
  'agent.unpaused',
]

/** Presence and membership changes: admin commands write these to the store, not through the engine. */
export const AGENT_ADMIN_TYPES: readonly EventType[] = ['agent.added', 'agent.updated', 'agent.removed', 'agent.member_added', 'agent.member_removed', 'agent.login', 'agent.logout', 'agent.paused', 'agent.unpaused']

export interface QueueLogSetup {
  /** Each agent's queues when the conversion starts. */
  membership: ReadonlyMap<string, Iterable<string>>
  /** Agents logged in when the conversion starts. */
  loggedIn: Iterable<string>
  /** The key a waiting caller presses for a callback in this queue (EXITWITHKEY's key). */
  callbackKey(queue: string): string
}

type Event = Pick<NewEvent, 'type' | 'ts' | 'callId' | 'queue' | 'agent' | 'data'>

interface CallState {
  number: string
  /** origposition: the position when the call entered each queue. */
  entered: Map<string, number>
  holdS: number
  transfer: {kind: string; to: unknown} | null
  /** Rings canceled, written once the next event shows why (see heldRings). */
  canceled: Event[]
}

/**
 * Turns our events, in log order, into queue_log lines. It keeps what later lines need
 * (the caller's number for ENTERQUEUE, the entry position and wait for COMPLETE*, agents'
 * queues and presence) for calls in progress only, so it runs over any number of events.
 */
export class QueueLogConverter {
  private readonly calls = new Map<string, CallState>()
  private readonly members = new Map<string, Set<string>>()
  private readonly online = new Set<string>()

  constructor(private readonly setup: QueueLogSetup) {
    for (const [agent, queues] of setup.membership) this.members.set(agent, new Set(queues))
    for (const a of setup.loggedIn) this.online.add(a)
  }

  /** The lines for one event (often none). */
  lines(e: Event): string[] {
    const out: string[] = []
    const sec = Math.floor(e.ts / 1000)
    const line = (callId: string, queue: string, agent: string, event: string, ...fields: (string | number)[]) =>
      out.push([sec, field(callId), field(queue), field(agent), event, ...fields.map(field)].join('|'))

    if (e.callId) {
      const c = this.call(e.callId)
      if (c.canceled.length > 0 && e.type !== 'agent.ring_canceled') this.heldRings(c, e, line)
      this.callLines(e, c, line)
      return out
    }
    if (e.agent) this.agentLines(e.agent, e, line)
    return out
  }

  /** Rings still held back, for the end of an export. */
  flush(): string[] {
    const out: string[] = []
    for (const [id, c] of this.calls) {
      for (const r of c.canceled) out.push([Math.floor(r.ts / 1000), field(id), field(r.queue ?? 'NONE'), field(r.agent ?? 'NONE'), 'RINGCANCELED', Number(r.data?.ringMs ?? 0)].join('|'))
      c.canceled = []
    }
    return out
  }

  private call(id: string): CallState {
    let c = this.calls.get(id)
    if (!c) this.calls.set(id, (c = {number: '', entered: new Map(), holdS: 0, transfer: null, canceled: []}))
    return c
  }

  /**
   * Our engine cancels the rings still going when a caller leaves the line; app_queue
   * logs those as RINGCANCELED when the caller hung up, as RINGNOANSWER when the queue's
   * timeout cut the ring short, and not at all when another member answered.
   */
  private heldRings(c: CallState, next: Event, line: LineFn): void {
    const timeout = next.type === 'queue.exited' && next.data?.reason === 'timeout'
    if (next.type !== 'call.connected') {
      for (const r of c.canceled) line(next.callId!, r.queue ?? 'NONE', r.agent ?? 'NONE', timeout ? 'RINGNOANSWER' : 'RINGCANCELED', Number(r.data?.ringMs ?? 0))
    }
    c.canceled = []
  }

  private callLines(e: Event, c: CallState, line: LineFn): void {
    const d = e.data ?? {}
    const id = e.callId!
    const q = e.queue ?? null
    const position = Number(d.position ?? 0)
    const waitS = wholeSeconds(Number(d.waitMs ?? 0))
    switch (e.type) {
      case 'call.started':
        c.number = String(d.number ?? '')
        return
      case 'queue.entered':
        if (!q) return
        c.entered.set(q, position)
        return line(id, q, 'NONE', 'ENTERQUEUE', '', c.number || String(d.number ?? ''), position)
      case 'agent.ring_noanswer':
        if (q && e.agent) line(id, q, e.agent, 'RINGNOANSWER', Number(d.ringMs ?? 0))
        return
      case 'agent.ring_canceled':
        if (q && e.agent) c.canceled.push(e)
        return
      case 'call.connected':
        if (!q || !e.agent || d.outbound === true || d.transfer !== undefined) return
        c.holdS = waitS
        return line(id, q, e.agent, 'CONNECT', waitS, String(d.channel ?? ''), wholeSeconds(Number(d.ringMs ?? 0)))
      case 'call.transferred':
        c.transfer = {kind: String(d.kind ?? 'blind'), to: d.to}
        return
      case 'call.completed': {
        if (!q || !e.agent || d.outbound === true) return
        // app_queue's calltime runs from connect to hangup, hold included; our talkMs leaves hold out.
        const talkS = wholeSeconds(Number(d.talkMs ?? 0) + Number(d.holdMs ?? 0))
        const orig = c.entered.get(q) ?? 0
        const t = c.transfer
        c.transfer = null
        if (d.by === 'transfer' && t) {
          if (t.kind === 'consult') return line(id, q, e.agent, 'ATTENDEDTRANSFER', 'BRIDGE', `${id}.b`, c.holdS, talkS, orig)
          const [context, exten] = transferTarget(t.to)
          return line(id, q, e.agent, 'BLINDTRANSFER', exten, context, c.holdS, talkS, orig)
        }
        return line(id, q, e.agent, d.by === 'caller' ? 'COMPLETECALLER' : 'COMPLETEAGENT', c.holdS, talkS, orig)
      }
      case 'queue.abandoned':
        if (q) line(id, q, 'NONE', 'ABANDON', position, c.entered.get(q) ?? position, waitS)
        return
      case 'queue.system_ended':
        // app_queue has no event for "the system ended the wait". EXITEMPTY is what it
        // writes when it sends a caller out because no member can take the call (leavewhenempty):
        // the queue, not the caller, ended the wait, and QueueMetrics and Asternic count it as
        // unanswered, never as an abandon. EXITWITHTIMEOUT would claim the queue's max wait
        // was reached and skew the timeout figures; ABANDON is the very thing a shutdown is not.
        if (q) line(id, q, 'NONE', 'EXITEMPTY', position, c.entered.get(q) ?? position, waitS)
        return
      case 'queue.exited': {
        // Turned away at the door (full, no agents): app_queue never let it join, and logs nothing.
        if (!q || !c.entered.has(q)) return
        const orig = c.entered.get(q)!
        if (d.reason === 'timeout') line(id, q, 'NONE', 'EXITWITHTIMEOUT', position, orig, waitS)
        else if (d.reason === 'empty') line(id, q, 'NONE', 'EXITEMPTY', position, orig, waitS)
        else if (d.reason === 'key') line(id, q, 'NONE', 'EXITWITHKEY', String(d.key ?? this.setup.callbackKey(q)), position, orig, waitS)
        return
      }
      case 'call.ended':
        this.calls.delete(id)
        return
      default:
        return
    }
  }

  private agentLines(agent: string, e: Event, line: LineFn): void {
    const d = e.data ?? {}
    const queues = () => [...(this.members.get(agent) ?? [])].sort()
    switch (e.type) {
      case 'agent.added':
      case 'agent.updated':
        if (d.queues && typeof d.queues === 'object') this.members.set(agent, new Set(Object.keys(d.queues)))
        return
      case 'agent.removed':
        if (this.online.has(agent)) for (const q of queues()) line('MANAGER', q, agent, 'REMOVEMEMBER', '')
        this.members.delete(agent)
        this.online.delete(agent)
        return
      case 'agent.member_added':
        if (!e.queue) return
        if (!this.members.has(agent)) this.members.set(agent, new Set())
        if (!this.members.get(agent)!.has(e.queue) && this.online.has(agent)) line('MANAGER', e.queue, agent, 'ADDMEMBER', '')
        this.members.get(agent)!.add(e.queue)
        return
      case 'agent.member_removed':
        if (!e.queue) return
        if (this.members.get(agent)?.delete(e.queue) && this.online.has(agent)) line('MANAGER', e.queue, agent, 'REMOVEMEMBER', '')
        return
      case 'agent.login':
        if (this.online.has(agent)) return
        this.online.add(agent)
        for (const q of queues()) line('MANAGER', q, agent, 'ADDMEMBER', '')
        return
      case 'agent.logout':
        if (!this.online.delete(agent)) return
        for (const q of queues()) line('MANAGER', q, agent, 'REMOVEMEMBER', '')
        return
      case 'agent.paused':
      case 'agent.unpaused': {
        // PauseQueueMember without a queue: PAUSEALL first, then PAUSE in each queue.
        const pause = e.type === 'agent.paused'
        const reason = pause ? String(d.reason ?? '') : ''
        this.online.add(agent)
        line('NONE', 'NONE', agent, pause ? 'PAUSEALL' : 'UNPAUSEALL', reason)
        for (const q of queues()) line('NONE', q, agent, pause ? 'PAUSE' : 'UNPAUSE', reason)
        return
      }
      default:
        return
    }
  }
}

type LineFn = (callId: string, queue: string, agent: string, event: string, ...fields: (string | number)[]) => void

/** BLINDTRANSFER's extension and context: ours are a queue, an agent or a number. */
function transferTarget(to: unknown): [string, string] {
  if (typeof to === 'string') return ['external', to]
  const [kind, target] = Object.entries((to ?? {}) as Record<string, unknown>)[0] ?? ['', '']
  return [kind === 'number' ? 'external' : kind, String(target)]
}

/** A field can hold no separator and no line break (caller ids and reasons come from outside). */
function field(v: string | number): string {
  return typeof v === 'number' ? String(v) : v.replace(/[|\r\n\u0000]/g, '_')
}

/** The header line Asterisk writes when app_queue starts: tools use it to tell restarts apart. */
export function queueStartLine(ts: number): string {
  return `${Math.floor(ts / 1000)}|NONE|NONE|NONE|QUEUESTART|`
}
