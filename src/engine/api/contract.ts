import {Type, type Static, type TObject, type TProperties, type TSchema} from '@sinclair/typebox'
import type {AgentListing} from '../admin/admin.js'
import type {CallState} from '../calls/call-session.js'
import type {CallView, EngineSnapshot} from '../calls/engine-types.js'
import type {PhoneContact} from '../calls/phone-presence.js'
import type {SuperviseMode, SupervisionView} from '../calls/supervision.js'
import type {AgentState} from '../model.js'
import type {AgentView, QueueView} from '../routing/acd.js'
import {ROLES} from '../users/roles.js'
import {CHAT_METHODS} from './chat-contract.js'
import {DESK_METHODS} from './desk-contract.js'
import {API_VERSION} from './protocol.js'
import {TICKET_METHODS} from './ticket-contract.js'
import {agentListing, agentView, CALL_STATES, callView, linkView, phoneContactView, snapshotView, supervisionView} from './views.js'

// The engine's API contract: every method the engine serves, with its parameters and
// result, declared once. The server validates each request against it before a handler
// runs, handlers and the client take their types from it, and `callctl api schema`
// prints it as JSON Schema. Commands and dashboards import API views from here only.

export {API_VERSION, CALL_STATES}
export type {AgentListing, AgentState, AgentView, CallState, CallView, EngineSnapshot, PhoneContact, QueueView, SuperviseMode, SupervisionView}

/** Parameters are an object with no keys beyond the declared ones: a typo is refused, not ignored. */
function params<P extends TProperties>(properties: P): TObject<P> {
  return Type.Object(properties, {additionalProperties: false})
}

const text = (maxLength: number, description: string) => Type.String({minLength: 1, maxLength, description})
const agent = text(256, 'agent id')
const call = text(256, 'call id (callctl calls)')
const by = Type.Optional(text(64, 'ignored: the audit trail names the user the token belongs to (kept so older clients are not refused)'))

const MODES: Record<SuperviseMode, true> = {monitor: true, whisper: true, barge: true}
const mode = Type.Union(
  (Object.keys(MODES) as SuperviseMode[]).map((m) => Type.Literal(m)),
  {description: 'monitor (listen), whisper (coach the agent) or barge (join the call)'},
)

const target = Type.Union(
  [
    params({agent: text(256, 'agent id')}),
    params({queue: text(256, 'queue name')}),
    params({number: text(32, 'external number, through the trunk')}),
  ],
  {description: 'where the call goes'},
)

const callId = Type.Object({callId: Type.String()})
const moved = Type.Object({callId: Type.String(), to: target})

interface MethodSpec<P extends TObject = TObject, R extends TSchema = TSchema> {
  /** One line for `callctl api schema`. */
  summary: string
  params: P
  result: R
}

const method = <P extends TObject, R extends TSchema>(summary: string, p: P, result: R): MethodSpec<P, R> => ({summary, params: p, result})

/** Every method of API_VERSION. Adding one here without a handler (or the other way round) fails a unit test. */
export const CONTRACT = {
  'engine.status': method(
    'The running engine: app, version, live calls, unwritten events; pid, uptime, Asterisk link, agents',
    params({}),
    Type.Object({
      app: Type.String(),
      version: Type.String(),
      origin: Type.Union([Type.String(), Type.Null()], {description: 'this engine run (null until it serves)'}),
      liveCalls: Type.Integer(),
      pendingEvents: Type.Integer(),
      // What the engine process adds (callctl engine start); an engine embedded in a test has only the above.
      pid: Type.Optional(Type.Integer()),
      startedAt: Type.Optional(Type.String({description: 'ISO 8601'})),
      uptimeS: Type.Optional(Type.Number()),
      api: Type.Optional(Type.String({description: 'the API URL'})),
      database: Type.Optional(Type.String()),
      serving: Type.Optional(Type.Boolean({description: 'false while the engine first connects to Asterisk'})),
      unauthorizedRequests: Type.Optional(Type.Integer({description: 'API requests refused for a missing or wrong token since start'})),
      link: Type.Optional(linkView),
      agents: Type.Optional(Type.Object({total: Type.Integer(), loggedIn: Type.Integer(), idle: Type.Integer(), busy: Type.Integer(), paused: Type.Integer()})),
      role: Type.Optional(Type.Union([Type.Literal('leader'), Type.Literal('standby')], {description: 'on a shared PostgreSQL store: whether this engine leads or stands by'})),
      epoch: Type.Optional(Type.Integer({description: "the leadership's epoch"})),
      databaseDown: Type.Optional(Type.Object({since: Type.Number({description: 'epoch ms'}), error: Type.String()}, {description: 'on a shared PostgreSQL store: the database does not answer this engine'})),
      leader: Type.Optional(
        Type.Union([Type.Object({holder: Type.Union([Type.String(), Type.Null()]), api: Type.Union([Type.String(), Type.Null()]), epoch: Type.Integer(), live: Type.Boolean()}), Type.Null()], {description: "a standby's view of who leads"}),
      ),
      boxes: Type.Optional(Type.Array(Type.Object({name: Type.String(), up: Type.Boolean(), downSince: Type.Union([Type.Number(), Type.Null()])}), {description: 'several Asterisk boxes: each and whether it serves'})),
      chat: Type.Optional(Type.String({description: "the chat server's URL (the widget is at /chat/), when channels: is configured"})),
    }),
  ),
  'session.whoami': method(
    'Who this token is: the user, its role and, for the agent role, its agent',
    params({}),
    Type.Object({user: Type.String(), role: Type.Union(ROLES.map((r) => Type.Literal(r))), agent: Type.Union([Type.String(), Type.Null()])}),
  ),
  snapshot: method("Queues, agents, live calls and today's figures, at the engine's clock", params({}), snapshotView),
  'phones.status': method("Agents' and provisioned phones as Asterisk last reported them: registration, contact, user agent, qualify RTT", params({}), Type.Array(phoneContactView)),
  'events.subscribe': method(
    'Push every new event (or only these types) to this connection: the engine\'s own as it appends them, and admin changes made elsewhere (CLI, another engine) once it applied them, with their origin',
    params({types: Type.Optional(Type.Array(text(64, 'event type, e.g. call.connected'), {maxItems: 200}))}),
    Type.Object({subscribed: Type.Boolean()}),
  ),
  'events.flush': method('Write buffered events to the store; answers once they are there', params({}), Type.Object({pending: Type.Integer()})),
  'calls.list': method(
    'Live calls, optionally of one queue or in one state',
    params({queue: Type.Optional(text(256, 'queue name')), state: Type.Optional(Type.Union(CALL_STATES.map((s) => Type.Literal(s)), {description: 'call state'}))}),
    Type.Object({at: Type.Number({description: "the engine's clock, ms"}), calls: Type.Array(callView)}),
  ),
  'call.get': method('One live call', params({call}), callView),
  'agent.ready': method("End an agent's wrap-up early", params({agent}), agentView),
  'agent.wrapup': method(
    "Extend an agent's wrap-up (or start one)",
    params({agent, seconds: Type.Number({minimum: 1, maximum: 3600, description: 'seconds to add'})}),
    Type.Intersect([agentView, Type.Object({wrapUpEndsAt: Type.Number()})]),
  ),
  'agent.pause': method('Pause an agent (presence, written to the store)', params({agent, reason: Type.Optional(text(32, 'pause reason (default break)')), by}), agentListing),
  'agent.unpause': method('Unpause an agent', params({agent, by}), agentListing),
  'agent.logout': method(
    'Log an agent out (or out of one queue); its rings in flight are hung up before this answers',
    params({agent, queue: Type.Optional(text(256, 'leave only this queue')), by}),
    agentListing,
  ),
  'call.hold': method('Hold a connected call: the caller hears music', params({call, by}), Type.Object({callId: Type.String(), held: Type.Boolean()})),
  'call.unhold': method('Take a call off hold', params({call, by}), Type.Object({callId: Type.String(), held: Type.Boolean(), holdMs: Type.Number()})),
  'call.hangup': method(
    'Hang up a live call: recorded as ended by its agent when the agent asks (its token, or asAgent from its desk), otherwise by a supervisor',
    params({call, by, asAgent: Type.Optional(Type.Boolean({description: "the call's agent hangs up (its desk): call.completed by agent, disconnect agent"}))}),
    callId,
  ),
  'call.transfer': method(
    'Transfer a connected call to an agent, a queue or a number; consult: talk to the target first',
    params({call, to: target, consult: Type.Optional(Type.Boolean({description: 'hold the caller and talk to the target first'})), by}),
    moved,
  ),
  'call.transfer.complete': method('Finish a consultative transfer', params({call, by}), moved),
  'call.transfer.cancel': method('Abandon a consultative transfer and return to the caller', params({call, by}), callId),
  'call.dial': method("Click-to-call: ring the agent's phone, then the customer", params({number: text(32, 'customer number'), agent, by}), callId),
  'calls.end': method(
    'End live calls as system-ended, never counted as abandons (a tool that placed them stops, as simulate does on Ctrl-C); unknown or ended ids are skipped',
    params({calls: Type.Array(call, {maxItems: 100_000, description: 'call ids (callctl calls)'}), reason: text(64, 'why, in queue.system_ended (e.g. simulate-stopped)'), by}),
    Type.Object({ended: Type.Array(Type.String(), {description: 'the ids ended'})}),
  ),
  'supervise.start': method(
    'Monitor, whisper or barge a call (by call or agent); the same phone on the same call switches mode',
    params({call: Type.Optional(call), agent: Type.Optional(agent), mode, from: text(256, "the supervisor's phone (dial string)"), by}),
    Type.Intersect([supervisionView, Type.Object({switched: Type.Boolean()})]),
  ),
  'supervise.mode': method('Switch a supervision between monitor, whisper and barge', params({id: text(256, 'supervision id'), mode, by}), supervisionView),
  'supervise.stop': method(
    'Stop a supervision (or all of them)',
    params({id: Type.Optional(text(256, 'supervision id')), all: Type.Optional(Type.Boolean()), by}),
    Type.Object({stopped: Type.Array(supervisionView)}),
  ),
  'supervise.list': method('Supervisions in progress', params({}), Type.Object({supervisions: Type.Array(supervisionView)})),
  ...DESK_METHODS,
  ...TICKET_METHODS,
  ...CHAT_METHODS,
} satisfies Record<string, MethodSpec>

export type Contract = typeof CONTRACT
export type Method = keyof Contract
export type ParamsOf<M extends Method> = Static<Contract[M]['params']>
export type ResultOf<M extends Method> = Static<Contract[M]['result']>
/** A method's params as call arguments: optional when every param of the method is. */
export type ParamsArg<M extends Method> = Record<string, never> extends ParamsOf<M> ? [params?: ParamsOf<M>] : [params: ParamsOf<M>]

/** What calls.list answers: the engine's clock with the calls, so durations need no clock of the client's. */
export type CallList = ResultOf<'calls.list'>
/** What supervise.start answers. */
export type SuperviseResult = ResultOf<'supervise.start'>
export type EngineStatus = ResultOf<'engine.status'>

export const METHODS = Object.keys(CONTRACT) as Method[]

export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.hasOwn(CONTRACT, name)
}

/** The contract as JSON Schema (draft 2020-12): the request envelope and, per method, params and result. */
export function contractJsonSchema(): ContractSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'callctl engine API',
    version: API_VERSION,
    request: Type.Object(
      {
        v: Type.Literal(API_VERSION),
        id: Type.Union([Type.String(), Type.Number()]),
        token: Type.String({description: 'the API token: a user\'s token (callctl user token NAME), or the admin token file secrets/api-token in the callctl home (CALLCTL_HOME)'}),
        method: Type.Union(METHODS.map((m) => Type.Literal(m))),
        params: Type.Optional(Type.Object({})),
      },
      {additionalProperties: true},
    ),
    methods: Object.fromEntries(METHODS.map((m) => [m, {summary: CONTRACT[m].summary, version: API_VERSION, params: CONTRACT[m].params, result: CONTRACT[m].result}])),
  }
}

export interface ContractSchema {
  $schema: string
  title: string
  version: number
  request: TSchema
  methods: Record<string, {summary: string; version: number; params: TSchema; result: TSchema}>
}
