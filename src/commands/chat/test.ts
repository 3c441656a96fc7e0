import {createInterface} from 'node:readline'
import {Args, Flags} from '@oclif/core'
import {FlowSession, loadChatFlowFile, offlineDeps, type FlowTurn} from '../../engine/chat/flows/flow-session.js'
import {ChatFlowInvalidError} from '../../engine/chat/flows/parse-chat-flow.js'
import type {FlowEnd} from '../../engine/chat/flows/flow-runner.js'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {parseTimeInput} from '../../engine/util/time-input.js'
import {zone} from '../../engine/reports/zone.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'

interface Result {
  flow: string
  turns: FlowTurn[]
  end: FlowEnd | null
}

export default class ChatTest extends CallctlCommand<Result> {
  static summary = 'Run a conversation flow offline: type as the customer, read what the bot says'
  static description = `The flow is checked first (every problem as FILE:LINE:COLUMN, exit 2). Lines are read from
standard input, one message each; [KEY] presses the button KEY. On a terminal it asks for
each line; from a pipe or file it reads them all (scripted tests). Answers from the
knowledge base come from the store's (callctl kb). The run stops when the flow hands over
to a queue or closes.

A flow (YAML):
  flow: support
  timezone: Asia/Shanghai
  start: greet
  calendars:
    office: {open: {mon-fri: "09:00-18:00"}}
  nodes:
    greet:   {type: message, text: "Hello! I'm the assistant.", next: hours}
    hours:   {type: hours, calendar: office, open: menu, closed: closed}
    closed:  {type: close, text: "We are open 9:00-18:00, Monday to Friday."}
    menu:
      type: menu
      text: What can we help with?
      choices:
        - {key: billing, label: Billing, keywords: [bill, invoice, 账单], next: faq}
        - {key: agent, label: Talk to a person, keywords: [agent, human, 人工], next: handoff}
      otherwise: faq
    faq:     {type: kb, text: "What is your question?", minScore: 1, helpful: bye, notHelpful: handoff, noMatch: handoff}
    handoff: {type: queue, queue: support, text: "Connecting you to an agent."}
    bye:     {type: close, text: "Glad we could help!"}

Node types: message, menu, hours, kb, queue, close.`
  static examples = ['<%= config.bin %> chat test flows/chat.yaml', 'printf "hi\\n[billing]\\nhow do I get an invoice\\n[yes]\\n" | <%= config.bin %> chat test flows/chat.yaml --at "2026-12-07 10:00"', '<%= config.bin %> chat test flows/chat.yaml --at 2026-12-07T02:00:00Z']
  static args = {flow: Args.string({description: 'chat flow file (YAML)', required: true})}
  static flags = {
    at: Flags.string({description: 'run as if it were this time (business hours): "2026-12-07 10:00" is that wall-clock time in the flow\'s timezone; an ISO time with Z or an offset is that moment'}),
    'no-kb': Flags.boolean({description: 'answer without the knowledge base (every kb node finds no match)'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Result> {
    const {args, flags} = await this.parse(ChatTest)
    let flow
    try {
      flow = loadChatFlowFile(args.flow)
    } catch (err) {
      // Every problem, not only the first: the error itself prints the first.
      if (err instanceof ChatFlowInvalidError && !this.jsonEnabled()) for (const e of err.errors.slice(1)) process.stderr.write(`${safeText(e.message, 500)}\n${e.suggestion ? `  Try: ${safeText(e.suggestion, 500)}\n` : ''}`)
      throw err
    }
    const at = flags.at === undefined ? undefined : atTime(flags.at, flow.timezone)
    const run = async (kb: Parameters<typeof offlineDeps>[0]['kb']) => {
      const session = new FlowSession(flow, offlineDeps({...(at !== undefined ? {at} : {}), kb}))
      const live = process.stdin.isTTY && !this.jsonEnabled()
      const show = (t: FlowTurn) => live && this.print(turnText(t))
      show(await session.start())
      if (session.end) return session
      const lines = createInterface({input: process.stdin, ...(live ? {output: process.stdout, prompt: 'you> '} : {})})
      if (live) lines.prompt()
      for await (const line of lines) {
        if (line.trim() === '') {
          if (live) lines.prompt()
          continue
        }
        show(await session.say(line))
        if (session.end) break
        if (live) lines.prompt()
      }
      lines.close()
      return session
    }
    const session = flags['no-kb'] ? await run(null) : await withStore(flags.config, (store) => run(repositoriesOf(store).kb))
    return {flow: flow.name, turns: session.turns, end: session.end}
  }

  protected render(r: Result): void {
    // On a terminal the turns were shown as they came; here the script's whole run.
    if (!process.stdin.isTTY) for (const t of r.turns) this.print(turnText(t))
    if (!r.end) this.print('(input ended; the flow waits for the customer)')
  }

}

function turnText(t: FlowTurn): string {
  const out: string[] = []
  if (t.input) out.push(`you> ${safeText(t.input.payload !== undefined ? `[${t.input.payload}]` : (t.input.text ?? ''), 500)}`)
  for (const f of t.feedback) out.push(`  (kb entry ${f.entry}: ${f.helpful ? 'helpful' : 'not helpful'})`)
  for (const k of t.kb) out.push(`  (kb entry ${k.entry}, score ${k.score.toFixed(2)}: ${safeText(k.question, 100)})`)
  for (const s of t.said) {
    out.push(`bot> ${safeText(s.text, 2000)}`)
    if (s.buttons) out.push(`     ${s.buttons.map((b) => `[${safeText(b.key, 32)}] ${safeText(b.label, 100)}`).join('  ')}`)
  }
  if (t.end) out.push(t.end.kind === 'queue' ? `→ handed to queue ${safeText(t.end.queue)}${t.end.skills ? ` (skills ${safeText(t.end.skills)})` : ''}${t.end.priority ? `, priority ${t.end.priority}` : ''}` : `→ closed (${t.end.reason})`)
  return out.join('\n')
}

/**
 * --at: a wall-clock time without a zone ("2026-12-07 10:00") is read in the flow's own
 * timezone, the one its business hours are in; it was read as the machine's (UTC), so the
 * help's own example ran at 18:00 in Shanghai and found the office closed.
 */
function atTime(text: string, timezone: string): number {
  const wall = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim())
  if (!wall) return parseTimeInput(text, Date.now(), '--at')
  const [year, month, day, hour, minute, second] = wall.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number]
  return zone(timezone).toUtc({year, month, day, hour, minute, second})
}
