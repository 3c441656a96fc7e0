import {Flags} from '@oclif/core'
import {withEngine} from '../../engine/api/connect.js'
import type {ResultOf} from '../../engine/api/contract.js'
import {CallctlCommand} from '../../ui/command.js'
import {duration} from '../../ui/dashboard/format.js'
import {table} from '../../ui/render.js'

type Result = ResultOf<'chat.list'>
type Conversation = Result['conversations'][number]
const STATES = ['flow', 'queued', 'offered', 'active'] as const

export default class ChatList extends CallctlCommand<Result> {
  static summary = 'List the open conversations of the running engine: customer, channel, queue, agent, state, wait'
  static description = `Oldest first. A supervisor or admin sees every conversation; an agent's token sees its own.
Read one with: callctl chat transcript ID; send its agent a note with: callctl chat note ID --text ...`
  static examples = ['<%= config.bin %> chat list', '<%= config.bin %> chat list --queue support --state queued', '<%= config.bin %> chat list --json']
  static flags = {
    queue: Flags.string({description: 'only conversations in this queue'}),
    agent: Flags.string({description: 'only conversations with (or offered to) this agent'}),
    state: Flags.string({description: 'only conversations in this state', options: [...STATES]}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Result> {
    const {flags} = await this.parse(ChatList)
    return withEngine(flags.config, (c) =>
      c.request('chat.list', {
        ...(flags.queue ? {queue: flags.queue} : {}),
        ...(flags.agent ? {agent: flags.agent} : {}),
        ...(flags.state ? {state: flags.state as (typeof STATES)[number]} : {}),
      }),
    )
  }

  protected render(r: Result): void {
    if (r.conversations.length === 0) return this.print('No open conversations.')
    // Waited: in line until an agent accepted it, or until now.
    const waited = (c: Conversation) => (c.joinedAt === null ? null : Math.max(0, (c.acceptedAt ?? r.at) - c.joinedAt))
    this.print(
      table(r.conversations, [
        {header: 'CONVERSATION', get: (c) => c.id},
        {header: 'CHANNEL', get: (c) => c.channel},
        {header: 'NAME', get: (c) => c.name || '-', max: 24},
        {header: 'NUMBER', get: (c) => c.number || '-', max: 20},
        {header: 'QUEUE', get: (c) => c.queue ?? '-'},
        // The stage: a conversation in the flow is with the bot, awaiting the customer, or leaving a message.
        {header: 'STATE', get: (c) => (c.state === 'queued' && c.position !== null ? `queued #${c.position}` : c.stage)},
        {header: 'AGENT', get: (c) => c.agent ?? (c.offeredTo ? `offered ${c.offeredTo}` : '-'), max: 30},
        {header: 'WAITED', get: (c) => duration(waited(c)), align: 'right'},
        {header: 'MSGS', get: (c) => c.messages, align: 'right'},
        {header: 'LAST', get: (c) => (c.last ? `${c.last.from}: ${c.last.text}` : '-'), max: 40},
      ]),
    )
  }
}
