import type {Engine} from '../calls/engine.js'
import type {Handlers} from './server.js'

type ChatMethod = 'chat.list' | 'chat.accept' | 'chat.send' | 'chat.typing' | 'chat.transfer' | 'chat.close' | 'chat.transcript' | 'chat.note'

/** The chat methods (chat-contract.ts): thin translations onto the engine's chat core. */
export function chatHandlers(engine: Engine): Pick<Handlers, ChatMethod> {
  const chat = engine.chat
  return {
    'chat.list': (p) => ({at: engine.core.clock.now(), conversations: chat.list({...(p.agent ? {agent: p.agent} : {}), ...(p.queue ? {queue: p.queue} : {}), ...(p.state ? {state: p.state} : {})})}),
    'chat.accept': (p) => chat.accept(p.conversation, p.agent),
    'chat.send': (p) => chat.send(p.conversation, p.agent, {text: p.text}),
    'chat.typing': (p) => chat.typing(p.conversation, p.agent),
    'chat.transfer': (p, _conn, who) => chat.transfer(p.conversation, p.to, who.user, p.agent ?? null),
    'chat.close': (p, _conn, who) => chat.close(p.conversation, p.agent ? 'agent' : 'supervisor', who.user, p.agent ?? null),
    'chat.transcript': (p) => chat.transcript(p.conversation),
    'chat.note': (p, _conn, who) => chat.note(p.conversation, p.text, who.user),
  }
}
