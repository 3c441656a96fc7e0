import {Args, Flags} from '@oclif/core'
import {transcriptFromLog, type TranscriptExport} from '../../engine/chat/transcript-log.js'
import {withStore} from '../../engine/config/open-store.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'

export default class ChatTranscript extends CallctlCommand<TranscriptExport> {
  static summary = "Export a conversation's transcript from the event log: every line, the customer's too"
  static description = `Reads the event log, so any conversation, live or closed, with or without a running engine.
--notes adds the supervisors' private notes to the agent (never shown to the customer).
--json gives the conversation and its lines as data.`
  static examples = ['<%= config.bin %> chat transcript chat-mi0k2x-1a2b3c4d5e', '<%= config.bin %> chat transcript chat-mi0k2x-1a2b3c4d5e --notes --json > transcript.json']
  static args = {conversation: Args.string({description: 'conversation id (chat-...)', required: true})}
  static flags = {
    notes: Flags.boolean({description: "include the supervisors' private notes"}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<TranscriptExport> {
    const {args, flags} = await this.parse(ChatTranscript)
    const t = await withStore(flags.config, (store) => transcriptFromLog(store, args.conversation))
    return flags.notes ? t : {...t, notes: []}
  }

  protected render(t: TranscriptExport): void {
    const c = t.conversation
    const who = [c.name, c.number].filter(Boolean).join(' ')
    this.print(`${safeText(c.id)}  ${c.channel}  ${safeText(c.customer, 64)}${who ? ` (${safeText(who, 80)})` : ''}  ${c.state}${c.closeReason ? ` (${c.closeReason})` : ''}${c.rating !== null ? `  rated ${c.rating}` : ''}`)
    const rows = [
      ...t.lines.map((l) => ({ts: l.ts, text: `${l.from === 'agent' ? `agent ${safeText(l.agent ?? l.agentName ?? '', 40)}` : l.from}: ${l.text !== undefined ? safeText(l.text, 4000) : l.image ? `[image ${safeText(l.image.url, 200)}]` : `[${l.kind}]`}${l.buttons ? `  ${l.buttons.map((b) => `[${safeText(b.label, 40)}]`).join(' ')}` : ''}`})),
      ...t.notes.map((n) => ({ts: n.ts, text: `note from ${safeText(n.by, 40)} to ${safeText(n.agent ?? '-', 40)}: ${safeText(n.text, 2000)}`})),
    ].sort((a, b) => a.ts - b.ts)
    for (const r of rows) this.print(`${new Date(r.ts).toISOString().slice(11, 19)}  ${r.text}`)
  }
}
