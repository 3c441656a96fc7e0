import type {AgentView, CallView, EngineSnapshot, Method, ParamsArg, ResultOf} from '../../engine/api/contract.js'
import {errorMessage, isUserError} from '../../engine/util/errors.js'
import {EngineFeed, type FeedConnection, type FeedOptions, type FeedState} from '../dashboard/feed.js'
import {CHAT_EVENTS, DeskChats, type DeskChat} from './desk-chats.js'

// The desk's copy of what concerns one agent: the engine's snapshot (its state, its call,
// its queues) through the dashboard's EngineFeed, plus what only events tell: the ring
// that brings a pop (fetched at once, not at the next snapshot), the wrap-up's end, the
// call whose disposition is owed, and callers who were lost on this agent's ring.
// A desk opened or reconnected mid-call (or in a wrap-up owing a disposition) asks the
// engine for the agent's current call (desk.current) once its subscription is in place,
// and a call the snapshot shows that no ring brought (one that rang as the desk
// connected) gets its pop from the snapshot.

export type DeskSettingsView = ResultOf<'desk.settings'>
export type HistoryView = ResultOf<'contact.history'>

export interface Pop {
  callId: string
  /** agent.ringing's ts (the engine's clock). */
  ringAt: number
  call: CallView | null
  history: HistoryView | null
  /** Why part of the pop could not be fetched. */
  error: string | null
  ended: boolean
  /** The ring ended unanswered (timeout, the caller left, the phone refused). */
  missed: boolean
}

export interface LastCall {
  id: string
  queue: string | null
  number: string
  disposition: {code: string; label: string} | null
  ticket: string | null
}

export interface Owed {
  callId: string
  number: string
  name: string
  at: number
  why: string
}

export interface DeskState {
  feed: FeedState
  agent: string
  me: AgentView | null
  /** The call the agent is on or is rung for, as the last snapshot has it. */
  call: CallView | null
  pop: Pop | null
  wrapUpEndsAt: number | null
  lastCall: LastCall | null
  owed: Owed[]
  settings: DeskSettingsView | null
  /** Engine clock minus ours, from the last snapshot (countdowns use the engine's clock). */
  skewMs: number
  /** Calls of this agent's on hold, and in a consultation: the snapshot's word, or a newer event's. */
  held: ReadonlySet<string>
  consulting: ReadonlySet<string>
  /** The note text the engine has, per call. */
  notesSaved: ReadonlyMap<string, string>
  /** The agent's conversations, oldest first (desk-chats.ts). */
  chats: readonly DeskChat[]
  /** The engine refused the token (unknown, revoked): the desk has stopped and only quits. */
  refused?: Refusal | null
}

export interface Refusal {
  /** One line: what happened. */
  message: string
  /** The fix: who to ask for what. */
  suggestion: string
}

export interface DeskFeedOptions extends FeedOptions {
  /** The token's user (session.whoami), named in the fix when the engine refuses the token. */
  user?: string
}

/** An event as the engine pushes it (store/events.ts NewEvent). */
interface PushedEvent {
  type: string
  ts: number
  callId?: string | null
  queue?: string | null
  agent?: string | null
  data?: Record<string, unknown>
}

const OWED_LIMIT = 20

/** The events the desk reads (the snapshot brings the rest): fewer pushes, and fewer snapshots they bring forward. */
export const DESK_EVENTS = [
  'agent.ringing',
  'agent.ring_noanswer',
  'agent.ring_canceled',
  'call.connected',
  'call.held',
  'call.unheld',
  'call.consult_started',
  'call.consult_ended',
  'call.transferred',
  'call.ended',
  'call.disposition',
  'queue.abandoned',
  'callback.failed',
  'voicemail.left',
  'agent.wrapup_started',
  'agent.wrapup_extended',
  'agent.wrapup_ended',
  'agent.login',
  'agent.logout',
  'agent.paused',
  'agent.unpaused',
  ...CHAT_EVENTS,
]

/** Events that put a call on hold or in a consultation, or take it out: faster than the next snapshot, which says the same. */
const FLAGS: Record<string, {set: 'held' | 'consulting'; on: boolean}> = {
  'call.held': {set: 'held', on: true},
  'call.unheld': {set: 'held', on: false},
  'call.consult_started': {set: 'consulting', on: true},
  'call.consult_ended': {set: 'consulting', on: false},
  'call.transferred': {set: 'consulting', on: false},
  'call.ended': {set: 'held', on: false},
}

export class DeskFeed {
  readonly engine: EngineFeed
  readonly chats: DeskChats
  private current: DeskState
  private readonly listeners = new Set<() => void>()
  /** Calls that rang this agent: a caller lost from one of them is owed a call back. */
  private readonly rang = new Map<string, {number: string; name: string}>()
  /** The connection whose desk.current is still to be read: after its first snapshot, so after its events.subscribe. */
  private unread: FeedConnection | null = null
  /** When an event last put a call on hold or in a consultation, or took it out (engine clock): a snapshot older than it does not undo it. */
  private readonly flaggedAt = new Map<string, number>()

  constructor(
    connect: () => Promise<FeedConnection>,
    readonly agent: string,
    private readonly o: DeskFeedOptions = {},
  ) {
    this.current = {feed: {status: 'connecting', snapshot: null, error: null, retryAt: null, receivedAt: null}, agent, me: null, call: null, pop: null, wrapUpEndsAt: null, lastCall: null, owed: [], settings: null, skewMs: 0, held: new Set(), consulting: new Set(), notesSaved: new Map(), chats: [], refused: null}
    this.chats = new DeskChats(agent, () => this.current.chats, (chats) => this.set({chats}))
    this.engine = new EngineFeed(async () => {
      const conn = this.watchRefusals(await connect())
      conn.onEvent((e) => this.onEvent(e as PushedEvent, conn))
      this.unread = conn
      this.chats.connected(conn)
      conn.request('desk.settings').then(
        (settings) => this.set({settings}),
        () => undefined,
      )
      return conn
    }, {eventTypes: DESK_EVENTS, ...o})
    this.engine.subscribe(() => this.fromSnapshot(this.engine.state))
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  getState = (): DeskState => this.current

  start(): void {
    this.engine.start()
  }

  stop(): void {
    this.engine.stop()
  }

  request<M extends Method>(method: M, ...args: ParamsArg<M>): Promise<ResultOf<M>> {
    return this.engine.request(method, ...args)
  }

  /** The disposition of the last call was saved (so ready is allowed). */
  disposed(callId: string, d: {code: string; label: string}): void {
    const l = this.current.lastCall
    if (l?.id === callId) this.set({lastCall: {...l, disposition: d}})
  }

  ticketOpened(callId: string, ticket: string): void {
    const l = this.current.lastCall
    if (l?.id === callId) this.set({lastCall: {...l, ticket}})
  }

  noteSaved(callId: string, text: string): void {
    this.set({notesSaved: new Map(this.current.notesSaved).set(callId, text)})
  }

  markRead = (conversation: string): void => this.chats.markRead(conversation)

  /** A callback taken from the owed list. */
  takeOwed(): Owed | undefined {
    const [first, ...rest] = this.current.owed
    if (first) this.set({owed: rest})
    return first
  }

  /**
   * A token the engine refuses (unknown: the user removed; revoked or replaced) stays
   * refused: reconnecting every few seconds would only fill the engine's log. Whatever
   * request meets it first (the snapshot, an action), the desk stops there.
   */
  private watchRefusals(conn: FeedConnection): FeedConnection {
    const request = ((method: Method, ...args: unknown[]) =>
      (conn.request as (m: Method, ...a: unknown[]) => Promise<unknown>)(method, ...args).catch((err: unknown) => {
        if (isUserError(err) && err.code === 'unauthorized') this.refuse(err.message)
        throw err
      })) as FeedConnection['request']
    return {request, onEvent: (fn) => conn.onEvent(fn), onClose: (fn) => conn.onClose(fn), close: () => conn.close()}
  }

  private refuse(engineSays: string): void {
    if (this.current.refused) return
    this.engine.stop()
    const user = this.o.user ?? 'NAME'
    // Short enough for the desk's one line at 80 columns (the engine's words say the same).
    const why = /revoked|replaced/i.test(engineSays) ? 'Your token was revoked or replaced' : 'No user has your token (removed?)'
    this.set({refused: {message: `${why}: the desk has stopped`, suggestion: `Ask an admin for a new one (callctl user token ${user}), set CALLCTL_TOKEN to it and start the desk again.`}})
  }

  private fromSnapshot(feed: FeedState): void {
    const s = feed.snapshot
    const me = s?.agents.find((a) => a.id === this.agent) ?? null
    const call = s?.calls.find((c) => c.agent === this.agent || c.ringing.includes(this.agent)) ?? null
    const skewMs = s && feed.receivedAt !== null ? s.at - feed.receivedAt : this.current.skewMs
    const wrapUpEndsAt = me?.state === 'wrap-up' ? this.current.wrapUpEndsAt : null
    // The pop follows its call (answered, held...) and keeps the last of it once it ends.
    const pop = this.current.pop
    const live = pop && s?.calls.find((c) => c.id === pop.callId)
    this.set({feed, me, call, skewMs, wrapUpEndsAt, ...(pop && live && pop.call ? {pop: {...pop, call: live}} : {}), ...(s ? this.flagsOf(s) : {})})
    if (feed.status !== 'live') return
    const conn = this.unread
    if (conn) {
      this.unread = null
      void this.readCurrent(conn)
    } else if (call && this.current.pop?.callId !== call.id && !(s && newerPop(this.current.pop, s.at))) this.adopt(call, {request: (m, ...a) => this.engine.request(m, ...a)})
  }

  /**
   * Hold and consultation as the snapshot has them (a desk opened during a hold shows it
   * from its first snapshot), unless an event about that call came after the snapshot was
   * made. Calls the snapshot does not list keep what their events said.
   */
  private flagsOf(s: EngineSnapshot): Pick<DeskState, 'held' | 'consulting'> {
    const held = new Set(this.current.held)
    const consulting = new Set(this.current.consulting)
    for (const c of s.calls) {
      if ((this.flaggedAt.get(c.id) ?? -Infinity) > s.at) continue
      this.flaggedAt.delete(c.id)
      if (typeof c.heldSince === 'number') held.add(c.id)
      else held.delete(c.id)
      if (c.consulting === true) consulting.add(c.id)
      else consulting.delete(c.id)
    }
    return {held, consulting}
  }

  /** The agent's call now, as the engine has it: the pop of a call this desk did not see ring, the call whose disposition is owed. */
  private async readCurrent(conn: Pick<FeedConnection, 'request'>): Promise<void> {
    let now: ResultOf<'desk.current'>
    try {
      now = await conn.request('desk.current', {agent: this.agent})
    } catch {
      return // an engine without desk.current: the snapshot's call still brings the pop
    }
    const pop = this.current.pop
    // A call that ended while the desk was away ended without its event.
    if (pop && !pop.ended && pop.callId !== now.call?.id) this.set({pop: {...pop, ended: true}})
    if (now.call) return this.adopt(now.call, conn)
    const last = now.last
    if (last && this.current.lastCall?.id !== last.callId) this.set({lastCall: {id: last.callId, queue: last.queue, number: last.number, disposition: last.disposition, ticket: null}})
  }

  /** A call of this agent's that the desk learnt of without its ring (or its answer): the pop, and the call notes and the disposition go to. */
  private adopt(call: CallView, conn: Pick<FeedConnection, 'request'>): void {
    if (call.agent === this.agent && this.current.lastCall?.id !== call.id) {
      this.set({lastCall: {id: call.id, queue: call.queue, number: call.callbackNumber ?? call.caller.number, disposition: null, ticket: null}})
    }
    if (this.current.pop?.callId !== call.id) this.ring(call.id, call.connectedAt ?? call.startedAt, conn, call)
  }

  private onEvent(e: PushedEvent, conn: FeedConnection): void {
    if (e.type.startsWith('chat.')) return this.chats.onEvent(e)
    const mine = e.agent === this.agent
    const d = e.data ?? {}
    if (e.type === 'agent.ringing' && mine && e.callId) return void this.ring(e.callId, e.ts, conn)
    if (e.type === 'call.connected' && mine && e.callId) {
      const c = this.current.pop?.callId === e.callId ? this.current.pop.call : null
      const number = c ? (c.callbackNumber ?? c.caller.number) : String(d.number ?? '')
      return this.set({lastCall: {id: e.callId, queue: e.queue ?? c?.queue ?? null, number, disposition: null, ticket: null}})
    }
    if (e.type === 'agent.wrapup_started' && mine) return this.set({wrapUpEndsAt: e.ts + Number(d.seconds ?? 0) * 1000})
    if (e.type === 'agent.wrapup_extended' && mine) return this.set({wrapUpEndsAt: Math.max(this.current.wrapUpEndsAt ?? e.ts, e.ts) + Number(d.seconds ?? 0) * 1000})
    if (e.type === 'agent.wrapup_ended' && mine) return this.set({wrapUpEndsAt: null})
    if (e.type === 'call.disposition' && e.callId) return this.disposed(e.callId, {code: String(d.code ?? ''), label: String(d.label ?? d.code ?? '')})
    if (!e.callId) return
    if ((e.type === 'agent.ring_noanswer' || e.type === 'agent.ring_canceled') && mine && this.current.pop?.callId === e.callId) this.set({pop: {...this.current.pop, missed: true}})
    const flag = FLAGS[e.type]
    if (flag) {
      const set = new Set(this.current[flag.set])
      if (flag.on) set.add(e.callId)
      else set.delete(e.callId)
      if (e.type === 'call.ended') this.flaggedAt.delete(e.callId)
      else this.flaggedAt.set(e.callId, e.ts)
      if (this.flaggedAt.size > 200) this.flaggedAt.delete(this.flaggedAt.keys().next().value!)
      this.set({[flag.set]: set})
    }
    if (e.type === 'call.ended' && this.current.pop?.callId === e.callId) this.set({pop: {...this.current.pop, ended: true}})
    const rung = this.rang.get(e.callId)
    const why = e.type === 'queue.abandoned' ? 'hung up waiting' : e.type === 'callback.failed' ? 'callback failed' : e.type === 'voicemail.left' ? 'left a voicemail' : null
    if (rung && why && rung.number) {
      const owed = [{callId: e.callId, number: rung.number, name: rung.name, at: e.ts, why}, ...this.current.owed.filter((o) => o.number !== rung.number)].slice(0, OWED_LIMIT)
      this.set({owed})
    }
  }

  /** The pop: the call and the customer's history, asked for together the moment the agent is rung. */
  private ring(callId: string, ringAt: number, conn: Pick<FeedConnection, 'request'>, known: CallView | null = null): void {
    if (this.current.pop?.callId === callId && !this.current.pop.ended) return
    this.set({pop: {callId, ringAt, call: known, history: null, error: null, ended: false, missed: false}})
    void Promise.allSettled([conn.request('call.get', {call: callId}), conn.request('contact.history', {call: callId, limit: 5})]).then(([call, history]) => {
      const pop = this.current.pop
      if (pop?.callId !== callId) return
      const problems = [call, history].filter((r) => r.status === 'rejected').map((r) => errorMessage((r as PromiseRejectedResult).reason))
      const c = call.status === 'fulfilled' ? call.value : null
      if (c) this.rang.set(callId, {number: c.callbackNumber ?? c.caller.number, name: c.caller.name})
      if (this.rang.size > 200) this.rang.delete(this.rang.keys().next().value!)
      this.set({pop: {...pop, call: c, history: history.status === 'fulfilled' ? history.value : null, error: problems[0] ?? null}})
    })
  }

  private set(patch: Partial<DeskState>): void {
    this.current = {...this.current, ...patch}
    for (const l of this.listeners) l()
  }
}

/**
 * A pop newer than the snapshot: rung after the engine made it. A snapshot asked for before
 * the ring still shows the agent's previous call (ending); adopting it put the old caller back
 * on the screen until the next poll, a second later (desk-tmux: p99 1,091 ms, max one pop in 20).
 */
function newerPop(pop: DeskState['pop'], snapshotAt: number): boolean {
  return !!pop && !pop.ended && pop.ringAt > snapshotAt
}
