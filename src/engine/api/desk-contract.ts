import {Type, type TProperties, type TSchema} from '@sinclair/typebox'
import {agentListing, callView} from './views.js'

// The methods an agent's desk (callctl desk) needs beyond call control: logging in, the
// center's desk settings, the pop's customer history, DTMF to the far end, and the
// knowledge base. Spread into CONTRACT (contract.ts); their access rules are in
// desk-access.ts. Helpers are local: contract.ts imports this module.

const params = <P extends TProperties>(p: P) => Type.Object(p, {additionalProperties: false})
const text = (maxLength: number, description: string) => Type.String({minLength: 1, maxLength, description})
const by = Type.Optional(text(64, 'who asks, for the audit trail'))
const nullable = <S extends TSchema>(s: S) => Type.Union([s, Type.Null()])

export const deskSettingsView = Type.Object(
  {
    pauseReasons: Type.Array(Type.String()),
    crmLink: nullable(Type.String({description: 'URL template: {number}, {contact}, {call}'})),
    quickReplies: Type.Array(Type.String()),
    historyDays: Type.Integer(),
  },
  {title: 'DeskSettings'},
)

export const contactCardView = Type.Object(
  {
    number: Type.String({description: 'E.164'}),
    name: Type.String(),
    tier: Type.String(),
    vip: Type.Boolean(),
    company: Type.String(),
    language: Type.String(),
    notes: Type.String(),
    tags: Type.Array(Type.String()),
  },
  {title: 'ContactCard', description: 'The contact the customer is filed under'},
)

export const interactionView = Type.Object(
  {
    kind: Type.Union([Type.Literal('call'), Type.Literal('ticket')]),
    at: Type.Number({description: 'ms since the epoch'}),
    id: Type.String({description: 'call id or ticket id'}),
    direction: nullable(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
    queue: nullable(Type.String()),
    agent: nullable(Type.String()),
    outcome: Type.String({description: 'a call: answered, abandoned, callback, voicemail, or how it ended; a ticket: its status'}),
    disposition: nullable(Type.Object({code: Type.String(), label: Type.String()})),
    notes: Type.Array(Type.String(), {description: "the call's notes, or the ticket's subject"}),
    priority: nullable(Type.String()),
  },
  {title: 'Interaction'},
)

const kbHit = Type.Object({id: Type.Integer(), question: Type.String(), tags: Type.Array(Type.String()), snippet: Type.String(), score: Type.Number()})

/** The desk's methods, spread into CONTRACT. */
export const DESK_METHODS = {
  'agent.login': {
    summary: 'Log an agent in (to all its queues, or to one)',
    params: params({agent: text(256, 'agent id'), queue: Type.Optional(text(256, 'log in to this queue only')), by}),
    result: agentListing,
  },
  'desk.current': {
    summary: "An agent's own call now, for a desk opened or reconnected mid-call: the call it is on or rung for, and its last call (the disposition it owes in wrap-up)",
    params: params({agent: text(256, 'agent id')}),
    result: Type.Object({
      call: nullable(callView),
      last: nullable(
        Type.Object({
          callId: Type.String(),
          queue: nullable(Type.String()),
          number: Type.String({description: 'the customer number'}),
          disposition: nullable(Type.Object({code: Type.String(), label: Type.String()})),
          owes: Type.Boolean({description: 'its queue has codes and none is chosen yet: the agent is not ready before one is'}),
        }),
      ),
    }),
  },
  'desk.settings': {
    summary: "What agents' desks offer: pause reasons, the CRM link, quick replies (engine config, desk:); disposition codes are the queues' own",
    params: params({}),
    result: deskSettingsView,
  },
  'contact.history': {
    summary: "A customer's contact card and last interactions (calls with disposition and notes, tickets), newest first; by the caller of a live call or by number",
    params: params({
      call: Type.Optional(text(256, 'a live call: its caller (this call is left out of the history); or a chat conversation: its customer by the number it gave')),
      number: Type.Optional(text(32, 'a phone number')),
      limit: Type.Optional(Type.Integer({minimum: 1, maximum: 50, description: 'interactions (default 5)'})),
    }),
    result: Type.Object({
      number: Type.String({description: 'the customer number, E.164 when it is a phone number'}),
      contact: nullable(contactCardView),
      callTags: Type.Array(Type.String(), {description: "the live call's tags (its IVR's queue step), when asked by call"}),
      interactions: Type.Array(interactionView),
      searchedFrom: Type.Number({description: 'how far back the log was read (ms since the epoch): the history window (desk.historyDays), or less when reading it took too long for a pop'}),
    }),
  },
  'call.dtmf': {
    summary: 'Send DTMF digits to the far end of a connected call (the customer, or the party consulted)',
    params: params({
      call: text(256, 'call id'),
      digits: Type.String({pattern: '^[0-9*#A-D]{1,32}$', description: 'digits 0-9 * # A-D, at most 32'}),
      by,
    }),
    result: Type.Object({callId: Type.String(), digits: Type.String(), to: Type.Union([Type.Literal('customer'), Type.Literal('consulted')])}),
  },
  'kb.search': {
    summary: 'Search the knowledge base (full text, Chinese and English), best first',
    params: params({query: text(200, 'search words'), limit: Type.Optional(Type.Integer({minimum: 1, maximum: 100})), tag: Type.Optional(text(40, 'only entries with this tag'))}),
    result: Type.Object({hits: Type.Array(kbHit)}),
  },
  'kb.get': {
    summary: 'One knowledge base entry with its whole answer',
    params: params({id: Type.Integer({minimum: 1, description: 'entry id (kb.search)'})}),
    result: Type.Object({id: Type.Integer(), question: Type.String(), answer: Type.String(), tags: Type.Array(Type.String())}),
  },
}
