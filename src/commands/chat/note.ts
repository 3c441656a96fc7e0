import {Args, Flags} from '@oclif/core'
import {withEngine} from '../../engine/api/connect.js'
import type {ResultOf} from '../../engine/api/contract.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'

type Result = ResultOf<'chat.note'>

export default class ChatNote extends CallctlCommand<Result> {
  static summary = "Send the agent on a conversation a private note (a supervisor's; never shown to the customer)"
  static description = 'Read the conversation first with: callctl chat transcript ID (live ones too). The note is kept with the transcript (--notes).'
  static examples = ['<%= config.bin %> chat note chat-mi0k2x-1a2b3c4d5e --text "Offer the refund, it is within 30 days"']
  static args = {conversation: Args.string({description: 'conversation id (chat-...)', required: true})}
  static flags = {
    text: Flags.string({char: 't', description: 'the note (at most 2000 characters)', required: true}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Result> {
    const {args, flags} = await this.parse(ChatNote)
    return withEngine(flags.config, (c) => c.request('chat.note', {conversation: args.conversation, text: flags.text}))
  }

  protected render(r: Result): void {
    this.print(r.agent ? `Note sent to agent ${safeText(r.agent, 40)} on ${safeText(r.conversation, 80)}.` : `Note kept with ${safeText(r.conversation, 80)}; no agent has the conversation now.`)
  }
}
