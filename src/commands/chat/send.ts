import {Args, Flags} from '@oclif/core'
import {CHAT_TEXT_MAX} from '../../engine/api/chat-contract.js'
import {withEngine} from '../../engine/api/connect.js'
import type {EngineClient} from '../../engine/api/client.js'
import {UserError} from '../../engine/util/errors.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'
import {readImageFile, sendImage} from '../../ui/desk/image-file.js'

interface Result {
  conversation: string
  agent: string
  seq: number
  kind: 'text' | 'image'
  image: {url: string; mime: string; bytes: number} | null
}

export default class ChatSend extends CallctlCommand<Result> {
  static summary = "Write to the customer of an agent's active conversation: a line of text or an image"
  static description = `As the agent of the conversation: an agent user's token is its own agent; an admin's sends
as the agent the conversation is with (or --agent). An image is checked by its contents
(PNG, JPEG, GIF or WebP, whatever its name) and the engine's size limit
(channels.web.maxImageKB), kept by the chat server and sent to the customer as an image.`
  static examples = ['<%= config.bin %> chat send chat-mi0k2x-1a2b3c4d5e --image ~/parcel-label.png', '<%= config.bin %> chat send chat-mi0k2x-1a2b3c4d5e --text "Your parcel left the depot this morning."']
  static args = {conversation: Args.string({description: 'conversation id (chat-...)', required: true})}
  static flags = {
    text: Flags.string({char: 't', description: `a line of text (at most ${CHAT_TEXT_MAX} characters)`, exclusive: ['image']}),
    image: Flags.string({char: 'i', description: 'an image file to send (PNG, JPEG, GIF or WebP)', exclusive: ['text']}),
    agent: Flags.string({char: 'a', description: "the agent writing (default: the token's agent, else the conversation's)"}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Result> {
    const {args, flags} = await this.parse(ChatSend)
    if (flags.text === undefined && flags.image === undefined) throw new UserError('Say what to send: --text or --image', {exitCode: 2, code: 'bad_request', suggestion: 'callctl chat send CONVERSATION --image FILE'})
    // Said here in the flag's words: the API's refusal names its own field ("text: expected string of 1 to 4000 characters").
    if (flags.text !== undefined && (flags.text.length === 0 || flags.text.length > CHAT_TEXT_MAX)) {
      throw new UserError(flags.text.length ? `--text is ${flags.text.length} characters: a chat line may be at most ${CHAT_TEXT_MAX}` : '--text is empty', {
        exitCode: 2,
        code: 'bad_request',
        suggestion: flags.text.length ? 'Send it in several lines, one callctl chat send each.' : 'Give the line to send: --text "..."',
      })
    }
    // Read before connecting: a wrong path is said without an engine.
    const bytes = flags.image !== undefined ? readImageFile(flags.image) : null
    return withEngine(flags.config, async (c) => {
      const agent = flags.agent ?? (await agentOf(c, args.conversation))
      if (bytes) {
        const sent = await sendImage((m, p) => c.request(m, p), args.conversation, agent, bytes)
        return {conversation: args.conversation, agent, seq: sent.seq, kind: 'image' as const, image: {...sent.image, bytes: bytes.length}}
      }
      const r = await c.request('chat.send', {conversation: args.conversation, agent, text: flags.text!})
      return {conversation: r.conversation, agent, seq: r.seq, kind: 'text' as const, image: null}
    })
  }

  protected render(r: Result): void {
    this.print(r.image ? `Image sent to the customer of ${safeText(r.conversation, 80)} (${Math.ceil(r.image.bytes / 1024)} KiB, ${r.image.mime}): ${safeText(r.image.url, 300)}` : `Sent to the customer of ${safeText(r.conversation, 80)}.`)
  }
}

/** The token's own agent; for an admin or supervisor, the agent the conversation is with. */
async function agentOf(c: EngineClient, conversation: string): Promise<string> {
  const me = await c.request('session.whoami')
  if (me.agent) return me.agent
  const t = await c.request('chat.transcript', {conversation})
  if (t.conversation.agent) return t.conversation.agent
  throw new UserError(`Conversation ${safeText(conversation, 80)} is with no agent now (${t.conversation.state})`, {code: 'not_yours', suggestion: 'Only an agent with the conversation can write to its customer; see callctl chat transcript.'})
}
