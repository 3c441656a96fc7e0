import {Type, type Static, type TSchema, type TUnsafe} from '@sinclair/typebox'
import type {AgentListing} from '../admin/admin.js'
import type {CallState} from '../calls/call-session.js'
import type {CallView, EngineSnapshot} from '../calls/engine-types.js'
import type {SupervisionView} from '../calls/supervision.js'
import type {PhoneContact} from '../calls/phone-presence.js'
import type {AgentState, PresenceStatus} from '../model.js'
import type {AgentView, QueueView} from '../routing/acd.js'

// The views the API answers with, as JSON Schema for `callctl api schema` and for the
// result checks of the test harness. Each is typed as the engine's own interface, and
// the compiler checks that interface against the schema: a field renamed or retyped in
// the engine fails to compile here (a field added is allowed; list it here too).

/**
 * The schema, typed as T for TypeScript. Compiles only when every T fits the schema
 * ("not assignable to never" below means the engine's T and this schema disagree).
 */
function shaped<T>() {
  return <S extends TSchema>(schema: S & ([T] extends [Static<S>] ? unknown : never)): TUnsafe<T> => schema as unknown as TUnsafe<T>
}

/** A result the engine sends as it is: typed for TypeScript, named (not spelled out) in the JSON Schema. */
export function view<T>(title: string, description: string) {
  return Type.Unsafe<T>({title, description})
}

const nullable = <S extends TSchema>(s: S) => Type.Union([s, Type.Null()])
const ms = (description: string) => Type.Number({description: `${description} (ms since the epoch)`})
const counts = Type.Record(Type.String(), Type.Number())
const literals = <L extends string>(values: Record<L, true>, description: string) => Type.Union((Object.keys(values) as L[]).map((v) => Type.Literal(v)), {description})

// A Record over the CallState union: adding a state to the engine without listing it here fails to compile.
const CALL_STATE_SET: Record<CallState, true> = {
  answering: true,
  ivr: true,
  waiting: true,
  'callback-pending': true,
  'calling-customer': true,
  connected: true,
  transferring: true,
  survey: true,
  leaving: true,
  ended: true,
}

/** Every state a live call can be in (for filters and their error messages). */
export const CALL_STATES = Object.keys(CALL_STATE_SET) as CallState[]

const AGENT_STATES: Record<AgentState, true> = {offline: true, idle: true, ringing: true, 'on-call': true, 'wrap-up': true, paused: true, unreachable: true, 'other-call': true}
const PRESENCE: Record<PresenceStatus, true> = {offline: true, available: true, paused: true}

export const callView = shaped<CallView>()(
  Type.Object(
    {
      id: Type.String(),
      state: Type.String({description: `one of ${CALL_STATES.join(', ')}`}),
      caller: Type.Object({number: Type.String(), name: Type.String()}),
      did: Type.String(),
      queue: nullable(Type.String()),
      priority: Type.Number(),
      agent: nullable(Type.String()),
      startedAt: ms('call arrived'),
      joinedAt: nullable(ms('first joined a queue')),
      enteredQueueAt: nullable(ms('entered its current queue')),
      connectedAt: nullable(ms('an agent answered')),
      ringing: Type.Array(Type.String(), {description: 'agents being rung for it'}),
      callbackNumber: nullable(Type.String()),
      keyTrail: Type.Array(Type.String()),
      contact: nullable(Type.Object({name: Type.String(), tier: Type.String(), vip: Type.Boolean()})),
      heldSince: nullable(ms('put on hold (the caller hears music); null when not held')),
      holdMs: Type.Number({description: 'time on hold so far in this call, the hold in progress counted to now (ms)'}),
      consulting: Type.Boolean({description: 'the agent is consulting a colleague or a number while the caller waits on hold'}),
    },
    {title: 'CallView', description: 'A live call'},
  ),
)

export const agentView = shaped<AgentView>()(
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      endpoint: Type.String(),
      state: literals(AGENT_STATES, 'agent state'),
      since: ms('in this state since'),
      pauseReason: nullable(Type.String()),
      callId: nullable(Type.String()),
      queues: Type.Record(Type.String(), Type.Number(), {description: 'queue → penalty'}),
      skills: Type.Record(Type.String(), Type.Number(), {description: 'skill → level'}),
      callsTaken: Type.Number(),
      callsToday: Type.Number(),
      talkMs: Type.Number(),
      missedRings: Type.Number(),
      backoffUntil: nullable(ms('no call offered before')),
      why: nullable(Type.String({description: 'why it gets no calls (backoff, automatic pause), when the state does not say'})),
    },
    {title: 'AgentView', description: 'An agent as the engine sees it'},
  ),
)

export const agentListing = shaped<AgentListing>()(
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      endpoint: Type.String(),
      skills: counts,
      queues: counts,
      createdAt: ms('added'),
      presence: literals(PRESENCE, 'presence'),
      pauseReason: nullable(Type.String()),
      presenceSince: nullable(ms('presence since')),
    },
    {title: 'AgentListing', description: 'An agent as stored, with its presence'},
  ),
)

export const supervisionView = shaped<SupervisionView>()(
  Type.Object(
    {
      id: Type.String(),
      callId: Type.String(),
      agent: Type.String(),
      mode: Type.Union([Type.Literal('monitor'), Type.Literal('whisper'), Type.Literal('barge')]),
      from: Type.String({description: "the supervisor's phone"}),
      by: Type.String(),
      state: Type.Union([Type.Literal('ringing'), Type.Literal('active')]),
      startedAt: ms('started'),
    },
    {title: 'SupervisionView', description: 'A supervision in progress'},
  ),
)

export const linkView = Type.Object(
  {
    state: Type.Union([Type.Literal('connecting'), Type.Literal('connected'), Type.Literal('unreachable'), Type.Literal('closed')]),
    since: ms('the link entered this state'),
    attempts: Type.Integer({description: 'connection attempts in the current outage'}),
    error: Type.Optional(Type.String()),
    url: Type.String(),
  },
  {title: 'AsteriskLinkView', description: 'The link to Asterisk'},
)

/** A phone's registration as the engine last heard it from Asterisk (phone list). */
export const phoneContactView = shaped<PhoneContact>()(
  Type.Object(
    {
      endpoint: Type.String({description: 'PJSIP/1001'}),
      state: Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('unknown'), Type.Literal('missing')]),
      contact: nullable(Type.String({description: 'the registered contact URI'})),
      userAgent: nullable(Type.String()),
      rttMs: nullable(Type.Number({description: 'qualify round trip'})),
      status: nullable(Type.String({description: 'contact status: Reachable, Unreachable, NonQualified, Removed, ...'})),
      since: ms('the phone entered this state'),
    },
    {title: 'PhoneContact'},
  ),
)

export const snapshotView = shaped<EngineSnapshot>()(
  Type.Object(
    {
      at: Type.Number({description: "the engine's clock (ms since the epoch)"}),
      queues: Type.Array(view<QueueView>('QueueView', 'A queue: name, settings, waiting callers, agent counts')),
      agents: Type.Array(agentView),
      calls: Type.Array(callView),
      stats: view<EngineSnapshot['stats']>(
        'LiveStatsView',
        "Today's figures per queue and agent (an agent's talkTodayMs and occupancy count its call in progress and open spans to now), and lastHour: callers offered per queue in 5-minute buckets",
      ),
      supervisions: Type.Optional(Type.Array(supervisionView, {description: 'supervisions in progress'})),
      overload: Type.Optional(view<NonNullable<EngineSnapshot['overload']>>('OverloadView', 'Load shedding while Asterisk answers slowly')),
      link: Type.Optional(linkView),
      boxes: Type.Optional(
        Type.Array(Type.Object({name: Type.String(), up: Type.Boolean(), downSince: nullable(ms('down since; null while up'))}), {description: 'several Asterisk boxes: each and whether it serves'}),
      ),
      chats: Type.Optional(view<NonNullable<EngineSnapshot['chats']>>('ChatsView', 'Chats waiting in a queue (offered included), offered and active, per queue; not in a queue: with the bot (its turn), awaiting the customer (the bot asked), leaving a message; per agent its chats per channel, in all, its limit, and whether it is on a call')),
    },
    {title: 'EngineSnapshot', description: "Queues, agents, live calls and today's figures, at the engine's clock"},
  ),
)
