import {Type, type TProperties} from '@sinclair/typebox'
import type {ConversationView} from '../chat/chat-core.js'
import type {Note, TranscriptLine} from '../chat/conversation.js'
import {view} from './views.js'

// The methods of chats (issue 18): the agent's side (list, accept, send, transfer, close
// its own conversations) and the supervisor's (any live transcript, a private note to the
// agent). Spread into CONTRACT (contract.ts); their access rules are in chat-access.ts.

const params = <P extends TProperties>(p: P) => Type.Object(p, {additionalProperties: false})
const text = (maxLength: number, description: string) => Type.String({minLength: 1, maxLength, description})
const conversation = text(64, 'conversation id (chat.list)')
const agent = text(256, 'agent id')
const STATES = ['flow', 'queued', 'offered', 'active', 'closed'] as const
/** The longest line an agent may send (UTF-16 code units, as the contract counts); `chat send` says so before sending. */
export const CHAT_TEXT_MAX = 4000
/** An image part's bytes: its base64 (60,000 characters) and the request around it fit the API's 64 KiB message. */
export const IMAGE_PART_BYTES = 45_000
const IMAGE_PART_CHARS = (IMAGE_PART_BYTES / 3) * 4

export const conversationView = view<ConversationView>(
  'ConversationView',
  'A conversation: id, channel, customer (id, name, number), state (flow, queued, offered, active, closed), stage (the state as a supervisor reads it: with-bot, awaiting-customer, leaving-message, queued, offered, active, closed), queue, agent, offeredTo, times, position in line, message count, last line, rating',
)

const target = Type.Union([params({agent: text(256, 'agent id')}), params({queue: text(256, 'queue name')})], {description: 'where the conversation goes, its transcript with it'})

export const CHAT_METHODS = {
  'chat.list': {
    summary: "Open conversations, oldest first (an agent's: those with it or offered to it)",
    params: params({
      agent: Type.Optional(agent),
      queue: Type.Optional(text(256, 'queue name')),
      state: Type.Optional(Type.Union(STATES.map((s) => Type.Literal(s)), {description: 'conversation state'})),
    }),
    result: Type.Object({at: Type.Number({description: "the engine's clock, ms"}), conversations: Type.Array(conversationView)}),
  },
  'chat.accept': {
    summary: 'Take a conversation offered to the agent',
    params: params({conversation, agent}),
    result: conversationView,
  },
  'chat.send': {
    summary: "Write to the customer of the agent's active conversation",
    params: params({conversation, agent, text: text(CHAT_TEXT_MAX, 'the message')}),
    result: Type.Object({conversation: Type.String(), seq: Type.Integer({description: "the line's place in the conversation"})}),
  },
  'chat.image': {
    summary: "Send the customer of the agent's active conversation an image, in parts of at most 45,000 bytes (base64): the first part without upload, the rest with the upload id it answered; the last part sends it",
    params: params({
      conversation,
      agent,
      size: Type.Integer({minimum: 1, description: "the image's whole size in bytes (at most the web channel's maxImageKB)"}),
      data: Type.String({minLength: 4, maxLength: IMAGE_PART_CHARS, pattern: '^[A-Za-z0-9+/]+={0,2}$', description: 'this part of the file, base64'}),
      upload: Type.Optional(Type.String({minLength: 1, maxLength: 64, description: 'the upload id the first part answered (every later part)'})),
    }),
    result: Type.Object({
      conversation: Type.String(),
      upload: Type.String({description: 'the id the next parts name'}),
      received: Type.Integer({description: 'bytes received so far'}),
      sent: Type.Union([Type.Null(), Type.Object({seq: Type.Integer(), image: Type.Object({url: Type.String(), mime: Type.String()})})], {description: 'once the last part is in: the line sent (null before)'}),
    }),
  },
  'chat.typing': {
    summary: "Show the customer of the agent's active conversation that the agent is typing (not stored)",
    params: params({conversation, agent}),
    result: Type.Object({conversation: Type.String()}),
  },
  'chat.transfer': {
    summary: 'Transfer a conversation to an agent (offered to it) or a queue (back in line); the transcript goes with it',
    params: params({conversation, to: target, agent: Type.Optional(text(256, "the agent handing it over (an agent's own conversation)"))}),
    result: conversationView,
  },
  'chat.close': {
    summary: 'End a conversation (the customer is asked for a rating when an agent had it)',
    params: params({conversation, agent: Type.Optional(text(256, "the agent closing its own conversation"))}),
    result: conversationView,
  },
  'chat.transcript': {
    summary: "A conversation's every line (the customer's too) and the supervisors' notes, live or recently closed",
    params: params({conversation}),
    result: Type.Object({
      conversation: conversationView,
      lines: Type.Array(view<TranscriptLine>('TranscriptLine', 'seq, ts, from (customer, bot, agent, system), kind, text, image, buttons, payload, agentName, agent')),
      notes: Type.Array(view<Note>('ChatNote', "A supervisor's private note to the agent: ts, text, by, agent")),
    }),
  },
  'chat.note': {
    summary: "A supervisor's private note to the agent on a conversation; never shown to the customer",
    params: params({conversation, text: text(2000, 'the note')}),
    result: Type.Object({conversation: Type.String(), agent: Type.Union([Type.String(), Type.Null()], {description: 'the agent it reaches (null: nobody has the conversation now)'})}),
  },
}
