import {CHANNELS} from '../routing/capacity.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import {CHAT_EVENT_TYPES} from './chat-core.js'
import {Conversation, type Note, type TranscriptLine} from './conversation.js'

// A conversation's transcript read from the event log, with the same fold the engine uses:
// any conversation, live or long closed, with or without an engine running (callctl chat
// transcript exports it).

export interface TranscriptExport {
  conversation: {
    id: string
    channel: string
    customer: string
    name: string
    number: string
    state: Conversation['state']
    queue: string | null
    agents: string[]
    startedAt: number
    closedAt: number | null
    closeReason: string | null
    rating: number | null
  }
  lines: TranscriptLine[]
  notes: Note[]
}

export async function transcriptFromLog(store: Pick<Store, 'events'>, id: string): Promise<TranscriptExport> {
  let c: Conversation | null = null
  for await (const e of store.events({callId: id, types: CHAT_EVENT_TYPES})) {
    if (!c && e.type === 'chat.started') {
      const channel = CHANNELS.find((k) => k === e.data.channel)
      if (channel) c = new Conversation(id, channel, String(e.data.customer ?? ''), e.ts)
    }
    c?.apply(e)
  }
  if (!c) throw new UserError(`No conversation ${JSON.stringify(id)} in the event log`, {suggestion: 'Conversation ids start with chat-: callctl chat list shows the open ones, callctl events --type chat.started all of them.', exitCode: 1, code: 'unknown_conversation'})
  return {
    conversation: {
      id,
      channel: c.channel,
      customer: c.customer,
      name: c.name,
      number: c.number,
      state: c.state,
      queue: c.queue,
      agents: [...c.agents],
      startedAt: c.startedAt,
      closedAt: c.closedAt,
      closeReason: c.closeReason,
      rating: c.rating,
    },
    lines: c.lines,
    notes: c.notes,
  }
}
