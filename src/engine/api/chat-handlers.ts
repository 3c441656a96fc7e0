import type {Engine} from '../calls/engine.js'
import {ChatError} from '../chat/chat-core.js'
import {ImageParts} from './chat-image-parts.js'
import type {Handlers} from './server.js'

type ChatMethod = 'chat.list' | 'chat.accept' | 'chat.send' | 'chat.image' | 'chat.typing' | 'chat.transfer' | 'chat.close' | 'chat.transcript' | 'chat.note'

/** The chat methods (chat-contract.ts): thin translations onto the engine's chat core. */
export function chatHandlers(engine: Engine): Pick<Handlers, ChatMethod> {
  const chat = engine.chat
  const parts = new ImageParts()
  return {
    'chat.list': (p) => ({at: engine.core.clock.now(), conversations: chat.list({...(p.agent ? {agent: p.agent} : {}), ...(p.queue ? {queue: p.queue} : {}), ...(p.state ? {state: p.state} : {})})}),
    'chat.accept': (p) => chat.accept(p.conversation, p.agent),
    'chat.send': (p) => chat.send(p.conversation, p.agent, {text: p.text}),
    'chat.image': (p, _conn, who) => {
      // Refused before any bytes are kept: not the agent's active conversation, or nowhere to keep images.
      const c = chat.get(p.conversation)
      if (!c || c.state !== 'active' || c.agent !== p.agent) throw new ChatError(`Conversation ${p.conversation} is not an active conversation of agent ${p.agent}`, 'not_yours', 'Accept it first (a at the desk), or see the conversations: callctl chat list.')
      const images = chat.images
      if (!images) throw new ChatError('Images cannot be sent: no chat channel keeps them (channels.web in the engine config)', 'no_images')
      const r = parts.add(p, who.user, images.maxImageBytes)
      if (!r.image) return {conversation: c.id, upload: r.upload, received: r.received, sent: null}
      const image = images.keepImage(r.image, p.agent)
      const line = chat.send(c.id, p.agent, {image})
      return {conversation: c.id, upload: r.upload, received: r.received, sent: {seq: line.seq, image}}
    },
    'chat.typing': (p) => chat.typing(p.conversation, p.agent),
    'chat.transfer': (p, _conn, who) => chat.transfer(p.conversation, p.to, who.user, p.agent ?? null),
    'chat.close': (p, _conn, who) => chat.close(p.conversation, p.agent ? 'agent' : 'supervisor', who.user, p.agent ?? null),
    // An agent reads the notes written to it only: a note to the agent before it stays that agent's.
    'chat.transcript': (p, _conn, who) => {
      const t = chat.transcript(p.conversation)
      return who.role === 'agent' ? {...t, notes: t.notes.filter((n) => n.agent !== null && n.agent === who.agent)} : t
    },
    'chat.note': (p, _conn, who) => chat.note(p.conversation, p.text, who.user),
  }
}
