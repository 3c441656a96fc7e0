import {Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import type {QueueRecord} from '../../engine/model.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

export default class QueueList extends CallctlCommand<{queues: (QueueRecord & {agents: number})[]}> {
  static summary = 'List queues with their settings and member count'
  static examples = ['<%= config.bin %> queue list', '<%= config.bin %> queue list --json']
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<{queues: (QueueRecord & {agents: number})[]}> {
    const {flags} = await this.parse(QueueList)
    return withStore(flags.config, async (store) => {
      const agents = await store.listAgents()
      return {queues: (await store.listQueues()).map((q) => ({...q, agents: agents.filter((a) => q.name in a.queues).length}))}
    })
  }

  protected render(r: {queues: (QueueRecord & {agents: number})[]}): void {
    if (r.queues.length === 0) return this.print('No queues. Create one with: callctl queue add NAME')
    this.print(
      table(r.queues, [
        {header: 'QUEUE', get: (q) => q.name},
        {header: 'STRATEGY', get: (q) => q.settings.strategy},
        {header: 'RING', get: (q) => `${q.settings.ringTimeout}s`, align: 'right'},
        {header: 'WRAP-UP', get: (q) => `${q.settings.wrapUp}s`, align: 'right'},
        {header: 'AGENTS', get: (q) => q.agents, align: 'right'},
        {header: 'DIDS', get: (q) => q.settings.dids.join(',')},
      ]),
    )
  }
}
